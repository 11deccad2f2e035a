"""The staff landing: what a facilitator, an organizer or an admin came to do, on one page.

A reader only. Which cohorts and courses appear, and which links each row gets, come from the
scope helpers of lms.auth (the same SQL that guards the detail pages), never from rules here or
in the template. The shell package (core) reads downstream packages (reports, quizzes) as the
app factory does; only the dashboard (lms.core.views), which hands staff over to it, imports
this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from lms.auth import can, cohort_scope, cohorts_for, courses_for, trainee_scope
from lms.cohorts.models import Cohort, Enrolment
from lms.content.models import Course
from lms.extensions import db
from lms.quizzes.models import Answer, Attempt, Quiz
from lms.reports.queries import STUCK_STATUSES, cohort_standing

# Shown on the landing; the full list is one click away (the cohorts page, the results pages).
MAX_COHORTS = 20
# A trainee who has not been active for this many days (and has not finished) is lagging.
LAGGING_DAYS = 7


@dataclass
class CohortRow:
    cohort: Cohort
    course: Course
    participants: int
    runs: bool  # the user runs the cohort (manage_cohort): report, import, lagging trainees
    lagging: int | None = None  # not active for LAGGING_DAYS days and not finished (cohorts run only)
    # Trainees who cannot finish on their own, by reason (lms.reports.queries.STUCK_STATUSES, in
    # that order; reasons with nobody left out); cohorts run only.
    stuck: list[tuple[str, int]] | None = None


@dataclass
class StaffOverview:
    cohorts: list[CohortRow] = field(default_factory=list)
    more_cohorts: int = 0  # cohorts in scope beyond those shown
    grading_queue: int | None = None  # essay answers waiting, for those who grade
    courses: list[tuple[Course, bool]] = field(default_factory=list)  # course, results open to the user
    runs_any: bool = False
    lagging_total: int = 0
    stuck_total: list[tuple[str, int]] = field(default_factory=list)  # by reason, over the cohorts shown


def pending_answers(user) -> int:
    """Essay answers waiting for a grade among the trainees the user may grade (the grading queue)."""
    return db.session.scalar(
        select(func.count(Answer.id)).join(Attempt, Attempt.id == Answer.attempt_id)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(Attempt.state == "submitted", Answer.fraction.is_(None),
               trainee_scope(user, "grade", Attempt.user_id, Quiz.course_id))) or 0


def staff_overview(user) -> StaffOverview:
    """The cohorts the user sees results of (most recent first, open ones before closed ones),
    with participants, whether the user runs each and, where so, its lagging and stuck trainees;
    the grading queue; the courses with a link to their results where the user may read them."""
    overview = StaffOverview()
    # Ids only: a subquery of whole cohorts would cost a column proxy per column on every request.
    scope = cohorts_for(user, "view_results").with_only_columns(Cohort.id).subquery()
    counts = (select(Enrolment.cohort_id, func.count(Enrolment.id).label("n"))
              .group_by(Enrolment.cohort_id).subquery())
    total = db.session.scalar(select(func.count()).select_from(scope)) or 0
    rows = db.session.execute(
        select(Cohort, Course, func.coalesce(counts.c.n, 0), cohort_scope(user, "manage_cohort"))
        .join(scope, scope.c.id == Cohort.id).join(Course, Course.id == Cohort.course_id)
        .outerjoin(counts, counts.c.cohort_id == Cohort.id)
        .order_by(Cohort.is_open.desc(), Cohort.starts_on.desc(), Cohort.id.desc()).limit(MAX_COHORTS)).all()
    overview.cohorts = [CohortRow(cohort, course, int(n), bool(runs)) for cohort, course, n, runs in rows]
    overview.more_cohorts = max(0, total - len(overview.cohorts))
    # Lagging and stuck trainees of the cohorts run, in one GROUP BY query over all their courses
    # (the report's own rules: what the report's filters keep).
    run = [row for row in overview.cohorts if row.runs]
    standing = cohort_standing([row.cohort.id for row in run], LAGGING_DAYS)
    for row in run:
        row.lagging, reasons = standing.get(row.cohort.id, (0, {}))
        row.stuck = [(status, reasons[status]) for status in STUCK_STATUSES if reasons.get(status)]
    overview.runs_any = bool(run)
    overview.lagging_total = sum(r.lagging or 0 for r in overview.cohorts)
    totals = {status: sum(dict(r.stuck or ()).get(status, 0) for r in overview.cohorts) for status in STUCK_STATUSES}
    overview.stuck_total = [(status, n) for status, n in totals.items() if n]
    if can(user, "grade"):
        overview.grading_queue = pending_answers(user)
    with_results = set(db.session.scalars(courses_for(user, "view_results").with_only_columns(Course.id)))
    overview.courses = [(course, course.id in with_results)
                        for course in db.session.scalars(select(Course).order_by(Course.title).limit(50))]
    return overview
