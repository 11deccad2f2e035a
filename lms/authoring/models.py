"""The browser editor's own rows: drafts on top of a course's published files, and uploaded zips.

The folder format of `courses/` stays the one source format. Importing a folder (or a zip)
stores its files in content's file store (CourseFile, CourseFileVersion in lms.content.models);
the browser editor changes these files as drafts; publishing runs the same loader and sync as
`courses import` over the edited tree. So files and browser can never diverge: both end in the
same rows, and every published file version is kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.util import utcnow
from lms.util.types import UTCDateTime


class CourseFileDraft(db.Model):
    """An unpublished change to one file (data None: the file is to be removed).

    base_sha256 is the published file's digest when the draft was started ('' for a new
    file): publishing refuses a draft whose file was changed meanwhile by someone else.
    """

    __tablename__ = "course_file_draft"
    __table_args__ = (UniqueConstraint("course_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    path: Mapped[str] = mapped_column(String(300))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    base_sha256: Mapped[str] = mapped_column(String(64), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CourseUpload(db.Model):
    """A course zip uploaded in the browser, kept between its preview and its confirmation."""

    __tablename__ = "course_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"))
    filename: Mapped[str] = mapped_column(String(200))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
