"""Progress derived from per-lesson records: nothing here is a stored counter."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Iterable

from sqlalchemy import and_, bindparam, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from lms.accounts.models import User
from lms.auth import enrolled_clause
from lms.cohorts.models import Cohort, Enrolment
from lms.content.models import Course, Lesson, Module
from lms.extensions import db
from lms.learning.models import CourseProgress, LessonProgress
from lms.learning.rollup import refresh_user, touch_user
from lms.learning.signals import lesson_completed, reactions
from lms.quizzes.attempts import quiz_statuses
from lms.quizzes.counting import counted_passes, counted_passes_clause
from lms.quizzes.models import Quiz
from lms.util import utcnow


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        """Whole percent of required lessons done, rounded down (100 only when all are)."""
        return (100 * self.done) // self.total if self.total else 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done >= self.total


def lesson_counts(user: User, course_ids: list[int]) -> dict[int, Progress]:
    """Required lessons done / required lessons, per course, in one query."""
    if not course_ids:
        return {}
    stmt = (
        select(Lesson.course_id, func.count(Lesson.id), func.count(LessonProgress.completed_at))
        .outerjoin(LessonProgress, and_(LessonProgress.lesson_id == Lesson.id,
                                        LessonProgress.user_id == user.id))
        .where(Lesson.course_id.in_(course_ids), Lesson.required.is_(True), Lesson.archived_at.is_(None))
        .group_by(Lesson.course_id)
    )
    found = {course_id: Progress(done, total) for course_id, total, done in db.session.execute(stmt)}
    return {course_id: found.get(course_id, Progress(0, 0)) for course_id in course_ids}


def quiz_counts(user: User, course_ids: list[int]) -> dict[int, Progress]:
    """Quizzes that count passed / quizzes that count, per course (lms.quizzes.counting's rules).

    Two light queries: the counting quizzes, and which of them I passed by the attempt that counts."""
    if not course_ids:
        return {}
    quizzes = db.session.execute(select(Quiz.id, Quiz.course_id).where(
        Quiz.course_id.in_(course_ids), Quiz.counts_toward_completion)).all()
    passed = counted_passes(user.id, [quiz_id for quiz_id, _ in quizzes])
    counts = {course_id: [0, 0] for course_id in course_ids}
    for quiz_id, course_id in quizzes:
        counts[course_id][1] += 1
        counts[course_id][0] += quiz_id in passed
    return {course_id: Progress(done, total) for course_id, (done, total) in counts.items()}


def progress_by_course(user: User, course_ids: Iterable[int]) -> dict[int, Progress]:
    """Progress per course: required lessons done plus required quizzes passed, over both."""
    ids = list(course_ids)
    lessons = lesson_counts(user, ids)
    quizzes = quiz_counts(user, ids)
    return {i: Progress(lessons[i].done + quizzes[i].done, lessons[i].total + quizzes[i].total) for i in ids}


def course_progress(user: User, course: Course) -> Progress:
    return my_course(user, course).progress


@dataclass(frozen=True)
class LessonRef:
    id: int
    slug: str
    title: str


@dataclass(frozen=True)
class CourseShape:
    """What the hot pages need of a course's content: the same for every trainee, and unchanged
    until the content is imported or published again (which moves course.updated_at)."""

    reading_order: tuple[LessonRef, ...]
    required_lessons: int
    quizzes: tuple[tuple[int, str], ...]  # the quizzes that count: (id, grading)


@dataclass(frozen=True)
class CourseContent:
    """A course's active modules and lessons (without their text), as detached rows shared by
    every request of the process: read their columns only (no relationships, no lesson text)."""

    modules: tuple[Module, ...]
    lessons: dict[int, tuple[Lesson, ...]]  # module id -> its active lessons, in order
    shape: CourseShape


_contents: dict[int, tuple[datetime, CourseContent]] = {}
_contents_lock = threading.Lock()


def course_content(course: Course) -> CourseContent:
    """The course's outline and shape, kept per process and checked against course.updated_at on
    every use (the course row is read by every page anyway; an import or publish moves it, on
    whichever app server it ran), so no app server serves a stale one."""
    cached = _contents.get(course.id)
    if cached is not None and cached[0] == course.updated_at:
        return cached[1]
    from sqlalchemy.orm import Session

    # A session of its own on the request's connection (so it sees the same transaction): the
    # rows it loads are detached when it closes, never expired or refreshed by a request's commit.
    with Session(bind=db.session.connection()) as own:
        modules = tuple(own.scalars(select(Module).where(Module.course_id == course.id, Module.archived_at.is_(None))
                                    .order_by(Module.position)))
        lessons = list(own.scalars(select(Lesson).options(*WITHOUT_BODY).where(
            Lesson.course_id == course.id, Lesson.archived_at.is_(None)).order_by(Lesson.position)))
        quizzes = tuple(tuple(row) for row in own.execute(select(Quiz.id, Quiz.grading).where(
            Quiz.course_id == course.id, Quiz.counts_toward_completion).order_by(Quiz.id)))
    by_module: dict[int, list[Lesson]] = {m.id: [] for m in modules}
    for lesson in lessons:
        if lesson.module_id in by_module:
            by_module[lesson.module_id].append(lesson)
    order = tuple(LessonRef(lesson.id, lesson.slug, lesson.title) for lesson in lessons
                  if lesson.module_id in by_module)
    shape = CourseShape(order, sum(1 for lesson in lessons if lesson.required), quizzes)
    content = CourseContent(modules, {m: tuple(items) for m, items in by_module.items()}, shape)
    with _contents_lock:
        if len(_contents) > 500:
            _contents.clear()
        _contents[course.id] = (course.updated_at, content)
    return content


def course_shape(course: Course) -> CourseShape:
    """The course's shape (reading order, required lessons, counting quizzes): see course_content."""
    return course_content(course).shape


@dataclass(frozen=True)
class MyCourse:
    progress: Progress
    last_activity: datetime | None  # my last lesson visit, from the reports' cache


def my_course(user: User, course: Course, shape: CourseShape | None = None,
              cached: tuple[int | None, datetime | None] | None = None, passed: int | None = None) -> MyCourse:
    """My progress in a course in two queries: lessons done from the per-course cache (kept equal
    to my records by lms.learning.rollup; `cached` when the caller read that row already), and the
    counting quizzes I passed by the attempt that counts (lms.quizzes.counting; `passed`: their
    number, when the caller counted them with counted_passes_clause)."""
    shape = shape or course_shape(course)
    if cached is None:
        cached = db.session.execute(select(CourseProgress.lessons_done, CourseProgress.last_activity_at).where(
            CourseProgress.user_id == user.id, CourseProgress.course_id == course.id)).first() or (0, None)
    lessons_done, last = cached[0] or 0, cached[1]
    if passed is None:
        passed = len(counted_passes(user.id, [quiz_id for quiz_id, _ in shape.quizzes]))
    return MyCourse(Progress(lessons_done + passed, shape.required_lessons + len(shape.quizzes)), last)


@dataclass
class LessonItem:
    lesson: Lesson
    status: str  # "done", "started", "not_started"


@dataclass
class ModuleItem:
    module: Module
    lessons: list[LessonItem]
    quizzes: list = None  # QuizStatus of the module's quizzes

    @property
    def done(self) -> int:
        return sum(item.status == "done" for item in self.lessons if item.lesson.required)

    @property
    def required(self) -> int:
        return sum(item.lesson.required for item in self.lessons)

    @property
    def steps_total(self) -> int:
        """Required lessons and required quizzes of the module."""
        return self.required + sum(1 for s in (self.quizzes or []) if s.quiz.counts_toward_completion)

    @property
    def steps_done(self) -> int:
        return self.done + sum(1 for s in (self.quizzes or []) if s.quiz.counts_toward_completion and s.passed)

    @property
    def complete(self) -> bool:
        """Every required lesson done and every required quiz of the module passed."""
        quizzes_ok = all(s.passed for s in (self.quizzes or []) if s.quiz.required)
        return self.done >= self.required and quizzes_ok and bool(self.lessons or self.quizzes)


# Lists of lessons (outlines, reading order) need no lesson text: 10-20 KB a lesson.
WITHOUT_BODY = (defer(Lesson.body_html), defer(Lesson.toc_json))


def course_outline(user: User, course: Course, statuses: dict | None = None) -> list[ModuleItem]:
    """The active modules and lessons of a course, in order, with my status for each: the content
    from the per-process cache (course_content), my records in one query."""
    content = course_content(course)
    records = dict(db.session.execute(
        select(LessonProgress.lesson_id, LessonProgress.completed_at)
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(LessonProgress.user_id == user.id, Lesson.course_id == course.id)).all())

    statuses = quiz_statuses(user, course) if statuses is None else statuses
    quizzes_by_module: dict[int, list] = {m.id: [] for m in content.modules}
    for status in statuses.values():
        if status.quiz.kind == "module" and status.quiz.module_id in quizzes_by_module:
            quizzes_by_module[status.quiz.module_id].append(status)

    def status_of(lesson: Lesson) -> str:
        if lesson.id not in records:
            return "not_started"
        return "done" if records[lesson.id] is not None else "started"

    return [ModuleItem(module, [LessonItem(lesson, status_of(lesson)) for lesson in content.lessons[module.id]],
                       quizzes_by_module[module.id]) for module in content.modules]


def modules_complete(user: User, course: Course, outline: list[ModuleItem] | None = None) -> bool:
    """All required lessons done and all required module quizzes passed: the post-test opens."""
    outline = course_outline(user, course) if outline is None else outline
    return all(item.complete or (not item.lessons and not item.quizzes) for item in outline)


def active_lessons(course: Course) -> list[Lesson]:
    """The course's lessons in reading order."""
    return list(db.session.scalars(
        select(Lesson).options(*WITHOUT_BODY).join(Module, Module.id == Lesson.module_id)
        .where(Lesson.course_id == course.id, Lesson.archived_at.is_(None), Module.archived_at.is_(None))
        .order_by(Lesson.position)
    ))


@cache
def _lesson_page_statement():
    """The statement behind lesson_page, built once per process (values are bound per call)."""
    from sqlalchemy import bindparam

    user_id = bindparam("user_id")
    return (
        select(Course, enrolled_clause(user_id, Course.id), Lesson, Module, LessonProgress,
               CourseProgress.lessons_done, CourseProgress.last_activity_at,
               counted_passes_clause(user_id, Course.id))
        .select_from(Course)
        .outerjoin(Lesson, and_(Lesson.course_id == Course.id, Lesson.slug == bindparam("lesson_slug"),
                                Lesson.archived_at.is_(None)))
        .outerjoin(Module, Module.id == Lesson.module_id)
        .outerjoin(LessonProgress, and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == user_id))
        .outerjoin(CourseProgress, and_(CourseProgress.course_id == Course.id, CourseProgress.user_id == user_id))
        .where(Course.slug == bindparam("course_slug")))


