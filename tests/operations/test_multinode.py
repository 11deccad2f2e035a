"""Several app servers, one truth: two gunicorn servers (as `make serve` runs them) behind nginx
(Debian's, with the site from deploy/nginx.conf.template), one PostgreSQL database, Redis and one
RQ worker (`flask jobs worker`). What one server does, the other sees at once: a login, an
uploaded image, failed logins counted against the rate limit, a job's result, a published course.
nginx serves static/ itself, gzipped and cached for a year."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import urljoin

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, PG_URL, ROOT, _create_pg_database
from tests.operations.conftest import free_port
from tests.operations.test_jobs_under_load import Browser, _setup

pytestmark = pytest.mark.multinode

sys.path.insert(0, str(ROOT / "deploy"))
import render_nginx  # noqa: E402

VENV_BIN = Path(sys.executable).parent
REDIS_URL = "redis://127.0.0.1:6379/0"
STARTUP_SECONDS = 30


def need(binary: str, package: str) -> str:
    """The path of a Debian package's binary; skipped when missing, except in CI (.ci/run installs it)."""
    found = shutil.which(binary) or next((p for p in (f"/usr/sbin/{binary}", f"/usr/bin/{binary}")
                                          if os.access(p, os.X_OK)), None)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{binary} is needed in CI (apt-get install {package}; .ci/run does)")
    pytest.skip(f"{binary} not installed (apt-get install {package})")


def need_redis():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.RedisError:
        if os.environ.get("CI"):
            raise
        pytest.skip("Redis not reachable at 127.0.0.1:6379")
    return client


def nginx_main_config(directory: Path, site: Path) -> str:
    """nginx.conf around the rendered site, everything under `directory` (Debian's /etc/nginx/nginx.conf
    plays this part on a server)."""
    temp = " ".join(f"{kind}_temp_path {directory / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                        "uwsgi", "scgi"))
    user = "user root;\n" if os.geteuid() == 0 else ""  # the workers need our temp dirs
    return (f"{user}worker_processes 1;\ndaemon off;\npid {directory / 'nginx.pid'};\n"
            f"error_log {directory / 'error.log'} warn;\n"
            "events { worker_connections 256; }\n"
            "http {\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
            f"    access_log {directory / 'access.log'};\n    {temp}\n    include {site};\n}}\n")


@dataclass
class Cluster:
    database_url: str
    nginx: str  # base URL of the site
    servers: list[str]  # base URLs of the app servers themselves
    redis_prefix: str
    logs: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def log_tail(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-2500:]}" for p in sorted(self.logs.glob("*.log")))

    def db_row(self, sql: str, **params):
        engine = sa.create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text(sql), params).first()
        finally:
            engine.dispose()


def _start(name: str, command: list[str], env: dict[str, str], logs: Path) -> subprocess.Popen:
    with (logs / f"{name}.log").open("w") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass


