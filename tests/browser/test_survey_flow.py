"""In a real browser at 360 px, without JavaScript: after the post-test a trainee opens the
training evaluation from her course page, rates her facilitator by name in accessible radio
groups, sees a missing answer named, sends it once; the organizer sees only aggregates. The
pages pass axe-core."""

from __future__ import annotations

import json
from typing import Iterator

import pytest

from tests.browser.conftest import run_axe, screenshot, serving
from tests.conftest import ROOT, base_config

pytestmark = pytest.mark.browser
COURSE = "/courses/strategi-pengembangan-perpustakaan-tik"
TRAINEE, ORGANIZER = "evaluasi@perpusdes.id", "panitia.evaluasi@perpusdes.id"


@pytest.fixture(scope="module")
def survey_server(browser_ready, tmp_path_factory) -> Iterator[str]:
    """The bundled course; a cohort with a named facilitator; a trainee who did the post-test."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from lms import create_app
    from lms.accounts.operations import create_user
    from lms.cohorts.operations import create_cohort
    from lms.cohorts.models import CohortStaff
    from lms.cohorts.operations import enrol
    from lms.content.importing import import_courses
    from lms.content.models import Course
    from lms.extensions import db
    from lms.quizzes.attempts import start_attempt, submit_attempt
    from lms.quizzes.models import Quiz

    path = tmp_path_factory.mktemp("survey-live") / "live.sqlite3"
    app = create_app({**base_config(f"sqlite:///{path}"), "WTF_CSRF_ENABLED": True})
    with app.app_context():
        upgrade()
        _reports, problems = import_courses(ROOT / "courses" / "strategi-pengembangan-perpustakaan-tik")
        assert not [p for p in problems if p.severity == "error"]
        course = db.session.scalar(select(Course))
        cohort = create_cohort(course=course, slug="uji-evaluasi", name="Angkatan Uji Evaluasi", key="UJIEVAL")
        trainee = create_user(email=TRAINEE, full_name="Sulastri", password="rahasia-123",
                              institution="Perpustakaan Desa Banua", position="Pengelola",
                              regency="Hulu Sungai Utara", province="63")
        enrol(trainee, cohort)
        facilitator = create_user(email="fasil.evaluasi@perpusdes.id", full_name="Drs. Hendra Wijaya",
                                  password="rahasia-123", role="facilitator")
        organizer = create_user(email=ORGANIZER, full_name="Rina Panitia", password="rahasia-123", role="organizer")
        db.session.add_all([CohortStaff(cohort_id=cohort.id, user_id=facilitator.id, role="facilitator"),
                            CohortStaff(cohort_id=cohort.id, user_id=organizer.id, role="organizer")])
        db.session.commit()
        posttest = db.session.scalar(select(Quiz).where(Quiz.kind == "posttest"))
        attempt = start_attempt(trainee, posttest)
        db.session.commit()
        submit_attempt(attempt.id, trainee.id)
        db.session.commit()
        cohort_id = cohort.id
    with serving(app) as base:
        yield base, cohort_id


def _login(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill("rahasia-123")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/dashboard")


def _fill_all_but_last(page) -> None:
    groups = page.locator("fieldset.question")
    for index in range(groups.count() - 1):
        groups.nth(index).get_by_role("radio", name="4 · Setuju").check()
    page.get_by_label("Saran untuk perbaikan penyelenggaraan berikutnya").fill("Waktu praktik ditambah.")


def test_answer_the_evaluation_on_a_phone_without_javascript(survey_server, browser):
    base, cohort_id = survey_server
    violations = {}
    # axe-core needs JavaScript: check the form and its error state in a context that runs it
    # (a refused submission records nothing).
    context = browser.new_context(viewport={"width": 360, "height": 800}, bypass_csp=True)
    page = context.new_page()
    _login(page, base, TRAINEE)
    page.goto(base + f"/cohorts/{cohort_id}/survey")
    violations["form"] = run_axe(page)
    _fill_all_but_last(page)
    page.get_by_role("button", name="Kirim evaluasi saya").click()
    assert "Pilih salah satu dari lima jawaban." in page.content()
    violations["errors"] = run_axe(page)
    context.close()

    context = browser.new_context(viewport={"width": 360, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    _login(page, base, TRAINEE)
    page.goto(base + COURSE)
    page.get_by_role("link", name="Isi evaluasi pelatihan").click()
    page.wait_for_url(f"**/cohorts/{cohort_id}/survey")
    # Nothing wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    group = page.get_by_role("group", name="Drs. Hendra Wijaya menyampaikan materi dengan jelas.")
    assert group.get_by_role("radio").count() == 5
    screenshot(page, "survey-form-360")

    # Answer everything but one rating: the page names what is missing and keeps the rest.
    _fill_all_but_last(page)
    page.get_by_role("button", name="Kirim evaluasi saya").click()
    assert "Pilih salah satu dari lima jawaban." in page.content()
    last = page.locator("fieldset.question").last
    assert last.get_attribute("aria-describedby")
    assert page.locator("fieldset.question").first.get_by_role("radio", name="4 · Setuju").is_checked()
    last.get_by_role("radio", name="5 · Sangat setuju").check()
    page.get_by_role("button", name="Kirim evaluasi saya").click()
    page.wait_for_url("**" + COURSE)
    assert "Evaluasi Anda telah dicatat secara anonim" in page.content()
    assert "Evaluasi pelatihan: sudah diisi" in page.content()
    page.goto(base + f"/cohorts/{cohort_id}/survey")
    assert "Anda sudah mengisi evaluasi ini" in page.content()
    context.close()

    # The organizer: one answer is too few to show anything.
    context = browser.new_context(viewport={"width": 360, "height": 800}, bypass_csp=True)
    page = context.new_page()
    _login(page, base, ORGANIZER)
    page.goto(base + f"/organizer/cohorts/{cohort_id}/survey")
    content = page.content()
    assert "Terlalu sedikit jawaban untuk ditampilkan" in content
    assert "Waktu praktik ditambah." not in content and "Sulastri" not in content
    violations["results"] = run_axe(page)
    screenshot(page, "survey-results-360")
    context.close()
    found = {name: v for name, v in violations.items() if v}
    assert not found, json.dumps(found, indent=1)
