"""A background job run in a thread of an app process that has since stopped is not left
'running' for ever: its page says it failed, and why."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from lms.extensions import db
from lms.jobs import Job
from tests.conftest import text_of


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
