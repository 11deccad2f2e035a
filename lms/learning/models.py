"""Per-lesson progress records; percentages are derived from them, never stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.util import utcnow
from lms.util.types import UTCDateTime


class LessonProgress(db.Model):
    __tablename__ = "lesson_progress"
    __table_args__ = (
        UniqueConstraint("user_id", "lesson_id"),
        # Covers the per-participant aggregates of the reports (no table lookups).
        Index("ix_lesson_progress_report", "user_id", "lesson_id", "completed_at", "last_viewed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id"), index=True)
    first_viewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_viewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CourseProgress(db.Model):
    """Per trainee and course: required lessons done and last lesson activity, required quizzes
    passed and last quiz activity, recomputed from the LessonProgress and Attempt records whenever
    they change (and for a whole course after a content import). A cache for the organizers'
    reports, never written any other way (lms.learning.rollup)."""

    __tablename__ = "course_progress"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    lessons_done: Mapped[int] = mapped_column(default=0)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # last lesson viewed
    quizzes_passed: Mapped[int] = mapped_column(default=0, server_default="0")  # required module/post-tests
    quiz_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # last attempt started


class ModuleProgress(db.Model):
    """Per trainee and module: required lessons done; kept with CourseProgress (same recount),
    so that the reports' module rates read one row per trainee and module, not per lesson."""

    __tablename__ = "module_progress"
    __table_args__ = {"sqlite_with_rowid": False}

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"), primary_key=True, index=True)
    lessons_done: Mapped[int] = mapped_column(default=0)