def lesson_page(user: User, course_slug: str, lesson_slug: str):
    """What the lesson page reads, in one query: the course, whether I am enrolled in it, the
    lesson with its module, my record of it, my row of the per-course cache and how many of the
    course's required quizzes I passed. Returns None
    when there is no such course, else (course, enrolled, lesson or None, module, record or None,
    (lessons done, last activity), counting quizzes passed (lms.quizzes.counting)."""
    row = db.session.execute(_lesson_page_statement(), {"user_id": user.id, "course_slug": course_slug,
                                               "lesson_slug": lesson_slug}).first()
    if row is None:
        return None
    course, enrolled, lesson, module, record, done, last, passed = row
    return course, bool(enrolled), lesson, module, record, (done, last), passed


# The lesson I opened last, opened again within this many seconds, is not recorded again: a
# reload stays a read (no write lock on SQLite, no commit to disk on PostgreSQL).
VIEW_RECORD_SECONDS = 60


def view_needs_recording(record: LessonProgress | None, latest: datetime | None,
                         now: datetime | None = None) -> bool:
    """Whether opening the lesson must be written: first visit, another lesson opened since
    (latest: my last visit in the course, so 'continue' points here again), or the last record
    is older than VIEW_RECORD_SECONDS."""
    now = now or utcnow()
    if record is None or record.last_viewed_at is None:
        return True
    if record.last_viewed_at < now - timedelta(seconds=VIEW_RECORD_SECONDS):
        return True
    return latest is None or record.last_viewed_at < latest


