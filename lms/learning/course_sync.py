"""Learning follows content: when a course's files are synced and something changed, its
progress caches are recounted (which lessons and quizzes count may have changed)."""

from __future__ import annotations

from lms.content.signals import course_synced
from lms.learning.rollup import refresh_course


def refresh_synced_course(course, report, **_extra) -> None:
    """Receiver of content's course_synced (in the sync's transaction; flushes only)."""
    if not report.is_noop:
        refresh_course(course.id)


def connect() -> None:
    """Subscribe learning to content's signals (create_app calls this; connecting twice is one)."""
    course_synced.connect(refresh_synced_course)
