"""Configuration: defaults, then instance/config.py, then LMS_* variables, then overrides."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """A setting has a value we cannot use."""


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _parse_int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None


def _parse_str(name: str, raw: str) -> str:
    if not raw.strip():
        raise ConfigError(f"{name} is set but empty")
    return raw.strip()


POOLERS = ("none", "pgbouncer")


def _parse_pooler(name: str, raw: str) -> str:
    value = raw.strip().lower() or "none"
    if value not in POOLERS:
        raise ConfigError(f"{name} must be one of {', '.join(POOLERS)}, got {raw!r}")
    return value


def _parse_prefix(name: str, raw: str) -> str:
    value = _parse_str(name, raw)
    if len(value) > 40 or not all(c.isalnum() or c in "-_." for c in value):
        raise ConfigError(f"{name} must be at most 40 letters, digits, '-', '_' or '.', got {raw!r}")
    return value


# LMS_<NAME> -> (Flask config key, parser). Each value is parsed explicitly.
ENV_SETTINGS: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "LMS_DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", _parse_str),
    "LMS_SECRET_KEY": ("SECRET_KEY", _parse_str),
    "LMS_REDIS_URL": ("REDIS_URL", _parse_str),
    "LMS_REDIS_PREFIX": ("REDIS_PREFIX", _parse_prefix),
    "LMS_DATABASE_POOLER": ("DATABASE_POOLER", _parse_pooler),
    "LMS_SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", _parse_bool),
    "LMS_LOGIN_RATE_LIMIT": ("LOGIN_RATE_LIMIT", _parse_str),
    "LMS_SQLITE_BUSY_TIMEOUT_MS": ("SQLITE_BUSY_TIMEOUT_MS", _parse_int),
    "LMS_JOBS_LOCK_WAIT_SECONDS": ("JOBS_LOCK_WAIT_SECONDS", _parse_int),
    "LMS_TRUSTED_PROXIES": ("TRUSTED_PROXIES", _parse_int),
    "LMS_REPORT_EXPORT_INLINE_MAX": ("REPORT_EXPORT_INLINE_MAX", _parse_int),
    "LMS_PUBLIC_URL": ("PUBLIC_URL", _parse_str),
    "LMS_CERT_ISSUER": ("CERT_ISSUER", _parse_str),
    "LMS_CERT_SIGNING_P12": ("CERT_SIGNING_P12", _parse_str),
    "LMS_CERT_SIGNING_PASSWORD": ("CERT_SIGNING_PASSWORD", _parse_str),
    "LMS_SMTP_HOST": ("SMTP_HOST", _parse_str),
    "LMS_SMTP_PORT": ("SMTP_PORT", _parse_int),
    "LMS_SMTP_USER": ("SMTP_USER", _parse_str),
    "LMS_SMTP_PASSWORD": ("SMTP_PASSWORD", _parse_str),
    "LMS_SMTP_STARTTLS": ("SMTP_STARTTLS", _parse_bool),
    "LMS_MAIL_FROM": ("MAIL_FROM", _parse_str),
}


def defaults(instance_path: Path) -> dict[str, Any]:
    """Settings that work on a fresh machine with nothing configured.

    Long because it is one table: every setting with its default and the comment saying what it
    means, so the settings are read in one place.
    """
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance_path / 'lms.sqlite3'}",
        # PostgreSQL's pool pings connections before use (postgres_engine_options); a SQLite file
        # has no server that could drop them, so a ping there only costs time.
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "SQLITE_BUSY_TIMEOUT_MS": 5000,
        "REDIS_URL": None,
        # Two sites on one Redis (staging and production, say): each its own rate-limit keys and job queue.
        "REDIS_PREFIX": None,
        # "pgbouncer": the database URL points at PgBouncer in transaction pooling mode, where a
        # server connection is shared between clients: no prepared statements (postgres_engine_options).
        "DATABASE_POOLER": "none",
        "BABEL_DEFAULT_LOCALE": "id",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Jakarta",
        "LANGUAGES": {"id": "Bahasa Indonesia", "en": "English"},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # The session cookie is sent again only when the session changed (login, a new CSRF token,
        # a flash message), so pages and static files do not re-set it on every response.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # REMEMBER_COOKIE_SECURE follows SESSION_COOKIE_SECURE (create_app) unless set.
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted (nginx: 1).
        "TRUSTED_PROXIES": 0,
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,  # uploads: participant sheets
        "MAX_COURSE_ZIP_BYTES": 50 * 1024 * 1024,  # a course zip uploaded in the editor (its own routes)
        "MAX_PHOTO_UPLOAD_BYTES": 16 * 1024 * 1024,  # a follow-up report with its activities' photos
        "MAX_PHOTO_BYTES": 5 * 1024 * 1024,  # one activity photo as uploaded (stored re-encoded, smaller)
        "WTF_CSRF_TIME_LIMIT": None,  # token lives as long as the session
        # Failed logins allowed per client address; successes are not counted.
        "LOGIN_RATE_LIMIT": "5 per minute;20 per hour",
        # Failed logins allowed per email address, whichever address they come from.
        "LOGIN_ACCOUNT_RATE_LIMIT": "10 per hour",
        "ENROL_RATE_LIMIT": "10 per hour",
        "PASSWORD_HASH_METHOD": "scrypt",
        # Certificates: the issuing institution printed on top; where the QR code points.
        "CERT_ISSUER": "Perpustakaan Nasional Republik Indonesia",
        "PUBLIC_URL": None,
        "CERT_SIGNING_P12": None,
        "CERT_SIGNING_PASSWORD": None,
        "CERT_FALLBACK_FONTS": None,
        # Looking up certificates by code: all lookups, and unknown codes (guessing), per address.
        "VERIFY_RATE_LIMIT": "60 per minute",
        "VERIFY_MISS_RATE_LIMIT": "10 per minute",
        "JOBS_INLINE": False,
        # A cohort's participant export with more participants than this is made by a background job.
        "REPORT_EXPORT_INLINE_MAX": 5000,
        # With REDIS_URL, jobs go to this RQ queue (`make worker`); a job may run this many seconds.
        "JOBS_QUEUE": "lms",
        "JOBS_TIMEOUT": 1800,
        # A job waits this long for the database's write lock (SQLite) before it is failed as "busy".
        "JOBS_LOCK_WAIT_SECONDS": 300,
        # Email (reminders, set-password links): off unless SMTP_HOST is set.
        "SMTP_HOST": None,
        "SMTP_PORT": 587,
        "SMTP_USER": None,
        "SMTP_PASSWORD": None,
        "SMTP_STARTTLS": True,
        "MAIL_FROM": "Bimtek LMS <noreply@localhost>",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis for rate limits: give up quickly when it is unreachable (then limits fall back to memory).
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        # Compressed responses (Flask-Compress): text formats only; PDF, ZIP, XLSX and images
        # are compressed already. Brotli for browsers that take it, else gzip.
        "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/javascript", "application/javascript",
                               "application/json", "image/svg+xml", "text/csv", "text/plain",
                               "application/manifest+json", "image/x-icon"],
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_MIN_SIZE": 500,
    }


def postgres_engine_options(options: dict[str, Any], environ: dict[str, str] | os._Environ[str] = os.environ,
                            pooler: str = "none") -> dict[str, Any]:
    """Pool settings for PostgreSQL, sized to the gunicorn threads of one worker process.

    Each thread holds at most one connection; two more serve a background job thread and a
    burst. A request waits at most 10 s for a connection and a connection attempt gives up
    after 5 s, so an unreachable database answers 503 quickly instead of hanging every thread.

    Behind PgBouncer in transaction pooling (pooler "pgbouncer") each transaction may run on
    another server connection, shared with other clients: psycopg's automatic prepared statements
    (a query prepared on its fifth run on a connection) would then be missing on the next server
    connection, or already taken by another client ("prepared statement "_pg3_0" does not
    exist" / "already exists"), so they are switched off (prepare_threshold None).
    """
    threads = int(environ.get("LMS_THREADS", 4))
    result = {"pool_pre_ping": True, "pool_size": threads + 2, "max_overflow": 2, "pool_timeout": 10,
              **options}
    pooled = {"prepare_threshold": None} if pooler == "pgbouncer" else {}
    result["connect_args"] = {"connect_timeout": 5, **pooled, **options.get("connect_args", {})}
    return result


def secret_key_from_instance(instance_path: Path) -> str:
    """Read instance/secret_key, creating it with a random key on first run."""
    path = instance_path / "secret_key"
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


def from_environment(environ: dict[str, str] | os._Environ[str] = os.environ) -> dict[str, Any]:
    """Collect the LMS_* variables that are set, each parsed to its type."""
    result: dict[str, Any] = {}
    for env_name, (key, parse) in ENV_SETTINGS.items():
        if env_name in environ:
            result[key] = parse(env_name, environ[env_name])
    return result
