"""Keep the reports' caches equal to what the records say.

CourseProgress (per trainee and course), ModuleProgress (per trainee and module) and QuizResult
(per trainee and quiz) are recounted from the LessonProgress and Attempt records, in the
transaction that changes them: after a lesson view or completion, an attempt started or graded,
and for a whole course after a content import (which lessons and quizzes count may have changed).
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Integer, and_, bindparam, case, delete, exists, func, insert, literal, select, union, update
from sqlalchemy.orm import aliased

from lms.accounts.models import User
from lms.content.models import Lesson, Module
from lms.extensions import db
from lms.learning.models import CourseProgress, LessonProgress, ModuleProgress
from lms.quizzes.counting import counted_attempt_clause, counted_pass_clause
from lms.quizzes.models import Attempt, Quiz, QuizResult


def required_lessons(course_id: int):
    return select(Lesson.id).where(Lesson.course_id == course_id, Lesson.required.is_(True),
                                   Lesson.archived_at.is_(None))


def _aggregate(course_id: int, user_id: int | None = None):
    """Per trainee: required lessons done and last lesson activity."""
    required = required_lessons(course_id).scalar_subquery()
    stmt = (
        select(LessonProgress.user_id.label("user_id"),
               func.count(case((and_(LessonProgress.completed_at.is_not(None),
                                     LessonProgress.lesson_id.in_(required)), 1))).label("done"),
               func.max(LessonProgress.last_viewed_at).label("last"))
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(Lesson.course_id == course_id)
        .group_by(LessonProgress.user_id)
    )
    return stmt if user_id is None else stmt.where(LessonProgress.user_id == user_id)


def _quiz_aggregate(course_id: int, user_id: int | None = None):
    """Per trainee: counting quizzes passed (by the attempt that counts) and the last attempt started."""
    stmt = (
        select(Attempt.user_id.label("user_id"),
               func.count(func.distinct(case((and_(counted_pass_clause(), Quiz.counts_toward_completion),
                                              Attempt.quiz_id)))).label("passed"),
               func.max(Attempt.started_at).label("last"))
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(Quiz.course_id == course_id)
        .group_by(Attempt.user_id)
    )
    return stmt if user_id is None else stmt.where(Attempt.user_id == user_id)


def _progress_rows(course_id: int, user_id: int | None = None):
    """(user_id, lessons_done, last_activity_at, quizzes_passed, quiz_activity_at) per trainee with any record."""
    lessons = _aggregate(course_id, user_id).subquery()
    quizzes = _quiz_aggregate(course_id, user_id).subquery()
    users = union(select(lessons.c.user_id), select(quizzes.c.user_id)).subquery()
    return (select(users.c.user_id, func.coalesce(lessons.c.done, 0), lessons.c.last,
                   func.coalesce(quizzes.c.passed, 0), quizzes.c.last)
            .select_from(users)
            .outerjoin(lessons, lessons.c.user_id == users.c.user_id)
            .outerjoin(quizzes, quizzes.c.user_id == users.c.user_id))


def _module_rows(course_id: int, user_id: int | None = None):
    """(user_id, module_id, required lessons done) per trainee and module with any done."""
    stmt = (select(LessonProgress.user_id, Lesson.module_id, func.count())
            .join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .where(Lesson.course_id == course_id, Lesson.required.is_(True), Lesson.archived_at.is_(None),
                   LessonProgress.completed_at.is_not(None))
            .group_by(LessonProgress.user_id, Lesson.module_id))
    return stmt if user_id is None else stmt.where(LessonProgress.user_id == user_id)


def _quiz_result_rows(*, course_id: int | None = None, quiz_id: int | None = None, user_id: int | None = None):
    """(user_id, quiz_id, best, first, last percent, passed) per trainee and quiz with a graded attempt."""
    stmt = (select(Attempt.user_id.label("user_id"), Attempt.quiz_id.label("quiz_id"),
                   func.max(Attempt.percent).label("best"),
                   func.min(Attempt.number).label("first_n"), func.max(Attempt.number).label("last_n"))
            .where(Attempt.state == "graded")
            .group_by(Attempt.user_id, Attempt.quiz_id))
    if course_id is not None:
        stmt = stmt.where(Attempt.quiz_id.in_(select(Quiz.id).where(Quiz.course_id == course_id).scalar_subquery()))
    if quiz_id is not None:
        stmt = stmt.where(Attempt.quiz_id == quiz_id)
    if user_id is not None:
        stmt = stmt.where(Attempt.user_id == user_id)
    best = stmt.subquery()
    first, last = aliased(Attempt), aliased(Attempt)
    # Passed by the attempt that counts (lms.quizzes.counting).
    counted = aliased(Attempt)
    passed = exists().where(counted.user_id == best.c.user_id, counted.quiz_id == best.c.quiz_id,
                            counted_pass_clause(counted, Quiz))
    return (select(best.c.user_id, best.c.quiz_id, best.c.best, first.percent, last.percent, passed)
            .join(Quiz, Quiz.id == best.c.quiz_id)
            .join(first, and_(first.quiz_id == best.c.quiz_id, first.user_id == best.c.user_id,
                              first.number == best.c.first_n))
            .join(last, and_(last.quiz_id == best.c.quiz_id, last.user_id == best.c.user_id,
                             last.number == best.c.last_n)))


QUIZ_RESULT_COLUMNS = ["user_id", "quiz_id", "best_percent", "first_percent", "last_percent", "passed"]


def _lock(user_id: int) -> None:
    # Recounts of one trainee replace her rows: serialize them (PostgreSQL; on SQLite a writing
    # request already holds the database write lock).
    if db.session.get_bind().dialect.name != "sqlite":
        db.session.execute(select(User.id).where(User.id == user_id).with_for_update())


PROGRESS_COLUMNS = ["user_id", "course_id", "lessons_done", "last_activity_at", "quizzes_passed", "quiz_activity_at"]


@cache
def _user_statements(dialect: str) -> dict:
    """refresh_user's statements, built once per process (values bound per call: for_user,
    for_course): her course row written from her records (an upsert; "clear" deletes it when she
    has none), her module rows deleted and counted again."""
    user_id, course_id = bindparam("for_user", type_=Integer), bindparam("for_course", type_=Integer)
    rows = _progress_rows(course_id, user_id).subquery()
    counted = select(rows.c[0], course_id, rows.c[1], rows.c[2], rows.c[3], rows.c[4])
    course_modules = select(Module.id).where(Module.course_id == course_id).scalar_subquery()
    statements = {
        "clear": delete(CourseProgress).where(CourseProgress.user_id == user_id, CourseProgress.course_id == course_id),
        "modules_clear": delete(ModuleProgress).where(ModuleProgress.user_id == user_id,
                                                      ModuleProgress.module_id.in_(course_modules)),
        "modules_fill": insert(ModuleProgress).from_select(["user_id", "module_id", "lessons_done"],
                                                           _module_rows(course_id, user_id)),
    }
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as upsert

        counted = counted.where(literal(True))  # SQLite would read ON CONFLICT as the last join's ON otherwise
    else:
        statements["counted"] = counted
        return statements
    stmt = upsert(CourseProgress).from_select(PROGRESS_COLUMNS, counted)
    statements["upsert"] = stmt.on_conflict_do_update(
        index_elements=["user_id", "course_id"], set_={n: getattr(stmt.excluded, n) for n in PROGRESS_COLUMNS[2:]})
    return statements


def _refresh_progress(user_id: int, course_id: int) -> None:
    """Her course row written from her records (deleted when she has none), in Core statements
    built once per process (no CourseProgress object is ever loaded)."""
    db.session.flush()  # Core statements below: the session's changes first
    statements = _user_statements(db.session.get_bind().dialect.name)
    values = {"for_user": user_id, "for_course": course_id}
    connection = db.session.connection()
    if "upsert" in statements:
        found = connection.execute(statements["upsert"], values).rowcount
    else:
        row = connection.execute(statements["counted"], values).first()
        found = row is not None
        if found:
            changed = connection.execute(update(CourseProgress).where(
                CourseProgress.user_id == user_id, CourseProgress.course_id == course_id).values(
                dict(zip(PROGRESS_COLUMNS[2:], row[2:])))).rowcount
            if not changed:
                connection.execute(insert(CourseProgress).values(dict(zip(PROGRESS_COLUMNS, row))))
    if not found:
        connection.execute(statements["clear"], values)


def refresh_user(user_id: int, course_id: int) -> None:
    """Recount one trainee's rows of the course from her records (after a lesson completion)."""
    _lock(user_id)
    _refresh_progress(user_id, course_id)
    statements = _user_statements(db.session.get_bind().dialect.name)
    values = {"for_user": user_id, "for_course": course_id}
    connection = db.session.connection()  # Core execution: the values are parameters
    connection.execute(statements["modules_clear"], values)
    connection.execute(statements["modules_fill"], values)


