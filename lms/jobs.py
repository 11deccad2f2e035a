"""Background jobs with progress: a thread in the embedded default, inline in tests.

A job row records kind, progress and result, so any page (on any app server) can show the
progress bar. Handlers are plain functions registered in HANDLERS by their packages.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from typing import Any, Callable

from flask import Flask, current_app
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


def start(job: Job) -> None:
    """Run the job: inline when JOBS_INLINE (tests, CLI), else in a background thread."""
    if current_app.config.get("JOBS_INLINE"):
        _run(job.id)
        return
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]

    def target() -> None:
        with app.app_context():
            _run(job.id)

    threading.Thread(target=target, name=f"job-{job.id}", daemon=True).start()
