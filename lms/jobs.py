"""Background jobs with progress: RQ workers on Redis when LMS_REDIS_URL is set, else a thread
of the app process (the embedded default), inline in tests (JOBS_INLINE).

A job row records kind, progress and result, so any page (on any app server) can show the
progress bar; the row, not Redis, is the source of truth. Handlers are plain functions
registered in HANDLERS by their packages. `flask --app lms jobs worker` (`make worker`) runs
an RQ worker with the app context; each job runs in a forked work horse.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from datetime import datetime
from typing import Any, Callable

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.util import utcnow
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
    error: Mapped[str] = mapped_column(Text, default="")
    # "thread:HOST:PID" for a job run in a thread of an app process (None on RQ, whose workers
    # report their own deaths): lets a page find a job whose process has gone.
    runner: Mapped[str | None] = mapped_column(String(100))

    @property
    def params(self) -> dict[str, Any]:
        return json.loads(self.params_json)

    @property
    def percent(self) -> int:
        return (100 * self.progress) // self.total if self.total else (100 if self.status == "done" else 0)


# kind -> handler(job, progress) returning (result bytes, file name)
HANDLERS: dict[str, Callable[[Job, Callable[[int, int], None]], tuple[bytes, str]]] = {}


def enqueue(kind: str, params: dict[str, Any], user_id: int | None) -> Job:
    """Record a job (flush only); call start(job) after the commit."""
    job = Job(kind=kind, params_json=json.dumps(params), created_by_id=user_id)
    db.session.add(job)
    db.session.flush()
    return job


def _run(job_id: int) -> None:
    job = db.session.get(Job, job_id)
    handler = HANDLERS[job.kind]
    job.status = "running"
    db.session.commit()

    def progress(done: int, total: int) -> None:
        job.progress, job.total = done, total
        db.session.commit()

    try:
        data, name = handler(job, progress)
    except Exception as exc:  # recorded on the job for the page to show
        db.session.rollback()
        log.exception("job %s failed", job_id)
        job = db.session.get(Job, job_id)
        job.status, job.error, job.finished_at = "failed", f"{type(exc).__name__}: {exc}", utcnow()
        db.session.commit()
        return
    job.result, job.result_name, job.status, job.finished_at = data, name, "done", utcnow()
    db.session.commit()


def run_job(job_id: int) -> None:
    """RQ entry point (by name, lms.jobs.run_job): the worker process has the app context."""
    _run(job_id)


def mark_lost(job_id: int, reason: str) -> None:
    """A job whose worker died (killed, out of memory, timed out) is failed, not left running."""
    job = db.session.get(Job, job_id)
    if job is not None and job.status in ("queued", "running"):
        job.status, job.error, job.finished_at = "failed", reason[:2000], utcnow()
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
    if host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid)):
        mark_lost(job.id, f"the app process running it (pid {pid}) stopped")
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

    job.runner = f"thread:{socket.gethostname()}:{os.getpid()}"
    db.session.commit()

    def target() -> None:
        with app.app_context():
            _run(job.id)

    threading.Thread(target=target, name=f"job-{job.id}", daemon=True).start()


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