@cache
def _refresh_quiz_statements(dialect: str) -> tuple:
    """refresh_quiz's statements in order, built once per process (values bound per call:
    for_user, for_quiz, for_course); the last one updates the trainee's CourseProgress row."""
    # (Not named after columns: an UPDATE reserves those names for its SET values.)
    user_id, quiz_id, course_id = bindparam("for_user"), bindparam("for_quiz"), bindparam("for_course")
    rows = _quiz_result_rows(quiz_id=quiz_id, user_id=user_id)
    # Grading changes only the quizzes passed (the attempt's start is already counted).
    passed = (select(func.count(func.distinct(Attempt.quiz_id)))
              .select_from(Attempt).join(Quiz, Quiz.id == Attempt.quiz_id)
              .where(Attempt.user_id == user_id, Quiz.course_id == course_id, Quiz.counts_toward_completion,
                     counted_pass_clause())
              .scalar_subquery())
    progress = (update(CourseProgress)
                .where(CourseProgress.user_id == user_id, CourseProgress.course_id == course_id)
                .values(quizzes_passed=passed).execution_options(synchronize_session=False))
    # A graded attempt stays graded: the result row only ever appears or changes (an upsert).
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert

        stmt = upsert(QuizResult).from_select(QUIZ_RESULT_COLUMNS, rows)
        stmt = stmt.on_conflict_do_update(index_elements=["user_id", "quiz_id"],
                                          set_={n: getattr(stmt.excluded, n) for n in QUIZ_RESULT_COLUMNS[2:]})
        # One statement for both (a data-modifying WITH), taken after the lock.
        return (progress.add_cte(stmt.returning(QuizResult.quiz_id).cte("result")),)
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as upsert

        # WHERE true: SQLite would read ON CONFLICT as the last join's ON otherwise.
        stmt = upsert(QuizResult).from_select(QUIZ_RESULT_COLUMNS, rows.where(literal(True)))
        return (stmt.on_conflict_do_update(index_elements=["user_id", "quiz_id"],
                                           set_={n: getattr(stmt.excluded, n) for n in QUIZ_RESULT_COLUMNS[2:]}),
                progress)
    return (delete(QuizResult).where(QuizResult.user_id == user_id, QuizResult.quiz_id == quiz_id),
            insert(QuizResult).from_select(QUIZ_RESULT_COLUMNS, rows), progress)


