"""Organizers run cohorts: settings, staff, participant import, reports and exports."""

from __future__ import annotations

import hashlib
import json
import re

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from sqlalchemy import exists, or_, select

from lms.accounts.models import PasswordToken, Role, User
from lms.auth import require, role_required
from lms.cohorts.forms import CohortForm, ImportForm, SetPasswordForm, StaffForm
from lms.cohorts.models import Cohort, CohortStaff, Enrolment, ImportBatch
from lms.cohorts.operations import new_enrolment_key, normalize_key
from lms.cohorts.participants import parse_sheet, preview
from lms.content.models import Course
from lms.extensions import db
from lms.reports import exports
from lms.reports.queries import Filters, cohort_report
from lms.util import utcnow
from lms.util.params import int_arg

bp = Blueprint("cohorts", __name__, url_prefix="/organizer")
public_bp = Blueprint("invites", __name__)


def visible_cohorts():
    """Cohorts the current user runs (all of them for an admin)."""
    stmt = select(Cohort)
    if current_user.role_enum is not Role.ADMIN:
        staff = exists().where(CohortStaff.cohort_id == Cohort.id, CohortStaff.user_id == current_user.id)
        stmt = stmt.where(or_(Cohort.created_by_id == current_user.id, staff))
    return stmt


def _cohort(cohort_id: int) -> Cohort:
    cohort = db.get_or_404(Cohort, cohort_id)
    require(current_user, "manage_cohort", cohort)
    return cohort


@bp.get("/cohorts")
@role_required(Role.ORGANIZER, Role.ADMIN)
def index() -> str:
    """The cohorts I run, with course, dates, enrolment key and number of participants."""
    from sqlalchemy import func

    counts = (select(Enrolment.cohort_id, func.count(Enrolment.id).label("participants"))
              .group_by(Enrolment.cohort_id).subquery())
    mine = visible_cohorts().subquery()
    rows = db.session.execute(
        select(Cohort, Course, func.coalesce(counts.c.participants, 0))
        .join(mine, mine.c.id == Cohort.id)
        .join(Course, Course.id == Cohort.course_id)
        .outerjoin(counts, counts.c.cohort_id == Cohort.id)
        .order_by(Cohort.starts_on.desc(), Cohort.name)).all()
    return render_template("cohorts/index.html", rows=rows)


def _course_choices(form: CohortForm) -> None:
    form.course_id.choices = [(c.id, c.title) for c in db.session.scalars(select(Course).order_by(Course.title))]


def _apply_form(cohort: Cohort, form: CohortForm) -> str | None:
    """Copy the form into the cohort; returns an error for the key field, if any."""
    key = normalize_key(form.enrolment_key.data or "") or cohort.enrolment_key or new_enrolment_key()
    clash = db.session.scalar(select(Cohort.id).where(Cohort.enrolment_key == key, Cohort.id != (cohort.id or 0)))
    if clash:
        return _("Another cohort already uses this enrolment key.")
    for name in ("name", "place", "starts_on", "ends_on", "is_open", "signatory_name", "signatory_title",
                 "signatory_nip", "city"):
        value = getattr(form, name).data
        if isinstance(value, str):
            value = value.strip() or (None if name != "name" else value)
        setattr(cohort, name, value)
    cohort.enrolment_key = key
    cohort.course_id = form.course_id.data
    return None


@bp.route("/cohorts/new", methods=["GET", "POST"])
@role_required(Role.ORGANIZER, Role.ADMIN)
def new() -> Response | str:
    """Create a cohort; its creator runs it."""
    form = CohortForm()
    _course_choices(form)
    if form.validate_on_submit():
        if db.session.scalar(select(Cohort.id).where(Cohort.slug == form.slug.data)):
            form.slug.errors.append(_("Another cohort already uses this short name."))
        else:
            cohort = Cohort(slug=form.slug.data, created_by_id=current_user.id)
            error = _apply_form(cohort, form)
            if error:
                form.enrolment_key.errors.append(error)
            else:
                db.session.add(cohort)
                db.session.flush()
                db.session.add(CohortStaff(cohort_id=cohort.id, user_id=current_user.id, role=current_user.role))
                db.session.commit()
                flash(_("Cohort created. Its enrolment key is %(key)s.", key=cohort.enrolment_key), "success")
                return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    status = 200 if request.method == "GET" else 400
    return render_template("cohorts/form.html", form=form, cohort=None), status


