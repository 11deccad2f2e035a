"""The editor's blueprint and what every editor view starts with: the course the user may author,
and a file path that stays inside the course folder."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user
from sqlalchemy import select

from lms.auth import require
from lms.content.files import clean_path
from lms.content.models import Course
from lms.extensions import db

bp = Blueprint("authoring", __name__, url_prefix="/author")


def author_course(slug: str) -> Course:
    """The course of the URL, if the current user may author it (else 403/404)."""
    course = db.one_or_404(select(Course).where(Course.slug == slug))
    require(current_user, "author_course", course)
    return course


def checked_path(path: str) -> str:
    """A file path of the URL, if it is a clean path inside the course folder (else 404)."""
    if clean_path(path) != path:
        abort(404)
    return path


def form_errors(form) -> str:
    """A form's error messages as one line, for a flash."""
    return " ".join(str(e) for errors in form.errors.values() for e in errors)