def refresh_quiz(user_id: int, quiz_id: int, course_id: int | None = None, locked: bool = False) -> None:
    """Recount one trainee's result of a quiz and her quizzes passed (after an attempt is graded).

    Two statements on the submit path: on PostgreSQL the trainee's row locked (and loaded, for the
    certificate check that follows; `locked`: the caller did that already) and one
    upsert-and-update; on SQLite (the request holds the database write lock) the upsert and the
    update."""
    dialect = db.session.get_bind().dialect.name
    if dialect != "sqlite" and not locked:  # SQLite: the request holds the write lock
        db.session.execute(select(User).where(User.id == user_id).with_for_update()
                           .execution_options(populate_existing=True))
    if course_id is None:
        course_id = db.session.scalar(select(Quiz.course_id).where(Quiz.id == quiz_id))
    values = {"for_user": user_id, "for_quiz": quiz_id, "for_course": course_id}
    connection = db.session.connection()  # Core execution: the values are parameters, not rows to insert
    for statement in _refresh_quiz_statements(dialect):
        changed = connection.execute(statement, values).rowcount
    if not changed:
        _refresh_progress(user_id, course_id)


@cache
def _graded_statements(dialect: str) -> tuple:
    """record_graded's statements, built once per process (values bound per call: for_user, for_quiz,
    for_course, for_attempt and the attempt's for_number, for_percent, for_passed): her result row
    of the quiz updated by the one attempt, then her quizzes passed counted from her result rows."""
    user_id, quiz_id, course_id = bindparam("for_user"), bindparam("for_quiz"), bindparam("for_course")
    number, percent, passed = bindparam("for_number"), bindparam("for_percent"), bindparam("for_passed")
    other, new = aliased(Attempt), aliased(Attempt)

    def graded_other(condition):
        return exists().where(other.user_id == user_id, other.quiz_id == quiz_id, other.state == "graded",
                              condition)

    # The new attempt is the one that counts now (lms.quizzes.counting's rule, asked of it alone):
    # otherwise the one that counted before still does, and so does its pass.
    counts = (select(new.id).join(Quiz, Quiz.id == new.quiz_id)
              .where(new.id == bindparam("for_attempt"), counted_attempt_clause(new, Quiz)).exists())
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    # Her first graded attempt at the quiz makes the row (a row exists only while one does);
    # after that the row changes where this attempt beats what it says.
    result = upsert(QuizResult).values(user_id=user_id, quiz_id=quiz_id, best_percent=percent,
                                       first_percent=percent, last_percent=percent, passed=passed)
    result = result.on_conflict_do_update(index_elements=["user_id", "quiz_id"], set_={
        "best_percent": case((QuizResult.best_percent.is_(None) | (QuizResult.best_percent < percent), percent),
                             else_=QuizResult.best_percent),
        "first_percent": case((~graded_other(other.number < number), percent), else_=QuizResult.first_percent),
        "last_percent": case((~graded_other(other.number > number), percent), else_=QuizResult.last_percent),
        "passed": case((counts, passed), else_=QuizResult.passed)})
    mine = aliased(QuizResult)
    others_passed = (select(func.count()).select_from(mine).join(Quiz, Quiz.id == mine.quiz_id)
                     .where(mine.user_id == user_id, Quiz.course_id == course_id, Quiz.counts_toward_completion,
                            mine.passed.is_(True), mine.quiz_id != quiz_id)
                     .scalar_subquery())
    progress = update(CourseProgress).where(CourseProgress.user_id == user_id, CourseProgress.course_id == course_id)
    if dialect == "postgresql":
        # One statement (a data-modifying WITH): the main UPDATE sees the result rows as they were
        # before it, so the quiz's own pass comes from the WITH's RETURNING.
        changed = result.returning(QuizResult.quiz_id, QuizResult.passed).cte("result")
        this_passed = (select(func.count()).select_from(changed).join(Quiz, Quiz.id == changed.c.quiz_id)
                       .where(changed.c.passed.is_(True), Quiz.counts_toward_completion).scalar_subquery())
        return (progress.add_cte(changed).values(quizzes_passed=others_passed + this_passed)
                .execution_options(synchronize_session=False),)
    this_passed = (select(func.count()).select_from(mine).join(Quiz, Quiz.id == mine.quiz_id)
                   .where(mine.user_id == user_id, mine.quiz_id == quiz_id, mine.passed.is_(True),
                          Quiz.counts_toward_completion)
                   .scalar_subquery())
    return (result, progress.values(quizzes_passed=others_passed + this_passed)
            .execution_options(synchronize_session=False))


