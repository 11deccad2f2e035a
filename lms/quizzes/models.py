"""Question banks, questions, quizzes, attempts and answers."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint, and_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.util import utcnow
from lms.util.types import UTCDateTime


class QuestionBank(db.Model):
    """Questions of a course, from a quiz file, a GIFT file in the course, or a GIFT import."""

    __tablename__ = "question_bank"
    __table_args__ = (UniqueConstraint("course_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Question(db.Model):
    __tablename__ = "question"
    __table_args__ = (UniqueConstraint("bank_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_bank.id"), index=True)
    key: Mapped[str] = mapped_column(String(200))  # stable within the bank: id or ::name::
    name: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(300), default="")
    qtype: Mapped[str] = mapped_column(String(20))
    text_format: Mapped[str] = mapped_column(String(10), default="markdown")
    stem: Mapped[str] = mapped_column(Text)  # author's source, for export
    stem_html: Mapped[str] = mapped_column(Text)
    general_feedback: Mapped[str] = mapped_column(Text, default="")
    general_feedback_html: Mapped[str] = mapped_column(Text, default="")
    data_json: Mapped[str] = mapped_column(Text, default="{}")  # type's answers; never sent as is
    mark: Mapped[float] = mapped_column(Float, default=1.0)
    # From Moodle, kept for the round trip (GIFT and Moodle XML); none of them changes a grade.
    idnumber: Mapped[str] = mapped_column(String(100), default="", server_default="")
    tags_json: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    penalty: Mapped[float] = mapped_column(Float, default=0.3333333, server_default="0.3333333")
    feedback_format: Mapped[str] = mapped_column(String(10), default="", server_default="")  # "" = text_format
    position: Mapped[int] = mapped_column(default=0)
    source_sha256: Mapped[str] = mapped_column(String(64), default="")
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    bank: Mapped[QuestionBank] = relationship()

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.data_json)

    @property
    def tags(self) -> list[str]:
        return json.loads(self.tags_json)


class Quiz(db.Model):
    __tablename__ = "quiz"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("module.id"), index=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_bank.id"))
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(10), default="module")  # module | pretest | posttest
    required: Mapped[bool] = mapped_column(default=True)
    pass_mark: Mapped[float] = mapped_column(Float, default=70.0)
    attempts_allowed: Mapped[int] = mapped_column(default=0)  # 0: unlimited
    grading: Mapped[str] = mapped_column(String(10), default="highest")  # highest | last
    shuffle_questions: Mapped[bool] = mapped_column(default=False)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    time_limit_minutes: Mapped[int | None]
    # Review options, as Moodle's "review options" (lms.quizzes.review): what the trainee sees of
    # an attempt while she may still try again, and once she passed or has no attempt left.
    # score: the score only | wrong: which questions were right or wrong | answers: the correct
    # answers and every feedback.
    review_attempt: Mapped[str] = mapped_column(String(10), default="wrong", server_default="wrong")
    review_final: Mapped[str] = mapped_column(String(10), default="answers", server_default="answers")
    draw_count: Mapped[int | None]
    category: Mapped[str | None] = mapped_column(String(300))
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    bank: Mapped[QuestionBank] = relationship()
    course: Mapped["Course"] = relationship(viewonly=True)  # noqa: F821  (lms.content.models)

    # The quizzes that count toward completion (and certificates): the one rule, in Python on a
    # quiz and in SQL on the class (or an alias of it).
    COUNTED_KINDS = ("module", "posttest")

    @hybrid_property
    def counts_toward_completion(self) -> bool:
        return bool(self.required) and self.archived_at is None and self.kind in self.COUNTED_KINDS

    @counts_toward_completion.inplace.expression
    @classmethod
    def _counts_toward_completion_expression(cls):
        return and_(cls.required.is_(True), cls.archived_at.is_(None), cls.kind.in_(cls.COUNTED_KINDS))


class Attempt(db.Model):
    __tablename__ = "attempt"
    __table_args__ = (UniqueConstraint("quiz_id", "user_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    # in_progress -> submitted (waiting for essay grading) -> graded (final)
    state: Mapped[str] = mapped_column(String(12), default="in_progress")
    layout_json: Mapped[str] = mapped_column(Text, default="[]")  # questions and option order
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    percent: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None]

    quiz: Mapped[Quiz] = relationship()

    @property
    def layout(self) -> list[dict[str, Any]]:
        return json.loads(self.layout_json)


class AttemptGrant(db.Model):
    """Extra attempts at a quiz given to one trainee by a person who runs her cohort, with the
    reason; kept for good (the trainee's record shows them) and added to the quiz's limit."""

    __tablename__ = "attempt_grant"
    __table_args__ = (Index("ix_attempt_grant_trainee", "user_id", "quiz_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))  # the trainee
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)  # through which it was granted
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    extra: Mapped[int] = mapped_column(default=1)
    reason: Mapped[str] = mapped_column(Text)


class QuizResult(db.Model):
    """Per trainee and quiz, from her graded attempts: best, first and last percent and whether
    one passed. A cache for the reports, recomputed from the attempts whenever one is graded
    (lms.learning.rollup); a row exists only while a graded attempt does."""

    __tablename__ = "quiz_result"
    __table_args__ = {"sqlite_with_rowid": False}

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id"), primary_key=True, index=True)
    best_percent: Mapped[float | None] = mapped_column(Float)
    first_percent: Mapped[float | None] = mapped_column(Float)  # lowest attempt number: the pre-test score
    last_percent: Mapped[float | None] = mapped_column(Float)  # highest attempt number
    passed: Mapped[bool] = mapped_column(default=False)


class Answer(db.Model):
    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    response_json: Mapped[str] = mapped_column(Text, default="null")
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    fraction: Mapped[float | None] = mapped_column(Float)  # None: waiting for a grader
    mark: Mapped[float | None] = mapped_column(Float)
    grader_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    grader_comment: Mapped[str] = mapped_column(Text, default="")
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def response(self) -> Any:
        return json.loads(self.response_json)


class GradeChange(db.Model):
    """One change of an answer's grade, kept for good: a first manual grade, an override of an
    automatic or earlier grade (with its reason), or a regrade after the answer key changed.
    Written by lms.quizzes.attempts and lms.quizzes.regrade only, never edited."""

    __tablename__ = "grade_change"
    __table_args__ = (Index("ix_grade_change_trainee", "user_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answer.id"), index=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))  # the trainee
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # None: a command-line regrade
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    kind: Mapped[str] = mapped_column(String(10))  # grade | override | regrade
    mark_before: Mapped[float | None] = mapped_column(Float)  # None: waiting for a grader
    mark_after: Mapped[float | None] = mapped_column(Float)
    percent_before: Mapped[float | None] = mapped_column(Float)  # the attempt's
    percent_after: Mapped[float | None] = mapped_column(Float)
    passed_before: Mapped[bool | None]
    passed_after: Mapped[bool | None]
    reason: Mapped[str] = mapped_column(Text, default="")
