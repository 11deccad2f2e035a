"""The completion report of a cohort and of a course (with reminders to the lagging participants)
and the chain report (reaction, learning, behaviour, results) of a cohort and of a course across
the cohorts I run or facilitate, with CSV/XLSX exports of each table.

Access: "view_results", the rule of the results, gain and evaluation pages: the organizers and
facilitators of the cohort (and admins). A course's report covers only the cohorts of it in
which I may view results. The completion report and the reminders: "manage_cohort", the cohorts
I run (and admins)."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _, ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.auth import course_cohorts, require
from lms.cohorts import reminders
from lms.cohorts.models import Cohort
from lms.cohorts.regencies import count_unlisted
from lms.cohorts.lookup import managed_cohort, visible_cohorts
from lms.content.models import Course
from lms.extensions import db
from lms.mail import mail_configured
from lms.plans.followup_forms import AGE_LABELS, PROGRESS_LABELS, SEX_LABELS
from lms.plans.forms import STRATEGY_LABELS
from lms.reports import chain_exports
from lms.reports import exports, reminding
from lms.reports.chain import chain_report
from lms.reports.queries import Filters, cohort_report
from lms.surveys.forms import SECTION_TITLES
from lms.util import utcnow
from lms.util.params import int_arg
from lms.reports.charts import chain_charts
from lms.util.downloads import attachment

bp = Blueprint("reports", __name__, url_prefix="/organizer")


def _page(cohorts: list[Cohort], *, title: str, slug: str, cohort: Cohort | None, course: Course):
    fmt = request.args.get("format")
    if fmt is not None:
        table = request.args.get("table", "summary")
        if fmt not in ("csv", "xlsx") or table not in chain_exports.TABLES:
            abort(404)
        report = chain_report(cohorts, stories=None if table == "stories" else 0)
        return attachment(*chain_exports.export_chain(report, table, fmt, slug))
    report = chain_report(cohorts)
    return render_template("reports/chain.html", report=report, title=title, cohort=cohort, course=course,
                           summary=chain_exports.summary_rows(report), sections=SECTION_TITLES,
                           strategy_labels=STRATEGY_LABELS, progress_labels=PROGRESS_LABELS,
                           sex_labels=SEX_LABELS, charts=chain_charts(report, SEX_LABELS, AGE_LABELS))


@bp.get("/cohorts/<int:cohort_id>/chain")
@login_required
def cohort_chain(cohort_id: int):
    """The cohort's chain (?format=csv|xlsx&table=summary|regency|institution|rounds|stories|survey)."""
    cohort = db.get_or_404(Cohort, cohort_id)
    require(current_user, "view_results", cohort)
    return _page([cohort], title=cohort.name, slug=cohort.slug, cohort=cohort, course=cohort.course)


@bp.get("/courses/<course_slug>/chain")
@login_required
def course_chain(course_slug: str):
    """The course's chain across the cohorts of it in which I may view results."""
    course = db.one_or_404(select(Course).where(Course.slug == course_slug))
    require(current_user, "view_results", course)
    cohorts = course_cohorts(current_user, "view_results", course)
    if not cohorts:
        abort(404)
    return _page(cohorts, title=course.title, slug=course.slug, cohort=None, course=course)


# --- the completion report and reminders ---------------------------------------------------

@bp.get("/cohorts/<int:cohort_id>/report", endpoint="cohort_report")
@login_required
def cohort_report_page(cohort_id: int) -> Response | str:
    """Completion funnel, rates by regency, institution and module, quiz means, participants."""
    cohort = managed_cohort(cohort_id)
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
            job = exports.export_later(cohorts, table, export, course=cohort is None, locale=str(get_locale()),
                                       user_id=current_user.id)
            return redirect(url_for("jobs.progress", job_id=job.id))
        content, name, mimetype = exports.export_file(data, table, export, cohort.slug if cohort else data.course.slug)
        return attachment(content, name, mimetype)
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
    return render_template(
        "cohorts/report.html", report=data, title=title, cohort=cohort,
        reminded=reminders.last_reminders(cohort) if cohort else {}, rows=rows,
        remindable_statuses=reminders.REMINDABLE_STATUSES,
        total_rows=total_rows, page=page, pages=max(1, -(-total_rows // page_size)), filters=filters,
        regencies=data.regencies(), gain=gain, now=utcnow(),
        unlisted=count_unlisted(cohort) if cohort else 0)


@bp.post("/cohorts/<int:cohort_id>/remind")
@login_required
def remind(cohort_id: int) -> Response | str:
    """Remind the selected participants: by email, or as a WhatsApp message to copy."""
    cohort = managed_cohort(cohort_id)
    ids = [int(v) for v in request.form.getlist("user_id")[:5000] if re.fullmatch(r"[0-9]{1,9}", v)]
    channel = "email" if request.form.get("channel") == "email" else "whatsapp"
    picked = reminding.recipients(cohort, ids, channel)
    left_out, chosen, fresh, skipped = picked.left_out, picked.chosen, picked.fresh, picked.skipped
    course_url = url_for("learning.course", course_slug=cohort.course.slug, _external=True)
    if left_out:
        flash(_("Not reminded (finished, or waiting for an extra attempt from you): %(names)s",
                names=", ".join(u.full_name for u in left_out)), "info")
    if not chosen:
        flash(_("Choose at least one participant."), "error")
        return redirect(url_for("reports.cohort_report", cohort_id=cohort.id, inactive=7, sort="activity"))
    if channel == "email":
        if not mail_configured():
            flash(_("Email is not configured on this server; use the WhatsApp message instead."), "error")
            return redirect(url_for("reports.cohort_report", cohort_id=cohort.id, inactive=7, sort="activity"))
        if fresh:  # a background job sends them (many participants, one slow SMTP server)
            job = reminding.email(cohort, fresh, current_user, course_url)
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
        return redirect(url_for("reports.cohort_report", cohort_id=cohort.id, inactive=7, sort="activity"))
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
    cohort = managed_cohort(cohort_id)
    ids = [int(v) for v in request.form.getlist("user_id")[:5000] if re.fullmatch(r"[0-9]{1,9}", v)]
    chosen = reminders.participants(cohort, ids)
    already = reminders.reminded_today(cohort, [u.id for u in chosen], "whatsapp")
    fresh = [u for u in chosen if u.id not in already]
    back = url_for("reports.cohort_report", cohort_id=cohort.id, inactive=7, sort="activity")
    if not chosen:
        flash(_("Nothing recorded: tick the trainees you sent the message to."), "error")
        return redirect(back)
    reminders.log(cohort, fresh, current_user, "whatsapp")
    db.session.commit()
    flash(ngettext("%(num)s WhatsApp reminder recorded.", "%(num)s WhatsApp reminders recorded.", len(fresh)),
          "success")
    return redirect(back)
