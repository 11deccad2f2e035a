"""Who may do what: the one place that decides. Views call require(); templates call can().

Access follows the object. Three kinds of grant exist, each stored explicitly:
- enrolment: a trainee studies the course of her cohort and sees her own records;
- cohort staff (CohortStaff, or the cohort's creator): the cohorts an organizer runs and a
  facilitator is assigned to. Results, attempt reviews, grading and reports are scoped to them;
- course roles (CourseRole): owners and authors edit a course (owners also grant course roles),
  organizers of a course may create cohorts of it. Assigning staff to a cohort grants no course role.
Admins may do everything. The query helpers below (cohorts_for, trainee_scope, courses_for) are
the same rules as SQL, so lists filter by the rule that guards the detail pages.
"""

from __future__ import annotations

from functools import lru_cache, wraps
from typing import Any, Callable

from flask import abort, g, has_app_context
from flask_login import AnonymousUserMixin, current_user
from sqlalchemy import ColumnElement, Select, bindparam, exists, false, or_, select, true

from lms.accounts.models import Role, User
from lms.cohorts.models import Cohort, CohortStaff, Enrolment
from lms.content.models import Course, CourseRole
from lms.extensions import db, login_manager
from lms.quizzes.models import Attempt, Quiz

# Cohort-scoped actions: the account roles whose cohort assignment (or creation) grants them.
COHORT_ACTIONS: dict[str, tuple[Role, ...]] = {
    "manage_cohort": (Role.ORGANIZER,),  # settings, staff, participant import, reports, certificates
    "view_results": (Role.ORGANIZER, Role.FACILITATOR),  # results, item analysis, gain, attempt reviews
    "grade": (Role.FACILITATOR,),  # grade the answers of the cohort's trainees
    "read_plans": (Role.ORGANIZER, Role.FACILITATOR),  # read the cohort's trainees' action plans
    "review_plan": (Role.FACILITATOR,),  # approve them or ask for changes
}

# Course-scoped actions: the account role and the course roles that grant them.
COURSE_ACTIONS: dict[str, tuple[Role, tuple[str, ...]]] = {
    "author_course": (Role.FACILITATOR, ("owner", "author")),  # edit, publish, export, upload files
    "grant_course_roles": (Role.FACILITATOR, ("owner",)),  # name owners, authors, organizers
    "create_cohort": (Role.ORGANIZER, ("organizer",)),  # create (or move) a cohort of the course
}

# The course roles and the account role that may hold each.
COURSE_ROLES: dict[str, Role] = {"owner": Role.FACILITATOR, "author": Role.FACILITATOR,
                                 "organizer": Role.ORGANIZER}


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


def _role(user: Any) -> Role | None:
    return user.role_enum if getattr(user, "is_authenticated", False) else None


# --- the rules as SQL: one rule serves can() and the lists ---------------------------------------

def _settled(user: Any, action: str) -> bool | None:
    """The answer when the account role alone decides (admins: yes; roles the action is not for:
    no), so that pages ask the database only when a record can matter."""
    role = _role(user)
    if role is Role.ADMIN:
        return True
    roles = COURSE_ACTIONS[action][:1] if action in COURSE_ACTIONS else COHORT_ACTIONS[action]
    return None if role in roles else False


def cohort_scope(user: Any, action: str) -> ColumnElement[bool]:
    """SQL condition on Cohort: the user may do the cohort-scoped action in this cohort.

    Admins: every cohort. Organizers and facilitators (as COHORT_ACTIONS allows): the cohorts
    they created or are assigned to. Everyone else: none."""
    settled = _settled(user, action)
    if settled is not None:
        return true() if settled else false()
    return _runs_or_staffs(user.id)


def _runs_or_staffs(user_id) -> ColumnElement[bool]:
    """SQL condition on Cohort: the user (an id, or a bound parameter) created it or is assigned to it."""
    return or_(Cohort.created_by_id == user_id,
               exists().where(CohortStaff.cohort_id == Cohort.id, CohortStaff.user_id == user_id))


@lru_cache(maxsize=1)
def _cohort_check() -> Select:
    """_cohort_allows' query, built once per process (its cache key with it): :cohort_id, if the
    user :user_id created it or is assigned to it."""
    return select(Cohort.id).where(Cohort.id == bindparam("cohort_id"), _runs_or_staffs(bindparam("user_id")))


