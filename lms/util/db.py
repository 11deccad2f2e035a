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


def end_reads_with_commit(app) -> None:
    """PostgreSQL: a request whose transaction only read ends it with COMMIT instead of ROLLBACK.

    For a transaction that wrote nothing the two are the same; but psycopg forgets a connection's
    prepared statements on every rollback, so with a rollback at the end of every request no
    query is ever prepared and PostgreSQL plans each one again (the lesson page's query: more
    planning than execution). Anything else ends as before: a request that raised, that has
    unflushed changes, or whose transaction ran any statement but a SELECT is rolled back.
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
