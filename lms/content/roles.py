"""Course roles: granting and revoking who owns, authors or organizes a course. Functions flush;
callers commit. Who may grant is decided in lms.auth ("grant_course_roles")."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.models import User
from lms.auth import COURSE_ROLES, may_hold_course_role
from lms.content.models import Course, CourseRole
from lms.extensions import db
from lms.util import utcnow

ROLE_LABELS = {"owner": _l("Owner (edits the course and names its authors and organizers)"),
               "author": _l("Author (edits the course)"),
               "organizer": _l("Organizer (creates cohorts of the course)")}


class CourseRoleError(Exception):
    """A role the account cannot hold; the message is shown to the user."""


def grant_course_role(course: Course, user: User, role: str, granted_by: User | None) -> CourseRole:
    """Give the user the role on the course (replacing the role they had on it)."""
    if role not in COURSE_ROLES:
        raise CourseRoleError(_l("Unknown course role."))
    if not may_hold_course_role(user, role):
        raise CourseRoleError(_l("Owners and authors must be facilitators; a course's organizers must be organizers."))
    record = db.session.scalar(select(CourseRole).where(CourseRole.course_id == course.id,
                                                         CourseRole.user_id == user.id))
    if record is None:
        record = CourseRole(course_id=course.id, user_id=user.id)
        db.session.add(record)
    record.role = role
    record.granted_by_id = granted_by.id if granted_by else None
    record.granted_at = utcnow()
    db.session.flush()
    return record


def revoke_course_role(record: CourseRole) -> None:
    """Take the role away (the person keeps the cohorts they are assigned to)."""
    db.session.delete(record)
    db.session.flush()


def course_people(course: Course) -> list[tuple[CourseRole, User]]:
    """Who holds a role on the course, owners first."""
    order = {"owner": 0, "author": 1, "organizer": 2}
    rows = db.session.execute(select(CourseRole, User).join(User, User.id == CourseRole.user_id)
                              .where(CourseRole.course_id == course.id)).all()
    return sorted(rows, key=lambda row: (order.get(row[0].role, 9), row[1].full_name))
