"""Organizers run cohorts: settings, staff, participant import, reports and exports."""

from __future__ import annotations

import hashlib
import json
import re

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _, ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.accounts.models import PasswordToken, Role, User
from lms.accounts.sessions import log_in
from lms.auth import can, cohorts_for, courses_for, require
from lms.cohorts.forms import CohortForm, ImportForm, SetPasswordForm, StaffForm
from lms.cohorts.models import Cohort, CohortStaff, Enrolment, ImportBatch
from lms.cohorts.operations import new_enrolment_key, normalize_key
from lms.cohorts import participants
from lms.cohorts.participants import MAX_ROWS as MAX_SHEET_ROWS
from lms.content.models import Course
from lms.extensions import db
from lms.reports import exports
from lms.reports.queries import Filters, cohort_report
from lms.util import utcnow
from lms.util.downloads import attachment
from lms.util.params import int_arg

bp = Blueprint("cohorts", __name__, url_prefix="/organizer")
public_bp = Blueprint("invites", __name__)


def visible_cohorts():
    """Cohorts the current user runs (all of them for an admin): the rule of lms.auth."""
    return cohorts_for(current_user, "manage_cohort")


def _cohort(cohort_id: int) -> Cohort:
    cohort = db.get_or_404(Cohort, cohort_id)
    require(current_user, "manage_cohort", cohort)
    return cohort


@bp.get("/cohorts")
@login_required
def index() -> str:
    """The cohorts I run, with course, dates, enrolment key and number of participants."""
    from sqlalchemy import func

    require(current_user, "manage_cohorts")

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


def _course_choices(form: CohortForm, cohort: Cohort | None = None) -> None:
    """The courses I may create cohorts of (and the cohort's own course, which it may keep)."""
    courses = list(db.session.scalars(courses_for(current_user, "create_cohort").order_by(Course.title)))
    if cohort is not None and cohort.course_id not in {c.id for c in courses}:
        courses = sorted([*courses, db.session.get(Course, cohort.course_id)], key=lambda c: c.title)
    form.course_id.choices = [(c.id, c.title) for c in courses]


def _require_course_choice(cohort: Cohort | None, form: CohortForm) -> None:
    """A cohort is created of, or moved to, only a course on which I may create cohorts."""
    if cohort is None or form.course_id.data != cohort.course_id:
        require(current_user, "create_cohort", db.session.get(Course, form.course_id.data))


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
    from lms.cohorts.timezones import default_zone

    cohort.timezone = form.timezone.data or default_zone(cohort.place, cohort.city, cohort.name)
    from lms.content.loader import parse_follow_up_months

    text = (form.follow_ups.data or "").strip()
    months = parse_follow_up_months(text) if text else None
    cohort.follow_up_months = None if months is None else ",".join(str(m) for m in months)
    return None


@bp.route("/cohorts/new", methods=["GET", "POST"])
@login_required
def new() -> Response | str:
    """Create a cohort of a course I may create cohorts of; its creator runs it."""
    require(current_user, "manage_cohorts")
    form = CohortForm()
    _course_choices(form)
    if form.validate_on_submit():
        _require_course_choice(None, form)
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
    _course_choices(form, cohort)
    if request.method == "GET":
        form.enrolment_key.data = cohort.enrolment_key
        if cohort.follow_up_months is not None:
            form.follow_ups.data = cohort.follow_up_months.replace(",", ", ") or "0"
    if form.validate_on_submit():
        _require_course_choice(cohort, form)
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
    """Upload a sheet: it is read once, then every row is shown with its problems before anything is saved."""
    from lms.cohorts import importing
    from lms.cohorts.participants import SheetFileError

    cohort = _cohort(cohort_id)
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            batch = importing.new_batch(cohort, current_user, upload.filename or "peserta", upload.read(),
                                        (form.sheet.data or "").strip() or None)
        except SheetFileError as exc:  # too big, broken, encrypted: nothing is saved
            db.session.rollback()
            form.file.errors.append(_("Nothing was saved: %(reason)s.", reason=str(exc)))
        else:
            db.session.commit()
            return redirect(url_for("cohorts.import_preview", batch_id=batch.id))
    unfinished = list(db.session.scalars(
        select(ImportBatch).where(ImportBatch.cohort_id == cohort.id, ImportBatch.created_by_id == current_user.id,
                                  ImportBatch.status != "done").order_by(ImportBatch.created_at.desc()).limit(20)))
    status = 200 if request.method == "GET" else 422
    return render_template("cohorts/import.html", cohort=cohort, form=form, unfinished=unfinished), status


