"""Home page, health check and error pages."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from lms.extensions import db

bp = Blueprint("core", __name__)
log = logging.getLogger(__name__)


@bp.get("/")
def index() -> Response | str:
    """Landing page; a logged-in user goes to the dashboard."""
    if current_user.is_authenticated:
        return redirect(url_for("learning.dashboard"))
    return render_template("core/index.html")


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

    from lms.extensions import login_manager

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
