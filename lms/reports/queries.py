"""Completion reports as SQL aggregates: the number of queries does not grow with participants,
and neither does the work in Python.

Per participant the database keeps one cached row (CourseProgress: lessons done, quizzes passed,
last activity; recounted from the records on every write, lms.learning.rollup); the funnel and
the rates by regency and institution are GROUP BY queries over those rows joined with the
certificates, module rates and quiz means read the per-module and per-quiz caches, and the
participant list is filtered, sorted and paged in SQL.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Mapping

from sqlalchemy import Integer, and_, bindparam, case, exists, false, func, literal, null, or_, select
from sqlalchemy.orm import aliased

from lms.accounts.models import Role, User
from lms.accounts.regions import regency_name
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort, Enrolment
from lms.content.models import Course, Lesson, Module
from lms.extensions import db
from lms.learning.models import CourseProgress, ModuleProgress
from lms.quizzes.counting import counted_pass_clause
from lms.quizzes.models import Attempt, AttemptGrant, Quiz, QuizResult
from lms.quizzes.stats import GainSummary
from lms.reports.charts import CompletionCharts, completion_charts
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
    stuck: str | None = None  # STUCK_STATUSES: why she cannot finish on her own, if she cannot

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
        if self.stuck:
            return self.stuck
        if self.last_activity is None:
            return "not_started"
        return "in_progress"


NO_REGENCY = "-"  # the regency filter's value for participants whose regency is not on the list


def regency_label(code: str | None, typed: str | None = "") -> str:
    """What a report prints for a participant's regency/city: the official name of its code, else
    what was typed (a place not on the list yet)."""
    return (regency_name(code) if code else None) or typed or ""


def _no_regency_label() -> str:
    from flask_babel import gettext as _

    return _("Not on the list")


# Why a trainee cannot finish (lms.learning.nextstep says the same to her): no attempt left at a
# required quiz she has not passed (only an organizer's extra attempt helps); the post-test taken
# and not passed (she may try again, after revisiting modules); every module quiz passed but
# required lessons not done (the post-test stays closed).
STUCK_STATUSES = ("stuck_attempts", "failed_posttest", "missing_lessons")
STATUSES = ("not_started", "in_progress", *STUCK_STATUSES, "completed", "certified")


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
class Filters:
    """The participant list's filters, as the report page takes them."""

    status: str = ""
    regency: str = ""
    inactive_days: int | None = None
    query: str = ""
    sort: str = "name"

    @property
    def active(self) -> bool:
        return bool(self.status or self.regency or self.inactive_days or self.query)


def counted_lessons():
    """SQL: the lessons that count toward completion (required, not archived), of any course."""
    return and_(Lesson.required.is_(True), Lesson.archived_at.is_(None))


@lru_cache(maxsize=256)
def participant_columns(course_id: int, lessons_total: int, quizzes_total: int,
                        module_quizzes: int) -> Mapping[str, Any]:
    """A report's per-participant SQL expressions (one row per Enrolment joined as enrolled_from
    joins it), for a course with these numbers of required lessons, required quizzes and module
    quizzes. Built once per process for each such course: building them (the aliases of the
    stuck rule above all) cost more than running a report page's queries. SQL expressions are
    immutable, so every report and request may share them."""
    return MappingProxyType(_participant_columns(course_id, lessons_total, quizzes_total, module_quizzes))


def _if_positive(number, expression):
    """`expression` where `number` > 0, else false: decided while building for a number known then
    (one course's report), in SQL for a column (a statement over the cohorts of several courses)."""
    if isinstance(number, int):
        return expression if number > 0 else false()
    return and_(number > 0, expression)


