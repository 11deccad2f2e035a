"""Transaction helpers that make SQLite behave under concurrent requests."""

from __future__ import annotations

from contextvars import ContextVar

from lms.extensions import db

# On SQLite, a transaction that reads and later writes fails at once ("database is locked")
# if another connection committed in between. Requests that will write start with
# BEGIN IMMEDIATE instead: they take the write lock first, waiting up to the busy timeout.
sqlite_begin_immediate: ContextVar[bool] = ContextVar("sqlite_begin_immediate", default=False)


def begin_write() -> None:
    """End the current (read) transaction and start one that will write.

    On PostgreSQL this only commits; row locks and conditional updates do the rest.
    """
    db.session.commit()
    token = sqlite_begin_immediate.set(True)
    try:
        db.session.connection()
    finally:
        sqlite_begin_immediate.reset(token)