@bp.route("/cohorts/<int:cohort_id>", methods=["GET", "POST"])
@login_required
def detail(cohort_id: int) -> Response | str:
    """Settings of a cohort (key, dates, signatory) and who runs it."""
    cohort = _cohort(cohort_id)
    form = CohortForm(obj=cohort)
    _course_choices(form)
    if request.method == "GET":
        form.enrolment_key.data = cohort.enrolment_key
    if form.validate_on_submit():
        form.slug.data = cohort.slug  # the short name stays: links and exports use it
        error = _apply_form(cohort, form)
        if error:
            form.enrolment_key.errors.append(error)
        else:
            db.session.commit()
            flash(_("Cohort saved."), "success")
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    staff = db.session.execute(select(CohortStaff, User).join(User, User.id == CohortStaff.user_id)
                               .where(CohortStaff.cohort_id == cohort.id).order_by(User.full_name)).all()
    status = 200 if request.method == "GET" else 400
    return render_template("cohorts/form.html", form=form, cohort=cohort, staff=staff, staff_form=StaffForm()), status


@bp.post("/cohorts/<int:cohort_id>/staff")
@login_required
def add_staff(cohort_id: int) -> Response:
    """Assign a facilitator or organizer to the cohort by email."""
    cohort = _cohort(cohort_id)
    form = StaffForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.email == form.email.data.strip().lower()))
        if user is None or user.role_enum not in (Role.FACILITATOR, Role.ORGANIZER):
            flash(_("No facilitator or organizer account has this email."), "error")
        elif not db.session.scalar(select(CohortStaff.id).where(CohortStaff.cohort_id == cohort.id,
                                                                 CohortStaff.user_id == user.id)):
            db.session.add(CohortStaff(cohort_id=cohort.id, user_id=user.id, role=user.role))
            db.session.commit()
            flash(_("%(name)s now works on this cohort.", name=user.full_name), "success")
    return redirect(url_for("cohorts.detail", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/staff/<int:staff_id>/remove")
@login_required
def remove_staff(cohort_id: int, staff_id: int) -> Response:
    cohort = _cohort(cohort_id)
    member = db.get_or_404(CohortStaff, staff_id)
    if member.cohort_id != cohort.id:
        abort(404)
    db.session.delete(member)
    db.session.commit()
    return redirect(url_for("cohorts.detail", cohort_id=cohort.id))


# --- participant import -----------------------------------------------------------------------

@bp.route("/cohorts/<int:cohort_id>/import", methods=["GET", "POST"])
@login_required
def import_participants(cohort_id: int) -> Response | str | tuple[str, int]:
    """Upload a sheet; see every row with its problems before anything is saved."""
    cohort = _cohort(cohort_id)
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        batch = ImportBatch(cohort_id=cohort.id, created_by_id=current_user.id,
                            filename=(upload.filename or "peserta")[:255], data=data)
        db.session.add(batch)
        db.session.commit()
        return redirect(url_for("cohorts.import_preview", batch_id=batch.id))
    status = 200 if request.method == "GET" else 400
    return render_template("cohorts/import.html", cohort=cohort, form=form), status


def _batch(batch_id: int) -> tuple[ImportBatch, Cohort]:
    batch = db.get_or_404(ImportBatch, batch_id)
    cohort = _cohort(batch.cohort_id)
    if batch.created_by_id != current_user.id and current_user.role_enum is not Role.ADMIN:
        abort(404)
    return batch, cohort


@bp.get("/imports/<int:batch_id>")
@login_required
def import_preview(batch_id: int) -> str:
    """The rows and their problems; while the import runs, its progress; then what it did."""
    from lms.cohorts import importing

    batch, cohort = _batch(batch_id)
    if batch.status == "done":
        return render_template("cohorts/import_done.html", batch=batch, cohort=cohort,
                               result=json.loads(batch.result_json))
    job = importing.job_of(batch) if batch.status == "queued" else None
    if job is not None and job.status in ("queued", "running"):
        return render_template("cohorts/import_running.html", batch=batch, cohort=cohort, job=job)
    if job is not None and job.status == "failed":
        flash(_("The import stopped and saved nothing: %(error)s", error=job.error), "error")
    sheet = parse_sheet(batch.filename, batch.data)
    preview(sheet)
    return render_template("cohorts/import_preview.html", batch=batch, cohort=cohort, sheet=sheet)


@bp.post("/imports/<int:batch_id>/commit")
@login_required
def import_commit(batch_id: int) -> Response | str | tuple[str, int]:
    """Save the whole sheet in one transaction, or nothing: a background job, for big sheets."""
    from lms import jobs
    from lms.cohorts import importing

    batch, cohort = _batch(batch_id)
    if batch.status == "done":
        return redirect(url_for("cohorts.import_preview", batch_id=batch.id))
    # Even with an import recorded as running (its process may have died): a second run waits for
    # the first to finish and then finds the batch done, or imports it if the first never will.
    sheet = parse_sheet(batch.filename, batch.data)
    preview(sheet)
    if not sheet.ok:
        return render_template("cohorts/import_preview.html", batch=batch, cohort=cohort, sheet=sheet), 400
    link_base = url_for("invites.set_password", token="TOKEN", _external=True)
    job = jobs.enqueue(importing.KIND, {"batch_id": batch.id, "link_base": link_base}, current_user.id)
    batch.status, batch.result_json = "queued", json.dumps({"job_id": job.id})
    db.session.commit()
    jobs.start(job)
    return redirect(url_for("cohorts.import_preview", batch_id=batch.id))


@bp.get("/imports/<int:batch_id>/links.csv")
@login_required
def import_links(batch_id: int) -> Response:
    """The new accounts' set-password links, to hand out (e.g. in the cohort's WhatsApp group)."""
    batch, cohort = _batch(batch_id)
    links = json.loads(batch.result_json).get("links", [])
    rows = [(link["name"], link["email"], url_for("invites.set_password", token=link["token"], _external=True))
            for link in links]
    return _download(exports.to_csv(["Nama", "Email", "Tautan atur kata sandi"], rows), f"tautan-{cohort.slug}.csv",
                     "text/csv")


# --- reports ----------------------------------------------------------------------------------

def _download(data: bytes, name: str, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/cohorts/<int:cohort_id>/report")
@login_required
def report(cohort_id: int) -> Response | str:
    """Completion funnel, rates by regency, institution and module, quiz means, participants."""
    cohort = _cohort(cohort_id)
    return _report_page([cohort], title=cohort.name, cohort=cohort)


@bp.get("/courses/<course_slug>/report")
@role_required(Role.ORGANIZER, Role.ADMIN)
def course_report(course_slug: str) -> Response | str:
    """The same report across every cohort of the course that I run."""
    course = db.one_or_404(select(Course).where(Course.slug == course_slug))
    cohorts = list(db.session.scalars(visible_cohorts().where(Cohort.course_id == course.id)))
    if not cohorts:
        abort(404)
    return _report_page(cohorts, title=course.title, cohort=None)


def _report_page(cohorts: list[Cohort], *, title: str, cohort: Cohort | None) -> Response | str:
    export = request.args.get("format")
    data = cohort_report(cohorts)
    if export in ("csv", "xlsx"):
        table = request.args.get("table", "participants")
        if table not in exports.TABLES:
            abort(404)
        if table == "participants" and data.enrolled > current_app.config["REPORT_EXPORT_INLINE_MAX"]:
            # A big participant list (one cohort or the whole course) is written by a background
            # job: a progress page, then the download.
            from lms import jobs

            job = jobs.enqueue("report_export", {"cohort_ids": [c.id for c in cohorts], "table": table,
                                                 "format": export, "course": cohort is None}, current_user.id)
            db.session.commit()
            jobs.start(job)
            return redirect(url_for("certificates.job", job_id=job.id))
        content, name, mimetype = exports.export_file(data, table, export, cohort.slug if cohort else data.course.slug)
        return _download(content, name, mimetype)
    inactive = int_arg("inactive", low=0, high=3650) or None  # days; 0 or empty: no filter
    filters = {"status": request.args.get("status", ""), "regency": request.args.get("regency", ""),
               "inactive_days": inactive, "query": request.args.get("q", "").strip(),
               "sort": request.args.get("sort", "name")}
    page_size = 100
    page = int_arg("page", 1, low=1, high=1_000_000, clamp=True)
    # Only the page shown is read; filtering, sorting and counting happen in the database.
    wanted = Filters(**filters)
    total_rows = data.count(wanted)
    offset = (page - 1) * page_size
    rows = data.page(wanted, offset, page_size) if offset < total_rows else []
    gain = data.gain()  # one query over the per-quiz cache, at any cohort size
    from lms.cohorts.reminders import last_reminders

    return render_template(
        "cohorts/report.html", report=data, title=title, cohort=cohort,
        reminded=last_reminders(cohort) if cohort else {}, rows=rows,
        total_rows=total_rows, page=page, pages=max(1, -(-total_rows // page_size)), filters=filters,
        regencies=data.regencies(), gain=gain, now=utcnow())


@bp.post("/cohorts/<int:cohort_id>/remind")
@login_required
def remind(cohort_id: int) -> Response | str:
    """Remind the selected participants: by email, or as a WhatsApp message to copy."""
    from lms import jobs
    from lms.cohorts import reminders
    from lms.mail import mail_configured

    cohort = _cohort(cohort_id)
    ids = [int(v) for v in request.form.getlist("user_id") if re.fullmatch(r"[0-9]{1,9}", v)]
    channel = "email" if request.form.get("channel") == "email" else "whatsapp"
    chosen = reminders.participants(cohort, ids)
    already = reminders.reminded_today(cohort, [u.id for u in chosen], channel)
    fresh = [u for u in chosen if u.id not in already]
    skipped = [u for u in chosen if u.id in already]
    course_url = url_for("learning.course", course_slug=cohort.course.slug, _external=True)
    if not chosen:
        flash(_("Choose at least one participant."), "error")
        return redirect(url_for("cohorts.report", cohort_id=cohort.id, inactive=7, sort="activity"))
    if channel == "email":
        if not mail_configured():
            flash(_("Email is not configured on this server; use the WhatsApp message instead."), "error")
            return redirect(url_for("cohorts.report", cohort_id=cohort.id, inactive=7, sort="activity"))
        if fresh:  # a background job sends them (many participants, one slow SMTP server)
            job = jobs.enqueue("reminder_emails", {"cohort_id": cohort.id, "user_ids": [u.id for u in fresh],
                                                   "sender_id": current_user.id, "course_url": course_url},
                               current_user.id)
            db.session.commit()
            jobs.start(job)
            if job.status == "done":
                flash(_("%(sent)s reminders sent by email.", sent=job.progress), "success")
            elif job.status == "failed":
                flash(_("The reminders could not be sent: %(error)s", error=job.error), "error")
            else:
                flash(_("%(count)s reminders are being sent by email; the report shows who has been reminded.",
                        count=len(fresh)), "success")
        else:
            flash(_("%(sent)s reminders sent by email.", sent=0), "success")
        if skipped:
            flash(_("Already reminded today, not sent again: %(names)s", names=", ".join(u.full_name for u in skipped)),
                  "info")
        return redirect(url_for("cohorts.report", cohort_id=cohort.id, inactive=7, sort="activity"))
    reminders.log(cohort, fresh, current_user, "whatsapp")
    db.session.commit()
    return render_template("cohorts/whatsapp.html", cohort=cohort, skipped=skipped,
                           text=reminders.whatsapp_text(cohort, fresh, course_url) if fresh else "")


# --- set-password links (public) ----------------------------------------------------------------

@public_bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str) -> Response | str | tuple[str, int]:
    """A new participant chooses her password with the one-time link from the organizer."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    record = db.session.scalar(select(PasswordToken).where(PasswordToken.token_hash == digest))
    if record is None or record.used_at is not None or record.expires_at < utcnow():
        return render_template("cohorts/set_password_invalid.html"), 404
    user = db.session.get(User, record.user_id)
    form = SetPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.password.data)
        record.used_at = utcnow()
        db.session.commit()
        login_user(user)
        flash(_("Your password has been set. Welcome!"), "success")
        return redirect(url_for("learning.dashboard"))
    status = 200 if request.method == "GET" else 400
    return render_template("cohorts/set_password.html", form=form, user=user), status


import lms.cohorts.importing  # noqa: E402,F401  (registers the participant-import job handler)
import lms.cohorts.reminders  # noqa: E402,F401  (registers the reminder-email job handler)
