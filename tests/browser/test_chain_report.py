"""The chain report in a real browser: the demo data (trainees at every stage, plans at every
stage, five anonymous evaluation answers, a cohort that ended 100 days ago with follow-up reports)
seen by the demo organizer across the course's cohorts, at 360 px without sideways scrolling and
without serious or critical axe-core violations; screenshots at 360 and 1280 px."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.browser.conftest import run_axe, screenshot, serving
from tests.conftest import ROOT, base_config

pytestmark = pytest.mark.browser
COURSE = "strategi-pengembangan-perpustakaan-tik"


@pytest.fixture(scope="module")
def demo_server(browser_ready, tmp_path_factory) -> Iterator[str]:
    from flask_migrate import upgrade

    from lms import create_app
    from lms.content.importing import import_courses
    from lms.extensions import db

    path = tmp_path_factory.mktemp("chain-live") / "live.sqlite3"
    app = create_app({**base_config(f"sqlite:///{path}"), "WTF_CSRF_ENABLED": True})
    with app.app_context():
        upgrade()
        _reports, problems = import_courses(ROOT / "courses" / COURSE)
        assert not [p for p in problems if p.severity == "error"]
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "Demo follow-ups" in result.output and "Demo evaluation" in result.output, result.output
    with serving(app) as base:
        yield base


def test_chain_report_at_360_and_1280(browser, demo_server):
    from lms.demo import DEMO_PASSWORD

    context = browser.new_context(viewport={"width": 360, "height": 800}, bypass_csp=True)
    page = context.new_page()
    page.goto(demo_server + "/login")
    page.get_by_label("Email").fill("penyelenggara@demo.bimtek.id")
    page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(lambda url: "/login" not in url)
    # From the course's completion report to its chain.
    page.goto(f"{demo_server}/organizer/courses/{COURSE}/report")
    page.get_by_role("link", name="Rantai dampak: reaksi, pembelajaran, perilaku, hasil").click()
    page.wait_for_url(f"**/organizer/courses/{COURSE}/chain")
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text().startswith("Rantai dampak")
    for name in ("1. Reaksi: evaluasi penyelenggaraan", "2. Pembelajaran: pre-test dan post-test",
                 "3. Perilaku: rencana aksi dan laporan tindak lanjut",
                 "4. Hasil: kegiatan yang dilaksanakan dan orang yang dijangkau",
                 "Rantai dampak per kabupaten/kota", "Rantai dampak per instansi"):
        assert page.get_by_role("heading", name=name).count() == 1, name
    text = page.inner_text("main")
    assert "Cerita perubahan" in text and "Putaran 1" in text and "Kabupaten Hulu Sungai Utara" in text
    people = page.locator(".stats dd").nth(4).inner_text()
    assert people.replace(".", "").isdigit() and int(people.replace(".", "")) > 0, people
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    assert run_axe(page) == []
    screenshot(page, "chain-report-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshot(page, "chain-report-1280")
    context.close()
