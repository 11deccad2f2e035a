"""Creating and changing accounts. Functions flush; callers commit."""

from __future__ import annotations

import hashlib
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.accounts.models import ApiToken, PasswordToken, Role, User
from lms.accounts.regions import match_regency
from lms.extensions import db
from lms.util import utcnow

PROFILE_FIELDS = ("nip", "position", "institution", "regency", "province", "regency_code")


def _with_regency_code(profile: dict) -> dict:
    """Add the Kemendagri code of a typed regency/city, when it names one, for reports."""
    if profile.get("regency") and not profile.get("regency_code"):
        found = match_regency(profile["regency"], profile.get("province") or None)
        profile = {**profile, "regency_code": found.code}
    return profile


class AccountError(Exception):
    """An account cannot be created or changed as asked; the message is shown to the user."""


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def create_user(*, email: str, full_name: str, password: str, role: Role = Role.TRAINEE,
                locale: str = "id", **profile: str | None) -> User:
    """A new account with a hashed password; AccountError if the email is taken."""
    unknown = set(profile) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    email = normalize_email(email)
    if user_by_email(email) is not None:
        raise AccountError(_l("An account with this email address already exists. Log in instead."))
    profile = _with_regency_code(profile)
    user = User(email=email, full_name=full_name.strip(), role=Role(role).value, locale=locale,
                **{k: (v.strip() or None) if isinstance(v, str) else v for k, v in profile.items()})
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def update_profile(user: User, *, full_name: str, locale: str, **profile: str | None) -> None:
    """Change the user's own profile fields."""
    user.full_name = full_name.strip()
    user.locale = locale
    profile = _with_regency_code(profile)
    for key in PROFILE_FIELDS:
        if key in profile:
            value = profile[key]
            setattr(user, key, (value.strip() or None) if isinstance(value, str) else value)
    db.session.flush()


def new_token(user: User, name: str) -> str:
    """Create an API token for the user (flush only); the token itself is shown once, never stored."""
    token = "lms_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, name=name, token_hash=hashlib.sha256(token.encode()).hexdigest()))
    db.session.flush()
    return token


def password_link(token: str) -> PasswordToken | None:
    """The set-password link of this token, if it is still unused and unexpired."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    record = db.session.scalar(select(PasswordToken).where(PasswordToken.token_hash == digest))
    if record is None or record.used_at is not None or record.expires_at < utcnow():
        return None
    return record


def set_password_by_link(record: PasswordToken, password: str) -> User:
    """The link's owner chooses her password (a new session nonce: her older sessions end); the
    link is used up. Flush only."""
    user = db.session.get(User, record.user_id)
    user.set_password(password)
    record.used_at = utcnow()
    db.session.flush()
    return user
