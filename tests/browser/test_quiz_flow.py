"""In a real browser: take the module 1 quiz; answers are saved as you go and survive a reload;
submit with confirmation; see the result. The quiz pages pass the axe-core checks."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import QUIZ_TAKER, run_axe, screenshot

pytestmark = pytest.mark.browser
COURSE = "/courses/strategi-pengembangan-perpustakaan-tik"


def test_take_a_quiz_end_to_end(live_server, browser):
    context = browser.new_context(viewport={"width": 360, "height": 800}, bypass_csp=True)
    page = context.new_page()
    violations = {}
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(QUIZ_TAKER)
    page.get_by_label("Kata sandi").fill("rahasia-123")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/dashboard")

    page.goto(live_server + COURSE)
    page.get_by_role("link", name="Kuis Modul 1: Transformasi Perpustakaan").click()
    violations["quiz"] = run_axe(page)
    page.get_by_role("button", name="Mulai kuis").click()
    page.wait_for_url("**/attempts/*")
    attempt_url = page.url
    violations["take"] = run_axe(page)
    screenshot(page, "quiz-take-360")

    # Answer the first question by clicking its first option; the page saves it by itself.
    first = page.locator("fieldset.question").first
    first.locator("input[type=radio]").first.check()
    page.locator(".save-status", has_text="Tersimpan").wait_for(timeout=10000)
    page.reload()
    assert page.locator("fieldset.question").first.locator("input[type=radio]").first.is_checked()

    page.get_by_role("button", name="Selesai dan kirim…").click()
    page.wait_for_url("**/submit")
    assert "Anda telah menjawab 1 dari 8 soal." in page.content()
    violations["confirm"] = run_axe(page)
    page.get_by_role("button", name="Kirim sekarang").click()
    page.wait_for_url("**/result")
    assert "Skor Anda" in page.content()
    violations["result"] = run_axe(page)
    screenshot(page, "quiz-result-360")

    # Going back to the attempt shows the result, not an editable form.
    page.goto(attempt_url)
    assert page.url.endswith("/result")
    context.close()
    found = {name: v for name, v in violations.items() if v}
    assert not found, json.dumps(found, indent=1)
