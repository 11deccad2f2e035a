"""Transaction helpers that make SQLite behave under concurrent requests."""

from __future__ import annotations

import random
import time
from contextvars import ContextVar

from sqlalchemy.exc import OperationalError

from lms.extensions import db

# On SQLite, a transaction that reads and later writes fails at once ("database is locked")
# if another connection committed in between. Requests that will write start with
# BEGIN IMMEDIATE instead: they take the write lock first, waiting up to the busy timeout.
sqlite_begin_immediate: ContextVar[bool] = ContextVar("sqlite_begin_immediate", default=False)

# Background jobs wait longer for the write lock than a request does: until this time.monotonic()
# deadline, begin_write() tries again with backoff after each busy timeout. None: one try (requests).
write_lock_deadline: ContextVar[float | None] = ContextVar("write_lock_deadline", default=None)


class DatabaseBusy(RuntimeError):
    """The write lock could not be had before the deadline: other work held the database."""


def is_lock_error(exc: BaseException) -> bool:
    """SQLite's "database is locked" / "database table is locked" / SQLITE_BUSY."""
    if not isinstance(exc, OperationalError):
        return False
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text


def holds_write_lock() -> bool:
    """True when the session's transaction may write without waiting: on SQLite one begun with
    BEGIN IMMEDIATE; on PostgreSQL always (writers wait on row locks there, not at BEGIN)."""
    if db.session.get_bind().dialect.name != "sqlite":
        return True
    return db.session().in_transaction() and bool(db.session.connection().info.get("immediate"))


def begin_write() -> None:
    """End the current (read) transaction and start one that will write.

    On SQLite the new transaction takes the write lock first (BEGIN IMMEDIATE), waiting up to the
    busy timeout; in a background job (write_lock_deadline set) it tries again with backoff until
    the deadline, then raises DatabaseBusy. On PostgreSQL this only commits; row locks and
    conditional updates do the rest.
    """
    db.session.commit()
    deadline = write_lock_deadline.get()
    delay = 0.05
    while True:
        token = sqlite_begin_immediate.set(True)
        try:
            db.session.connection()
            return
        except OperationalError as exc:
            db.session.rollback()
            if deadline is None or not is_lock_error(exc):
                raise
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DatabaseBusy("the write lock was held by others until the deadline") from exc
            time.sleep(min(remaining, delay * random.uniform(0.5, 1.5)))
            delay = min(delay * 2, 2.0)
        finally:
            sqlite_begin_immediate.reset(token)


def commit_keeping_state() -> None:
    """Commit, and keep the loaded objects as they are instead of expiring them: for a request whose
    last write this is. Otherwise the first attribute read after the commit (Flask-Login's
    is_authenticated in an after_request hook reads the user's row) starts a new transaction to
    load the row again: one more query and, on PostgreSQL, one more round trip to end it."""
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def end_reads_with_commit(app) -> None:
    """PostgreSQL: a request whose transaction only read ends it with COMMIT instead of ROLLBACK.

    For a transaction that wrote nothing the two are the same; but psycopg forgets a connection's
    prepared statements on every rollback, so with a rollback at the end of every request no
    query is ever prepared and PostgreSQL plans each one again (the lesson page's query: more
    planning than execution). Anything else ends as before: a request that raised, that has
    unflushed changes, or whose transaction ran any statement but a SELECT is rolled back.
    Behind PgBouncer (LMS_DATABASE_POOLER=pgbouncer) nothing is prepared, and COMMIT ends the
    transaction and returns the server connection to the pool just as ROLLBACK would.
    """
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "begin")
    def reads_only_so_far(connection) -> None:
        connection.info["wrote"] = False

    @event.listens_for(engine, "before_cursor_execute")
    def note_writes(connection, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip()[:6].upper() != "SELECT":
            connection.info["wrote"] = True

    @app.teardown_appcontext
    def commit_reads(exc: BaseException | None) -> None:
        if exc is not None or not db.session.registry.has():
            return
        session = db.session()
        if not session.in_transaction() or session.new or session.dirty or session.deleted:
            return
        expire = session.expire_on_commit
        session.expire_on_commit = False  # objects keep their state, as after the rollback
        try:
            if session.connection().info.get("wrote", True):
                return
            session.commit()
        except Exception:  # the session is rolled back and removed next, as before
            pass
        finally:
            session.expire_on_commit = expire