def _wait_ready(cluster: Cluster, urls: list[str]) -> None:
    """Poll each URL until it answers 200, failing early when a process exits."""
    import urllib.request

    waiting, deadline = list(urls), time.monotonic() + STARTUP_SECONDS
    while waiting:
        for name, process in cluster.processes.items():
            if process.poll() is not None:
                raise AssertionError(f"{name} exited ({process.returncode}):\n{cluster.log_tail()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"not ready after {STARTUP_SECONDS} s: {waiting}\n{cluster.log_tail()}")
        try:
            with urllib.request.urlopen(waiting[0], timeout=2) as response:
                if response.status == 200:
                    waiting.pop(0)
                    continue
        except OSError:
            pass
        time.sleep(0.1)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    nginx = need("nginx", "nginx")
    if PG_URL is None:
        pytest.skip("PostgreSQL not reachable")
    redis_client = need_redis()
    logs = tmp_path_factory.mktemp("multinode")
    url, drop = _create_pg_database(PG_URL)
    prefix = f"lmstest-{uuid.uuid4().hex[:8]}"
    ports = [free_port(), free_port()]
    site_port = free_port()
    cluster = Cluster(url, f"http://127.0.0.1:{site_port}", [f"http://127.0.0.1:{p}" for p in ports], prefix, logs)
    try:
        _setup(url)  # a course, a cohort with its organizer, three trainees with certificates
        _add_admin(url)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "LMS_DATABASE_URL": url, "LMS_REDIS_URL": REDIS_URL,
               "LMS_REDIS_PREFIX": prefix, "LMS_SECRET_KEY": "the-same-on-every-server",
               "LMS_TRUSTED_PROXIES": "1", "LMS_LOGIN_RATE_LIMIT": "5 per minute",
               "LMS_PUBLIC_URL": cluster.nginx, "LMS_WORKERS": "1", "LMS_THREADS": "4"}
        for key in ("LMS_DATABASE_POOLER", "LMS_SESSION_COOKIE_SECURE"):
            env.pop(key, None)
        for number, port in enumerate(ports):
            cluster.processes[f"app{number}"] = _start(
                f"app{number}", [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "lms.wsgi:app"],
                {**env, "LMS_BIND": f"127.0.0.1:{port}"}, logs)
        cluster.processes["worker"] = _start("worker", [str(VENV_BIN / "flask"), "--app", "lms", "jobs", "worker"],
                                             env, logs)
        site = logs / "site.conf"
        site.write_text(render_nginx.render([f"127.0.0.1:{p}" for p in ports], listen=f"127.0.0.1:{site_port}",
                                            server_name="localhost"))
        main = logs / "nginx.conf"
        main.write_text(nginx_main_config(logs, site))
        cluster.processes["nginx"] = _start("nginx", [nginx, "-p", str(logs), "-c", str(main), "-e",
                                                      str(logs / "error.log")], env, logs)
        _wait_ready(cluster, [f"{base}/healthz" for base in cluster.servers] + [f"{cluster.nginx}/healthz"])
        yield cluster
    finally:
        for name, process in reversed(cluster.processes.items()):  # nginx first
            _stop(process, signal.SIGQUIT if name == "nginx" else signal.SIGTERM)  # nginx: graceful
        from rq import Queue

        Queue(f"{prefix}-lms", connection=redis_client).delete(delete_jobs=True)
        for key in redis_client.scan_iter(f"*{prefix}*"):
            redis_client.delete(key)
        drop()


def _add_admin(url: str) -> None:
    from lms import create_app
    from lms.accounts.models import Role
    from lms.accounts.operations import create_user
    from lms.extensions import db
    from tests.conftest import base_config

    app = create_app(base_config(url))
    with app.app_context():
        create_user(email="admin@beban.id", full_name="Admin Beban", password=PASSWORD, role=Role.ADMIN)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def browser(base: str, email: str | None = None) -> Browser:
    visitor = Browser(base)
    if email:
        visitor.login(email)
    return visitor


def test_a_login_on_one_server_is_valid_on_the_other_and_a_logout_ends_it_everywhere(cluster):
    one, other = cluster.servers
    trainee = browser(one, "peserta0@beban.id")
    trainee.base = other
    status, _, page = trainee.get("/dashboard")
    assert status == 200 and "Kursus Mini A" in page  # her course: she is logged in there
    trainee.base = cluster.nginx
    assert trainee.get("/dashboard")[0] == 200

    trainee.base = other
    assert trainee.post("/logout")[0] == 302
    trainee.base = one  # the cookie's session nonce is checked against the database on every server
    status, headers, _ = trainee.get("/dashboard")
    assert status == 302 and "/login" in headers["Location"]


