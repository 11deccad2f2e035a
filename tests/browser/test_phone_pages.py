"""Every page type at 360 px, in Indonesian and in English: nothing wider than the screen
(document.documentElement.scrollWidth <= 360) and no serious or critical axe-core issue. The
quiz's sticky bar never hides the focused control, and the save status sits in the bar."""

from __future__ import annotations

import json
import re

import pytest

from tests.browser.conftest import FACILITATOR, ORGANIZER, QUIZ_TAKER, run_axe, screenshot

pytestmark = pytest.mark.browser
WIDTH = 360
COURSE = "/courses/strategi-pengembangan-perpustakaan-tik"
LESSON_WITH_TABLE = COURSE + "/lessons/rencana-kegiatan-mitra-anggaran"


def _language(page, lang: str) -> None:
    """Switch with the footer's form, as a person would; it comes back to the same page."""
    if page.locator("html").get_attribute("lang") == lang:
        return
    page.locator("#language-select").select_option(lang)
    with page.expect_navigation():
        page.locator(".language-form button[type=submit]").click()
    assert page.locator("html").get_attribute("lang") == lang


def _check(page, name: str, problems: dict, *, shot: str | None = None) -> None:
    """The page in both languages: its width and axe; back in Indonesian afterwards."""
    for lang in ("id", "en"):
        _language(page, lang)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > innerWidth + 0.5 && !e.closest('.table-wrap, .table-scroll'))
                .slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').trim().slice(0, 40))""")
            problems[f"{name} ({lang}) is {width} px wide"] = wide
        violations = run_axe(page)
        if violations:
            problems[f"{name} ({lang}) axe"] = violations
        if shot and lang == "id":
            screenshot(page, shot)
    _language(page, "id")


def _log_in(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill("rahasia-123")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def test_every_page_type_fits_a_phone_in_both_languages(live_server, browser):
    context = browser.new_context(viewport={"width": WIDTH, "height": 800}, bypass_csp=True)
    page = context.new_page()
    problems: dict = {}

    for path, name in (("/login", "login"), ("/register", "register"), ("/verify", "verify")):
        page.goto(live_server + path)
        _check(page, name, problems, shot="register-360" if name == "register" else None)

    # A trainee: dashboard, course, lessons (one with a wide table), profile, a quiz and its result.
    _log_in(page, live_server, QUIZ_TAKER)
    page.goto(live_server + "/dashboard")
    _check(page, "dashboard", problems)
    page.goto(live_server + COURSE)
    _check(page, "course", problems)
    page.locator("a[href*='/lessons/']").first.click()
    _check(page, "lesson", problems)
    page.goto(live_server + LESSON_WITH_TABLE)
    _check(page, "lesson with a table", problems)
    # Table cells wrap between words, never inside one ("perpustaka|an").
    # (A hyphen is a boundary too: "sekurang-|kurangnya" may wrap there.)
    broken = page.evaluate("""() => [...document.querySelectorAll('.lesson-body td, .lesson-body th')].filter(cell => {
        const range = document.createRange(), walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        let text;
        while ((text = walker.nextNode())) {
          const word = /[^\\s\u2010-\u2014-]+/g; let m;
          while ((m = word.exec(text.data))) {
            range.setStart(text, m.index); range.setEnd(text, m.index + m[0].length);
            if (new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1) return true;
          }
        }
        return false;
      }).map(cell => cell.textContent.trim().slice(0, 40))""")
    assert not broken, broken
    page.goto(live_server + "/profile")
    _check(page, "profile", problems)

    page.goto(live_server + COURSE + "/quizzes/pre-test")
    page.locator("form[action$='/start'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/attempts/\d+$"))
    _check(page, "quiz take", problems, shot="quiz-take-360")
    # The save status is in the sticky bar, and Tab never leaves the focused control under it.
    assert page.locator(".quiz-actions .save-status").count() == 1
    hidden = []
    for stop in range(40):
        page.keyboard.press("Tab")
        hidden_now = page.evaluate("""() => {
            const el = document.activeElement, bar = document.querySelector('.quiz-actions');
            if (!el || !bar || bar.contains(el) || !el.closest('#quiz-form')) return null;
            const r = el.getBoundingClientRect(), b = bar.getBoundingClientRect();
            return r.bottom > b.top + 1 ? (el.name || el.id) + ' ' + Math.round(r.bottom) + '>' + Math.round(b.top) : null;
        }""")
        if hidden_now:
            hidden.append(hidden_now)
    assert not hidden, hidden
    page.screenshot(path=str(screenshot.__globals__["ARTIFACTS"] / "quiz-take-bar-360.png"))  # the screen as seen
    page.locator("button[value=review]").click()
    page.wait_for_url("**/submit")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url("**/result")
    _check(page, "quiz result", problems)

    # A facilitator: the results tables; "Review" is on screen without scrolling sideways.
    context.clear_cookies()
    _log_in(page, live_server, FACILITATOR)
    page.goto(live_server + COURSE + "/results")
    _check(page, "results", problems)
    page.goto(live_server + COURSE + "/quizzes/pre-test/results")
    _check(page, "quiz results", problems)
    for lang in ("id", "en"):
        _language(page, lang)
        review = page.get_by_role("link", name={"id": "Tinjau", "en": "Review"}[lang]).first
        box = review.bounding_box()
        assert box is not None and box["x"] + box["width"] <= WIDTH, (lang, box)
    _language(page, "id")

    # An organizer: the cohort report, the places to fix, an import preview, the certificates.
    context.clear_cookies()
    _log_in(page, live_server, ORGANIZER)
    page.goto(live_server + "/organizer/cohorts")
    _check(page, "cohorts", problems)
    page.locator("main a[href*='/organizer/cohorts/']").filter(has_text="Angkatan Uji").first.click()
    cohort_url = page.url.split("?")[0].rstrip("/")
    page.goto(cohort_url + "/report")
    _check(page, "cohort report", problems)
    page.goto(cohort_url + "/regencies")
    _check(page, "regencies to fix", problems)
    page.goto(cohort_url + "/certificates")
    _check(page, "certificate list", problems)
    page.goto(cohort_url + "/import")
    from tests.cohorts.test_office_sheets import office_workbook

    page.locator("input[type=file]").set_input_files(
        {"name": "peserta.xlsx", "buffer": office_workbook(),
         "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url("**/organizer/imports/*")
    _check(page, "import preview", problems)
    context.close()
    assert not problems, json.dumps(problems, indent=1)


def test_registration_chooses_the_regency_from_the_list(live_server, browser):
    """The province narrows the regency list (JavaScript); the code is what is stored."""
    context = browser.new_context(viewport={"width": WIDTH, "height": 800}, bypass_csp=True)
    page = context.new_page()
    page.goto(live_server + "/register")
    regency = page.locator("select[name=regency]")
    assert regency.locator("option").count() > 500  # every regency/city, grouped by province
    page.locator("select[name=province]").select_option("63")
    labels = regency.locator("option").all_inner_texts()
    assert "Kabupaten Hulu Sungai Utara (HSU)" in labels and "Kota Bandung" not in labels
    assert len(labels) == 14  # the 13 of Kalimantan Selatan and the prompt
    regency.select_option("63.08")
    screenshot(page, "register-regency-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    context.close()
