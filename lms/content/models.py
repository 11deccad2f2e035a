"""Courses, modules, lessons and their images, as imported from course folders, and the
course-file store: each course's files as last imported or published, with every version.

Rows are identified by slug, never by file order: reordering or editing files keeps
ids stable, so learner progress survives. Content removed from the files is archived
(hidden), not deleted, for the same reason.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.util import utcnow
from lms.util.types import UTCDateTime


class Course(db.Model):
    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    jp_hours: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    language: Mapped[str] = mapped_column(String(5), default="id")
    # Certificate rules from course.yml (number pattern, minimum post-test score, ...).
    certificate_json: Mapped[str] = mapped_column(Text, default="{}")
    # Action plan settings from course.yml (required for the certificate, review rubric); {}: none.
    action_plan_json: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.position"
    )

    def __repr__(self) -> str:
        return f"<Course {self.slug}>"


class Module(db.Model):
    __tablename__ = "module"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module", order_by="Lesson.position"
    )


class Lesson(db.Model):
    __tablename__ = "lesson"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[int | None]
    required: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    body_html: Mapped[str] = mapped_column(Text, default="")
    # Table of contents: JSON list of {"id", "name", "level"} for the lesson's headings.
    toc_json: Mapped[str] = mapped_column(Text, default="[]")
    source_path: Mapped[str] = mapped_column(String(300), default="")
    source_sha256: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    module: Mapped[Module] = relationship(back_populates="lessons")
    course: Mapped[Course] = relationship()


class Asset(db.Model):
    """An image that lessons of a course refer to, stored in the database so that
    any app server can serve it."""

    __tablename__ = "asset"
    __table_args__ = (UniqueConstraint("course_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    path: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(50))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CourseRole(db.Model):
    """Who may do what with a course, granted explicitly by an admin or one of its owners.

    owner: edits the course and grants these roles; author: edits the course (both held by
    facilitators); organizer: may create cohorts of the course (held by organizers). Assigning
    someone to a cohort grants none of these: it scopes their results and grading to that cohort.
    """

    __tablename__ = "course_role"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # owner | author | organizer
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # None: migrated, or the CLI
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- the course-file store (lms.content.files): a course folder as last imported or published ---

class CourseFile(db.Model):
    """One published file of a course folder, path relative to the folder ('course.yml')."""

    __tablename__ = "course_file"
    __table_args__ = (UniqueConstraint("course_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    path: Mapped[str] = mapped_column(String(300))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CourseFileVersion(db.Model):
    """A published state of one file: written by every import and every publish that changed it."""

    __tablename__ = "course_file_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    path: Mapped[str] = mapped_column(String(300), index=True)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)  # None: the file was removed
    sha256: Mapped[str] = mapped_column(String(64), default="")
    origin: Mapped[str] = mapped_column(String(10))  # files | browser | restore
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
