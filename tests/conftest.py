"""Fixtures: an app per database backend (SQLite always, PostgreSQL when reachable),
a schema built once by the migrations, and one rolled-back transaction per test."""

from __future__ import annotations

import gc
import os
import re
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FsaSession
from jinja2 import BytecodeCache

from lms import create_app, register_course_parts
from lms.extensions import db, limiter
from lms.translate import compile_catalogs

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-42"
DEFAULT_PG_URL = "postgresql+psycopg://127.0.0.1:5432/postgres"


def _pg_admin_url() -> str | None:
    """A reachable PostgreSQL server URL, or None (then PostgreSQL tests skip, except in CI)."""
    url = os.environ.get("LMS_TEST_DATABASE_URL", DEFAULT_PG_URL)
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return url
    except Exception:
        if os.environ.get("CI"):
            raise
        return None


PG_URL = _pg_admin_url()
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def base_config(database_url: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast in tests; scrypt in production
        "RATELIMIT_STORAGE_URI": "memory://",
        "JOBS_INLINE": True,  # background jobs run in the request, on the test's connection
        "PUBLIC_URL": "https://lms.example.id",
    }


def work_unit(nodeid: str) -> str:
    """The unit of work of a parallel run: a test's module (or class) and database backend, so that a
    module's module-scoped world (the route matrix's, a browser module's live server) is built by
    one worker only, while a module's two backends can run on two workers at once."""
    name, _, params = nodeid.partition("[")
    backend = next((b for b in BACKENDS if b in params.rstrip("]").split("-")), None)
    scope = name.rsplit("::", 1)[0]
    return f"{scope}[{backend}]" if backend else scope


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, which a serial run may not have loaded
def pytest_xdist_make_scheduler(config, log):
    """`pytest -n N --dist loadscope` (as `make test` runs) hands out work by work_unit. (The
    xdist_group marks of --dist loadgroup are lost with pytest 9.2: pytest-xdist issue 1386.)"""
    if config.getvalue("dist") != "loadscope":
        return None
    from collections import OrderedDict

    from xdist.scheduler import LoadScopeScheduling

    class ModuleAndBackend(LoadScopeScheduling):
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

        def _assign_work_unit(self, node) -> None:
            """The slow units first (browsers, servers started as processes: up to a minute and
            more each, but few tests), then by number of tests: no worker is left with a long
            one at the end while the other waits."""
            if not self.ordered:
                slow = ("tests/browser/", "tests/operations/")
                self.workqueue = OrderedDict(sorted(self.workqueue.items(),
                                                    key=lambda unit: not unit[0].startswith(slow)))
                self.ordered = True
            super()._assign_work_unit(node)

    return ModuleAndBackend(config, log)


@pytest.fixture(scope="session", autouse=True)
def _catalogs() -> None:
    compile_catalogs()


@pytest.fixture(scope="session", autouse=True)
def _course_parts() -> None:
    """Quiz files and surveys are parts of course folders that create_app registers; tests that
    load a folder without an app need them too."""
    register_course_parts()


