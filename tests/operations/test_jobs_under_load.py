"""Jobs in a thread of the app process (no Redis: the embedded default) finish while requests
write. 20 certificate ZIPs and 20 participant imports are started through the real pages of a
real server, `make run` (Flask's threaded server) and `make serve` (gunicorn with workers and
threads from gunicorn.conf.py), without Redis, while trainees keep writing (lesson views, completions,
language changes). Every job ends "done", and no request fails.

On SQLite a job's read transaction cannot take the write lock once another connection has
committed ("database is locked" at once, no busy wait): before, the jobs died so and stayed
"queued" for ever. PostgreSQL runs the same load under gunicorn."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from lms import create_app
from lms.extensions import db
from tests.conftest import DATA, PASSWORD, PG_URL, ROOT, base_config, import_course_folder
from tests.operations.conftest import free_port

VENV_BIN = Path(sys.executable).parent
# The code the servers run (another checkout's, to compare): this one's by default.
SERVER_ROOT = Path(os.environ.get("LMS_LOAD_SERVER_ROOT", ROOT))
JOBS = 20
DEADLINE = 60  # seconds for all 40 jobs to finish


class Browser:
    """A cookie-keeping HTTP client that sends the page's CSRF token with each form, as a browser does."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.csrf = ""
        self.headers: dict[str, str] = {}  # sent with every request
        self.body = b""  # the last response's body

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirect)

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None
                ) -> tuple[int, dict[str, str], str]:
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=self.headers)
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with self.opener.open(request, timeout=30) as response:
                status, headers, self.body = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, headers, self.body = error.code, dict(error.headers), error.read()
        text = self.body.decode(errors="replace")  # the bytes stay in self.body (images, ZIPs)
        found = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', text)  # any attribute order
        if found:
            self.csrf = found.group(1)
        return status, headers, text

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        return self.request("GET", path)

    def post(self, path: str, fields: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        body = urllib.parse.urlencode({"csrf_token": self.csrf, **(fields or {})}).encode()
        return self.request("POST", path, body, "application/x-www-form-urlencoded")

    def upload(self, path: str, name: str, data: bytes) -> tuple[int, dict[str, str], str]:
        boundary = uuid.uuid4().hex
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{self.csrf}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        return self.request("POST", path, body, f"multipart/form-data; boundary={boundary}")

    def login(self, email: str) -> None:
        self.get("/login")
        status, _, _ = self.post("/login", {"email": email, "password": PASSWORD})
        assert status == 302, status
        self.get("/profile")  # the session (and its CSRF token) is new after login


def _setup(url: str) -> dict[str, int]:
    """A database with a course, an organizer running a cohort, trainees and three certificates."""
    from lms.accounts.models import Role
    from lms.accounts.operations import create_user
    from lms.certificates import rules
    from lms.cohorts.operations import create_cohort
    from lms.cohorts.models import CohortStaff, Enrolment
    from lms.content.models import Course

    app = create_app(base_config(url))
    with app.app_context():
        upgrade()
    import_course_folder(app, DATA / "courses")
    with app.app_context():
        course = db.session.scalar(sa.select(Course).where(Course.slug == "mini-a"))
        cohort = create_cohort(course=course, slug="beban", name="Angkatan Beban", key="BEBAN2026")
        organizer = create_user(email="org@beban.id", full_name="Penyelenggara", password=PASSWORD,
                                role=Role.ORGANIZER)
        db.session.flush()
        db.session.add(CohortStaff(cohort_id=cohort.id, user_id=organizer.id, role="organizer"))
        for number in range(3):
            trainee = create_user(email=f"peserta{number}@beban.id", full_name=f"Peserta Beban {number}",
                                  password=PASSWORD, role=Role.TRAINEE)
            db.session.flush()
            db.session.add(Enrolment(user_id=trainee.id, cohort_id=cohort.id))
            db.session.flush()
            rules.issue_certificate(trainee, cohort)
        db.session.commit()
        ids = {"cohort": cohort.id}
        db.session.remove()
        db.engine.dispose()
    return ids


def _sheet(number: int) -> bytes:
    rows = ["Nama,Email,Kabupaten/Kota,Provinsi"] + [
        f"Peserta Impor {number}-{i},impor{number}-{i}@beban.id,Hulu Sungai Utara,Kalimantan Selatan"
        for i in range(5)]
    return ("\n".join(rows) + "\n").encode()


def _start_server(kind: str, url: str, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(SERVER_ROOT), "LMS_DATABASE_URL": url, "LMS_SECRET_KEY": "beban-secret",
           "LMS_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    env.pop("LMS_REDIS_URL", None)
    if kind == "run":  # make run: flask's development server, a thread per request
        command = [str(VENV_BIN / "flask"), "--app", "lms", "run", "--host", "127.0.0.1", "--port", str(port)]
    else:  # make serve: gunicorn.conf.py, two processes with four threads each
        env.update(LMS_BIND=f"127.0.0.1:{port}", LMS_WORKERS="2", LMS_THREADS="4")
        command = [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "lms.wsgi:app"]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=SERVER_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2):
                return process
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"server did not answer:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _job_states(url: str, zip_ids: list[int], batch_ids: list[int]) -> tuple[dict[int, str], dict[int, str]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            jobs = dict(conn.execute(sa.text("SELECT id, status FROM job")).all())
            batches = dict(conn.execute(sa.text("SELECT id, status FROM import_batch")).all())
    finally:
        engine.dispose()
    return {i: jobs.get(i, "?") for i in zip_ids}, {i: batches.get(i, "?") for i in batch_ids}


def _writers(base: str, emails: list[str], stop: threading.Event, statuses: list[int]) -> list[threading.Thread]:
    """Trainees who keep writing: a lesson view (records the visit), a completion, a language change."""

    def work(email: str) -> None:
        browser = Browser(base)
        browser.login(email)
        locale = "en"
        while not stop.is_set():
            for method, path, fields in (("GET", "/courses/mini-a/lessons/pengantar", None),
                                         ("POST", "/courses/mini-a/lessons/pengantar/complete", {"done": "1"}),
                                         ("POST", "/language", {"locale": locale, "next": "/profile"})):
                try:
                    status = (browser.get(path) if method == "GET" else browser.post(path, fields))[0]
                except OSError:
                    if stop.is_set():  # the server is stopping
                        return
                    raise
                statuses.append(status)
            locale = "id" if locale == "en" else "en"

    return [threading.Thread(target=work, args=(email,), daemon=True) for email in emails]


def _run_load(kind: str, url: str, tmp_path: Path, jobs: int = JOBS) -> None:
    ids = _setup(url)
    port = free_port()
    log = tmp_path / f"{kind}.log"
    server = _start_server(kind, url, port, log)
    base = f"http://127.0.0.1:{port}"
    stop, statuses = threading.Event(), []
    writers = _writers(base, [f"peserta{n}@beban.id" for n in range(3)], stop, statuses)
    try:
        for writer in writers:
            writer.start()
        organizer = Browser(base)
        organizer.login("org@beban.id")
        zip_ids, batch_ids = [], []
        for number in range(jobs):
            status, headers, _ = organizer.post(f"/organizer/cohorts/{ids['cohort']}/certificates/zip")
            assert status == 302, (status, log.read_text()[-3000:])
            zip_ids.append(int(headers["Location"].rstrip("/").rsplit("/", 1)[1]))
            organizer.get(f"/organizer/cohorts/{ids['cohort']}/import")
            status, headers, _ = organizer.upload(f"/organizer/cohorts/{ids['cohort']}/import", "peserta.csv",
                                                  _sheet(number))
            assert status == 302, status
            batch = int(headers["Location"].rsplit("/", 1)[1])
            organizer.get(f"/organizer/imports/{batch}")
            status, _, _ = organizer.post(f"/organizer/imports/{batch}/commit")
            assert status == 302, status
            batch_ids.append(batch)

        deadline = time.monotonic() + DEADLINE
        while True:  # poll the job rows (what the pages show) until all are done, or the deadline
            zips, batches = _job_states(url, zip_ids, batch_ids)
            if all(s == "done" for s in zips.values()) and all(s == "done" for s in batches.values()):
                break
            if any(s == "failed" for s in zips.values()) or time.monotonic() > deadline:
                raise AssertionError(f"zips {zips}\nimports {batches}\n{log.read_text()[-4000:]}")
            time.sleep(0.2)
        stop.set()
        for writer in writers:
            writer.join(timeout=30)

        # What the organizer sees: the ZIP to download, the import's result.
        _, _, page = organizer.get(f"/organizer/jobs/{zip_ids[-1]}")
        assert "Siap: 3 sertifikat." in page
        status, headers, _ = organizer.request("GET", f"/organizer/jobs/{zip_ids[-1]}/download")
        assert status == 200 and headers["Content-Type"] == "application/zip"
        _, _, page = organizer.get(f"/organizer/imports/{batch_ids[-1]}")
        assert "Peserta diimpor" in page
        assert statuses and all(s in (200, 302) for s in statuses), sorted(set(statuses))
    finally:
        stop.set()
        _stop(server)
    assert "Traceback" not in log.read_text(), log.read_text()[-4000:]


@pytest.mark.parametrize("kind", ["run", "serve"])
def test_jobs_in_threads_finish_on_sqlite_while_requests_write(kind, tmp_path):
    _run_load(kind, f"sqlite:///{tmp_path / 'lms.sqlite3'}", tmp_path)


def test_jobs_in_threads_finish_on_postgresql_while_requests_write(tmp_path):
    if not PG_URL:
        pytest.skip("PostgreSQL not reachable")
    from tests.conftest import _create_pg_database

    url, drop = _create_pg_database(PG_URL)
    try:
        _run_load("serve", url, tmp_path, jobs=6)  # PostgreSQL has no database-wide write lock: a sample
    finally:
        drop()