def cohorts_for(user: Any, action: str) -> Select:
    """SELECT of the cohorts in which the user may do the action (e.g. "view_results")."""
    return select(Cohort).where(cohort_scope(user, action))


def course_cohorts(user: Any, action: str, course: Course) -> list[Cohort]:
    """The cohorts of the course in which the user may do the action, by name (a course-wide page's
    rows: results, evaluation, chain report)."""
    return list(db.session.scalars(cohorts_for(user, action).where(Cohort.course_id == course.id)
                                   .order_by(Cohort.name)))


def trainee_scope(user: Any, action: str, trainee_id, course_id) -> ColumnElement[bool]:
    """SQL condition: the trainee (an id or a column) is enrolled in a cohort of the course (an id
    or a column) in which the user may do the action. Filters attempts and answers."""
    settled = _settled(user, action)
    if settled is not None:
        return true() if settled else false()
    return exists().where(Enrolment.user_id == trainee_id, Enrolment.cohort_id == Cohort.id,
                          Cohort.course_id == course_id, cohort_scope(user, action))


def course_scope(user: Any, action: str) -> ColumnElement[bool]:
    """SQL condition on Course: the user may do the course-scoped action on this course."""
    settled = _settled(user, action)
    if settled is not None:
        return true() if settled else false()
    return exists().where(CourseRole.course_id == Course.id, CourseRole.user_id == user.id,
                          CourseRole.role.in_(COURSE_ACTIONS[action][1]))


def courses_for(user: Any, action: str) -> Select:
    """SELECT of the courses on which the user may do the action (e.g. "author_course")."""
    if action == "view_results":
        return select(Course).where(exists().where(Cohort.course_id == Course.id, cohort_scope(user, action)))
    return select(Course).where(course_scope(user, action))


def _cohort_allows(user: Any, action: str, cohort: Cohort | None) -> bool:
    if cohort is None:
        return False
    settled = _settled(user, action)
    if settled is not None:
        return settled
    return db.session.scalar(_cohort_check(), {"cohort_id": cohort.id, "user_id": user.id}) is not None


def _course_allows(user: Any, action: str, course: Course | None) -> bool:
    if course is None:
        return False
    settled = _settled(user, action)
    if settled is not None:
        return settled
    return db.session.scalar(courses_for(user, action).with_only_columns(Course.id)
                             .where(Course.id == course.id)) is not None


def _trainee_allows(user: Any, action: str, trainee_id: int, course_id: int) -> bool:
    settled = _settled(user, action)
    if settled is not None:
        return settled
    return bool(db.session.scalar(select(trainee_scope(user, action, trainee_id, course_id))))


def _attempt_course(attempt: Any) -> int:
    return db.session.scalar(select(Quiz.course_id).where(Quiz.id == attempt.quiz_id))


def runs_cohort(user: User, cohort: Cohort) -> bool:
    """An admin, or an organizer who created the cohort or is assigned to it."""
    return _cohort_allows(user, "manage_cohort", cohort)


def authors_course(user: User, course: Course) -> bool:
    """An admin, or a facilitator who owns or authors the course (a CourseRole)."""
    return _course_allows(user, "author_course", course)


def may_hold_course_role(user: User, role: str) -> bool:
    """Whether the account may be given the course role (owners and authors are facilitators,
    a course's organizers are organizers)."""
    return role in COURSE_ROLES and user.role_enum is COURSE_ROLES[role]


# --- can / require -------------------------------------------------------------------------------

