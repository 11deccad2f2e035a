"""App factory, configuration and health check."""

from __future__ import annotations

import pytest

from lms import config as lms_config
from lms import create_app


def test_environment_settings_are_parsed_by_type():
    env = {"LMS_DATABASE_URL": "sqlite:///x.db", "LMS_SESSION_COOKIE_SECURE": "true",
           "LMS_SQLITE_BUSY_TIMEOUT_MS": "250", "LMS_REDIS_URL": "redis://127.0.0.1:6379/0"}
    parsed = lms_config.from_environment(env)
    assert parsed == {"SQLALCHEMY_DATABASE_URI": "sqlite:///x.db", "SESSION_COOKIE_SECURE": True,
                      "SQLITE_BUSY_TIMEOUT_MS": 250, "REDIS_URL": "redis://127.0.0.1:6379/0"}


@pytest.mark.parametrize("name, value", [("LMS_SESSION_COOKIE_SECURE", "maybe"),
                                         ("LMS_SQLITE_BUSY_TIMEOUT_MS", "5s"),
                                         ("LMS_SECRET_KEY", "  "),
                                         ("LMS_DATABASE_POOLER", "pgpool"),
                                         ("LMS_REDIS_PREFIX", "two words")])
def test_bad_environment_value_fails_with_its_name(name, value):
    with pytest.raises(lms_config.ConfigError, match=name):
        lms_config.from_environment({name: value})


def test_secret_key_is_generated_once_into_instance(tmp_path):
    first = lms_config.secret_key_from_instance(tmp_path)
    assert len(first) == 64
    assert lms_config.secret_key_from_instance(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_overrides_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("LMS_SECRET_KEY", "from-env")
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.db")
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_redis_url_makes_rate_limits_shared(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("LMS_REDIS_URL", "redis://127.0.0.1:6379/0")
    app = create_app({"TESTING": True, "SECRET_KEY": "x"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_plain_postgresql_url_uses_psycopg3(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql://u@127.0.0.1/db", "SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_behind_pgbouncer_psycopg_prepares_no_statements(monkeypatch):
    """LMS_DATABASE_POOLER=pgbouncer: no automatic prepared statements (tests/operations/test_pgbouncer.py
    shows why); without it, psycopg's default (prepare on the fifth run) stays."""
    url = "postgresql://u@127.0.0.1:6432/db"
    monkeypatch.setenv("LMS_DATABASE_POOLER", "PgBouncer")
    pooled = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"}).config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert pooled["connect_args"] == {"connect_timeout": 5, "prepare_threshold": None}
    monkeypatch.delenv("LMS_DATABASE_POOLER")
    direct = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"}).config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert direct["connect_args"] == {"connect_timeout": 5}


def test_redis_prefix_gives_a_site_its_own_rate_limit_keys_and_job_queue(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("LMS_REDIS_PREFIX", "staging")
    from lms.extensions import limiter

    # The limiter (one per process) keeps the first prefix it is given: the next tests' apps get none.
    monkeypatch.setattr(limiter, "_key_prefix", limiter._key_prefix)
    app = create_app({"TESTING": True, "SECRET_KEY": "x"})
    assert (app.config["RATELIMIT_KEY_PREFIX"], app.config["JOBS_QUEUE"]) == ("staging", "staging-lms")
    monkeypatch.delenv("LMS_REDIS_PREFIX")
    app = create_app({"TESTING": True, "SECRET_KEY": "x"})
    assert app.config["JOBS_QUEUE"] == "lms" and not app.config.get("RATELIMIT_KEY_PREFIX")


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_unreachable_database(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"].startswith("error")


def test_sqlite_runs_in_wal_mode_with_busy_timeout(app):
    if app.config["BACKEND"] != "sqlite":
        pytest.skip("SQLite only")
    from lms.extensions import db

    with app.app_context():
        engine = db.engine
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_pages_send_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_static_files_are_fingerprinted_and_cached(client):
    page = client.get("/login").data.decode()
    import re

    css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{10})"', page).group(1)
    response = client.get(css)
    assert response.status_code == 200
    # Exactly a year and immutable, and no "no-cache": that would make every page revalidate it.
    assert set(map(str.strip, response.headers["Cache-Control"].split(","))) == {
        "public", "max-age=31536000", "immutable"}
    response.close()
    unversioned = client.get("/static/css/app.css")  # without ?v= it may change: revalidate
    assert "immutable" not in unversioned.headers.get("Cache-Control", "")
    unversioned.close()


def test_postgresql_requests_that_only_read_commit_and_keep_prepared_statements(backend_app):
    """A request whose transaction only read ends with COMMIT (the same as a rollback for it),
    so psycopg keeps its prepared statements; one that wrote and did not commit, or left an
    unflushed object, is rolled back as before."""
    if backend_app.config["BACKEND"] != "postgresql":
        pytest.skip("PostgreSQL only")
    from sqlalchemy import delete, insert, select, text, update

    from lms.certificates.models import CertificateCounter
    from lms.extensions import db

    app, series = backend_app, "test-reads-commit"
    counter = select(CertificateCounter.last).where(CertificateCounter.series == series)
    with app.app_context():
        db.session.execute(insert(CertificateCounter).values(series=series, last=0))
        db.session.commit()
    try:
        for _ in range(60):  # more than the prepare threshold (5) on each pooled connection
            with app.test_request_context():
                assert db.session.scalar(counter) == 0
        with app.test_request_context():
            prepared = db.session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
            assert any("certificate_counter" in statement for statement in prepared)
        with app.test_request_context():
            db.session.execute(update(CertificateCounter).where(CertificateCounter.series == series).values(last=5))
        with app.test_request_context():
            assert db.session.scalar(counter) == 0
            db.session.add(CertificateCounter(series=series + "-new", last=1))  # never flushed
        with app.app_context():
            assert db.session.scalar(counter) == 0
            assert db.session.scalar(select(CertificateCounter).where(CertificateCounter.series == series + "-new")) is None
    finally:
        with app.app_context():
            db.session.execute(delete(CertificateCounter).where(CertificateCounter.series.startswith(series)))
            db.session.commit()