def _batch(batch_id: int) -> tuple[ImportBatch, Cohort]:
    batch = db.get_or_404(ImportBatch, batch_id)
    cohort = _cohort(batch.cohort_id)
    if not can(current_user, "manage_import", batch):
        abort(404)  # another organizer's upload: no hint that it exists
    return batch, cohort


def _preview_page(batch: ImportBatch, cohort: Cohort, status: int = 200) -> tuple[str, int]:
    from lms.cohorts import importing

    sheet = importing.sheet_of(batch, cohort)
    db.session.commit()  # a batch stored before cells were kept has just been read, once
    result = json.loads(batch.result_json or "{}")

    def regency_choices(row) -> list[tuple[str, str]]:
        """Every regency/city of the row's province (or the cohort's), after the suggestions."""
        from lms.accounts.regions import regencies

        province, offered = row.province or sheet.near, {code for code, _name in row.suggestions}
        return [(code, name) for code, (name, of) in regencies().items() if of == province and code not in offered]

    return render_template("cohorts/import_preview.html", batch=batch, cohort=cohort, sheet=sheet, result=result,
                           decisions=importing.decisions_of(batch), regency_choices=regency_choices,
                           text=participants), status


@bp.get("/imports/<int:batch_id>")
@login_required
def import_preview(batch_id: int) -> str | tuple[str, int]:
    """The rows and their problems; while an import runs, its progress; at the end what it did."""
    from lms.cohorts import importing

    batch, cohort = _batch(batch_id)
    if batch.status == "done":
        return render_template("cohorts/import_done.html", batch=batch, cohort=cohort, text=participants,
                               result=json.loads(batch.result_json), decisions=importing.decisions_of(batch))
    job = importing.job_of(batch) if batch.status == "queued" else None
    if job is not None and job.status in ("queued", "running"):
        return render_template("cohorts/import_running.html", batch=batch, cohort=cohort, job=job)
    if job is not None and job.status == "failed":
        flash(_("The import stopped and saved nothing: %(error)s", error=f"{job.failure_reason} {job.failure_advice}"),
              "error")
    return _preview_page(batch, cohort)


@bp.post("/imports/<int:batch_id>/commit")
@login_required
def import_commit(batch_id: int) -> Response | str | tuple[str, int]:
    """Import the rows that are ready, in one transaction (a background job); the rest wait."""
    from lms import jobs
    from lms.cohorts import importing

    batch, cohort = _batch(batch_id)
    if batch.status == "done":
        return redirect(url_for("cohorts.import_preview", batch_id=batch.id))
    # Even with an import recorded as running (its process may have died): a second run waits for
    # the first to finish and then finds its rows imported, or imports them if the first never will.
    sheet = importing.sheet_of(batch, cohort)
    rows = [row.row for row in sheet.ready]
    if sheet.file_problems or not rows:
        flash(_("No row is ready to import: fix or set aside the rows that need a decision."), "error")
        return _preview_page(batch, cohort, 400)
    link_base = url_for("invites.set_password", token="TOKEN", _external=True)
    job = jobs.enqueue(importing.KIND, {"batch_id": batch.id, "rows": rows, "link_base": link_base},
                       current_user.id)
    result = json.loads(batch.result_json or "{}")
    result["job_id"] = job.id
    batch.status, batch.result_json = "queued", json.dumps(result)
    db.session.commit()
    jobs.start(job)
    return redirect(url_for("cohorts.import_preview", batch_id=batch.id))


