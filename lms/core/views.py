"""Landing pages (home, the dashboard), health check and error pages."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import text
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from lms.accounts.forms import JoinForm
from lms.auth import can
from lms.core.dashboard import my_courses
from lms.core.home import LAGGING_DAYS, staff_overview
from lms.extensions import db, login_manager
from lms.plans import followups
from lms.plans import rules as plans
from lms.surveys.queries import invitations

bp = Blueprint("core", __name__)
log = logging.getLogger(__name__)


@bp.get("/")
def index() -> Response | str:
    """Landing page; a logged-in user goes to the dashboard."""
    if current_user.is_authenticated:
        return redirect(url_for("core.dashboard"))
    return render_template("core/index.html")


@bp.get("/dashboard")
@login_required
def dashboard() -> str:
    """My courses with a progress bar each, my certificates, plans and follow-ups; staff land on
    their overview (lms.core.home)."""
    if current_user.is_staff:
        return _staff_home()
    mine = my_courses(current_user)  # courses, progress, certificates and plans in one query
    items = [(row.cohort, row.course) for row in mine]
    by_course = {row.course.id: row.progress for row in mine}
    surveys = invitations(current_user, {course.id: by_course[course.id].complete for _, course in items})
    return render_template("core/dashboard.html", items=items, progress=by_course, join_form=JoinForm(),
                           invitations=surveys,
                           certificates={row.course.id: row.certificate for row in mine if row.certificate},
                           plan_courses={course.id for _, course in items if plans.has_plan(course)},
                           plan_status={row.course.id: row.plan_status for row in mine if row.plan_status},
                           followups_owed=followups.owed_followups(current_user.id), followups_overdue=[])


def _staff_home() -> str:
    """The staff landing: the overview of what they run, plans to review, follow-ups overdue."""
    all_queues = plans.review_queue(current_user) if can(current_user, "plan_queue") else []
    overdue = followups.overdue_counts([q.cohort for q in all_queues]) if all_queues else {}
    return render_template("core/staff_home.html", overview=staff_overview(current_user),
                           lagging_days=LAGGING_DAYS, plan_queues=[q for q in all_queues if q.waiting],
                           followups_owed=[],
                           followups_overdue=[(q.cohort, overdue[q.cohort.id]) for q in all_queues
                                              if q.cohort.id in overdue])


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Liveness and database check for load balancers."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # the point is to report, not to raise
        db.session.rollback()
        database = f"error: {type(exc).__name__}"
    healthy = database == "ok"
    return jsonify(status="ok" if healthy else "error", database=database), 200 if healthy else 503


def handle_database_unavailable(error: Exception) -> tuple[str, int, dict[str, str]]:
    """The database is unreachable (restart, failover): a friendly 503 that asks to retry.

    The pool pings connections before use (pool_pre_ping), so requests recover by themselves
    once the database is back. The page is rendered without touching the database: the user
    shown as anonymous, the session's connection discarded.
    """
    from flask import g

    log.warning("database unavailable: %s", str(error).splitlines()[0] if str(error) else type(error).__name__)
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the session is removed at teardown anyway
        pass
    g._login_user = login_manager.anonymous_user()  # Flask-Login's per-request user: no user query
    return render_template("core/error.html", code=503), 503, {"Retry-After": "30"}


# The reasons an offline queue (or a page's fetch) gets with an error, by status.
FETCH_REASONS = {400: "bad_request", 401: "login", 403: "no_access", 404: "not_found", 409: "closed",
                 413: "too_large", 429: "busy"}


def handle_http_error(error: HTTPException):
    """Friendly, translated error pages that reveal nothing; JSON with a reason for fetches."""
    code = error.code or 500
    if request.headers.get("X-Requested-With") == "fetch":
        from flask_babel import gettext as _
        from flask_wtf.csrf import CSRFError

        messages = {403: _("You no longer have access to this course."),
                    404: _("This page or lesson no longer exists.")}
        reason = "session" if isinstance(error, CSRFError) else FETCH_REASONS.get(code, "error")
        message = _("Your session changed; sign in again and retry.") if reason == "session" \
            else messages.get(code, _("The server could not accept this (error %(code)s).", code=code))
        return jsonify(ok=False, reason=reason, message=message), code
    return render_template("core/error.html", code=code, detail=getattr(error, "detail", None)), code
