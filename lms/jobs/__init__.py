"""Background jobs with progress: RQ workers on Redis when LMS_REDIS_URL is set, else a thread
of the app process (the embedded default), inline in tests (JOBS_INLINE).

A job row records kind, progress and result, so any page (on any app server) can show the
progress bar; the row, not Redis, is the source of truth. Handlers are plain functions,
registered by kind (register) in create_app; a job's pages are lms.jobs.views.
`flask --app lms jobs worker` (`make worker`) runs an RQ worker with the app context; each job
runs in a forked work horse.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from datetime import datetime
from typing import Any, Callable

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.util import utcnow
from lms.util.db import DatabaseBusy, begin_write, holds_write_lock, is_lock_error, write_lock_deadline
from lms.util.types import UTCDateTime

log = logging.getLogger(__name__)


class Job(db.Model):
    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued|running|done|failed
    progress: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    result: Mapped[bytes | None] = mapped_column(LargeBinary)
    result_name: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str] = mapped_column(Text, default="")  # a FAILURES code; details in the log
    # "thread:HOST:PID" for a job run in a thread of an app process (None on RQ, whose workers
    # report their own deaths): lets a page find a job whose process has gone.
    runner: Mapped[str | None] = mapped_column(String(100))

    @property
    def params(self) -> dict[str, Any]:
        return json.loads(self.params_json)

    @property
    def failure_reason(self) -> str:
        return failure_reason(self)

    @property
    def failure_advice(self) -> str:
        return failure_advice(self)

    @property
    def percent(self) -> int:
        return (100 * self.progress) // self.total if self.total else (100 if self.status == "done" else 0)


# kind -> handler(job, progress) returning (result bytes, file name); filled by create_app
# (lms.register_job_handlers) through register().
Handler = Callable[[Job, Callable[[int, int], None]], tuple[bytes, str]]
HANDLERS: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> None:
    """Run jobs of this kind with this handler."""
    HANDLERS[kind] = handler


def enqueue(kind: str, params: dict[str, Any], user_id: int | None) -> Job:
    """Record a job (flush only); call start(job) after the commit. From a request that has only
    read (a GET), the read transaction is ended first and the insert waits for the write lock."""
    if not holds_write_lock():
        begin_write()
    job = Job(kind=kind, params_json=json.dumps(params), created_by_id=user_id)
    db.session.add(job)
    db.session.flush()
    return job


def launch(kind: str, params: dict[str, Any], user_id: int | None) -> Job:
    """Record a job, commit it with the caller's pending work (a worker reads the row from
    another connection) and start it: the one commit of a request that starts a job."""
    job = enqueue(kind, params, user_id)
    db.session.commit()
    start(job)
    return job


class JobError(Exception):
    """A failure the handler understands: `code` names the sentence the page shows
    (FAILURES); the exception's text goes to the log only."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code if code in FAILURES else "error"


# Job.error holds one of these codes; the page shows the reason and what to do, in the reader's
# language. Details (SQL, tracebacks, worker messages) go to the log, never to the page.
FAILURES: dict[str, tuple[str, str]] = {
    "busy": (_l("The database stayed busy with other work for too long."),
             _l("Start it again in a few minutes. If this keeps happening, tell the administrator.")),
    "lost": (_l("The server process that was running it stopped, for example after a restart."),
             _l("Start it again.")),
    "invalid": (_l("The data changed after it was checked and no longer passes the checks."),
                _l("Look at the problems shown, correct them and start it again.")),
    "mail": (_l("The mail server could not be reached or refused the messages."),
             _l("Try again later, or tell the administrator that email is not working.")),
    "error": (_l("An unexpected error stopped it; the details are in the server log."),
              _l("Start it again. If it fails again, tell the administrator the time it failed.")),
}


def failure_reason(job: Job) -> str:
    """A sentence saying why the job failed (unknown or old raw texts: the generic one)."""
    return str(FAILURES.get(job.error, FAILURES["error"])[0])


