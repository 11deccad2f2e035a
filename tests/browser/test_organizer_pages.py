"""The organizer's pages pass the axe-core checks at phone and desktop widths."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import ORGANIZER, run_axe, screenshot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [360, 1280])
def test_organizer_pages_are_accessible(live_server, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(ORGANIZER)
    page.get_by_label("Kata sandi").fill("rahasia-123")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/dashboard")
    found = {}
    page.goto(live_server + "/organizer/cohorts")
    found["cohorts"] = run_axe(page)
    page.get_by_role("link", name="Angkatan Uji Kalimantan Selatan").click()
    found["cohort"] = run_axe(page)
    page.get_by_role("link", name="Laporan").first.click()
    page.wait_for_url("**/report")
    found["report"] = run_axe(page)
    screenshot(page, f"report-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.go_back()
    page.get_by_role("link", name="Impor peserta").first.click()
    found["import"] = run_axe(page)
    # An office-made workbook: the preview with a row to fix, usable on a phone.
    from tests.cohorts.test_office_sheets import office_workbook

    page.locator("input[type=file]").set_input_files(
        {"name": "peserta.xlsx", "buffer": office_workbook(),
         "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url("**/organizer/imports/*")
    assert page.get_by_label("Kabupaten/kota (tertulis: Kab. Bato la)").is_visible()
    found["import_preview"] = run_axe(page)
    screenshot(page, f"import-preview-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.go_back()
    page.go_back()
    page.get_by_role("link", name="Sertifikat").first.click()
    found["certificates"] = run_axe(page)
    context.close()
    found = {name: v for name, v in found.items() if v}
    assert not found, json.dumps(found, indent=1)
