"""Cohorts and enrolments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.content.models import Course
from lms.extensions import db
from lms.util import utcnow
from lms.util.types import UTCDateTime


class Cohort(db.Model):
    __tablename__ = "cohort"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Given out by the organizer; identifies the cohort when a trainee registers.
    enrolment_key: Mapped[str] = mapped_column(String(64), unique=True)
    place: Mapped[str | None] = mapped_column(String(200))
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    is_open: Mapped[bool] = mapped_column(default=True)
    # Printed on certificates: who signs, and the city of the signature line.
    signatory_name: Mapped[str | None] = mapped_column(String(200))
    signatory_title: Mapped[str | None] = mapped_column(String(200))
    signatory_nip: Mapped[str | None] = mapped_column(String(30))
    city: Mapped[str | None] = mapped_column(String(100))
    # IANA zone (Asia/Jakarta WIB, Asia/Makassar WITA, Asia/Jayapura WIT): every time its people
    # read (pages, exports, certificates, reminders) is shown in it.
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Jakarta", server_default="Asia/Jakarta")
    notes: Mapped[str] = mapped_column(Text, default="")
    # Follow-up reports after the training, in months after ends_on, e.g. "1,3"; None: the
    # course's default (course.yml action_plan: follow_ups), "": none (lms/plans/followups.py).
    follow_up_months: Mapped[str | None] = mapped_column(String(40))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    course: Mapped[Course] = relationship()


class CohortStaff(db.Model):
    """A facilitator or organizer assigned to a cohort: organizers see the cohorts they run."""

    __tablename__ = "cohort_staff"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # facilitator | organizer


class ImportBatch(db.Model):
    """An uploaded participant sheet, read once, kept with the organizer's decisions until every
    row is imported or set aside."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    filename: Mapped[str] = mapped_column(String(255))
    # The upload as it came; emptied once its cells are in table_json (batches made before
    # table_json are read on first use).
    data: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default="preview")  # preview | queued | partial | done
    result_json: Mapped[str] = mapped_column(Text, default="{}")
    sheet_name: Mapped[str | None] = mapped_column(String(100))
    table_json: Mapped[str | None] = mapped_column(Text)  # {"rows": [[cell, ...], ...], "sheet_names": [...]}
    header_row: Mapped[int | None]  # chosen by the organizer (1-based); None: found automatically
    # {"edits": {row: {field: value}}, "rows": {row: "imported" | "set_aside"}}
    state_json: Mapped[str] = mapped_column(Text, default="{}")
    decisions_json: Mapped[str] = mapped_column(Text, default="[]")  # who decided what, when
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Enrolment(db.Model):
    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("user_id", "cohort_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    cohort: Mapped[Cohort] = relationship()


class Reminder(db.Model):
    """A reminder sent to a participant: an email sent, or a WhatsApp message the organizer confirmed sending."""

    __tablename__ = "reminder"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    channel: Mapped[str] = mapped_column(String(10))  # email | whatsapp
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
