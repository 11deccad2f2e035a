"""In-process cost of the pages every trainee opens: queries per request and CPU time per request.

Robust to a noisy, shared machine (unlike wrk's requests/s): the CPU time this process spends per
request (`time.process_time()`, the database server's time not included) and the statements sent
per request. Same data as bench_http.py (its `prepare`), fewer participants by default.

    .venv/bin/python bench/bench_inprocess.py [--backends sqlite postgresql] [--requests 500]
        [--pages lesson course dashboard submit] [--profile PAGE] [--statements]
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


PAGES = ("lesson", "course", "dashboard", "submit")


def run(backend: str, requests: int, participants: int, workdir: Path,
        profile: str | None = None, show_statements: bool = False,
        pages: tuple[str, ...] = PAGES) -> dict[str, tuple[int, float]]:
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
        timings: list[tuple[str, float]] = []  # (statement, wall seconds until its result), for --statements
        event.listen(engine, "before_cursor_execute", lambda conn, *a: conn.info.__setitem__("t0", time.perf_counter()))
        event.listen(engine, "after_cursor_execute",
                     lambda conn, cursor, statement, *a: timings.append((statement, time.perf_counter() - conn.info["t0"])))
        results = {}
        for name, path in (("lesson", fixture.lesson_path), ("course", fixture.course_path),
                           ("dashboard", "/dashboard")):
            if name not in pages:
                continue
            for _ in range(20):  # warm up: caches, the lesson's view recorded
                assert client.get(path).status_code == 200, (name, path)
            statements.clear()
            client.get(path)
            count = len(statements)
            if show_statements:
                print(f"--- {name}, {backend}: {count} statements")
                print("\n".join(" ".join(statement.split())[:240] for statement in statements))
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
        if "submit" in pages:
            results["quiz submit"] = _submits(client, fixture, statements, timings if show_statements else None,
                                              requests, backend, profile)
        with app.app_context():
            db.engine.dispose()
        return results
    finally:
        drop()


def _submits(client, fixture, statements: list[str], timings: list | None, requests: int, backend: str,
             profile: str | None) -> tuple[int, float]:
    """Quiz submit: the trainee's distinct in-progress attempts of the pool, one per request (timings:
    print each statement's mean wall time, from sending it to its result, over the requests)."""
    token = csrf_token(client.get("/dashboard").data)
    mine = [attempt for index, attempt in fixture.pool if index == 0][:requests + 1]
    client.post(f"/attempts/{mine[0]}/submit", data={"csrf_token": token})
    statements.clear()
    client.post(f"/attempts/{mine[1]}/submit", data={"csrf_token": token})
    count = len(statements)
    if timings is not None:
        print(f"--- quiz submit, {backend}: {count} statements")
        print("\n".join(" ".join(statement.split())[:240] for statement in statements))
    profiler = cProfile.Profile() if profile == "submit" else None
    if timings is not None:
        timings.clear()
    started = time.process_time()
    if profiler:
        profiler.enable()
    for attempt in mine[2:]:
        assert client.post(f"/attempts/{attempt}/submit", data={"csrf_token": token}).status_code == 302
    cpu = time.process_time() - started
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
    if timings:
        _print_timings(timings, max(1, len(mine) - 2))
    return (count, 1000 * cpu / max(1, len(mine) - 2))


def _print_timings(timings: list[tuple[str, float]], requests: int) -> None:
    """Wall milliseconds per request by statement (round trip and the server's work), largest first."""
    total: dict[str, float] = {}
    for statement, seconds in timings:
        key = " ".join(statement.split())[:110]
        total[key] = total.get(key, 0.0) + seconds
    print(f"statement wall time per request ({requests} requests; COMMIT not included):")
    for key, seconds in sorted(total.items(), key=lambda item: -item[1]):
        print(f"{1000 * seconds / requests:8.3f} ms  {key}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--pages", nargs="+", choices=PAGES, default=list(PAGES), help="the pages to measure")
    parser.add_argument("--profile", choices=PAGES,
                        help="print a cProfile of this page's requests (cumulative time)")
    parser.add_argument("--statements", action="store_true",
                        help="print the SQL statements of one request of each page")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for backend in args.backends:
            for page, (count, ms) in run(backend, args.requests, args.participants, Path(tmp), args.profile,
                                         args.statements, tuple(args.pages)).items():
                rows.append((page, backend, count, ms))
    print(f"{'page':<12} {'backend':<11} {'queries':>7} {'CPU ms/request':>15}")
    for page, backend, count, ms in rows:
        print(f"{page:<12} {backend:<11} {count:>7} {ms:>15.2f}")


if __name__ == "__main__":
    main()
