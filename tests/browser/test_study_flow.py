"""In a real browser: register with a key, open a lesson, mark it done, see the bar move;
and axe-core finds no serious or critical accessibility problem on those pages."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import LIVE_KEY, run_axe, screenshot

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser


def progress_value(page) -> int:
    return int(page.locator("progress").first.get_attribute("value"))


@pytest.mark.parametrize("width", [360, 1280])
def test_register_study_and_progress(live_server, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True, locale="id-ID")
    page = context.new_page()
    violations = {}

    page.goto(live_server + "/register")
    violations["register"] = run_axe(page)
    page.get_by_label("Kode pendaftaran").fill(LIVE_KEY.lower())
    page.get_by_label("Email").fill(f"ani{width}@perpusdes.id")
    page.get_by_label("Kata sandi", exact=True).fill("rahasia-123")
    page.get_by_label("Ulangi kata sandi").fill("rahasia-123")
    page.get_by_label("Nama lengkap").fill("Ani Rahmawati, A.Md.")
    page.get_by_label("Jabatan").fill("Pengelola perpustakaan desa")
    page.get_by_label("Instansi").fill("Perpustakaan Desa Batulicin")
    page.get_by_label("Provinsi").select_option("63")
    page.get_by_label("Kabupaten/kota").select_option("63.10")  # from Kemendagri's list
    page.get_by_role("button", name="Daftar").click()

    page.wait_for_url("**/dashboard")
    assert "Strategi Pengembangan Perpustakaan dan TIK" in page.content()
    assert progress_value(page) == 0
    violations["dashboard"] = run_axe(page)
    screenshot(page, f"dashboard-{width}")

    page.get_by_role("link", name="Mulai belajar").click()  # the next step: the pre-test first
    page.wait_for_url("**/quizzes/pre-test")
    page.get_by_role("link", name="Strategi Pengembangan Perpustakaan dan TIK").click()  # breadcrumb
    page.locator("details[open] .lesson-item a").first.click()  # the first lesson, in the open module
    page.wait_for_url("**/lessons/**")
    assert page.locator("h1").inner_text()
    violations["lesson"] = run_axe(page)
    screenshot(page, f"lesson-{width}")
    first_lesson = page.url

    page.get_by_role("button", name="Tandai selesai dan lanjutkan").click()
    page.wait_for_url("**/quizzes/pre-test")  # the next step: the pre-test she has not taken yet
    assert "Materi ditandai selesai." in page.content()

    page.get_by_role("link", name="Kursus Saya").first.click()
    page.wait_for_url("**/dashboard")
    assert progress_value(page) > 0

    page.get_by_role("link", name="Strategi Pengembangan Perpustakaan dan TIK").click()
    violations["course"] = run_axe(page)
    screenshot(page, f"course-{width}")
    assert page.locator(".lesson-item.status-done").count() == 1

    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url("**/login")
    violations["login"] = run_axe(page)
    context.close()
    found = {name: v for name, v in violations.items() if v}
    assert not found, json.dumps(found, indent=1)


def test_reading_works_without_javascript(live_server, browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill("tanpa-js@perpusdes.id")
    # Not registered: the form answers with an error, rendered by the server.
    page.get_by_label("Kata sandi").fill("salah-sekali")
    page.get_by_role("button", name="Masuk").click()
    expect(page.locator("body")).to_contain_text("Email atau kata sandi salah.")
    context.close()
