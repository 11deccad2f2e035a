"""Organizers run cohorts: settings, staff, participant import; trainees register with an
enrolment key and new participants set their password (public pages)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.accounts.models import Role, User
from lms.accounts.forms import RegisterForm
from lms.accounts.operations import AccountError, create_user, password_link, set_password_by_link
from lms.accounts.regions import regencies
from lms.accounts.sessions import log_in
from lms.auth import can, courses_for, require
from lms.cohorts.forms import CohortForm, ImportForm, SetPasswordForm, StaffForm
from lms.cohorts.models import Cohort, CohortStaff, Enrolment, ImportBatch
from lms.cohorts.operations import (SETTINGS, EnrolmentError, cohort_for_key, create_cohort, enrol, key_in_use,
                                    normalize_key, update_cohort)
from lms.cohorts.operations import add_staff as add_staff_member, remove_staff as remove_staff_member
from lms.cohorts import importing, participants
from lms.cohorts.participants import MAX_ROWS as MAX_SHEET_ROWS
from lms.cohorts.lookup import managed_cohort, visible_cohorts
from lms.cohorts.participants import SheetFileError
from lms.content.loader import parse_follow_up_months
from lms.content.models import Course
from lms.extensions import db, form_failed, limiter
from lms.util.sheets import to_csv
from lms.util.downloads import attachment

bp = Blueprint("cohorts", __name__, url_prefix="/organizer")
public_bp = Blueprint("invites", __name__)


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


def _form_settings(form: CohortForm) -> dict:
    """The form's cohort settings (lms.cohorts.operations.SETTINGS), texts stripped (an empty one
    is None, except the name)."""
    settings = {}
    for name in SETTINGS:
        if name == "follow_up_months":
            continue
        value = getattr(form, name).data
        if isinstance(value, str):
            value = value.strip() or (None if name != "name" else value)
        settings[name] = value
    text = (form.follow_ups.data or "").strip()
    months = parse_follow_up_months(text) if text else None
    settings["follow_up_months"] = None if months is None else ",".join(str(m) for m in months)
    return settings


def _wanted_key(form: CohortForm, cohort: Cohort | None) -> str | None:
    """The key the form asks for (normalized; None: keep or make one), or an error on its field."""
    key = normalize_key(form.enrolment_key.data or "") or None
    if key and key_in_use(key, cohort):
        form.enrolment_key.errors.append(_("Another cohort already uses this enrolment key."))
        return None
    return key


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
            key = _wanted_key(form, None)
            if not form.enrolment_key.errors:
                cohort = create_cohort(course=db.session.get(Course, form.course_id.data), slug=form.slug.data,
                                       key=key, timezone=form.timezone.data or None, created_by=current_user,
                                       **_form_settings(form))
                db.session.commit()
                flash(_("Cohort created. Its enrolment key is %(key)s.", key=cohort.enrolment_key), "success")
                return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    status = 200 if request.method == "GET" else 400
    return render_template("cohorts/form.html", form=form, cohort=None), status


@bp.route("/cohorts/<int:cohort_id>", methods=["GET", "POST"])
@login_required
def detail(cohort_id: int) -> Response | str:
    """Settings of a cohort (key, dates, signatory) and who runs it."""
    cohort = managed_cohort(cohort_id)
    form = CohortForm(obj=cohort)
    _course_choices(form, cohort)
    if request.method == "GET":
        form.enrolment_key.data = cohort.enrolment_key
        if cohort.follow_up_months is not None:
            form.follow_ups.data = cohort.follow_up_months.replace(",", ", ") or "0"
    if form.validate_on_submit():
        _require_course_choice(cohort, form)
        form.slug.data = cohort.slug  # the short name stays: links and exports use it
        key = _wanted_key(form, cohort)
        if not form.enrolment_key.errors:
            update_cohort(cohort, course=db.session.get(Course, form.course_id.data), key=key,
                          timezone=form.timezone.data or None, **_form_settings(form))
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
    cohort = managed_cohort(cohort_id)
    form = StaffForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.email == form.email.data.strip().lower()))
        if user is None or user.role_enum not in (Role.FACILITATOR, Role.ORGANIZER):
            flash(_("No facilitator or organizer account has this email."), "error")
        elif add_staff_member(cohort, user):
            db.session.commit()
            flash(_("%(name)s now works on this cohort.", name=user.full_name), "success")
    return redirect(url_for("cohorts.detail", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/staff/<int:staff_id>/remove")
@login_required
def remove_staff(cohort_id: int, staff_id: int) -> Response:
    cohort = managed_cohort(cohort_id)
    member = db.get_or_404(CohortStaff, staff_id)
    if member.cohort_id != cohort.id:
        abort(404)
    remove_staff_member(member)
    db.session.commit()
    return redirect(url_for("cohorts.detail", cohort_id=cohort.id))


# --- participant import -----------------------------------------------------------------------

@bp.route("/cohorts/<int:cohort_id>/import", methods=["GET", "POST"])
@login_required
def import_participants(cohort_id: int) -> Response | str | tuple[str, int]:
    """Upload a sheet: it is read once, then every row is shown with its problems before anything is saved."""
    cohort = managed_cohort(cohort_id)
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
    cohort = managed_cohort(batch.cohort_id)
    if not can(current_user, "manage_import", batch):
        abort(404)  # another organizer's upload: no hint that it exists
    return batch, cohort


def _preview_page(batch: ImportBatch, cohort: Cohort, status: int = 200) -> tuple[str, int]:
    sheet = importing.sheet_of(batch, cohort)
    db.session.commit()  # a batch stored before cells were kept has just been read, once
    result = json.loads(batch.result_json or "{}")

    def regency_choices(row) -> list[tuple[str, str]]:
        """Every regency/city of the row's province (or the cohort's), after the suggestions."""
        province, offered = row.province or sheet.near, {code for code, _name in row.suggestions}
        return [(code, name) for code, (name, of) in regencies().items() if of == province and code not in offered]

    return render_template("cohorts/import_preview.html", batch=batch, cohort=cohort, sheet=sheet, result=result,
                           decisions=importing.decisions_of(batch), regency_choices=regency_choices,
                           text=participants), status


@bp.get("/imports/<int:batch_id>")
@login_required
def import_preview(batch_id: int) -> str | tuple[str, int]:
    """The rows and their problems; while an import runs, its progress; at the end what it did."""
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
    importing.import_later(batch, current_user, rows, link_base)
    return redirect(url_for("cohorts.import_preview", batch_id=batch.id))


@bp.post("/imports/<int:batch_id>/decide")
@login_required
def import_decide(batch_id: int) -> Response | str | tuple[str, int]:
    """The organizer's decision on the sheet: which row is the header, a fix to a row, a row set aside or back."""
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
    batch, cohort = _batch(batch_id)
    links, _chose = importing.reissue_links(batch)
    db.session.commit()
    rows = [(link["name"], link["email"], url_for("invites.set_password", token=link["token"], _external=True))
            for link in links]
    return attachment(to_csv(["Nama", "Email", "Tautan atur kata sandi"], rows), f"tautan-{cohort.slug}.csv",
                      "text/csv", cache_control="private, no-store")  # secrets: kept by no cache


