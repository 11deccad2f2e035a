"""Regrading after a question changed: an explicit step that shows what would change first.

When a question that trainees have answered gets new answers, type or weight, the import keeps
the old version for those answers (lms.quizzes.sync). Regrading moves the answers of the old
version onto the current one: each is graded again with the current key and weight, and its
attempt's score and pass are recomputed, in one transaction.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from sqlalchemy import select

from lms.accounts.models import User
from lms.extensions import db
from lms.quizzes.attempts import _questions_for, _recompute, announce_score, lock_attempt, record_grade_change
from lms.quizzes.models import Answer, Attempt, Question, QuestionBank
from lms.quizzes.signals import grade_changed
from lms.quizzes.types import QUESTION_TYPES
from lms.util import utcnow


@dataclass
class Retired:
    """An earlier version of a question that still has answers, and the current version."""

    old: Question
    current: Question | None
    answers: int


def retired_versions(course_id: int) -> list[Retired]:
    rows = db.session.execute(
        select(Question, db.func.count(Answer.id))
        .join(QuestionBank, QuestionBank.id == Question.bank_id)
        .join(Answer, Answer.question_id == Question.id)
        .where(QuestionBank.course_id == course_id, Question.archived_at.is_not(None), Question.key.contains("~v"))
        .group_by(Question.id).order_by(Question.id)).all()
    result = []
    for old, count in rows:
        base = old.key.rsplit("~v", 1)[0]
        current = db.session.scalar(select(Question).where(Question.bank_id == old.bank_id, Question.key == base,
                                                           Question.archived_at.is_(None)))
        result.append(Retired(old, current, count))
    return result


@dataclass
class Change:
    answer: Answer
    attempt: Attempt
    user: User
    old_mark: float | None
    new_mark: float | None
    old_percent: float | None
    new_percent: float | None
    old_passed: bool | None
    new_passed: bool | None

    @property
    def changed(self) -> bool:
        return (self.old_mark, self.old_percent, self.old_passed) != (self.new_mark, self.new_percent, self.new_passed)


def _merged_layout(old: dict, current: Question) -> dict:
    """The attempt's presentation for the current version: the old order, new items at the end."""
    fresh = QUESTION_TYPES[current.qtype].layout(current.data, random.Random(0), False)
    merged = {"q": current.id}
    for key, value in fresh.items():
        before = old.get(key)
        if isinstance(value, list) and isinstance(before, list):
            merged[key] = [i for i in before if i in value] + [i for i in value if i not in before]
        else:
            merged[key] = value
    return merged


def regrade(old: Question, current: Question, *, apply: bool, by: User | None = None) -> list[Change]:
    """Grade every answer of the old version with the current one. Without apply, everything
    is computed inside a savepoint that is rolled back, so the page can show what would change.
    Applied, every changed grade is recorded (GradeChange, by the person given) and announced."""
    if current.qtype != old.qtype:
        raise ValueError("the question's type changed; its answers cannot be graded with the new one")
    savepoint = db.session.begin_nested()
    changes = []
    answers = db.session.scalars(select(Answer).where(Answer.question_id == old.id).order_by(Answer.id)).all()
    now = utcnow()
    qtype = QUESTION_TYPES[current.qtype]
    for answer in answers:
        attempt = lock_attempt(answer.attempt_id)  # not while a submit grades it
        db.session.refresh(answer)
        before = (answer.mark, attempt.percent, attempt.passed)
        attempt.layout_json = json.dumps([_merged_layout(e, current) if e["q"] == old.id else e for e in attempt.layout])
        answer.question_id = current.id
        if attempt.state in ("graded", "submitted") and answer.fraction is not None and answer.grader_id is None:
            fraction = qtype.grade(current.data, answer.response)
            answer.fraction = fraction
            answer.mark = None if fraction is None else round(fraction * current.mark, 4)
            answer.graded_at = now if fraction is not None else None
        db.session.flush()
        if attempt.state != "in_progress":
            pairs = _questions_for(attempt)
            _recompute(attempt, pairs, {a.question_id: a for a in db.session.scalars(
                select(Answer).where(Answer.attempt_id == attempt.id))}, now)
            db.session.flush()
            announce_score(attempt)  # the reports' caches follow the new grade
        if attempt.state != "in_progress" and before[0] != answer.mark:
            record_grade_change(answer, attempt, by, "regrade", before)
        changes.append(Change(answer, attempt, db.session.get(User, attempt.user_id), before[0], answer.mark,
                              before[1], attempt.percent, before[2], attempt.passed))
    snapshot = [Change(c.answer, c.attempt, c.user, c.old_mark, c.new_mark, c.old_percent, c.new_percent,
                       c.old_passed, c.new_passed) for c in changes]
    if apply:
        savepoint.commit()
        for attempt in {c.attempt.id: c.attempt for c in changes if c.changed}.values():
            grade_changed.send(attempt)
    else:
        savepoint.rollback()
    return snapshot

