"""Review options, as Moodle users know them: what a trainee may see of her finished attempt.

A quiz has two settings (Quiz.review_attempt, Quiz.review_final), each one of three levels:

- "score": her score only;
- "wrong": which questions she got right or wrong, with her own answers, but neither the correct
  answers nor any feedback (answer-specific or general: both give the key away);
- "answers": the correct answers and every feedback.

review_attempt applies while she may still try again; review_final once she passed or has no
attempt left (nothing open, nothing waiting for a grade). By default a module quiz and the
post-test show which were wrong after each attempt and the correct answers at the end, and the
pre-test (which shares its questions with the post-test) the score only. Staff who review the
attempt see everything. The result page sends nothing beyond the level: a hidden answer is not
in the HTML.
"""

from __future__ import annotations

from lms.content.models import Module
from lms.extensions import db
from lms.quizzes.models import Answer, Attempt, Question, Quiz

LEVELS = ("score", "wrong", "answers")


def review_level(quiz: Quiz, attempt: Attempt, status) -> str:
    """The level the trainee may see for this finished attempt (status: her QuizStatus at the quiz)."""
    if attempt.state not in ("graded", "submitted"):
        return "score"
    level = quiz.review_final if is_final(status) else quiz.review_attempt
    return level if level in LEVELS else "score"


def is_final(status) -> bool:
    """She passed, or has no attempt left (nothing open, nothing waiting for a grade)."""
    return status.passed or (status.left == 0 and status.open_attempt is None and not status.waiting)


def shows_questions(level: str) -> bool:
    return level in ("wrong", "answers")


def shows_answers(level: str) -> bool:
    return level == "answers"


def modules_to_revisit(attempt: Attempt) -> list:
    """The active modules whose questions the attempt got wrong (or left unanswered), in course
    order. A question belongs to a module when the last part of its category is the module's
    slug or title (`$CATEGORY: Tes awal-akhir/transformasi-perpustakaan` in a GIFT bank)."""
    from sqlalchemy import select

    layout_ids = [entry["q"] for entry in attempt.layout]
    if not layout_ids:
        return []
    rows = db.session.execute(
        select(Question.category, Answer.fraction).outerjoin(
            Answer, (Answer.question_id == Question.id) & (Answer.attempt_id == attempt.id))
        .where(Question.id.in_(layout_ids), Question.mark > 0)).all()
    wrong = {(category or "").rsplit("/", 1)[-1].strip().casefold()
             for category, fraction in rows if fraction is None or fraction < 0.999}
    wrong.discard("")
    if not wrong:
        return []
    modules = db.session.scalars(select(Module).where(
        Module.course_id == attempt.quiz.course_id, Module.archived_at.is_(None)).order_by(Module.position))
    return [m for m in modules if m.slug.casefold() in wrong or m.title.strip().casefold() in wrong]
