"""Behind PgBouncer in transaction pooling (LMS_DATABASE_POOLER=pgbouncer): trainees log in, read
lessons and submit quizzes concurrently through a PgBouncer the test starts (Debian's package)
in front of the test PostgreSQL, with fewer server connections than the app holds.

Each transaction may then run on another server connection, shared with other clients. psycopg
prepares a statement on its fifth run on a connection (`_pg3_0`, `_pg3_1`, ... per connection);
behind the pooler that name is missing on the next server connection or already taken by
another client. The setting turns automatic preparing off; the second test shows the same load
failing without it, so the first cannot pass for want of load."""

from __future__ import annotations

import getpass
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from lms import create_app
from lms.extensions import db
from tests.conftest import DATA, PASSWORD, PG_URL, _create_pg_database, base_config, import_course_folder
from tests.operations.conftest import free_port
from tests.operations.test_multinode import need

pytestmark = pytest.mark.multinode

TRAINEES = 6
SERVER_CONNECTIONS = 2  # PgBouncer's pool: fewer than the app's connections, as in production


def _pgbouncer_version(binary: str) -> tuple[int, ...]:
    first = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout.split("\n")[0]
    found = re.search(r"(\d+)\.(\d+)", first)
    return tuple(int(n) for n in found.groups()) if found else (0, 0)


@pytest.fixture(scope="module")
def bouncer() -> Iterator[tuple[str, str]]:
    """(URL through PgBouncer, URL of PostgreSQL itself) of a new database with a quiz course and
    trainees in one of its cohorts; PgBouncer runs as the postgres user when we are root (it
    refuses to run as root)."""
    binary = need("pgbouncer", "pgbouncer")
    if PG_URL is None:
        pytest.skip("PostgreSQL not reachable")
    direct, drop = _create_pg_database(PG_URL)
    parsed = sa.engine.make_url(direct)
    user = parsed.username or getpass.getuser()
    directory = Path(tempfile.mkdtemp(prefix="lms-pgbouncer-"))  # not under pytest's root-only tmp dir
    as_postgres = os.geteuid() == 0
    port = free_port()
    settings = {
        "listen_addr": "127.0.0.1", "listen_port": str(port), "unix_socket_dir": "",
        "auth_type": "trust", "auth_file": str(directory / "userlist.txt"),
        "pool_mode": "transaction", "default_pool_size": str(SERVER_CONNECTIONS), "max_client_conn": "200",
        "pidfile": str(directory / "pgbouncer.pid"),
    }
    if _pgbouncer_version(binary) >= (1, 21):  # newer PgBouncers can track prepared statements: not here
        settings["max_prepared_statements"] = "0"
    (directory / "userlist.txt").write_text(f'"{user}" ""\n')
    (directory / "pgbouncer.ini").write_text(
        f"[databases]\n{parsed.database} = host={parsed.host or '127.0.0.1'} port={parsed.port or 5432} "
        f"dbname={parsed.database}\n\n[pgbouncer]\n" + "".join(f"{k} = {v}\n" for k, v in settings.items()))
    if as_postgres:
        shutil.chown(directory, "postgres", "postgres")
        for path in directory.iterdir():
            shutil.chown(path, "postgres", "postgres")
    command = [binary, str(directory / "pgbouncer.ini")]
    if as_postgres:
        command = ["runuser", "-u", "postgres", "--", *command]
    through = parsed.set(host="127.0.0.1", port=port, username=user).render_as_string(hide_password=False)
    process = None
    try:
        _populate(direct)  # migrations and bulk loads go to PostgreSQL itself (docs/deployment.md)
        with (directory / "output.txt").open("w") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        engine = sa.create_engine(through, connect_args={"connect_timeout": 2, "prepare_threshold": None})
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, (directory / "output.txt").read_text()[-2000:]
            try:
                with engine.connect() as conn:
                    assert conn.execute(sa.text("SELECT 1")).scalar() == 1
                break
            except sa.exc.OperationalError:
                assert time.monotonic() < deadline, (directory / "output.txt").read_text()[-2000:]
                time.sleep(0.1)
        engine.dispose()
        yield through, direct
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        drop()
        shutil.rmtree(directory, ignore_errors=True)


def _populate(url: str) -> None:
    from lms.accounts.models import Role
    from lms.accounts.operations import create_user
    from lms.cohorts.operations import create_cohort
    from lms.cohorts.operations import enrol
    from lms.content.models import Course

    app = create_app(base_config(url))
    with app.app_context():
        upgrade()
    import_course_folder(app, DATA / "courses")
    with app.app_context():
        cohort = create_cohort(course=db.session.scalar(sa.select(Course).where(Course.slug == "mini-q")),
                               slug="kuis-pool", name="Angkatan Pool", key="POOL2026")
        for number in range(2 * TRAINEES):
            enrol(create_user(email=f"peserta{number}@pool.id", full_name=f"Peserta Pool {number}",
                              password=PASSWORD, role=Role.TRAINEE), cohort)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _trainee_load(app, emails: list[str]) -> tuple[list[int], list[str]]:
    """Each trainee, in her own thread: log in, read the lesson and the course page again and
    again, answer the module quiz and submit it. Returns the statuses and any errors."""
    from tests.quizzes.conftest import correct_form

    form = correct_form(app)
    statuses: list[int] = []
    errors: list[str] = []

    def trainee(email: str) -> None:
        client = app.test_client()
        try:
            statuses.append(client.post("/login", data={"email": email, "password": PASSWORD}).status_code)
            for _ in range(6):
                statuses.append(client.get("/courses/mini-q/lessons/bacaan-kuis").status_code)
                statuses.append(client.get("/courses/mini-q").status_code)
            started = client.post("/courses/mini-q/quizzes/kuis-modul/start")
            statuses.append(started.status_code)
            attempt = started.headers["Location"].rsplit("/", 1)[1]
            statuses.append(client.post(f"/attempts/{attempt}/save", data=form).status_code)
            statuses.append(client.post(f"/attempts/{attempt}/submit").status_code)
            statuses.append(client.get(f"/attempts/{attempt}/result").status_code)
        except Exception as exc:  # the app raises in tests (TESTING): a 500 for a trainee
            errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")

    threads = [threading.Thread(target=trainee, args=(email,)) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return statuses, errors


def _app(url: str, pooler: str):
    return create_app({**base_config(url), "DATABASE_POOLER": pooler,
                       "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": TRAINEES, "max_overflow": 0}})


def test_trainees_read_and_submit_quizzes_behind_pgbouncer(bouncer):
    through, direct = bouncer
    app = _app(through, "pgbouncer")
    try:
        statuses, errors = _trainee_load(app, [f"peserta{n}@pool.id" for n in range(TRAINEES)])
    finally:
        with app.app_context():
            db.engine.dispose()
    assert errors == []
    assert len(statuses) == TRAINEES * 17 and set(statuses) <= {200, 302}, sorted(set(statuses))
    engine = sa.create_engine(direct)
    try:
        with engine.connect() as conn:  # every submission was recorded and graded
            submitted = conn.execute(sa.text("SELECT count(*) FROM attempt WHERE submitted_at IS NOT NULL")).scalar()
    finally:
        engine.dispose()
    assert submitted == TRAINEES


def test_without_the_setting_prepared_statements_break_behind_pgbouncer(bouncer):
    through, _ = bouncer
    app = _app(through, "none")
    try:
        _, errors = _trainee_load(app, [f"peserta{n}@pool.id" for n in range(TRAINEES, 2 * TRAINEES)])
    finally:
        with app.app_context():
            db.engine.dispose()
    assert errors and all("prepared statement" in error for error in errors), errors
