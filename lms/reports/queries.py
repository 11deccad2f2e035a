"""Completion reports as SQL aggregates: the number of queries does not grow with participants.

Per participant the database returns one row per table (lessons done, quizzes passed, last
activity, certificate); grouping by regency, institution and status happens over those rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select

from lms.accounts.models import Role, User
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort, Enrolment
from lms.content.models import Course, Lesson, Module
from lms.extensions import db
from lms.learning.models import CourseProgress, LessonProgress
from lms.quizzes.models import Attempt, Quiz
from lms.util import utcnow


@dataclass
class ParticipantStatus:
    user_id: int
    name: str
    email: str
    institution: str
    regency: str
    regency_code: str | None
    cohort_id: int
    cohort_name: str
    lessons_done: int
    quizzes_passed: int
    required_total: int
    last_activity: datetime | None
    certified: bool
    lessons_total: int = 0
    quizzes_total: int = 0

    @property
    def done(self) -> int:
        return self.lessons_done + self.quizzes_passed

    @property
    def percent(self) -> int:
        return (100 * self.done) // self.required_total if self.required_total else 0

    @property
    def status(self) -> str:
        if self.certified:
            return "certified"
        if self.required_total and self.done >= self.required_total:
            return "completed"
        if self.last_activity is None:
            return "not_started"
        return "in_progress"


@dataclass
class GroupRate:
    label: str
    participants: int
    completed: int
    mean_percent: float

    @property
    def rate(self) -> float:
        return round(100 * self.completed / self.participants, 1) if self.participants else 0.0


@dataclass
class ModuleRate:
    module: str
    lessons: int
    lesson_rate: float  # share of the module's required lessons done, over participants
    quiz_title: str | None = None
    quiz_pass_rate: float | None = None


@dataclass
class Report:
    course: Course
    cohorts: list[Cohort]
    participants: list[ParticipantStatus]
    modules: list[ModuleRate] = field(default_factory=list)
    quiz_means: list[tuple[str, float, int]] = field(default_factory=list)  # title, mean %, takers

    def funnel(self) -> list[tuple[str, int]]:
        rows = self.participants
        lessons_total = rows[0].lessons_total if rows else 0
        return [
            ("enrolled", len(rows)),
            ("started", sum(1 for r in rows if r.last_activity is not None)),
            ("half", sum(1 for r in rows if r.percent >= 50)),
            ("lessons", sum(1 for r in rows if lessons_total and r.lessons_done >= lessons_total)),
            ("quizzes", sum(1 for r in rows if r.required_total and r.done >= r.required_total)),
            ("certified", sum(1 for r in rows if r.certified)),
        ]

    def by(self, key: str) -> list[GroupRate]:
        groups: dict[str, list[ParticipantStatus]] = defaultdict(list)
        for row in self.participants:
            groups[getattr(row, key) or "-"].append(row)
        rates = [GroupRate(label, len(rows), sum(1 for r in rows if r.status in ("completed", "certified")),
                           round(sum(r.percent for r in rows) / len(rows), 1)) for label, rows in groups.items()]
        return sorted(rates, key=lambda g: (-g.rate, g.label))


def cohort_report(cohorts: list[Cohort], *, with_details: bool = True) -> Report:
    """Completion of the given cohorts (all of one course)."""
    course = db.session.get(Course, cohorts[0].course_id)
    cohort_ids = [c.id for c in cohorts]
    names = {c.id: c.name for c in cohorts}
    lessons = list(db.session.execute(
        select(Lesson.id, Lesson.module_id).where(Lesson.course_id == course.id, Lesson.required.is_(True),
                                                  Lesson.archived_at.is_(None))))
    lesson_ids = [lid for lid, _ in lessons]
    quizzes = list(db.session.scalars(select(Quiz).where(
        Quiz.course_id == course.id, Quiz.required.is_(True), Quiz.archived_at.is_(None),
        Quiz.kind.in_(("module", "posttest")))))
    quiz_ids = [q.id for q in quizzes]

    people = db.session.execute(
        select(User.id, User.full_name, User.email, User.institution, User.regency, User.regency_code,
               Enrolment.cohort_id)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.cohort_id.in_(cohort_ids), User.role == Role.TRAINEE.value)
        .order_by(User.full_name)).all()
    # Lessons done and last activity come from CourseProgress, recounted from the records on every
    # write (lms.learning.rollup): one row per participant instead of one per lesson.
    lesson_stats = {uid: (done, last) for uid, done, last in db.session.execute(
        select(CourseProgress.user_id, CourseProgress.lessons_done, CourseProgress.last_activity_at)
        .join(Enrolment, Enrolment.user_id == CourseProgress.user_id)
        .where(Enrolment.cohort_id.in_(cohort_ids), CourseProgress.course_id == course.id))}
    course_quiz_ids = select(Quiz.id).where(Quiz.course_id == course.id).scalar_subquery()
    quiz_stats = {uid: (passed, last) for uid, passed, last in db.session.execute(
        select(Attempt.user_id,
               func.count(func.distinct(case((and_(Attempt.passed.is_(True), Attempt.state == "graded",
                                                   Attempt.quiz_id.in_(quiz_ids or [-1])), Attempt.quiz_id)))),
               func.max(Attempt.started_at))
        .join(Enrolment, Enrolment.user_id == Attempt.user_id)
        .where(Enrolment.cohort_id.in_(cohort_ids), Attempt.quiz_id.in_(course_quiz_ids))
        .group_by(Attempt.user_id))}
    certified = set(db.session.execute(
        select(Certificate.user_id, Certificate.cohort_id).where(
            Certificate.cohort_id.in_(cohort_ids), Certificate.status == "valid")).all())

    total = len(lesson_ids) + len(quiz_ids)
    participants = []
    for uid, name, email, institution, regency, regency_code, cohort_id in people:
        lessons_done, lesson_last = lesson_stats.get(uid, (0, None))
        quizzes_passed, quiz_last = quiz_stats.get(uid, (0, None))
        last = max((t for t in (lesson_last, quiz_last) if t is not None), default=None)
        participants.append(ParticipantStatus(
            uid, name, email, institution or "", regency or "", regency_code, cohort_id, names[cohort_id],
            lessons_done, quizzes_passed, total, last, (uid, cohort_id) in certified,
            lessons_total=len(lesson_ids), quizzes_total=len(quiz_ids)))
    report = Report(course, cohorts, participants)
    if with_details:
        report.modules = module_rates(course, cohort_ids, lessons, quizzes, len(participants))
        report.quiz_means = quiz_means(course, cohort_ids)
    return report


def module_rates(course: Course, cohort_ids: list[int], lessons, quizzes, participants: int) -> list[ModuleRate]:
    module_of = {lesson_id: module_id for lesson_id, module_id in lessons}
    # Scanning progress by participant (the covering index) is much faster on SQLite than by lesson;
    # lessons of other courses or not required are dropped here rather than in SQL.
    done_by_lesson = db.session.execute(
        select(LessonProgress.lesson_id, func.count())
        .join(Enrolment, Enrolment.user_id == LessonProgress.user_id)
        .where(Enrolment.cohort_id.in_(cohort_ids), LessonProgress.completed_at.is_not(None))
        .group_by(LessonProgress.lesson_id)).all()
    done_by_module: dict[int, int] = defaultdict(int)
    for lesson_id, count in done_by_lesson:
        if lesson_id in module_of:
            done_by_module[module_of[lesson_id]] += count
    passed_by_quiz = dict(db.session.execute(
        select(Attempt.quiz_id, func.count(func.distinct(Attempt.user_id)))
        .join(Enrolment, Enrolment.user_id == Attempt.user_id)
        .where(Enrolment.cohort_id.in_(cohort_ids), Attempt.quiz_id.in_([q.id for q in quizzes] or [-1]),
               Attempt.passed.is_(True), Attempt.state == "graded")
        .group_by(Attempt.quiz_id)).all())
    per_module: dict[int, int] = defaultdict(int)
    for _, module_id in lessons:
        per_module[module_id] += 1
    quiz_of = {q.module_id: q for q in quizzes if q.module_id}
    rates = []
    for module in db.session.scalars(select(Module).where(Module.course_id == course.id, Module.archived_at.is_(None))
                                     .order_by(Module.position)):
        count = per_module.get(module.id, 0)
        possible = count * participants
        quiz = quiz_of.get(module.id)
        rates.append(ModuleRate(
            module.title, count, round(100 * done_by_module.get(module.id, 0) / possible, 1) if possible else 0.0,
            quiz.title if quiz else None,
            round(100 * passed_by_quiz.get(quiz.id, 0) / participants, 1) if quiz and participants else None))
    return rates


def quiz_means(course: Course, cohort_ids: list[int]) -> list[tuple[str, float, int]]:
    """Mean of each trainee's best score per quiz."""
    quiz_ids = select(Quiz.id).where(Quiz.course_id == course.id).scalar_subquery()
    best = (select(Attempt.quiz_id, Attempt.user_id, func.max(Attempt.percent).label("best"))
            .join(Enrolment, Enrolment.user_id == Attempt.user_id)
            .where(Enrolment.cohort_id.in_(cohort_ids), Attempt.quiz_id.in_(quiz_ids), Attempt.state == "graded")
            .group_by(Attempt.quiz_id, Attempt.user_id).subquery())
    rows = db.session.execute(
        select(Quiz.title, func.avg(best.c.best), func.count(best.c.user_id))
        .join(best, best.c.quiz_id == Quiz.id).group_by(Quiz.id, Quiz.title).order_by(Quiz.title)).all()
    return [(title, round(float(mean), 1), takers) for title, mean, takers in rows]


def filter_participants(rows: list[ParticipantStatus], *, status: str = "", regency: str = "",
                        inactive_days: int | None = None, query: str = "", sort: str = "name"
                        ) -> list[ParticipantStatus]:
    now = utcnow()
    if status:
        rows = [r for r in rows if r.status == status]
    if regency:
        rows = [r for r in rows if r.regency == regency]
    if inactive_days:
        cutoff = now - timedelta(days=inactive_days)
        rows = [r for r in rows if r.status not in ("completed", "certified")
                and (r.last_activity is None or r.last_activity < cutoff)]
    if query:
        q = query.casefold()
        rows = [r for r in rows if q in r.name.casefold() or q in r.institution.casefold() or q in r.email]
    keys = {
        "name": lambda r: r.name.casefold(),
        "progress": lambda r: (-r.percent, r.name.casefold()),
        "progress_asc": lambda r: (r.percent, r.name.casefold()),
        "activity": lambda r: (r.last_activity is not None, r.last_activity or now),
        "regency": lambda r: (r.regency, r.name.casefold()),
    }
    return sorted(rows, key=keys.get(sort, keys["name"]))
