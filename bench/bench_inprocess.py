"""In-process cost of the pages every trainee opens: queries per request and CPU time per request.

Robust to a noisy, shared machine (unlike wrk's requests/s): the CPU time this process spends per
request (`time.process_time()`, the database server's time not included) and the statements sent
per request. Same data as bench_http.py (its `prepare`), fewer participants by default.

    .venv/bin/python bench/bench_inprocess.py [--backends sqlite postgresql] [--requests 500]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_http import PASSWORD, csrf_token, prepare  # noqa: E402
from bench_reports import database  # noqa: E402


def run(backend: str, requests: int, participants: int, workdir: Path,
        profile: str | None = None) -> dict[str, tuple[int, float]]:
    from sqlalchemy import event

    from lms import create_app
    from lms.extensions import db

    url, drop = database(backend, workdir)
    try:
        fixture = prepare(url, participants, 1, 4, requests + 8)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": True})
        client = app.test_client()
        page = client.get("/login").data
        client.post("/login", data={"email": fixture.trainee_emails[0], "password": PASSWORD,
                                    "csrf_token": csrf_token(page)})
        statements: list[str] = []
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        results = {}
        for name, path in (("lesson", fixture.lesson_path), ("course", fixture.course_path),
                           ("dashboard", "/dashboard")):
            for _ in range(20):  # warm up: caches, the lesson's view recorded
                assert client.get(path).status_code == 200, (name, path)
            statements.clear()
            client.get(path)
            count = len(statements)
            profiler = cProfile.Profile() if profile == name else None
            started = time.process_time()
            if profiler:
                profiler.enable()
            for _ in range(requests):
                client.get(path)
            if profiler:
                profiler.disable()
            results[name] = (count, 1000 * (time.process_time() - started) / requests)
            if profiler:
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        token = csrf_token(client.get("/dashboard").data)
        mine = [attempt for index, attempt in fixture.pool if index == 0][:requests + 1]
        client.post(f"/attempts/{mine[0]}/submit", data={"csrf_token": token})
        statements.clear()
        client.post(f"/attempts/{mine[1]}/submit", data={"csrf_token": token})
        count = len(statements)
        started = time.process_time()
        for attempt in mine[2:]:
            assert client.post(f"/attempts/{attempt}/submit", data={"csrf_token": token}).status_code == 302
        results["quiz submit"] = (count, 1000 * (time.process_time() - started) / max(1, len(mine) - 2))
        with app.app_context():
            db.engine.dispose()
        return results
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--profile", choices=["lesson", "course", "dashboard"],
                        help="print a cProfile of this page's requests (cumulative time)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for backend in args.backends:
            for page, (count, ms) in run(backend, args.requests, args.participants, Path(tmp), args.profile).items():
                rows.append((page, backend, count, ms))
    print(f"{'page':<12} {'backend':<11} {'queries':>7} {'CPU ms/request':>15}")
    for page, backend, count, ms in rows:
        print(f"{page:<12} {backend:<11} {count:>7} {ms:>15.2f}")


if __name__ == "__main__":
    main()