def _multipart(fields: dict[str, str], name: str, filename: str, data: bytes, content_type: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
             for key, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                 f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


LESSON = "01-dasar/01-pengantar.md"


def test_an_image_uploaded_and_a_course_published_on_one_server_show_on_the_other_at_once(cluster):
    one, other = cluster.servers
    trainee = browser(other, "peserta1@beban.id")
    for base in (one, other):  # both servers have the course's pages (and their caches) warm
        trainee.base = base
        assert "Pengantar Perpustakaan Desa" in trainee.get("/courses/mini-a")[2]
        assert "Pengantar Perpustakaan Desa" in trainee.get("/courses/mini-a/lessons/pengantar")[2]
        assert "Pengantar Perpustakaan Desa" in trainee.get("/courses/mini-a/lessons/lanjutan")[2]  # its pager

    admin = browser(one, "admin@beban.id")
    edit = f"/author/courses/mini-a/files/{LESSON}/edit"
    assert admin.get(edit)[0] == 200
    png = _png()
    body, content_type = _multipart({"csrf_token": admin.csrf, "folder": "01-dasar", "lesson": LESSON,
                                     "alt": "Warga membaca"}, "image", "Foto Kegiatan.png", png, "image/png")
    admin.headers["X-Requested-With"] = "fetch"  # as editor.js sends it: the line comes back as JSON
    status, _, answer = admin.request("POST", "/author/courses/mini-a/images", body, content_type)
    del admin.headers["X-Requested-With"]
    assert status == 200, answer
    assert json.loads(answer)["markdown"] == "![Warga membaca](images/foto-kegiatan.png)"

    admin.base = other  # the draft image, uploaded through one server, from the other
    status, headers, _ = admin.get("/author/courses/mini-a/raw/01-dasar/images/foto-kegiatan.png")
    assert status == 200 and admin.body == png and headers["Content-Type"] == "image/png"

    page = admin.get(edit)[2]  # the draft is saved on the other server...
    sha = re.search(r'name="loaded_sha" type="hidden" value="([0-9a-f]*)"', page).group(1)
    status, _, _ = admin.post(edit, {"title": "Pengantar Perpustakaan Desa (revisi)", "minutes": "5",
                                     "required": "y", "loaded_sha": sha,
                                     "text": "## Tujuan\n\nPeran baru.\n\n![Warga membaca](images/foto-kegiatan.png)\n"})
    assert status == 302
    admin.base = one  # ...and published on the first
    admin.get("/author/courses/mini-a")
    status, _, page = admin.post("/author/courses/mini-a/publish")
    assert status == 302, page

    for base in (other, one, cluster.nginx):  # at once, on every server: no process keeps the old course
        trainee.base = base
        lesson = trainee.get("/courses/mini-a/lessons/pengantar")[2]
        assert "Pengantar Perpustakaan Desa (revisi)" in lesson and "Peran baru." in lesson, base
        assert "Pengantar Perpustakaan Desa (revisi)" in trainee.get("/courses/mini-a")[2], base
        # The next lesson's "previous" link: its title comes from the process's cached course shape.
        pager = re.search(r'<nav class="pager".*?</nav>', trainee.get("/courses/mini-a/lessons/lanjutan")[2], re.S)
        assert "Pengantar Perpustakaan Desa (revisi)" in pager.group(0), base
        image = re.search(r'<img[^>]+src="([^"]*assets/01-dasar/images/foto-kegiatan\.png)"', lesson)
        assert image, lesson
        status, _, _ = trainee.get(urljoin("/courses/mini-a/lessons/pengantar", image.group(1)))
        assert status == 200 and trainee.body == png


def test_the_login_rate_limit_is_shared_by_the_servers(cluster):
    one, other = cluster.servers
    # The servers trust one proxy (LMS_TRUSTED_PROXIES=1): reached directly, the header is this
    # test's own client address, apart from every other test's 127.0.0.1.
    address = f"203.0.113.{uuid.uuid4().int % 250 + 1}"

    def attempt(base: str) -> int:
        visitor = Browser(base)
        visitor.headers["X-Forwarded-For"] = address
        visitor.get("/login")
        status, _, page = visitor.post("/login", {"email": "peserta2@beban.id", "password": "salah-sandi"})
        assert status == 429 or "Email atau kata sandi salah." in page, page
        return status

    # Five wrong passwords a minute from one address (LMS_LOGIN_RATE_LIMIT), spread over both servers.
    assert [attempt(base) for base in (one, other, one, other, one)] == [400] * 5
    assert attempt(other) == 429  # the sixth is refused, on whichever server it lands
    assert attempt(one) == 429
    right = Browser(other)  # from another address the trainee still logs in
    right.get("/login")
    assert right.post("/login", {"email": "peserta2@beban.id", "password": PASSWORD})[0] == 302


def test_a_job_started_on_one_server_runs_on_the_worker_and_downloads_from_the_other(cluster):
    one, other = cluster.servers
    organizer = browser(one, "org@beban.id")
    cohort_id = cluster.db_row("SELECT id FROM cohort WHERE slug = 'beban'")[0]
    organizer.get(f"/organizer/cohorts/{cohort_id}")
    status, headers, _ = organizer.post(f"/organizer/cohorts/{cohort_id}/certificates/zip")
    assert status == 302
    job_page = headers["Location"].replace(one, "")
    job_id = int(job_page.rstrip("/").rsplit("/", 1)[1])

    organizer.base = other
    deadline = time.monotonic() + 30
    while "Siap: 3 sertifikat." not in organizer.get(job_page)[2]:  # the page other servers show
        assert time.monotonic() < deadline, cluster.log_tail()
        time.sleep(0.2)
    status, runner = cluster.db_row("SELECT status, runner FROM job WHERE id = :id", id=job_id)
    assert (status, runner) == ("done", None)  # not in a thread of an app server: on the RQ worker
    assert f"{cluster.redis_prefix}-lms" in (cluster.logs / "worker.log").read_text()

    organizer.base = cluster.nginx
    status, headers, _ = organizer.get(f"/organizer/jobs/{job_id}/download")
    assert status == 200 and headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(organizer.body))
    assert len(archive.namelist()) == 3
    assert all(archive.read(name).startswith(b"%PDF") for name in archive.namelist())


