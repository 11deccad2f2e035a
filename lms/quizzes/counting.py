"""One rule for each fact of counting quizzes. Progress, the reports' rollup, certificates and
regrading all ask here, so that they cannot disagree:

- passes(percent, pass_mark): whether a score passes (Python floats or SQL columns alike);
- Quiz.counts_toward_completion (lms.quizzes.models): the quizzes that count;
- counted_attempt_clause(): the attempt that counts (SQL; the Python readers below query it).
"""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from lms.extensions import db
from lms.quizzes.models import Attempt, Quiz

# A score this close below the pass mark passes (float rounding of percentages).
PASS_EPSILON = 1e-9


def passes(percent, pass_mark):
    """The pass rule: percent reaches the pass mark. Works on numbers and on SQL expressions."""
    return percent + PASS_EPSILON >= pass_mark


def counting_quizzes(course_id):
    """SQL: the ids of the course's quizzes that count toward completion (course_id may be a column)."""
    return select(Quiz.id).where(Quiz.course_id == course_id, Quiz.counts_toward_completion)


def counted_attempt_clause(attempt=Attempt, quiz=Quiz):
    """SQL, over an attempt joined with its quiz: this is the graded attempt that counts. No other
    graded attempt of the same trainee at the quiz beats it: for a quiz graded 'last' a later one;
    else one with a higher percent, or the same percent and a lower number (the first best)."""
    other = aliased(Attempt)

    def percent(a):
        return func.coalesce(a.percent, 0.0)

    beaten = exists().where(
        other.user_id == attempt.user_id, other.quiz_id == attempt.quiz_id, other.state == "graded",
        or_(and_(quiz.grading == "last", other.number > attempt.number),
            and_(quiz.grading != "last", or_(percent(other) > percent(attempt),
                                             and_(percent(other) == percent(attempt),
                                                  other.number < attempt.number))))
    ).correlate_except(other)  # the attempt and its quiz come from the enclosing query, at any depth
    return and_(attempt.state == "graded", ~beaten)


def counted_pass_clause(attempt=Attempt, quiz=Quiz):
    """SQL: the attempt that counts, and it passed."""
    return and_(counted_attempt_clause(attempt, quiz), attempt.passed.is_(True))


def counted_attempts(user_ids: Iterable[int], quiz_ids: Iterable[int]) -> dict[tuple[int, int], Attempt]:
    """The attempt that counts per (user id, quiz id), for the trainees and quizzes given."""
    users, quizzes = list(user_ids), list(quiz_ids)
    if not users or not quizzes:
        return {}
    rows = db.session.scalars(
        select(Attempt).join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(Attempt.user_id.in_(users), Attempt.quiz_id.in_(quizzes), counted_attempt_clause()))
    return {(a.user_id, a.quiz_id): a for a in rows}


def counted_attempt_of(user_id: int, quiz: Quiz | None) -> Attempt | None:
    """The trainee's attempt that counts at the quiz, or None."""
    if quiz is None:
        return None
    return counted_attempts([user_id], [quiz.id]).get((user_id, quiz.id))


def counted_passes(user_id: int, quiz_ids: Iterable[int]) -> set[int]:
    """Of the quizzes given, those the trainee passed by the attempt that counts."""
    ids = list(quiz_ids)
    if not ids:
        return set()
    return set(db.session.scalars(
        select(Attempt.quiz_id).join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(Attempt.user_id == user_id, Attempt.quiz_id.in_(ids), counted_pass_clause())))


def counted_passes_clause(user_id, course_id):
    """SQL: how many of the course's counting quizzes the trainee passed by the attempt that counts
    (both arguments may be columns or bound parameters)."""
    mine = aliased(Attempt)
    return (select(func.count()).select_from(mine).join(Quiz, Quiz.id == mine.quiz_id)
            .where(mine.user_id == user_id, Quiz.course_id == course_id, Quiz.counts_toward_completion,
                   counted_pass_clause(mine, Quiz))
            .scalar_subquery())


def apply_pass_mark(quiz: Quiz) -> list[Attempt]:
    """After the quiz's pass mark changed: every graded attempt passes or not by the new mark.
    Returns the attempts whose pass changed; the caller recounts the caches (lms.learning.rollup)
    and announces the changes (grade_changed), so certificates follow."""
    changing = select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.state == "graded",
                                     Attempt.percent.is_not(None),
                                     Attempt.passed.is_distinct_from(passes(Attempt.percent, quiz.pass_mark)))
    changed = list(db.session.scalars(changing))
    for attempt in changed:
        attempt.passed = passes(attempt.percent, quiz.pass_mark)
    db.session.flush()
    return changed