def _participant_columns(course_id, lessons_total, quizzes_total, module_quizzes) -> dict[str, Any]:
    """participant_columns' expressions. Each argument is a number (one course) or a SQL column
    (the course of each row's cohort, and its numbers: cohort_standing); one rule either way."""
    cp = CourseProgress
    lessons_done = func.coalesce(cp.lessons_done, 0)
    done = lessons_done + func.coalesce(cp.quizzes_passed, 0)
    last = case((or_(cp.quiz_activity_at.is_(None), and_(cp.last_activity_at.is_not(None),
                                                         cp.last_activity_at >= cp.quiz_activity_at)),
                 cp.last_activity_at), else_=cp.quiz_activity_at)
    certified = Certificate.id.is_not(None)
    total = lessons_total + quizzes_total
    if isinstance(total, int):
        percent = (literal(100, Integer) * done) // total if total else literal(0, Integer)
    else:
        percent = case((total > 0, (literal(100, Integer) * done) // total), else_=literal(0, Integer))
    complete = _if_positive(total, done >= total)
    stuck = _stuck(course_id, lessons_total, module_quizzes, lessons_done)
    # The stuck reason once (COALESCE, not a CASE arm that tests it and another that returns it):
    # half the SQL for PostgreSQL to plan, the same status.
    status = case((certified, "certified"), (complete, "completed"),
                  else_=func.coalesce(stuck, case((last.is_(None), "not_started"), else_="in_progress")))
    return {"lessons_done": lessons_done, "done": done, "last": last, "certified": certified,
            "percent": percent, "complete": complete, "status": status, "stuck": stuck}


def _stuck(course_id, lessons_total, module_quizzes, lessons_done):
    """SQL: the trainee's STUCK_STATUSES reason, or NULL (per row of Enrolment; the same rules
    as lms.learning.nextstep: lms.quizzes.counting's pass, attempts used against the limit
    plus the extra attempts granted)."""
    trainee = Enrolment.user_id
    q, mine, other = aliased(Quiz), aliased(Attempt), aliased(Attempt)
    # Nested two deep (inside the EXISTS over quizzes): each correlates explicitly with the
    # quiz and the enrolment of the enclosing queries.
    passed = exists().where(mine.user_id == trainee, mine.quiz_id == q.id,
                            counted_pass_clause(mine, q)).correlate_except(mine)
    used = (select(func.count(other.id)).where(other.user_id == trainee, other.quiz_id == q.id)
            .correlate_except(other).scalar_subquery())
    granted = (select(func.coalesce(func.sum(AttemptGrant.extra), 0))
               .where(AttemptGrant.user_id == trainee, AttemptGrant.quiz_id == q.id)
               .correlate_except(AttemptGrant).scalar_subquery())
    busy = exists().where(other.user_id == trainee, other.quiz_id == q.id,
                          other.state.in_(("in_progress", "submitted", "grading"))).correlate_except(other)
    counting = and_(q.course_id == course_id, q.counts_toward_completion)
    out_of_attempts = exists().where(counting, q.attempts_allowed > 0, ~passed, ~busy,
                                     used >= q.attempts_allowed + granted)
    graded = aliased(Attempt)
    failed_posttest = exists().where(counting, q.kind == "posttest", ~passed, exists().where(
        graded.user_id == trainee, graded.quiz_id == q.id, graded.state == "graded").correlate_except(graded))
    missing = _if_positive(module_quizzes, _if_positive(lessons_total, and_(
        lessons_done < lessons_total, func.coalesce(CourseProgress.quizzes_passed, 0) >= module_quizzes)))
    return case((out_of_attempts, "stuck_attempts"), (failed_posttest, "failed_posttest"),
                (missing, "missing_lessons"), else_=null())


def enrolled_from(stmt, course_id, cohorts, *, with_cohort: bool = False):
    """Trainees enrolled in the cohorts (a clause over Enrolment.cohort_id), with their cached
    progress in the course (an id, or a column such as Cohort.course_id: with_cohort joins the
    cohort first) and their valid certificate."""
    stmt = stmt.select_from(Enrolment)
    if with_cohort:
        stmt = stmt.join(Cohort, Cohort.id == Enrolment.cohort_id)
    return (stmt.join(User, User.id == Enrolment.user_id)
            .outerjoin(CourseProgress, and_(CourseProgress.user_id == Enrolment.user_id,
                                            CourseProgress.course_id == course_id))
            # At most one certificate per trainee and cohort is not replaced (a unique index).
            .outerjoin(Certificate, and_(Certificate.user_id == Enrolment.user_id,
                                         Certificate.cohort_id == Enrolment.cohort_id,
                                         Certificate.status != "replaced", Certificate.status == "valid"))
            .where(cohorts, User.role == Role.TRAINEE.value))


@lru_cache(maxsize=1)
def _standing_statement():
    """cohort_standing's statement, built once per process (its cache key with it): per cohort,
    status and whether inactive since :cutoff, counted; the cohorts in :cohort_ids."""
    lessons = (select(Lesson.course_id.label("course_id"), func.count().label("n"))
               .where(counted_lessons()).group_by(Lesson.course_id).subquery())
    quizzes = (select(Quiz.course_id.label("course_id"), func.count().label("n"),
                      func.sum(case((Quiz.kind == "module", 1), else_=0)).label("modules"))
               .where(Quiz.counts_toward_completion).group_by(Quiz.course_id).subquery())
    c = _participant_columns(Cohort.course_id, func.coalesce(lessons.c.n, 0), func.coalesce(quizzes.c.n, 0),
                             func.coalesce(quizzes.c.modules, 0))
    inactive = case((or_(c["last"].is_(None), c["last"] < bindparam("cutoff")), 1), else_=0)
    rows = (enrolled_from(select(Enrolment.cohort_id.label("cohort_id"), c["status"].label("status"),
                                 inactive.label("inactive")), Cohort.course_id,
                          Enrolment.cohort_id.in_(bindparam("cohort_ids", expanding=True)), with_cohort=True)
            .outerjoin(lessons, lessons.c.course_id == Cohort.course_id)
            .outerjoin(quizzes, quizzes.c.course_id == Cohort.course_id)).subquery()
    return (select(rows.c.cohort_id, rows.c.status, rows.c.inactive, func.count())
            .group_by(rows.c.cohort_id, rows.c.status, rows.c.inactive))


def cohort_standing(cohort_ids: list[int], inactive_days: int) -> dict[int, tuple[int, dict[str, int]]]:
    """Per cohort (of any courses): the participants a report filtered by inactive_days keeps
    (Filters(inactive_days=...)), and those who cannot finish on their own by reason
    (STUCK_STATUSES), by the report's own status rule, in one query whatever the courses."""
    found: dict[int, tuple[int, dict[str, int]]] = {}
    if not cohort_ids:
        return found
    params = {"cohort_ids": list(cohort_ids), "cutoff": utcnow() - timedelta(days=inactive_days)}
    for cohort_id, status, inactive, count in db.session.execute(_standing_statement(), params):
        lagging, stuck = found.get(cohort_id, (0, {}))
        if inactive and status not in ("completed", "certified"):
            lagging += count
        if status in STUCK_STATUSES:
            stuck[status] = stuck.get(status, 0) + count
        found[cohort_id] = (lagging, stuck)
    return found


class Report:
    """Completion of some cohorts of one course, computed by the database.

    The funnel and the rates by regency and institution are GROUP BY queries over one cached row
    per participant (CourseProgress, lms.learning.rollup); module rates and quiz means over the
    per-module and per-quiz caches. The participant list is read a page at a time, filtered and
    sorted in SQL; `participants` (every participant, as objects) is for the API and the CLI.
    Each aggregate is one query, made when first used.
    """

    def __init__(self, course: Course, cohorts: list[Cohort], lessons: list[tuple[int, int]], quizzes: list[Quiz]):
        self.course = course
        self.cohorts = cohorts
        self.cohort_ids = [c.id for c in cohorts]
        self.cohort_names = {c.id: c.name for c in cohorts}
        self.lessons = lessons  # (lesson id, module id) of the required active lessons
        self.quizzes = quizzes  # every quiz of the course
        self.required_quizzes = [q for q in quizzes if q.counts_toward_completion]
        self.lessons_total = len(lessons)
        self.quizzes_total = len(self.required_quizzes)
        self.required_total = self.lessons_total + self.quizzes_total
        self.module_quizzes = sum(1 for quiz in self.required_quizzes if quiz.kind == "module")
        self._groups: dict[str, list] = {}
        self._participants: list[ParticipantStatus] | None = None
        self._modules: list[ModuleRate] | None = None
        self._quiz_means: list[tuple[str, float, int]] | None = None
        self._quiz_rows: list | None = None

    # --- one row per participant, as SQL expressions -------------------------------------------

    def _columns(self) -> Mapping[str, Any]:
        return participant_columns(self.course.id, self.lessons_total, self.quizzes_total, self.module_quizzes)

    def _from(self, stmt):
        """Trainees enrolled in the cohorts, with their cached progress and valid certificate."""
        return enrolled_from(stmt, self.course.id, Enrolment.cohort_id.in_(self.cohort_ids))

    def _people(self):
        c = self._columns()
        return self._from(select(
            User.id, User.full_name, User.email, func.coalesce(User.institution, ""), func.coalesce(User.regency, ""),
            User.regency_code, Enrolment.cohort_id, c["lessons_done"], func.coalesce(CourseProgress.quizzes_passed, 0),
            c["last"], c["certified"], case((or_(c["certified"], c["complete"]), None), else_=c["stuck"])))

    def _status(self, row) -> ParticipantStatus:
        uid, name, email, institution, regency, regency_code, cohort_id, lessons_done, quizzes_passed, last, cert, \
            stuck = row
        return ParticipantStatus(uid, name, email, institution, regency_label(regency_code, regency), regency_code,
                                 cohort_id,
                                 self.cohort_names[cohort_id], lessons_done, quizzes_passed, self.required_total, last,
                                 bool(cert), lessons_total=self.lessons_total, quizzes_total=self.quizzes_total,
                                 stuck=stuck)

    # --- aggregates ---------------------------------------------------------------------------------

    def _group_rows(self, key: str) -> list:
        """Per regency/city code (not what was typed: one row per place) or institution: participants,
        completed, sum of percents, and (by regency) the funnel's counts."""
        if key not in self._groups:
            c = self._columns()
            label = func.coalesce(User.regency_code if key == "regency" else getattr(User, key), "")
            counts = [func.count(), func.sum(case((or_(c["certified"], c["complete"]), 1), else_=0)),
                      func.sum(c["percent"])]
            if key == "regency":
                lessons = (c["lessons_done"] >= self.lessons_total) if self.lessons_total else false()
                counts += [func.sum(case((c["last"].is_not(None), 1), else_=0)),
                           func.sum(case((c["percent"] >= 50, 1), else_=0)),
                           func.sum(case((lessons, 1), else_=0)),
                           func.sum(case((c["complete"], 1), else_=0)),
                           func.sum(case((c["certified"], 1), else_=0))]
            self._groups[key] = [tuple(int(v or 0) if i else v for i, v in enumerate(row)) for row in
                                 db.session.execute(self._from(select(label, *counts)).group_by(label)).all()]
        return self._groups[key]

    @property
    def enrolled(self) -> int:
        return sum(row[1] for row in self._group_rows("regency"))

    def funnel(self) -> list[tuple[str, int]]:
        rows = self._group_rows("regency")
        stages = ("started", "half", "lessons", "quizzes", "certified")
        return [("enrolled", self.enrolled)] + [(stage, sum(row[4 + i] for row in rows)) for i, stage in
                                                enumerate(stages)]

    def charts(self) -> CompletionCharts:
        """The page's funnel with shares, and its bars (lms.reports.charts)."""
        return completion_charts(self)

    def by(self, key: str) -> list[GroupRate]:
        """Rates per regency/city (labelled with its official name; those not on the list together)
        or per institution."""
        groups: dict[str, list[int]] = {}
        for label, participants, completed, percents, *_ in self._group_rows(key):
            if key == "regency":
                label = regency_label(label) or _no_regency_label()
            totals = groups.setdefault(label or "-", [0, 0, 0])
            totals[0] += participants
            totals[1] += completed
            totals[2] += percents
        rates = [GroupRate(label, n, completed, round(percents / n, 1))
                 for label, (n, completed, percents) in groups.items()]
        return sorted(rates, key=lambda g: (-g.rate, g.label))

    def regencies(self) -> list[tuple[str, str]]:
        """The participants' regencies/cities as (code, official name), by name, for the filter;
        NO_REGENCY last when some participants' regency is not on the list."""
        codes = [row[0] for row in self._group_rows("regency")]
        found = sorted(((code, regency_label(code)) for code in codes if code), key=lambda item: item[1])
        return found + ([(NO_REGENCY, _no_regency_label())] if any(not code for code in codes) else [])

    def _quiz_results(self) -> dict[int, tuple[float | None, int, int]]:
        """Per quiz: mean best score, trainees with a graded attempt, trainees who passed."""
        if self._quiz_rows is None:
            enrolled = select(Enrolment.user_id).where(Enrolment.cohort_id.in_(self.cohort_ids))
            self._quiz_rows = db.session.execute(
                select(QuizResult.quiz_id, func.avg(QuizResult.best_percent), func.count(),
                       func.sum(case((QuizResult.passed.is_(True), 1), else_=0)))
                .where(QuizResult.quiz_id.in_([q.id for q in self.quizzes] or [-1]),
                       QuizResult.user_id.in_(enrolled))
                .group_by(QuizResult.quiz_id)).all()
        return {quiz_id: (mean, takers, int(passed or 0)) for quiz_id, mean, takers, passed in self._quiz_rows}

    @property
    def quiz_means(self) -> list[tuple[str, float, int]]:
        """Mean of each trainee's best score per quiz, for the quizzes someone finished."""
        if self._quiz_means is None:
            results = self._quiz_results()
            self._quiz_means = [(q.title, round(float(results[q.id][0]), 1), results[q.id][1])
                                for q in sorted(self.quizzes, key=lambda q: (q.title, q.id))
                                if q.id in results and results[q.id][0] is not None]
        return self._quiz_means

    @property
    def modules(self) -> list[ModuleRate]:
        if self._modules is None:
            self._modules = module_rates(self)
        return self._modules

    # --- participants --------------------------------------------------------------------------

    def _filtered(self, stmt, filters: Filters):
        c = self._columns()
        if filters.status:
            stmt = stmt.where(c["status"] == filters.status)
        if filters.regency == NO_REGENCY:
            stmt = stmt.where(User.regency_code.is_(None))
        elif filters.regency:
            stmt = stmt.where(User.regency_code == filters.regency)
        if filters.inactive_days:
            cutoff = utcnow() - timedelta(days=filters.inactive_days)
            stmt = stmt.where(c["status"].not_in(("completed", "certified")),
                              or_(c["last"].is_(None), c["last"] < cutoff))
        if filters.query:
            q = filters.query.casefold()
            stmt = stmt.where(or_(func.lower(User.full_name).contains(q, autoescape=True),
                                  func.lower(func.coalesce(User.institution, "")).contains(q, autoescape=True),
                                  User.email.contains(q, autoescape=True)))
        return stmt

    def count(self, filters: Filters) -> int:
        """Participants the filters keep."""
        if not filters.active:
            return self.enrolled
        return db.session.scalar(self._filtered(self._from(select(func.count())), filters))

    def counts_by_cohort(self, filters: Filters) -> dict[int, int]:
        """Participants the filters keep, per cohort (one GROUP BY query)."""
        stmt = self._filtered(self._from(select(Enrolment.cohort_id, func.count())), filters)
        return {cohort_id: count for cohort_id, count in db.session.execute(stmt.group_by(Enrolment.cohort_id))}

    def stuck_by_cohort(self) -> dict[int, dict[str, int]]:
        """Participants who cannot finish on their own, per cohort and reason (STUCK_STATUSES, the
        report's own status rule), in one GROUP BY query whatever the number of cohorts."""
        c = self._columns()
        # Grouped over a subquery: PostgreSQL would not match a GROUP BY on the CASE expression
        # itself with the selected one (their bound parameters differ).
        rows = self._from(select(Enrolment.cohort_id.label("cohort_id"), c["status"].label("status"))).subquery()
        stmt = (select(rows.c.cohort_id, rows.c.status, func.count())
                .where(rows.c.status.in_(STUCK_STATUSES)).group_by(rows.c.cohort_id, rows.c.status))
        found: dict[int, dict[str, int]] = defaultdict(dict)
        for cohort_id, status, count in db.session.execute(stmt):
            found[cohort_id][status] = count
        return dict(found)

    def statuses(self, user_ids: list[int]) -> dict[int, str]:
        """The STATUSES of the given trainees (those enrolled in the cohorts), in one query."""
        c = self._columns()
        stmt = self._from(select(Enrolment.user_id, c["status"])).where(Enrolment.user_id.in_(user_ids or [-1]))
        return {user_id: status for user_id, status in db.session.execute(stmt)}

    def page(self, filters: Filters, offset: int, limit: int) -> list[ParticipantStatus]:
        """One page of the participants the filters keep, sorted as filter_participants sorts them
        (ties in the database's order of names, then by account)."""
        c = self._columns()
        name = func.lower(User.full_name)
        keys = {
            "name": [name],
            "progress": [c["percent"].desc(), name],
            "progress_asc": [c["percent"], name],
            "activity": [case((c["last"].is_(None), 0), else_=1), c["last"]],
            "regency": [func.coalesce(User.regency_code, ""), name],
        }
        order = keys.get(filters.sort, keys["name"]) + [User.full_name, User.id, Enrolment.cohort_id]
        stmt = self._filtered(self._people(), filters).order_by(*order).offset(offset).limit(limit)
        return [self._status(row) for row in db.session.execute(stmt)]

    def rows(self):
        """Every participant as (name, email, institution, regency, cohort, percent, status, last
        activity), by name, streamed for exports without building objects."""
        c = self._columns()
        stmt = self._from(select(User.full_name, User.email, func.coalesce(User.institution, ""),
                                 User.regency_code, User.regency, Enrolment.cohort_id, c["percent"], c["status"],
                                 c["last"])).order_by(User.full_name, User.id, Enrolment.cohort_id)
        names = self.cohort_names
        for name, email, institution, code, regency, cohort_id, percent, status, last in \
                db.session.execute(stmt.execution_options(yield_per=2000)):
            yield name, email, institution, regency_label(code, regency), names[cohort_id], percent, status, last

    @property
    def participants(self) -> list[ParticipantStatus]:
        """Every participant, by name (the API and the CLI)."""
        if self._participants is None:
            stmt = self._people().order_by(User.full_name, User.id, Enrolment.cohort_id)
            self._participants = [self._status(row) for row in db.session.execute(stmt)]
        return self._participants

    def gain(self):
        """Pre-/post-test knowledge gain over the participants who took both, from the per-quiz
        cache: the same numbers as lms.quizzes.stats.knowledge_gain (first pre-test attempt; the
        post-test attempt that counts), in one query whatever the cohort's size."""
        quizzes = self._gain_quizzes()
        if quizzes is None:
            return None
        if not quizzes:
            return GainSummary([], None, None, None, 0)
        rows = self._gain_rows(*quizzes)
        return _gain_summary(*rows[0][1:]) if rows else GainSummary([], None, None, None, 0)

    def gain_by(self, key: str) -> dict[str, object]:
        """The same knowledge gain per regency/city code ("" when not on the list) or per
        institution: {group: GainSummary}, groups where someone took both tests only."""
        quizzes = self._gain_quizzes()
        if not quizzes:
            return {}
        column = func.coalesce(User.regency_code if key == "regency" else User.institution, "")
        return {label or "": _gain_summary(pre, post, paired)
                for label, pre, post, paired in self._gain_rows(*quizzes, group=column)}

    def _gain_quizzes(self):
        """(pre-test, post-test); [] when one of them is missing; None when the course has neither."""
        by_kind = {q.kind: q for q in self.quizzes if q.archived_at is None and q.kind in ("pretest", "posttest")}
        pre_quiz, post_quiz = by_kind.get("pretest"), by_kind.get("posttest")
        if pre_quiz is None and post_quiz is None:
            return None
        if pre_quiz is None or post_quiz is None:
            return []
        return pre_quiz, post_quiz

    def _gain_rows(self, pre_quiz, post_quiz, group=None) -> list[tuple]:
        """(group or None, mean pre, mean post, paired) over the trainees who took both tests."""
        pre, post = aliased(QuizResult), aliased(QuizResult)
        post_percent = post.last_percent if post_quiz.grading == "last" else post.best_percent
        people = (select(Enrolment.user_id).join(User, User.id == Enrolment.user_id)
                  .where(Enrolment.cohort_id.in_(self.cohort_ids), User.role == Role.TRAINEE.value))
        label = group if group is not None else literal(None)
        stmt = (select(label, func.avg(pre.first_percent), func.avg(post_percent), func.count())
                .select_from(pre)
                .join(post, and_(post.user_id == pre.user_id, post.quiz_id == post_quiz.id))
                .where(pre.quiz_id == pre_quiz.id, pre.user_id.in_(people),
                       pre.first_percent.is_not(None), post_percent.is_not(None)))
        if group is not None:
            stmt = stmt.join(User, User.id == pre.user_id).group_by(group)
        return [tuple(row) for row in db.session.execute(stmt) if row[3]]

    def user_ids(self) -> list[int]:
        return list(db.session.scalars(self._from(select(User.id))))


def _gain_summary(mean_pre, mean_post, paired):
    """GainSummary of the means over the paired trainees (knowledge_gain's rounding and formula)."""
    if not paired:
        return GainSummary([], None, None, None, 0)
    mean_pre, mean_post = round(float(mean_pre), 1), round(float(mean_post), 1)
    gain = round((mean_post - mean_pre) / (100 - mean_pre), 3) if mean_pre < 100 else None
    return GainSummary([], mean_pre, mean_post, gain, int(paired))


def cohort_report(cohorts: list[Cohort], *, with_details: bool = True) -> Report:
    """Completion of the given cohorts (all of one course). Aggregates are queried when first used
    (with_details is kept for callers; module rates and quiz means cost nothing unless read)."""
    course = db.session.get(Course, cohorts[0].course_id)
    lessons = [tuple(row) for row in db.session.execute(
        select(Lesson.id, Lesson.module_id).where(Lesson.course_id == course.id, counted_lessons()))]
    quizzes = list(db.session.scalars(select(Quiz).where(Quiz.course_id == course.id)))
    return Report(course, cohorts, lessons, quizzes)


def module_rates(report: Report) -> list[ModuleRate]:
    """Share of the module's required lessons done over participants (as many as the funnel
    enrolled) and share of participants who passed its quiz."""
    participants = report.enrolled
    module_ids = select(Module.id).where(Module.course_id == report.course.id).scalar_subquery()
    done_by_module = dict(db.session.execute(
        select(ModuleProgress.module_id, func.sum(ModuleProgress.lessons_done))
        .join(Enrolment, Enrolment.user_id == ModuleProgress.user_id)
        .where(Enrolment.cohort_id.in_(report.cohort_ids), ModuleProgress.module_id.in_(module_ids))
        .group_by(ModuleProgress.module_id)).all())
    results = report._quiz_results()
    per_module: dict[int, int] = defaultdict(int)
    for _, module_id in report.lessons:
        per_module[module_id] += 1
    quiz_of = {q.module_id: q for q in report.required_quizzes if q.module_id}
    rates = []
    for module in db.session.scalars(select(Module).where(Module.course_id == report.course.id,
                                                          Module.archived_at.is_(None)).order_by(Module.position)):
        count = per_module.get(module.id, 0)
        possible = count * participants
        quiz = quiz_of.get(module.id)
        passed = results.get(quiz.id, (None, 0, 0))[2] if quiz else 0
        rates.append(ModuleRate(
            module.title, count, round(100 * int(done_by_module.get(module.id) or 0) / possible, 1) if possible else 0.0,
            quiz.title if quiz else None,
            round(100 * passed / participants, 1) if quiz and participants else None))
    return rates


def filter_participants(rows: list[ParticipantStatus], *, status: str = "", regency: str = "",
                        inactive_days: int | None = None, query: str = "", sort: str = "name"
                        ) -> list[ParticipantStatus]:
    now = utcnow()
    if status:
        rows = [r for r in rows if r.status == status]
    if regency == NO_REGENCY:
        rows = [r for r in rows if not r.regency_code]
    elif regency:
        rows = [r for r in rows if r.regency_code == regency]
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
        "regency": lambda r: (r.regency_code or "", r.name.casefold()),
    }
    return sorted(rows, key=keys.get(sort, keys["name"]))
