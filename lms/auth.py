"""Who may do what: the one place that decides. Views call require(); templates call can()."""

from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import abort, g, has_app_context
from flask_login import AnonymousUserMixin, current_user
from sqlalchemy import exists, select

from lms.accounts.models import Role, User
from lms.cohorts.models import Cohort, Enrolment
from lms.content.models import Course
from lms.extensions import db


def enrolled_clause(user_id: int, course_id):
    """SQL: the user is enrolled in a cohort of the course (course_id may be a column)."""
    return exists().where(Enrolment.user_id == user_id, Enrolment.cohort_id == Cohort.id,
                          Cohort.course_id == course_id)


def is_enrolled(user: User, course: Course) -> bool:
    """True when the user is enrolled in any cohort of the course (asked once per request)."""
    known = g.setdefault("_enrolled", {}) if has_app_context() else {}
    key = (user.id, course.id)
    if key not in known:
        known[key] = bool(db.session.scalar(select(enrolled_clause(user.id, course.id))))
    return known[key]


def note_enrolment(user: User, course: Course, enrolled: bool) -> None:
    """A page that read the course together with enrolled_clause (one query) hands the answer
    to is_enrolled for this request."""
    g.setdefault("_enrolled", {})[(user.id, course.id)] = enrolled


def runs_cohort(user: User, cohort: Cohort) -> bool:
    """An admin, or an organizer who created the cohort or is assigned to it."""
    from lms.cohorts.models import CohortStaff

    if user.role_enum is Role.ADMIN:
        return True
    if user.role_enum is not Role.ORGANIZER:
        return False
    if cohort.created_by_id == user.id:
        return True
    return bool(db.session.scalar(select(exists().where(
        CohortStaff.cohort_id == cohort.id, CohortStaff.user_id == user.id))))


def authors_course(user: User, course: Course) -> bool:
    """An admin, or a facilitator assigned to a cohort of the course."""
    from lms.cohorts.models import CohortStaff

    if user.role_enum is Role.ADMIN:
        return True
    if user.role_enum is not Role.FACILITATOR:
        return False
    return bool(db.session.scalar(select(exists().where(
        CohortStaff.user_id == user.id, CohortStaff.role == "facilitator",
        CohortStaff.cohort_id == Cohort.id, Cohort.course_id == course.id))))


def _has_role(user: Any, *roles: Role) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role_enum in roles


def can(user: User | AnonymousUserMixin, action: str, obj: Any = None) -> bool:
    """Whether the user may perform the action on the object."""
    if not getattr(user, "is_authenticated", False):
        return False
    role = user.role_enum
    if action == "study":  # read a course's lessons and record progress
        return isinstance(obj, Course) and (user.is_staff or is_enrolled(user, obj))
    if action == "view_course_as_staff":
        return user.is_staff
    if action == "view_results":  # quiz results, item statistics, knowledge gain
        return user.is_staff
    if action == "grade":  # grade essays
        return role in (Role.FACILITATOR, Role.ADMIN)
    if action == "manage_cohort":  # edit, import participants, reports, certificates of one cohort
        return isinstance(obj, Cohort) and runs_cohort(user, obj)
    if action == "manage_certificates":  # a certificate, through its cohort
        return obj is not None and runs_cohort(user, db.session.get(Cohort, obj.cohort_id))
    if action == "download_certificate":
        return obj is not None and (obj.user_id == user.id or can(user, "manage_certificates", obj))
    if action == "author":  # open the course editor (which lists the courses one may edit)
        return role in (Role.FACILITATOR, Role.ADMIN)
    if action == "author_course":  # edit, publish, export or upload a course's files
        return isinstance(obj, Course) and authors_course(user, obj)
    if action == "manage_cohorts":
        return role in (Role.ORGANIZER, Role.ADMIN)
    if action == "admin":
        return role is Role.ADMIN
    raise ValueError(f"unknown action {action!r}")


def require(user: User | AnonymousUserMixin, action: str, obj: Any = None) -> None:
    """Abort with 403 unless can(user, action, obj)."""
    if not can(user, action, obj):
        abort(403)


def role_required(*roles: Role) -> Callable:
    """Coarse check for whole views: the current user must have one of the roles."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from lms.extensions import login_manager

                return login_manager.unauthorized()
            if not _has_role(current_user, *roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