def failure_advice(job: Job) -> str:
    """A sentence saying what to do about a failed job."""
    return str(FAILURES.get(job.error, FAILURES["error"])[1])


def failure_code(exc: BaseException) -> str:
    if isinstance(exc, JobError):
        return exc.code
    if isinstance(exc, DatabaseBusy) or is_lock_error(exc):
        return "busy"
    return "error"


# Ids of the jobs that threads of this process are running now (check_runner asks).
_LIVE: set[int] = set()


def _save(job_id: int, **values: Any) -> None:
    """Write the job's row in a transaction of its own that takes the write lock first (on
    SQLite: BEGIN IMMEDIATE, waiting with backoff until the job's deadline)."""
    begin_write()
    job = db.session.get(Job, job_id)
    for key, value in values.items():
        setattr(job, key, value)
    db.session.commit()


def _lock_wait() -> float:
    return float(current_app.config.get("JOBS_LOCK_WAIT_SECONDS", 300))


def _run(job_id: int) -> None:
    """Run the job's handler and record how it ended. Never fails because a request holds the
    write lock: every write of the job waits for the lock (BEGIN IMMEDIATE, busy timeout, then
    retries with backoff until JOBS_LOCK_WAIT_SECONDS), and a handler stopped by a lock error is
    run again (handlers are idempotent: a second run finds the work done, or does it whole)."""
    deadline = write_lock_deadline.set(time.monotonic() + _lock_wait())
    try:
        try:
            _save(job_id, status="running")
            data, name = _run_handler(job_id)
        except Exception as exc:  # recorded on the job for the page to show
            db.session.rollback()
            code = failure_code(exc)
            cause = f" ({exc.__cause__})" if exc.__cause__ is not None else ""
            log.error("job %s failed (%s): %s: %s%s", job_id, code, type(exc).__name__, exc, cause,
                      exc_info=code == "error")
            write_lock_deadline.set(time.monotonic() + _lock_wait())  # recording it may wait again
            _save(job_id, status="failed", error=code, finished_at=utcnow())
            return
        write_lock_deadline.set(time.monotonic() + _lock_wait())
        _save(job_id, result=data, result_name=name, status="done", finished_at=utcnow())
    finally:
        write_lock_deadline.reset(deadline)


def _run_handler(job_id: int) -> tuple[bytes, str]:
    delay = 0.1
    while True:
        job = db.session.get(Job, job_id)
        handler = HANDLERS[job.kind]

        def progress(done: int, total: int) -> None:
            # Commits the handler's work so far with the progress. A transaction that has only
            # read is ended first, and the write waits for the lock (a read transaction of
            # SQLite cannot take the write lock once another connection has committed).
            if not holds_write_lock():
                begin_write()
            current = db.session.get(Job, job_id)
            current.progress, current.total = done, total
            db.session.commit()

        try:
            return handler(job, progress)
        except OperationalError as exc:
            db.session.rollback()
            remaining = (write_lock_deadline.get() or 0) - time.monotonic()
            if not is_lock_error(exc) or remaining <= 0:
                raise
            log.warning("job %s: database locked (%s); running it again", job_id, exc.orig)
            time.sleep(min(remaining, delay))
            delay = min(delay * 2, 2.0)


def run_job(job_id: int) -> None:
    """RQ entry point (by name, lms.jobs.run_job): the worker process has the app context."""
    _run(job_id)


