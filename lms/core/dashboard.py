"""What a trainee's dashboard reads, in one query whatever the number of courses.

My enrolments with their cohort and course, my progress in each (lessons done from the
per-course cache kept by lms.learning.rollup, counting quizzes passed by lms.quizzes.counting's
rule, and the totals by the same rules), my valid certificate of the course and the status
of my action plan: downstream rows, read only, as the dashboard always showed them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, func, select

from lms.accounts.models import User
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort, Enrolment
from lms.content.models import Course
from lms.extensions import db
from lms.learning.models import CourseProgress
from lms.learning.progress import Progress
from lms.learning.rollup import required_lessons
from lms.plans.models import ActionPlan
from lms.quizzes.counting import counted_passes_clause, counting_quizzes


@dataclass(frozen=True)
class DashboardCourse:
    cohort: Cohort
    course: Course
    progress: Progress
    certificate: Any  # my valid certificate of the course (the newest), or None
    plan_status: str | None  # of my action plan in the course (the newest), or None


@cache
def _statement():
    """Built once per process; the user's id is bound per call."""
    user_id = bindparam("user_id")
    newest_certificate = (select(func.max(Certificate.id)).where(
        Certificate.user_id == user_id, Certificate.course_id == Course.id, Certificate.status == "valid")
        .correlate(Course).scalar_subquery())
    plan_status = (select(ActionPlan.status).where(ActionPlan.user_id == user_id, ActionPlan.course_id == Course.id)
                   .order_by(ActionPlan.id.desc()).limit(1).correlate(Course).scalar_subquery())

    def count(ids):
        return select(func.count()).select_from(ids.correlate(Course).subquery()).scalar_subquery()

    return (select(Cohort, Course, CourseProgress.lessons_done, counted_passes_clause(user_id, Course.id),
                   count(required_lessons(Course.id)), count(counting_quizzes(Course.id)), Certificate, plan_status)
            .select_from(Enrolment).join(Cohort, Cohort.id == Enrolment.cohort_id)
            .join(Course, Course.id == Cohort.course_id)
            .outerjoin(CourseProgress, and_(CourseProgress.user_id == user_id, CourseProgress.course_id == Course.id))
            .outerjoin(Certificate, Certificate.id == newest_certificate)
            .where(Enrolment.user_id == user_id).order_by(Enrolment.enrolled_at.desc()))


def my_courses(user: User) -> list[DashboardCourse]:
    """My courses, newest enrolment first, each once (the cohort I joined last)."""
    seen: set[int] = set()
    result = []
    for cohort, course, lessons_done, passed, lessons, quizzes, certificate, plan_status in db.session.execute(
            _statement(), {"user_id": user.id}):
        if course.id in seen:
            continue
        seen.add(course.id)
        progress = Progress((lessons_done or 0) + (passed or 0), lessons + quizzes)
        result.append(DashboardCourse(cohort, course, progress, certificate, plan_status))
    return result