def continue_lesson(user: User, course: Course) -> Lesson | None:
    """Where to pick up: the lesson I last opened and have not finished, else the first
    unfinished lesson in order; None when every lesson is done."""
    recent = db.session.scalar(
        select(Lesson).options(*WITHOUT_BODY).join(LessonProgress, LessonProgress.lesson_id == Lesson.id)
        .where(LessonProgress.user_id == user.id, Lesson.course_id == course.id,
               Lesson.archived_at.is_(None), LessonProgress.completed_at.is_(None))
        .order_by(LessonProgress.last_viewed_at.desc()).limit(1)
    )
    if recent is not None:
        return recent
    done = set(db.session.scalars(
        select(LessonProgress.lesson_id).join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(LessonProgress.user_id == user.id, Lesson.course_id == course.id,
               LessonProgress.completed_at.is_not(None))
    ))
    for lesson in active_lessons(course):
        if lesson.id not in done:
            return lesson
    return None


def _record(user: User, lesson: Lesson) -> LessonProgress:
    """My progress record for the lesson, created if missing (safe under concurrent requests)."""
    stmt = select(LessonProgress).where(LessonProgress.user_id == user.id,
                                        LessonProgress.lesson_id == lesson.id)
    record = db.session.scalar(stmt)
    if record is not None:
        return record
    try:
        with db.session.begin_nested():
            record = LessonProgress(user_id=user.id, lesson_id=lesson.id)
            db.session.add(record)
    except IntegrityError:  # another request created it first
        record = db.session.scalar(stmt)
        assert record is not None
    return record


