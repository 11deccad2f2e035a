"""Serving course images and downloadable files stored at import."""

from __future__ import annotations

import posixpath

from flask import Blueprint, Response, abort, request
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.auth import require
from lms.content.models import Asset, Course
from lms.extensions import db
from lms.util.downloads import attachment

bp = Blueprint("content", __name__)


@bp.get("/courses/<course_slug>/assets/<path:path>")
@login_required
def asset(course_slug: str, path: str) -> Response:
    """An image of a course, for those who may study it."""
    course = db.one_or_404(select(Course).where(Course.slug == course_slug))
    require(current_user, "study", course)
    item = db.session.scalar(select(Asset).where(Asset.course_id == course.id, Asset.path == path))
    if item is None:
        abort(404)
    etag = item.sha256
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    elif item.content_type.startswith("image/"):
        response = Response(item.data, mimetype=item.content_type)
    else:
        # A template to fill in (XLSX, DOCX, PDF): saved under its own name (type guessed from it),
        # opened by the phone's app.
        response = attachment(item.data, posixpath.basename(path))
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, max-age=86400"
    # An SVG opened directly must not run anything.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response