def mark_lost(job_id: int, reason: str) -> None:
    """A job whose worker died (killed, out of memory, timed out) is failed, not left running."""
    log.error("job %s lost: %s", job_id, reason)
    job = db.session.get(Job, job_id)
    if job is None or job.status not in ("queued", "running"):
        return
    begin_write()  # a page may call this after reading: take the write lock first
    job = db.session.get(Job, job_id)
    if job.status in ("queued", "running"):
        job.status, job.error, job.finished_at = "failed", "lost", utcnow()
    db.session.commit()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def check_runner(job: Job) -> Job:
    """A thread-run job whose app process is gone (restarted, killed) is marked failed, so its
    page says so instead of waiting forever; it can then be started again."""
    if job.status not in ("queued", "running") or not (job.runner or "").startswith("thread:"):
        return job
    _, host, pid = (job.runner.split(":", 2) + ["", ""])[:3]
    if host != socket.gethostname() or not pid.isdigit():
        return job
    if int(pid) == os.getpid():
        gone = job.id not in _LIVE  # this process: its thread has ended without recording the end
        why = "its thread in this process ended without recording the outcome"
    else:
        gone = not _pid_alive(int(pid))
        why = f"the app process running it (pid {pid}) stopped"
    if gone:
        mark_lost(job.id, why)
        db.session.refresh(job)
    return job


def _on_rq_failure(rq_job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback: also called for jobs abandoned by a dead worker (AbandonedJobError)."""
    mark_lost(int(rq_job.args[0]), f"{getattr(exc_type, '__name__', 'Error')}: {exc_value} (worker)")


def redis_connection(app: Flask):
    """One Redis client per app, with short timeouts: a dead Redis must not hang requests."""
    import redis

    url = app.config["REDIS_URL"]
    cached = app.extensions.get("lms_redis")
    if cached is None or cached[0] != url:
        cached = url, redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        app.extensions["lms_redis"] = cached
    return cached[1]


def queue(app: Flask):
    """The RQ queue jobs go to, or None without LMS_REDIS_URL."""
    if not app.config.get("REDIS_URL"):
        return None
    from rq import Queue

    return Queue(app.config["JOBS_QUEUE"], connection=redis_connection(app))


def start(job: Job) -> None:
    """Run the job: inline when JOBS_INLINE (tests, CLI); on an RQ worker when LMS_REDIS_URL is
    set; else (or when Redis cannot be reached) in a background thread of this process."""
    if current_app.config.get("JOBS_INLINE"):
        _run(job.id)
        return
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    rq_queue = queue(app)
    if rq_queue is not None:
        from redis.exceptions import RedisError
        from rq import Callback

        try:
            rq_queue.enqueue_call(run_job, args=(job.id,), description=f"{job.kind} #{job.id}",
                                  timeout=app.config["JOBS_TIMEOUT"], result_ttl=0, failure_ttl=7 * 24 * 3600,
                                  on_failure=Callback(_on_rq_failure))
            return
        except RedisError as exc:  # Redis down: the job still runs, here
            log.warning("job %s: Redis unreachable (%s); running it in a thread of this process", job.id, exc)

    job_id = job.id
    _LIVE.add(job_id)
    job.runner = f"thread:{socket.gethostname()}:{os.getpid()}"
    db.session.commit()

    def target() -> None:
        try:
            with app.app_context():
                try:
                    _run(job_id)
                finally:
                    db.session.remove()
        except Exception:  # even recording the failure failed: the page finds the job lost
            log.exception("job %s: the outcome could not be recorded", job_id)
        finally:
            _LIVE.discard(job_id)

    threading.Thread(target=target, name=f"job-{job_id}", daemon=True).start()


jobs_cli = AppGroup("jobs", help="Background jobs.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool) -> None:
    """Run an RQ worker for LMS_REDIS_URL's queue (each job in a forked work horse)."""
    import os

    from rq import Worker

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    rq_queue = queue(app)
    if rq_queue is None:
        raise click.UsageError("set LMS_REDIS_URL to run a worker")
    engine = db.engine
    engine.dispose()  # no pooled connection is inherited by the work horses...
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))  # ...nor used by two processes

    def horse_killed(rq_job, retpid, ret_val, rusage) -> None:  # SIGKILL, out of memory
        try:
            mark_lost(int(rq_job.args[0]), f"work horse died (exit status {ret_val})")
        finally:
            db.session.remove()
            engine.dispose()

    Worker([rq_queue], connection=rq_queue.connection, work_horse_killed_handler=horse_killed).work(
        burst=burst, with_scheduler=False)
