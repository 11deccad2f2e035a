"""Keep CourseProgress (the reports' cache) equal to what the LessonProgress records say."""

from __future__ import annotations

from sqlalchemy import and_, case, delete, func, insert, select

from lms.content.models import Lesson
from lms.extensions import db
from lms.learning.models import CourseProgress, LessonProgress


def _aggregate(course_id: int):
    required = select(Lesson.id).where(Lesson.course_id == course_id, Lesson.required.is_(True),
                                       Lesson.archived_at.is_(None)).scalar_subquery()
    return (
        select(LessonProgress.user_id, func.count(case((and_(LessonProgress.completed_at.is_not(None),
                                                             LessonProgress.lesson_id.in_(required)), 1))),
               func.max(LessonProgress.last_viewed_at))
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(Lesson.course_id == course_id)
        .group_by(LessonProgress.user_id)
    )


def refresh_user(user_id: int, course_id: int) -> None:
    """Recount one trainee's row from her records (after a lesson view or completion)."""
    row = db.session.execute(_aggregate(course_id).where(LessonProgress.user_id == user_id)).first()
    record = db.session.scalar(select(CourseProgress).where(CourseProgress.user_id == user_id,
                                                            CourseProgress.course_id == course_id))
    if row is None:
        if record is not None:
            db.session.delete(record)
        return
    _, done, last = row
    if record is None:
        db.session.add(CourseProgress(user_id=user_id, course_id=course_id, lessons_done=done, last_activity_at=last))
    else:
        record.lessons_done, record.last_activity_at = done, last
    db.session.flush()


def touch_user(user_id: int, course_id: int, when) -> None:
    """A lesson was opened: only the last activity changes (one UPDATE on the hot path)."""
    from sqlalchemy import update

    changed = db.session.execute(
        update(CourseProgress).where(CourseProgress.user_id == user_id, CourseProgress.course_id == course_id)
        .values(last_activity_at=when).execution_options(synchronize_session=False)).rowcount
    if not changed:
        refresh_user(user_id, course_id)


def refresh_course(course_id: int) -> None:
    """Recount every trainee of the course (after an import changed which lessons are required)."""
    db.session.execute(delete(CourseProgress).where(CourseProgress.course_id == course_id))
    aggregate = _aggregate(course_id).subquery()
    db.session.execute(insert(CourseProgress).from_select(
        ["user_id", "course_id", "lessons_done", "last_activity_at"],
        select(aggregate.c[0], course_id, aggregate.c[1], aggregate.c[2])))
    db.session.flush()
