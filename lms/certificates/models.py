"""Issued certificates and their number counters."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.util import utcnow
from lms.util.types import UTCDateTime


class Certificate(db.Model):
    """One trainee's certificate for one cohort. What it prints is frozen in snapshot_json
    at issuance; a correction is a reissue (the old one is kept as replaced)."""

    __tablename__ = "certificate"
    __table_args__ = (
        # One certificate per trainee per cohort, except those replaced by a reissue.
        Index("uq_certificate_current", "user_id", "cohort_id", unique=True,
              sqlite_where=text("status != 'replaced'"), postgresql_where=text("status != 'replaced'")),
        # A reissue keeps the number; only one current certificate carries it.
        Index("uq_certificate_number_current", "number", unique=True,
              sqlite_where=text("status != 'replaced'"), postgresql_where=text("status != 'replaced'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # random, public, in the QR code
    number: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="valid")  # valid | revoked | replaced
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str] = mapped_column(Text, default="")
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))
    badge_salt: Mapped[str] = mapped_column(String(32))
    snapshot_json: Mapped[str] = mapped_column(Text)
    # Set when a grade change left a valid certificate's holder below the course's rules: the
    # organizer decides (revoke, or keep); cleared when the grades meet the rules again.
    basis_lost_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    basis_note: Mapped[str] = mapped_column(Text, default="", server_default="")

    @property
    def snapshot(self) -> dict[str, Any]:
        return json.loads(self.snapshot_json)


class CertificateCounter(db.Model):
    """The last number used in a series; incremented inside the issuing transaction, so a
    rolled-back issuance leaves no gap and two issuances never share a number."""

    __tablename__ = "certificate_counter"

    series: Mapped[str] = mapped_column(String(100), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
