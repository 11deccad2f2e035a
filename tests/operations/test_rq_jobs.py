"""Background jobs on Redis: queued by the app, run by an RQ worker, progress and outcome in the
job row (what the organizer's page shows)."""

from __future__ import annotations

import io
import uuid
import zipfile

import pytest
import redis
from rq import SimpleWorker

from lms import jobs
from lms.extensions import db
from tests.certificates.conftest import certified  # noqa: F401  (fixture)
from tests.cohorts.test_reminders_api import reminders, smtp_server  # noqa: F401  (fixture)
from tests.conftest import login, run_cohort, text_of, wait_until

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_or_skip() -> None:
    import os

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        if os.environ.get("CI"):
            raise
        pytest.skip("Redis not reachable at 127.0.0.1:6379")


@pytest.fixture
def rq_app(app, monkeypatch):
    """The app with LMS_REDIS_URL set and jobs not inline: start() enqueues onto a fresh queue."""
    _redis_or_skip()
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "JOBS_QUEUE", f"lms-test-{uuid.uuid4().hex[:8]}")
    yield app
    with app.app_context():
        jobs.queue(app).delete(delete_jobs=True)


def work(app) -> None:
    """What `make worker` does, in-process and until the queue is empty."""
    with app.app_context():
        queue = jobs.queue(app)
        SimpleWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=False)
        db.session.remove()


def test_certificate_zip_goes_from_queued_to_done_on_a_worker(rq_app, certified, make_user):  # noqa: F811
    app = rq_app
    organizer = app.test_client()
    run_cohort(app, make_user("organizer", email="org-rq@example.test"), certified["cohort"])
    login(organizer, "org-rq@example.test")

    response = organizer.post(f"/organizer/cohorts/{certified['cohort'].id}/certificates/zip")
    job_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    with app.app_context():
        assert db.session.get(jobs.Job, job_id).status == "queued"
        assert jobs.queue(app).count == 1  # on Redis, not run by the app process
    waiting = organizer.get(f"/organizer/jobs/{job_id}")
    assert '<meta http-equiv="refresh"' in waiting.text  # the page keeps showing progress

    work(app)

    with app.app_context():
        job = db.session.get(jobs.Job, job_id)
        assert (job.status, job.progress, job.total, job.error) == ("done", 1, 1, "")
    assert "Siap: 1 sertifikat." in text_of(organizer.get(f"/organizer/jobs/{job_id}").data)
    archive = zipfile.ZipFile(io.BytesIO(organizer.get(f"/organizer/jobs/{job_id}/download").data))
    assert len(archive.namelist()) == 1 and archive.read(archive.namelist()[0]).startswith(b"%PDF")


def test_a_failing_handler_fails_the_job_with_its_reason(rq_app, monkeypatch):
    app = rq_app

    def broken(job, progress):
        progress(1, 3)
        raise ValueError("lembar peserta tidak terbaca")

    monkeypatch.setitem(jobs.HANDLERS, "test_broken", broken)
    with app.app_context():
        job = jobs.enqueue("test_broken", {}, None)
        db.session.commit()
        jobs.start(job)
        job_id = job.id
        assert db.session.get(jobs.Job, job_id).status == "queued"

    work(app)

    with app.app_context():
        job = db.session.get(jobs.Job, job_id)
        assert job.status == "failed" and job.finished_at is not None
        assert job.error == "error"  # the page's sentence; the exception's text is in the log only
        assert job.result is None


WORKER_SCRIPT = """
import json, os, signal, sys
from flask_migrate import upgrade
from lms import create_app
from lms.extensions import db
from lms import jobs

jobs.HANDLERS["test_ok"] = lambda job, progress: (b"isi", "hasil.txt")
jobs.HANDLERS["test_killed"] = lambda job, progress: os.kill(os.getpid(), signal.SIGKILL)  # out of memory, say

app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": sys.argv[1], "REDIS_URL": sys.argv[2],
                  "JOBS_QUEUE": sys.argv[3], "RATELIMIT_STORAGE_URI": "memory://"})
with app.app_context():
    upgrade()
    ids = []
    for kind in ("test_killed", "test_ok"):
        job = jobs.enqueue(kind, {}, None)
        db.session.commit()
        jobs.start(job)
        ids.append(job.id)
    db.session.remove()
result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
assert result.exit_code == 0, result.output
with app.app_context():
    print(json.dumps([[j.status, j.error, (j.result or b"").decode()] for j in map(lambda i: db.session.get(jobs.Job, i), ids)]))
"""


def test_worker_runs_jobs_in_forked_horses_and_fails_a_killed_one(tmp_path):
    """`flask jobs worker` as `make worker` runs it: a work horse killed mid-job (SIGKILL, e.g. out
    of memory) leaves its job failed with the reason, not "running" forever; the next job runs."""
    import json
    import subprocess
    import sys

    from tests.conftest import ROOT

    _redis_or_skip()
    queue_name = f"lms-test-{uuid.uuid4().hex[:8]}"
    script = tmp_path / "worker.py"
    script.write_text(WORKER_SCRIPT)
    try:
        done = subprocess.run([sys.executable, str(script), f"sqlite:///{tmp_path / 'lms.sqlite3'}", REDIS_URL,
                               queue_name], cwd=ROOT, capture_output=True, text=True, timeout=120)
    finally:
        from rq import Queue

        Queue(queue_name, connection=redis.Redis.from_url(REDIS_URL)).delete(delete_jobs=True)
    assert done.returncode == 0, done.stderr[-3000:]
    killed, ok = json.loads(done.stdout.strip().splitlines()[-1])
    assert killed == ["failed", "lost", ""]
    assert ok == ["done", "", "isi"]


def test_reminder_emails_are_sent_by_the_worker(rq_app, world, smtp_server):  # noqa: F811
    app = rq_app
    controller, inbox = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_STARTTLS=False)
    try:
        organizer = login(app, world["organizer"])
        response = organizer.post(f"/organizer/cohorts/{world['cohort_a'].id}/remind",
                                  data={"user_id": [str(world["trainee"].id)], "channel": "email"})
        assert response.status_code == 302
        assert inbox.messages == [] and reminders(app) == 0  # queued, not sent by the request

        work(app)

        wait_until(lambda: inbox.messages, "the email")  # the SMTP server stores it in its own thread
        assert [to for to, _ in inbox.messages] == [[world["trainee"].email]]
        assert reminders(app) == 1  # logged once sent: the report shows who has been reminded
    finally:
        app.config.update(SMTP_HOST=None)