@bp.post("/imports/<int:batch_id>/decide")
@login_required
def import_decide(batch_id: int) -> Response | str | tuple[str, int]:
    """The organizer's decision on the sheet: which row is the header, a fix to a row, a row set aside or back."""
    from lms.cohorts import importing

    batch, cohort = _batch(batch_id)
    job = importing.job_of(batch) if batch.status == "queued" else None
    if batch.status == "done" or (job is not None and job.status in ("queued", "running")):
        return redirect(url_for("cohorts.import_preview", batch_id=batch.id))  # decide when it has finished
    action = request.form.get("action", "")
    try:
        row = int(request.form.get("row", ""))
    except ValueError:
        row = 0
    if action not in ("header", "fix", "set_aside", "restore") or not 1 <= row <= MAX_SHEET_ROWS:
        flash(_("Choose a row and what to do with it."), "error")
        return _preview_page(batch, cohort, 400)
    try:
        if action == "header":
            importing.choose_header(batch, current_user, row)
            flash(_("Row %(row)s is now the header.", row=row), "success")
        elif action == "fix":
            values = {name: request.form[name] for name in ("full_name", "email", "nip", "regency_code")
                      if name in request.form}
            changed = importing.fix_row(batch, cohort, current_user, row, values)
            flash(_("Row %(row)s corrected.", row=row) if changed else _("Row %(row)s: nothing changed.", row=row),
                  "success")
        else:
            importing.set_aside(batch, current_user, row, aside=action == "set_aside")
            flash(_("Row %(row)s is set aside; it will not be imported.", row=row) if action == "set_aside"
                  else _("Row %(row)s is back in the import.", row=row), "success")
    except importing.DecisionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _preview_page(batch, cohort, 400)
    db.session.commit()
    return redirect(url_for("cohorts.import_preview", batch_id=batch.id) + (f"#row-{row}" if action == "fix" else ""))


@bp.post("/imports/<int:batch_id>/links.csv")
@login_required
def import_links(batch_id: int) -> Response:
    """New set-password links for the batch's new accounts, to hand out (e.g. by personal message).
    Links are not stored: each download issues new ones and the earlier unused ones stop working."""
    from lms.cohorts import importing

    batch, cohort = _batch(batch_id)
    links, _chose = importing.reissue_links(batch)
    db.session.commit()
    rows = [(link["name"], link["email"], url_for("invites.set_password", token=link["token"], _external=True))
            for link in links]
    response = _download(exports.to_csv(["Nama", "Email", "Tautan atur kata sandi"], rows),
                         f"tautan-{cohort.slug}.csv", "text/csv")
    response.headers["Cache-Control"] = "private, no-store"  # secrets: kept by no cache
    return response


# --- reports ----------------------------------------------------------------------------------

def _download(data: bytes, name: str, mimetype: str) -> Response:
    return attachment(data, name, mimetype)


@bp.get("/cohorts/<int:cohort_id>/report")
@login_required
def report(cohort_id: int) -> Response | str:
    """Completion funnel, rates by regency, institution and module, quiz means, participants."""
    cohort = _cohort(cohort_id)
    return _report_page([cohort], title=cohort.name, cohort=cohort)


