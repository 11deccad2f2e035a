"""User accounts and roles."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from lms.extensions import db
from lms.util import utcnow
from lms.util.types import UTCDateTime


def new_session_nonce() -> str:
    """A random value naming the user's current sessions (no ':' in it)."""
    return secrets.token_urlsafe(12)


def alternative_id(user_id: int, nonce: str) -> str:
    """Flask-Login's id in the session and remember-me cookies: id and session nonce."""
    return f"{user_id}:{nonce}"


class Role(str, enum.Enum):
    TRAINEE = "trainee"
    FACILITATOR = "facilitator"
    ORGANIZER = "organizer"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.FACILITATOR, Role.ORGANIZER, Role.ADMIN})


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.TRAINEE.value)
    full_name: Mapped[str] = mapped_column(String(200))
    nip: Mapped[str | None] = mapped_column(String(18))
    position: Mapped[str | None] = mapped_column(String(120))
    institution: Mapped[str | None] = mapped_column(String(200))
    regency: Mapped[str | None] = mapped_column(String(120))
    regency_code: Mapped[str | None] = mapped_column(String(5), index=True)  # Kemendagri "63.04"
    province: Mapped[str | None] = mapped_column(String(2))
    locale: Mapped[str] = mapped_column(String(5), default="id")
    is_active_account: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Names the user's current sessions; a new one on logout or password change ends them all.
    session_nonce: Mapped[str] = mapped_column(String(32), default=lambda: new_session_nonce(), server_default="")

    def get_id(self) -> str:
        """Flask-Login's id in the session and remember-me cookies: id and session nonce."""
        return alternative_id(self.id, self.session_nonce)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.is_active_account

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_staff(self) -> bool:
        return self.role_enum in STAFF_ROLES

    def set_password(self, password: str) -> None:
        """Set the password; sessions logged in with the old one end."""
        self.password_hash = generate_password_hash(
            password, method=current_app.config["PASSWORD_HASH_METHOD"]
        )
        self.session_nonce = new_session_nonce()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class PasswordToken(db.Model):
    """A one-time link to set a password (new imported accounts); only its hash is stored."""

    __tablename__ = "password_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its hash is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