def record_graded(user_id: int, quiz_id: int, course_id: int, attempt, locked: bool = False) -> None:
    """An attempt was just graded for the first time (on submit): her result of the quiz and her
    quizzes passed follow from that one attempt and the rows as they were, whatever the number of
    her other attempts (refresh_quiz recounts them all: the same numbers, after a change of a grade
    that was given before). Without a progress row yet, it is made from her records.

    One statement on PostgreSQL (after the trainee's row lock, taken here unless `locked`), two on
    SQLite (the request holds the database write lock)."""
    dialect = db.session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        refresh_quiz(user_id, quiz_id, course_id, locked=locked)
        return
    if dialect != "sqlite" and not locked:
        db.session.execute(select(User).where(User.id == user_id).with_for_update()
                           .execution_options(populate_existing=True))
        locked = True
    values = {"for_user": user_id, "for_quiz": quiz_id, "for_course": course_id, "for_attempt": attempt.id,
              "for_number": attempt.number, "for_percent": attempt.percent, "for_passed": bool(attempt.passed)}
    connection = db.session.connection()  # Core execution: the values are parameters
    for statement in _graded_statements(dialect):
        changed = connection.execute(statement, values).rowcount
    if not changed:  # no progress row: made from her records
        _refresh_progress(user_id, course_id)