def test_nginx_serves_static_files_itself_gzipped_with_long_caching(cluster):
    visitor = Browser(cluster.nginx)
    page = visitor.get("/login")[2]
    css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]+)"', page).group(1)
    visitor.headers["Accept-Encoding"] = "gzip"
    status, headers, _ = visitor.get(css)
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert gzip.decompress(visitor.body) == (ROOT / "static" / "css" / "app.css").read_bytes()
    assert "Content-Security-Policy" not in headers  # the app sets it on all it sends: nginx sent this
    status, headers, _ = visitor.get("/static/favicon.svg")  # not fingerprinted: revalidated
    assert status == 200 and headers["Cache-Control"] == "no-cache"


def test_when_an_app_server_stops_the_other_answers_every_request(cluster):
    """Last of the cluster's tests: it stops the second app server (a restart, a crash)."""
    trainee = browser(cluster.nginx, "peserta1@beban.id")
    _stop(cluster.processes["app1"])
    statuses = [trainee.get(path)[0] for path in ("/dashboard", "/courses/mini-a",
                                                  "/courses/mini-a/lessons/pengantar") * 4]
    assert statuses == [200] * 12
    trainee.get("/courses/mini-a/lessons/pengantar")
    assert trainee.post("/courses/mini-a/lessons/pengantar/complete", {"done": "1"})[0] == 302

def test_the_nginx_template_is_filled_completely_and_refuses_what_could_break_out_of_a_directive():
    site = render_nginx.render(["10.0.0.11:8000", "10.0.0.12:8000"], listen="443 ssl http2",
                               server_name="bimtek.example.go.id", static_root="/srv/lms/static",
                               tls_cert="/etc/ssl/certs/bimtek.pem", tls_key="/etc/ssl/private/bimtek.key")
    assert not re.search(r"@[A-Z_]+@", site)  # no placeholder left
    assert "server 10.0.0.12:8000 max_fails=1 fail_timeout=5s;" in site
    assert "alias /srv/lms/static/;" in site and "ssl_certificate_key /etc/ssl/private/bimtek.key;" in site
    for bad in ({"server_name": "x; include /etc/passwd"}, {"static_root": "/srv/{x}"}, {"tls_cert": "/a.pem"}):
        with pytest.raises(ValueError):
            render_nginx.render(["10.0.0.11:8000"], **bad)
    with pytest.raises(ValueError):
        render_nginx.render([])
