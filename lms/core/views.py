"""Home page, health check and error pages."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from lms.extensions import db

bp = Blueprint("core", __name__)


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


def handle_http_error(error: HTTPException) -> tuple[str, int]:
    """Friendly, translated error pages that reveal nothing."""
    code = error.code or 500
    return render_template("core/error.html", code=code), code
