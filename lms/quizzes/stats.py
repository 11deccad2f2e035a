"""Quiz statistics as Moodle computes them, and knowledge gain from pre- to post-test.

Item analysis uses each trainee's first finished attempt:
- facility index: mean score on the item, as a percentage of its mark;
- discrimination index: correlation (Pearson r, times 100) between the item's score and the
  score on the rest of the quiz; low or negative values flag misleading items;
- how often each option was chosen, for choice and true/false items.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import mean

from sqlalchemy import select

from lms.accounts.models import User
from lms.cohorts.models import Enrolment
from lms.content.models import Course
from lms.extensions import db
from lms.quizzes.counting import counted_attempts
from lms.quizzes.models import Answer, Attempt, Question, Quiz


def _pearson(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 2:
        return None
    mx, my = mean(xs), mean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / math.sqrt(sxx * syy)


def cohort_user_ids(cohort_id: int) -> list[int]:
    return list(db.session.scalars(select(Enrolment.user_id).where(Enrolment.cohort_id == cohort_id)))


def graded_attempts(quiz: Quiz, user_ids: list[int] | None) -> list[Attempt]:
    stmt = select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.state == "graded")
    if user_ids is not None:
        stmt = stmt.where(Attempt.user_id.in_(user_ids or [-1]))
    return list(db.session.scalars(stmt.order_by(Attempt.user_id, Attempt.number)))


@dataclass
class OptionCount:
    label_html: str
    correct: bool
    count: int


@dataclass
class ItemStats:
    question: Question
    attempts: int
    facility: float | None  # percent
    discrimination: float | None  # r x 100
    options: list[OptionCount] = field(default_factory=list)

    @property
    def flag(self) -> str | None:
        """A plain-language warning for the facilitator, or None."""
        if self.attempts < 5:
            return None
        if self.discrimination is not None and self.discrimination < 0:
            return "misleading"
        if self.facility is not None and self.facility >= 95:
            return "too_easy"
        if self.facility is not None and self.facility <= 20:
            return "too_hard"
        if self.discrimination is not None and self.discrimination < 20:
            return "weak"
        return None


def item_analysis(quiz: Quiz, user_ids: list[int] | None = None) -> tuple[list[ItemStats], int]:
    """Statistics per question over first attempts; returns (items, number of attempts)."""
    first: dict[int, Attempt] = {}
    for attempt in graded_attempts(quiz, user_ids):
        first.setdefault(attempt.user_id, attempt)
    attempts = list(first.values())
    if not attempts:
        return [], 0
    answers: dict[tuple[int, int], Answer] = {
        (a.attempt_id, a.question_id): a
        for a in db.session.scalars(select(Answer).where(Answer.attempt_id.in_([a.id for a in attempts])))
    }
    question_ids: list[int] = []
    for attempt in attempts:
        for entry in attempt.layout:
            if entry["q"] not in question_ids:
                question_ids.append(entry["q"])
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(question_ids)))}
    items = []
    for qid in sorted(question_ids, key=lambda i: questions[i].position if i in questions else 0):
        question = questions.get(qid)
        if question is None or question.qtype == "description" or not question.mark:
            continue
        item_scores, rest_scores = [], []
        for attempt in attempts:
            if qid not in {e["q"] for e in attempt.layout}:
                continue
            answer = answers.get((attempt.id, qid))
            mark = (answer.mark or 0.0) if answer else 0.0
            item_scores.append(mark / question.mark)
            rest_scores.append((attempt.score or 0.0) - mark)
        r = _pearson(item_scores, rest_scores)
        stats = ItemStats(question, len(item_scores),
                          round(100 * mean(item_scores), 1) if item_scores else None,
                          round(100 * r, 1) if r is not None else None)
        data = question.data
        chosen: list = [answers[(a.id, qid)].response for a in attempts if (a.id, qid) in answers]
        if question.qtype in ("single", "multiple"):
            for option in data["options"]:
                count = sum(1 for c in chosen if c == option["id"] or (isinstance(c, list) and option["id"] in c))
                stats.options.append(OptionCount(option["html"], option["fraction"] > 0, count))
        elif question.qtype == "truefalse":
            for value in (True, False):
                stats.options.append(OptionCount("true" if value else "false", data["answer"] is value,
                                                 sum(1 for c in chosen if c is value)))
        items.append(stats)
    return items, len(attempts)


@dataclass
class TraineeGain:
    user: User
    pre: float | None
    post: float | None

    @property
    def gain(self) -> float | None:
        if self.pre is None or self.post is None or self.pre >= 100:
            return None
        return round((self.post - self.pre) / (100 - self.pre), 3)


@dataclass
class GainSummary:
    trainees: list[TraineeGain]
    mean_pre: float | None
    mean_post: float | None
    normalized_gain: float | None  # (mean post - mean pre) / (100 - mean pre)
    paired: int  # trainees with both scores


def knowledge_gain(course: Course, user_ids: list[int]) -> GainSummary | None:
    """Pre-test (first attempt) and post-test (the attempt that counts) per trainee, and the
    cohort's normalized gain over trainees who took both."""
    quizzes = {q.kind: q for q in db.session.scalars(select(Quiz).where(
        Quiz.course_id == course.id, Quiz.archived_at.is_(None), Quiz.kind.in_(("pretest", "posttest"))))}
    pre_quiz, post_quiz = quizzes.get("pretest"), quizzes.get("posttest")
    if pre_quiz is None and post_quiz is None:
        return None
    users = list(db.session.scalars(select(User).where(User.id.in_(user_ids or [-1])).order_by(User.full_name)))
    pre_by_user: dict[int, list[Attempt]] = {}
    if pre_quiz is not None:
        for attempt in graded_attempts(pre_quiz, user_ids):
            pre_by_user.setdefault(attempt.user_id, []).append(attempt)
    post_by_user = counted_attempts(user_ids, [post_quiz.id]) if post_quiz else {}
    trainees = []
    for user in users:
        pre = pre_by_user.get(user.id, [])
        post = post_by_user.get((user.id, post_quiz.id)) if post_quiz else None
        trainees.append(TraineeGain(user, pre[0].percent if pre else None, post.percent if post else None))
    pairs = [t for t in trainees if t.pre is not None and t.post is not None]
    mean_pre = round(mean(t.pre for t in pairs), 1) if pairs else None
    mean_post = round(mean(t.post for t in pairs), 1) if pairs else None
    gain = None
    if pairs and mean_pre is not None and mean_pre < 100:
        gain = round((mean_post - mean_pre) / (100 - mean_pre), 3)
    return GainSummary(trainees, mean_pre, mean_post, gain, len(pairs))