@bp.get("/courses/<course_slug>/report")
@login_required
def course_report(course_slug: str) -> Response | str:
    """The same report across every cohort of the course that I run."""
    require(current_user, "manage_cohorts")
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
                                                 "format": export, "course": cohort is None,
                                                 "locale": str(get_locale())}, current_user.id)
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
    from lms.cohorts.reminders import REMINDABLE_STATUSES, last_reminders
    from lms.cohorts.regencies import count_unlisted

    return render_template(
        "cohorts/report.html", report=data, title=title, cohort=cohort,
        reminded=last_reminders(cohort) if cohort else {}, rows=rows, remindable_statuses=REMINDABLE_STATUSES,
        total_rows=total_rows, page=page, pages=max(1, -(-total_rows // page_size)), filters=filters,
        regencies=data.regencies(), gain=gain, now=utcnow(),
        unlisted=count_unlisted(cohort) if cohort else 0)


@bp.post("/cohorts/<int:cohort_id>/remind")
@login_required
def remind(cohort_id: int) -> Response | str:
    """Remind the selected participants: by email, or as a WhatsApp message to copy."""
    from lms import jobs
    from lms.cohorts import reminders
    from lms.mail import mail_configured

    cohort = _cohort(cohort_id)
    ids = [int(v) for v in request.form.getlist("user_id")[:5000] if re.fullmatch(r"[0-9]{1,9}", v)]
    channel = "email" if request.form.get("channel") == "email" else "whatsapp"
    chosen = reminders.participants(cohort, ids)
    # Only those a reminder can help, as the report's checkboxes offer them (a finished trainee,
    # or one out of attempts, is left out even if a hand-made form names her).
    statuses = cohort_report([cohort]).statuses([u.id for u in chosen]) if chosen else {}
    left_out = [u for u in chosen if statuses.get(u.id) not in reminders.REMINDABLE_STATUSES]
    chosen = [u for u in chosen if statuses.get(u.id) in reminders.REMINDABLE_STATUSES]
    already = reminders.reminded_today(cohort, [u.id for u in chosen], channel)
    fresh = [u for u in chosen if u.id not in already]
    skipped = [u for u in chosen if u.id in already]
    course_url = url_for("learning.course", course_slug=cohort.course.slug, _external=True)
    if left_out:
        flash(_("Not reminded (finished, or waiting for an extra attempt from you): %(names)s",
                names=", ".join(u.full_name for u in left_out)), "info")
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
                flash(_("The reminders could not be sent: %(error)s", error=f"{job.failure_reason} {job.failure_advice}"),
                      "error")
            else:
                flash(_("%(count)s reminders are being sent by email; the report shows who has been reminded.",
                        count=len(fresh)), "success")
        else:
            flash(_("%(sent)s reminders sent by email.", sent=0), "success")
        if skipped:
            flash(_("Already reminded today, not sent again: %(names)s", names=", ".join(u.full_name for u in skipped)),
                  "info")
        return redirect(url_for("cohorts.report", cohort_id=cohort.id, inactive=7, sort="activity"))
    # WhatsApp: the messages to send from the organizer's phone; nothing is recorded until she
    # confirms that she sent them (remind_sent).
    messages = [(user, text, reminders.whatsapp_link(text))
                for user in fresh for text in [reminders.personal_text(cohort, user, course_url)]]
    group_text = reminders.whatsapp_text(cohort, course_url)
    return render_template("cohorts/whatsapp.html", cohort=cohort, skipped=skipped, messages=messages,
                           group_text=group_text, group_link=reminders.whatsapp_link(group_text))


@bp.post("/cohorts/<int:cohort_id>/remind/sent")
@login_required
def remind_sent(cohort_id: int) -> Response:
    """The organizer confirms which WhatsApp reminders she sent: only these are recorded."""
    from lms.cohorts import reminders

    cohort = _cohort(cohort_id)
    ids = [int(v) for v in request.form.getlist("user_id")[:5000] if re.fullmatch(r"[0-9]{1,9}", v)]
    chosen = reminders.participants(cohort, ids)
    already = reminders.reminded_today(cohort, [u.id for u in chosen], "whatsapp")
    fresh = [u for u in chosen if u.id not in already]
    back = url_for("cohorts.report", cohort_id=cohort.id, inactive=7, sort="activity")
    if not chosen:
        flash(_("Nothing recorded: tick the trainees you sent the message to."), "error")
        return redirect(back)
    reminders.log(cohort, fresh, current_user, "whatsapp")
    db.session.commit()
    flash(ngettext("%(num)s WhatsApp reminder recorded.", "%(num)s WhatsApp reminders recorded.", len(fresh)),
          "success")
    return redirect(back)


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
        log_in(user)  # set_password gave her a new session nonce: older sessions end
        flash(_("Your password has been set. Welcome!"), "success")
        return redirect(url_for("learning.dashboard"))
    status = 200 if request.method == "GET" else 400
    return render_template("cohorts/set_password.html", form=form, user=user), status


import lms.cohorts.importing  # noqa: E402,F401  (registers the participant-import job handler)
import lms.cohorts.reminders  # noqa: E402,F401  (registers the reminder-email job handler)
import lms.cohorts.regency_views  # noqa: E402,F401  (the regencies-to-fix page, on this blueprint)
