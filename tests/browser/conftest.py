"""A live server on a file SQLite database, and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from werkzeug.serving import make_server

from tests.conftest import ROOT, base_config

CHROMIUM = os.environ.get("LMS_CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
LIVE_KEY = "UJIBROWSER"
QUIZ_TAKER = "kuis@perpusdes.id"
FINISHER = "selesai@perpusdes.id"
ORGANIZER = "penyelenggara@perpusdes.id"
FACILITATOR = "fasilitator@perpusdes.id"
EXPECT_MS = 20_000


def _missing() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if not AXE.exists():
        return "axe-core not installed (npm ci)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def browser_ready() -> None:
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)


@contextmanager
def serving(app) -> Iterator[str]:
    """The app on a free local port, in a thread, for the browser; stopped (and its database
    connections closed) afterwards. Every live-server fixture serves through this."""
    from lms.extensions import db

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(browser_ready, tmp_path_factory) -> Iterator[str]:
    from flask_migrate import upgrade

    from lms import create_app
    from lms.cohorts.operations import create_cohort
    from lms.content.importing import import_courses
    from lms.extensions import db

    path = tmp_path_factory.mktemp("live") / "live.sqlite3"
    app = create_app({**base_config(f"sqlite:///{path}"), "WTF_CSRF_ENABLED": True})
    with app.app_context():
        upgrade()
        (spec_report,), problems = import_courses(ROOT / "courses" / "strategi-pengembangan-perpustakaan-tik")
        assert not [p for p in problems if p.severity == "error"]
        from sqlalchemy import select

        from lms.content.models import Course

        course = db.session.scalar(select(Course))
        cohort = create_cohort(course=course, slug="uji-browser", name="Angkatan Uji Kalimantan Selatan", key=LIVE_KEY)
        from lms.accounts.operations import create_user
        from lms.cohorts.operations import enrol

        quiz_taker = create_user(email=QUIZ_TAKER, full_name="Rahmawati", password="rahasia-123",
                                 institution="Perpustakaan Desa Tampakang", position="Pengelola",
                                 regency="Hulu Sungai Utara", province="63")
        enrol(quiz_taker, cohort)
        # The small quiz course, for completing a whole course quickly in the browser.
        import_courses(ROOT / "tests" / "data" / "courses" / "mini-q")
        mini = db.session.scalar(select(Course).where(Course.slug == "mini-q"))
        from datetime import date

        mini_cohort = create_cohort(course=mini, slug="uji-sertifikat", name="Angkatan Uji Sertifikat",
                                    key="UJISERTIF", place="Banjarmasin", city="Banjarmasin",
                                    starts_on=date(2026, 6, 14), ends_on=date(2026, 6, 17),
                                    signatory_name="Dra. Pejabat Uji, M.Si.", signatory_title="Kepala Dinas")
        finisher = create_user(email=FINISHER, full_name="Nur Hasanah", password="rahasia-123",
                               institution="Perpustakaan Desa Pantai Hambawang", position="Pengelola",
                               regency="Hulu Sungai Tengah", province="63")
        enrol(finisher, mini_cohort)
        from lms.cohorts.models import CohortStaff

        organizer = create_user(email=ORGANIZER, full_name="Rina Penyelenggara", password="rahasia-123",
                                role="organizer")
        db.session.add(CohortStaff(cohort_id=cohort.id, user_id=organizer.id, role="organizer"))
        # She runs the small course's cohort too (a stuck trainee there gets an attempt from her).
        db.session.add(CohortStaff(cohort_id=mini_cohort.id, user_id=organizer.id, role="organizer"))
        facilitator = create_user(email=FACILITATOR, full_name="Yusuf Fasilitator", password="rahasia-123",
                                  role="facilitator")
        db.session.add(CohortStaff(cohort_id=cohort.id, user_id=facilitator.id, role="facilitator"))
        from lms.content.models import CourseRole

        db.session.add_all([CourseRole(course_id=c.id, user_id=facilitator.id, role="author") for c in (course, mini)])
        db.session.commit()
    with serving(app) as base:
        yield base


@pytest.fixture(scope="module")
def browser(browser_ready):
    from playwright.sync_api import expect, sync_playwright

    # expect(...) waits for a state up to EXPECT_MS (Playwright's default is 5 s): the suite's
    # parallel workers, or other work on the machine, may keep a page from settling that fast.
    expect.set_options(timeout=EXPECT_MS)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


def run_axe(page) -> list[dict]:
    """Serious and critical axe-core violations on the page (WCAG 2.x A/AA rules)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"""
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def screenshots(page, name: str) -> None:
    """The page at 1280 px and at 360 px wide (name-1280.png, name-360.png); the page is left at 1280."""
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 360, "height": 800})
    screenshot(page, f"{name}-360")
    page.set_viewport_size({"width": 1280, "height": 900})
