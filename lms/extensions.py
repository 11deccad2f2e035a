"""Flask extensions, created without an app; create_app() binds them."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so migrations can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
class _LoginManager(LoginManager):
    """Flask-Login, with session protection only for sessions that hold a login: an anonymous
    visitor's session (a CSRF token, the chosen language) is not rewritten with `_fresh` on her
    next page, so her cookie is set only when something in it changes."""

    def _session_protection_failed(self) -> bool:
        from flask import session

        if "_user_id" not in session:
            return False
        return super()._session_protection_failed()


login_manager = _LoginManager()
csrf = CSRFProtect()
babel = Babel()
compress = Compress()
# Redis down (LMS_REDIS_URL set): limits go on in this process's memory (a warning is logged, Redis
# is retried with backoff), and any other storage error lets the request through rather than fail it.
limiter = Limiter(key_func=get_remote_address, default_limits=[], in_memory_fallback_enabled=True,
                  swallow_errors=True)


def form_email() -> str:
    """Rate-limit key: the email address a login form names."""
    return "email:" + (request.form.get("email") or "").strip().lower()


def form_failed(response) -> bool:
    """Rate limits of a form count failed attempts only: the form shown again, not a redirect."""
    return response.status_code != 302
