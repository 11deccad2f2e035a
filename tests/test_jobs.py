"""A background job run in a thread of an app process that has since stopped is not left
'running' for ever: its page says it failed, and why."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from lms.extensions import db
from lms.jobs import Job
from tests.conftest import login, text_of


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_job_whose_process_died_is_reported_failed(app, client, auth, world):
    with app.app_context():
        lost = Job(kind="certificates_zip", status="running", params_json='{"cohort_id": %d}' % world["cohort_a"].id,
                   runner=f"thread:{socket.gethostname()}:{_dead_pid()}", progress=3, total=40)
        alive = Job(kind="certificates_zip", status="running", params_json='{"cohort_id": %d}' % world["cohort_a"].id,
                    runner=f"thread:{socket.gethostname()}:{os.getppid()}", progress=3, total=40)
        db.session.add_all([lost, alive])
        db.session.commit()
        lost_id, alive_id = lost.id, alive.id
    auth.login(world["organizer"].email)
    page = text_of(client.get(f"/organizer/jobs/{lost_id}").data)
    assert "ZIP gagal dibuat" in page and "Penyebab: Proses server yang menjalankannya berhenti" in page
    assert "pid" not in page and "Buat ZIP lagi" in page  # a sentence and what to do, no internals
    running = text_of(client.get(f"/organizer/jobs/{alive_id}").data)
    assert "3 dari 40 sertifikat" in running
    with app.app_context():
        assert db.session.get(Job, lost_id).status == "failed"
        assert db.session.get(Job, alive_id).status == "running"


def test_a_thread_job_records_the_process_that_runs_it(app, monkeypatch):
    """Without Redis a job runs in a thread of this process, and says which process that is."""
    from lms import jobs

    started = []

    class NoThread:  # the job itself is not run here: only where it would run is checked
        def __init__(self, target, name, daemon):
            started.append(name)

        def start(self):
            pass

    monkeypatch.setattr(jobs.threading, "Thread", NoThread)
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    with app.app_context():
        job = jobs.enqueue("certificates_zip", {}, None)
        db.session.commit()
        jobs.start(job)
        assert started == [f"job-{job.id}"]
        assert db.session.get(Job, job.id).runner == f"thread:{socket.gethostname()}:{os.getpid()}"
        jobs._LIVE.discard(job.id)  # never run: no thread of this process has it


def test_a_job_of_this_process_whose_thread_ended_unrecorded_is_reported_failed(app, client, auth, world):
    with app.app_context():
        job = Job(kind="certificates_zip", status="queued", params_json='{"cohort_id": %d}' % world["cohort_a"].id,
                  runner=f"thread:{socket.gethostname()}:{os.getpid()}")
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    auth.login(world["organizer"].email)
    page = text_of(client.get(f"/organizer/jobs/{job_id}").data)
    assert "ZIP gagal dibuat" in page and "Jalankan lagi." in page


class _Later:
    """A thread that start() starts only when the test says so."""

    def __init__(self, thread, threads: list) -> None:
        self.thread = thread
        threads.append(thread)

    def start(self) -> None:
        pass


def test_a_job_that_cannot_get_the_write_lock_fails_with_a_sentence_not_sql(tmp_path, monkeypatch):
    """A request (here: another connection) holds SQLite's write lock longer than the job may wait:
    the job is failed as "busy", the page says so in words and what to do; the SQL goes to the log."""
    import sqlite3
    import time

    from lms import create_app, jobs
    from tests.conftest import base_config
    from tests.operations.conftest import captured_log
    from tests.operations.test_jobs_under_load import _setup

    path = tmp_path / "lms.sqlite3"
    url = f"sqlite:///{path}"
    ids = _setup(url)
    app = create_app({**base_config(url), "JOBS_INLINE": False, "JOBS_LOCK_WAIT_SECONDS": 1,
                      "SQLITE_BUSY_TIMEOUT_MS": 100})
    with app.app_context():
        job = jobs.enqueue("certificates_zip", {"cohort_id": ids["cohort"]}, None)
        db.session.commit()
        job_id = job.id
    threads = []
    real_thread = jobs.threading.Thread
    monkeypatch.setattr(jobs.threading, "Thread", lambda **kwargs: _Later(real_thread(**kwargs), threads))
    with app.app_context():
        jobs.start(db.session.get(Job, job_id))  # records where it runs; the thread waits for us
        db.session.remove()
    holder = sqlite3.connect(path, isolation_level=None, timeout=10)
    holder.execute("BEGIN IMMEDIATE")  # a long write elsewhere
    try:
        with captured_log("lms.jobs") as log, app.app_context():
            threads[0].start()
            deadline = time.monotonic() + 20
            while "failed (busy)" not in log.text:
                assert time.monotonic() < deadline, log.text
                time.sleep(0.05)
            assert "database is locked" in log.text  # the details: for the administrator
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with app.app_context():
        deadline = time.monotonic() + 20
        while db.session.get(Job, job_id).status != "failed":  # recorded once the lock is free
            assert time.monotonic() < deadline
            db.session.remove()
            time.sleep(0.05)
        assert db.session.get(Job, job_id).error == "busy"
        db.session.remove()
    client = login(app, "org@beban.id")
    page = text_of(client.get(f"/organizer/jobs/{job_id}").data)
    assert "Basis data terlalu lama sibuk dengan pekerjaan lain." in page
    assert "Jalankan lagi beberapa menit lagi." in page and "Buat ZIP lagi" in page
    assert "SQL" not in page and "locked" not in page
    with app.app_context():
        db.engine.dispose()