# --- registration with an enrolment key (public) -------------------------------------------------

def _enrol_limit() -> str:
    return current_app.config["ENROL_RATE_LIMIT"]


@public_bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_enrol_limit, methods=["POST"], deduct_when=form_failed)
def register() -> Response | str:
    """Create a trainee account and join the cohort that the enrolment key opens."""
    if current_user.is_authenticated:
        return redirect(url_for("core.dashboard"))
    form = RegisterForm()
    if request.method == "GET" and request.args.get("key"):
        form.enrolment_key.data = request.args["key"]
    if form.validate_on_submit():
        try:
            cohort = cohort_for_key(form.enrolment_key.data)
        except EnrolmentError as exc:
            form.enrolment_key.errors.append(str(exc))
        else:
            try:
                user = create_user(
                    email=form.email.data, full_name=form.full_name.data, password=form.password.data,
                    locale=session.get("locale", current_app.config["BABEL_DEFAULT_LOCALE"]),
                    nip=form.nip.data, position=form.position.data, institution=form.institution.data,
                    **form.region(),
                )
            except AccountError as exc:
                form.email.errors.append(str(exc))
            else:
                enrol(user, cohort)
                db.session.commit()
                log_in(user)
                flash(_("Welcome! You have joined %(cohort)s.", cohort=cohort.name), "success")
                return redirect(url_for("core.dashboard"))
    status = 200 if request.method == "GET" else 400
    return render_template("accounts/register.html", form=form), status


# --- set-password links (public) ----------------------------------------------------------------

@public_bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str) -> Response | str | tuple[str, int]:
    """A new participant chooses her password with the one-time link from the organizer."""
    record = password_link(token)
    if record is None:
        return render_template("cohorts/set_password_invalid.html"), 404
    user = db.session.get(User, record.user_id)
    form = SetPasswordForm()
    if form.validate_on_submit():
        set_password_by_link(record, form.password.data)
        db.session.commit()
        log_in(user)  # set_password gave her a new session nonce: older sessions end
        flash(_("Your password has been set. Welcome!"), "success")
        return redirect(url_for("core.dashboard"))
    status = 200 if request.method == "GET" else 400
    return render_template("cohorts/set_password.html", form=form, user=user), status


import lms.cohorts.regency_views  # noqa: E402,F401  (the regencies-to-fix page, on this blueprint)
