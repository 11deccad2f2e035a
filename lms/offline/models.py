"""Requests sent from a device's offline queue, remembered by the id the device gave them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.util import utcnow
from lms.util.types import UTCDateTime


class ClientRequest(db.Model):
    """One request (mark done, quiz save) by its client-generated id: a replay of the same id by
    the same user is recognised and changes nothing."""

    __tablename__ = "client_request"
    __table_args__ = (UniqueConstraint("user_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    client_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(20))  # complete | quiz_save
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