def _create_pg_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    name = f"lms_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory) -> Iterator[dict[str, str]]:
    urls = {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"}
    drops = []
    if PG_URL:
        urls["postgresql"], drop = _create_pg_database(PG_URL)
        drops.append(drop)
    yield urls
    for drop in drops:
        drop()


class _SharedTemplateCache(BytecodeCache):
    """Compiled templates kept in memory for every app of the test run: the second backend's app
    does not compile them again (Jinja checks each template's source checksum before reuse)."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = _SharedTemplateCache()


@pytest.fixture(scope="session", params=BACKENDS)
def backend_app(request, database_urls) -> Iterator[Flask]:
    """One app per backend, its schema built by the real migrations."""
    app = create_app(base_config(database_urls[request.param]))
    app.config["BACKEND"] = request.param
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    with app.app_context():
        upgrade()
    # What lives for the whole run (modules, the app, its compiled statements and templates) is
    # set aside from the collector: a full collection no longer walks it between requests.
    gc.collect()
    gc.freeze()
    yield app
    with app.app_context():
        db.engine.dispose()


class _BoundSession(FsaSession):
    """Flask-SQLAlchemy routes by bind key to its engine; in tests, use the test connection."""

    def get_bind(self, *args: Any, **kwargs: Any):
        return self.bind


@contextmanager
def rolled_back(backend_app: Flask) -> Iterator[sa.Connection]:
    """Every session of the block on one connection, inside one transaction rolled back at the end
    (the sessions' commits release savepoints). Yields the connection, for nested savepoints."""
    with backend_app.app_context():
        connection = db.engine.connect()
    transaction = connection.begin()
    original = db.session
    db.session = db._make_scoped_session({
        "class_": _BoundSession, "bind": connection,
        "join_transaction_mode": "create_savepoint", "expire_on_commit": False,
    })
    limiter.reset()
    try:
        yield connection
    finally:
        with backend_app.app_context():
            db.session.remove()
        db.session = original
        transaction.rollback()
        connection.close()


@pytest.fixture
def app(backend_app: Flask) -> Iterator[Flask]:
    """The app, with every session of this test inside one transaction that is rolled back."""
    with rolled_back(backend_app):
        yield backend_app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


def import_course_folder(app: Flask, path: Path):
    """Validate and import a course folder (as the CLI does) and commit."""
    from lms.content.importing import import_courses

    with app.app_context():
        reports, problems = import_courses(path)
        errors = [str(p) for p in problems if p.severity == "error"]
        assert not errors, errors
        db.session.commit()
        return reports


@pytest.fixture
def make_user(app: Flask) -> Callable[..., Any]:
    """Factory: make_user(role="trainee", email=None, **profile) -> User."""
    return user_factory(app)


def user_factory(app: Flask) -> Callable[..., Any]:
    from lms.accounts.models import Role
    from lms.accounts.operations import create_user

    counter = iter(range(1, 10_000))

    def make(role: str = "trainee", email: str | None = None, password: str = PASSWORD, **profile: Any):
        with app.app_context():
            user = create_user(
                email=email or f"{role}{next(counter)}@example.test", full_name=profile.pop("full_name", f"Nama {role}"),
                password=password, role=Role(role),
                **{"institution": "Perpustakaan Desa Contoh", "position": "Pengelola",
                   "regency": "Hulu Sungai Utara", "province": "63", **profile},
            )
            db.session.commit()
            return user

    return make


@pytest.fixture
def make_cohort(app: Flask) -> Callable[..., Any]:
    """Factory: make_cohort(course_slug, key=..., is_open=True) -> Cohort."""
    return cohort_factory(app)


def cohort_factory(app: Flask) -> Callable[..., Any]:
    from sqlalchemy import select

    from lms.cohorts.operations import create_cohort
    from lms.content.models import Course

    counter = iter(range(1, 10_000))

    def make(course_slug: str, key: str | None = None, is_open: bool = True, name: str | None = None):
        with app.app_context():
            course = db.session.scalar(select(Course).where(Course.slug == course_slug))
            number = next(counter)
            cohort = create_cohort(course=course, slug=f"{course_slug}-c{number}",
                                   name=name or f"Angkatan {number}", key=key)
            cohort.is_open = is_open
            db.session.commit()
            return cohort

    return make


@pytest.fixture
def enrol_user(app: Flask) -> Callable[..., None]:
    return enroller(app)


def enroller(app: Flask) -> Callable[..., None]:
    from lms.cohorts.operations import enrol

    def do(user, cohort) -> None:
        with app.app_context():
            enrol(user, cohort)
            db.session.commit()

    return do


def login(app_or_client: Flask | FlaskClient, who: Any, password: str = PASSWORD) -> FlaskClient:
    """Log in through the real login form as `who` (a user, or an email), and check it worked:
    on the given test client, or on a new one of the given app. Returns the client.

    Tests about the login form itself (rate limits, CSRF, session fixation, remember-me) post to
    /login explicitly instead."""
    client = app_or_client.test_client() if isinstance(app_or_client, Flask) else app_or_client
    email = who if isinstance(who, str) else who.email
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, f"login as {email}: {response.status_code}"
    return client


class Auth:
    """Log a test client in and out through the real login form."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str, password: str = PASSWORD) -> FlaskClient:
        return login(self.client, email, password)

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


@pytest.fixture
def courses(app: Flask) -> dict[str, Any]:
    """The two small test courses imported."""
    import_course_folder(app, DATA / "courses")
    return {"a": "mini-a", "b": "mini-b"}


@pytest.fixture
def world(app, courses, make_user, make_cohort, enrol_user) -> dict[str, Any]:
    """A trainee in a cohort of course A, another trainee in a cohort of course B, and staff."""
    return build_world(app, make_user, make_cohort, enrol_user)


def build_world(app, make_user, make_cohort, enrol_user) -> dict[str, Any]:
    """The `world` fixture's people and cohorts (the two test courses imported first)."""
    cohort_a = make_cohort("mini-a", key="KUNCIA2026")
    cohort_b = make_cohort("mini-b", key="KUNCIB2026")
    trainee = make_user("trainee", email="peserta@example.test")
    other = make_user("trainee", email="lain@example.test")
    enrol_user(trainee, cohort_a)
    enrol_user(other, cohort_b)
    organizer = make_user("organizer", email="penyelenggara@example.test")
    from lms.cohorts.models import CohortStaff

    with app.app_context():  # the organizer runs both cohorts
        db.session.add_all([CohortStaff(cohort_id=c.id, user_id=organizer.id, role="organizer")
                            for c in (cohort_a, cohort_b)])
        db.session.commit()
    return {
        "cohort_a": cohort_a, "cohort_b": cohort_b, "trainee": trainee, "other_trainee": other,
        "facilitator": make_user("facilitator", email="fasilitator@example.test"),
        "organizer": organizer,
        "admin": make_user("admin", email="admin@example.test"),
    }


def run_cohort(app, user, cohort) -> None:
    """Make the organizer one of the cohort's staff."""
    from lms.cohorts.models import CohortStaff

    with app.app_context():
        db.session.add(CohortStaff(cohort_id=cohort.id, user_id=user.id, role=user.role))
        db.session.commit()


def count_queries(app: Flask, function: Callable[[], Any], *, savepoints: bool = False) -> int:
    """How many SQL statements `function` sends to the database. The savepoints are the test
    harness's, not the app's (every commit in a test releases one): left out unless savepoints=True."""
    harness = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
    statements = []
    with app.app_context():
        engine = db.engine

    def count(_connection, _cursor, statement, *_args) -> None:
        if savepoints or not statement.startswith(harness):
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        function()
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def wait_until(condition: Callable[[], Any], what: str = "the condition", seconds: float = 60.0) -> Any:
    """Wait for a state (a message delivered, a job done), not for a set time: poll `condition`
    until it returns something true, and return that; fail after a generous deadline."""
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out after {seconds} s waiting for {what}"
        time.sleep(0.02)
    return value


def text_of(html: bytes | str) -> str:
    """Visible-ish text of an HTML page, whitespace folded, for assertions."""
    if isinstance(html, bytes):
        html = html.decode()
    import html as html_lib

    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())
