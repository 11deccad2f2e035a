"""Cohort report speed at 1,000 / 10,000 / 100,000 participants, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_reports.py [--sizes 1000 10000] [--backends sqlite postgresql] [--repeat 5]

Each size gets a fresh database, the real course, and one cohort seeded with `flask dev seed`.
It times the organizer's cohort report page (through the app, HTML rendered) and the CSV export
of all participants, and prints medians. Aim (issue 6): under 300 ms for the report page at
10,000 participants. PostgreSQL: LMS_BENCH_PG_URL (default postgresql+psycopg://127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402


def database(backend: str, workdir: Path):
    if backend == "sqlite":
        return f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:6]}.sqlite3'}", lambda: None
    admin_url = os.environ.get("LMS_BENCH_PG_URL", "postgresql+psycopg://127.0.0.1:5432/postgres")
    name = f"lms_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def run(backend: str, size: int, repeat: int, workdir: Path) -> dict:
    from flask_migrate import upgrade

    from lms import create_app
    from lms.accounts.operations import create_user
    from lms.cohorts.models import Cohort, CohortStaff
    from lms.content.importing import import_courses
    from lms.extensions import db

    url, drop = database(backend, workdir)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                          "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "RATELIMIT_ENABLED": False,
                          # Time the export itself (in the app, large cohorts' exports run as a job).
                          "REPORT_EXPORT_INLINE_MAX": 10**9})
        with app.app_context():
            upgrade()
            import_courses(ROOT / "courses")
            organizer = create_user(email="bench@penyelenggara.id", full_name="Bench", password="bench-password",
                                    role="organizer")
            db.session.commit()
            started = time.perf_counter()
            result = app.test_cli_runner().invoke(args=["dev", "seed", "--participants", str(size), "--cohorts", "1"])
            assert result.exit_code == 0, result.output
            seeding = time.perf_counter() - started
            cohort = db.session.scalar(sa.select(Cohort))
            db.session.add(CohortStaff(cohort_id=cohort.id, user_id=organizer.id, role="organizer"))
            db.session.commit()
            cohort_id = cohort.id
        client = app.test_client()
        client.post("/login", data={"email": "bench@penyelenggara.id", "password": "bench-password"})
        page_times, csv_times = [], []
        for _ in range(repeat):
            t = time.perf_counter()
            response = client.get(f"/organizer/cohorts/{cohort_id}/report")
            page_times.append(time.perf_counter() - t)
            assert response.status_code == 200
            t = time.perf_counter()
            response = client.get(f"/organizer/cohorts/{cohort_id}/report?format=csv&table=participants")
            csv_times.append(time.perf_counter() - t)
            assert response.status_code == 200
        with app.app_context():
            db.engine.dispose()
        return {"backend": backend, "participants": size, "seed_s": seeding,
                "report_ms": statistics.median(page_times) * 1000, "csv_ms": statistics.median(csv_times) * 1000}
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'backend':<11} {'participants':>12} {'report page (median)':>21} {'CSV export (median)':>20} {'seeding':>9}")
    with tempfile.TemporaryDirectory() as workdir:
        for backend in args.backends:
            for size in args.sizes:
                r = run(backend, size, args.repeat, Path(workdir))
                print(f"{r['backend']:<11} {r['participants']:>12} {r['report_ms']:>18.0f} ms {r['csv_ms']:>17.0f} ms "
                      f"{r['seed_s']:>7.1f} s", flush=True)


if __name__ == "__main__":
    main()