def can(user: User | AnonymousUserMixin, action: str, obj: Any = None) -> bool:
    """Whether the user may perform the action on the object.

    Long because it is the one decision table of the application: every action with its rule on
    one page, so who may do what is read (and reviewed) in one place.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    role = user.role_enum
    if action == "study":  # read a course's lessons and record progress
        return isinstance(obj, Course) and (user.is_staff or is_enrolled(user, obj))
    if action == "view_course_as_staff":  # open any course and quiz without its prerequisites
        return user.is_staff
    if action == "view_results":  # a cohort's results; a course's results page (filtered to my cohorts)
        if isinstance(obj, Cohort):
            return _cohort_allows(user, action, obj)
        if isinstance(obj, Course):
            return _course_allows(user, action, obj)
        return False
    if action == "view_attempt":  # an attempt and its result: the trainee's own, or staff who review it
        return obj is not None and (obj.user_id == user.id or can(user, "review_attempt", obj))
    if action == "review_attempt":  # an attempt with its key: staff of the trainee's cohort; an author's own try
        if obj is None or (_settled(user, "view_results") is False and _settled(user, "author_course") is False):
            return False
        course = db.session.get(Course, _attempt_course(obj))
        return (_trainee_allows(user, "view_results", obj.user_id, course.id)
                or (obj.user_id == user.id and _course_allows(user, "author_course", course)))
    if action == "grade":  # no object: the grading queue (filtered); a Cohort: its answers; an Answer: grade it
        if obj is None:
            return role in (Role.FACILITATOR, Role.ADMIN)
        if isinstance(obj, Cohort):
            return _cohort_allows(user, action, obj)

        attempt = db.session.get(Attempt, obj.attempt_id)
        return attempt is not None and _trainee_allows(user, action, attempt.user_id, _attempt_course(attempt))
    if action == "edit_plan":  # an action plan: only the trainee who drafts it
        return obj is not None and obj.user_id == user.id
    if action == "view_plan":  # an action plan: its trainee, and the staff of her cohort who read plans
        return obj is not None and (obj.user_id == user.id or can(user, "read_plans", obj))
    if action == "edit_followup":  # a follow-up report: only the trainee who writes it
        return obj is not None and obj.user_id == user.id
    if action == "view_followup":  # a follow-up report and its photos: its trainee, and her cohort's plan readers
        return obj is not None and (obj.user_id == user.id or can(user, "read_plans", obj))
    if action in ("read_plans", "review_plan"):  # a Cohort's plans, or one ActionPlan/FollowUp through its cohort
        if obj is None:
            return False
        cohort = obj if isinstance(obj, Cohort) else db.session.get(Cohort, obj.cohort_id)
        return _cohort_allows(user, action, cohort)
    if action == "plan_queue":  # the list of plans to review and read (filtered to my cohorts)
        return role in (Role.FACILITATOR, Role.ORGANIZER, Role.ADMIN)
    if action == "manage_cohort":  # edit, import participants, reports, certificates of one cohort
        return isinstance(obj, Cohort) and _cohort_allows(user, action, obj)
    if action == "grant_attempt":  # give a trainee of the cohort another attempt: its organizers
        return isinstance(obj, Cohort) and _cohort_allows(user, "manage_cohort", obj)
    if action == "manage_import":  # an uploaded participant sheet: its uploader (or an admin), in a cohort run
        return (obj is not None and (obj.created_by_id == user.id or role is Role.ADMIN)
                and _cohort_allows(user, "manage_cohort", db.session.get(Cohort, obj.cohort_id)))
    if action == "manage_certificates":  # a certificate, through its cohort
        return obj is not None and _cohort_allows(user, "manage_cohort", db.session.get(Cohort, obj.cohort_id))
    if action == "download_certificate":
        return obj is not None and (obj.user_id == user.id or can(user, "manage_certificates", obj))
    if action == "author":  # open the course editor (which lists the courses one may edit)
        return role in (Role.FACILITATOR, Role.ADMIN)
    if action in COURSE_ACTIONS:  # author_course, grant_course_roles, create_cohort
        return isinstance(obj, Course) and _course_allows(user, action, obj)
    if action == "use_upload":  # an uploaded course zip: its uploader's; a new course only for admins
        if obj is None or obj.created_by_id != user.id:
            return False
        if obj.course_id is None:
            return role is Role.ADMIN
        return _course_allows(user, "author_course", db.session.get(Course, obj.course_id))
    if action == "answer_survey":  # a cohort's evaluation: its enrolled trainees (answers stay anonymous)
        return isinstance(obj, Cohort) and bool(db.session.scalar(select(Enrolment.id).where(
            Enrolment.cohort_id == obj.id, Enrolment.user_id == user.id)))
    if action == "manage_cohorts":  # the cohort list and the new-cohort form
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
                return login_manager.unauthorized()
            if _role(current_user) not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