def touch_user(user_id: int, course_id: int, when) -> None:
    """A lesson was opened: only the last activity changes (one UPDATE on the hot path)."""
    changed = db.session.execute(
        update(CourseProgress).where(CourseProgress.user_id == user_id, CourseProgress.course_id == course_id)
        .values(last_activity_at=when).execution_options(synchronize_session=False)).rowcount
    if not changed:
        refresh_user(user_id, course_id)


def touch_quiz(user_id: int, course_id: int, when) -> None:
    """An attempt was started: only the last quiz activity changes."""
    changed = db.session.execute(
        update(CourseProgress).where(CourseProgress.user_id == user_id, CourseProgress.course_id == course_id)
        .values(quiz_activity_at=when).execution_options(synchronize_session=False)).rowcount
    if not changed:
        _lock(user_id)
        _refresh_progress(user_id, course_id)


def refresh_course(course_id: int) -> None:
    """Recount every trainee of the course (after an import changed which lessons or quizzes count)."""
    db.session.execute(delete(CourseProgress).where(CourseProgress.course_id == course_id))
    progress = _progress_rows(course_id).subquery()
    db.session.execute(insert(CourseProgress).from_select(
        ["user_id", "course_id", "lessons_done", "last_activity_at", "quizzes_passed", "quiz_activity_at"],
        select(progress.c[0], literal(course_id), progress.c[1], progress.c[2], progress.c[3], progress.c[4])))
    course_modules = select(Module.id).where(Module.course_id == course_id).scalar_subquery()
    db.session.execute(delete(ModuleProgress).where(ModuleProgress.module_id.in_(course_modules)))
    db.session.execute(insert(ModuleProgress).from_select(["user_id", "module_id", "lessons_done"],
                                                          _module_rows(course_id)))
    course_quizzes = select(Quiz.id).where(Quiz.course_id == course_id).scalar_subquery()
    db.session.execute(delete(QuizResult).where(QuizResult.quiz_id.in_(course_quizzes)))
    db.session.execute(insert(QuizResult).from_select(QUIZ_RESULT_COLUMNS, _quiz_result_rows(course_id=course_id)))
    db.session.flush()