def _upsert(dialect: str):
    """The dialect's INSERT ... ON CONFLICT, or None where the database has none."""
    return {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)


@cache
def _record_statement(dialect: str, completion: bool, done: bool = False):
    """Her record of the lesson made, or changed, in one statement, built once per process (values
    bound per call: for_user, for_lesson, now): a view moves its last view time; a completion
    (`completion`) marks it done keeping the first completion time, or not done (`done` False).
    None where the database has no upsert."""
    upsert = _upsert(dialect)
    if upsert is None:
        return None
    now = bindparam("now", type_=LessonProgress.__table__.c.last_viewed_at.type)
    stmt = upsert(LessonProgress).values(user_id=bindparam("for_user"), lesson_id=bindparam("for_lesson"),
                                         first_viewed_at=now, last_viewed_at=now)
    if not completion:
        return stmt.on_conflict_do_update(index_elements=["user_id", "lesson_id"],
                                          set_={"last_viewed_at": stmt.excluded.last_viewed_at})
    stmt = stmt.values(completed_at=now if done else None)
    completed = func.coalesce(LessonProgress.completed_at, stmt.excluded.completed_at) if done else None
    return stmt.on_conflict_do_update(index_elements=["user_id", "lesson_id"], set_={"completed_at": completed})


def record_view(user: User, lesson: Lesson) -> None:
    """Note that the user opened the lesson now."""
    now = utcnow()
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        # Losing the newest view time in a crash is harmless: do not wait for the disk.
        db.session.execute(text("SET LOCAL synchronous_commit = off"))
    statement = _record_statement(dialect, completion=False)
    if statement is None:
        record = _record(user, lesson)
        if record.last_viewed_at != now:
            record.last_viewed_at = now
        db.session.flush()
    else:
        db.session.execute(statement, {"for_user": user.id, "for_lesson": lesson.id, "now": now})
    touch_user(user.id, lesson.course_id, now)


def set_completed(user: User, lesson: Lesson, done: bool) -> None:
    """Mark the lesson done (keeping the first completion time) or not done."""
    now = utcnow()
    statement = _record_statement(db.session.get_bind().dialect.name, completion=True, done=done)
    if statement is None:
        record = _record(user, lesson)
        if done and record.completed_at is None:
            record.completed_at = now
        elif not done:
            record.completed_at = None
        db.session.flush()
    else:
        db.session.execute(statement, {"for_user": user.id, "for_lesson": lesson.id, "now": now})
    refresh_user(user.id, lesson.course_id)


def mark_lesson(user: User, course: Course, lesson: Lesson, done: bool) -> list:
    """The trainee marks the lesson done (or not done again); a completion is announced
    (lesson_completed) so the packages that follow react in her transaction. Returns what they
    returned: the certificates issued, when the lesson completed the course."""
    set_completed(user, lesson, done)
    return reactions(lesson_completed.send(lesson, user=user, course=course)) if done else []

def enrolled_courses(user: User) -> list[tuple[Cohort, Course]]:
    """My cohorts and their courses, newest enrolment first."""
    rows = db.session.execute(
        select(Cohort, Course).join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .join(Course, Course.id == Cohort.course_id)
        .where(Enrolment.user_id == user.id).order_by(Enrolment.enrolled_at.desc())
    )
    return [(cohort, course) for cohort, course in rows]
