"""In a real browser at 360 px: the organizer from a sheet with bad rows to a partial import, a
fixed row, the stragglers and their WhatsApp reminders; the facilitator's and organizer's
landing pages. axe finds nothing serious and no page scrolls sideways."""

from __future__ import annotations

import json
import re

import pytest

from tests.browser.conftest import FACILITATOR, ORGANIZER, run_axe, screenshots

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

SHEET = ("DAFTAR PESERTA BIMTEK\n"
         "Nama;Email;Instansi;Kabupaten/Kota\n"
         "Siti Aminah;siti.aminah@perpusdes.id;Perpustakaan Desa Banua Lawas;HSU\n"
         "Budi Santoso;budi.santoso@perpusdes.id;Perpustakaan Desa Sungai Harapan;Banjarmasin\n"
         "Ani Lestari;ani.lestari(at)perpusdes.id;Perpustakaan Desa Pandulangan;HST\n"
         "Dewi Sartika;dewi.sartika@perpusdes.id;Perpustakaan Desa Tamban;Kab. Bato la\n"
         "Jumlah;;;\n")


def login(browser, live_server, email, width=360):
    context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True, locale="id-ID")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = context.new_page()
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill("rahasia-123")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/dashboard")
    return context, page


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def check(page, found: dict, name: str, shots: str | None = None) -> None:
    """axe at this width, no sideways scrolling; screenshots at 1280 and 360 px when named."""
    found[name] = run_axe(page)
    assert fits(page), f"{name} scrolls sideways at {page.viewport_size['width']} px"
    if shots:
        width = page.viewport_size["width"]
        page.set_viewport_size({"width": 1280, "height": 900})
        screenshots(page, shots)  # 1280 px, then 360 px; leaves the page at 1280 px
        page.set_viewport_size({"width": width, "height": 800})


def test_facilitator_lands_on_her_cohorts_and_results(live_server, browser):
    context, page = login(browser, live_server, FACILITATOR)
    found: dict = {}
    expect(page.get_by_role("heading", name="Ringkasan", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Antrean penilaian")).to_be_visible()
    expect(page.get_by_text("Angkatan Uji Kalimantan Selatan")).to_be_visible()
    assert page.get_by_role("link", name="Laporan").count() == 0  # she does not run the cohort
    check(page, found, "facilitator-landing", shots="facilitator-landing")
    # The same landing in English still fits a phone.
    page.get_by_label("Bahasa").select_option("en")
    page.get_by_role("button", name="Ganti").click()
    expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    # The English footer's language form overflows by 3 px on every page (issue 14, item 6, fixed
    # on the phone branch); the landing's own content must fit.
    found["facilitator-landing-en"] = run_axe(page)
    assert not page.evaluate("""() => Array.from(document.querySelectorAll('main *'))
        .filter(e => e.getBoundingClientRect().right > window.innerWidth).map(e => e.outerHTML.slice(0, 80))""")
    page.locator(".staff-cohort").get_by_role("link", name="Results").click()
    page.wait_for_url(re.compile(r".*/results\?cohort=\d+$"))
    context.close()
    found = {name: v for name, v in found.items() if v}
    assert not found, json.dumps(found, indent=1)


def test_organizer_imports_a_sheet_with_bad_rows_fixes_one_and_reminds_stragglers(live_server, browser):
    context, page = login(browser, live_server, ORGANIZER)
    found: dict = {}
    # The landing: her cohort, its lagging trainees.
    expect(page.get_by_role("heading", name="Peserta yang tertinggal")).to_be_visible()
    cohort = page.locator(".staff-cohort", has_text="Angkatan Uji Kalimantan Selatan")
    expect(cohort.get_by_role("link", name="1 tertinggal")).to_be_visible()
    check(page, found, "organizer-landing", shots="organizer-landing")

    # A sheet with a title row, a bad email, a misspelt regency and a totals row.
    cohort.get_by_role("link", name="Impor peserta").click()
    page.get_by_label("Lembar peserta (CSV atau XLSX)").set_input_files(
        {"name": "peserta-hsu.csv", "mimeType": "text/csv", "buffer": SHEET.encode("utf-8")})
    page.get_by_role("button", name="Periksa berkas").click()
    page.wait_for_url("**/organizer/imports/*")
    expect(page.get_by_role("heading", name="Baris yang perlu keputusan")).to_be_visible()
    assert page.locator("#waiting-title + ul > li").count() == 2
    check(page, found, "import-preview")

    # The two good rows go in now; the other two wait.
    page.get_by_role("button", name="Impor 2 baris yang siap sekarang").click()
    expect(page.locator("#import-summary")).to_contain_text("Sudah diimpor: 2")
    assert page.locator("#waiting-title + ul > li").count() == 2

    # One row fixed in place: the email corrected; it becomes ready and is imported.
    row = page.locator(".card", has_text="Ani Lestari")
    row.get_by_label("Email").fill("ani.lestari@perpusdes.id")
    row.get_by_role("button", name="Simpan perbaikan").click()
    expect(page.get_by_role("button", name="Impor 1 baris yang siap sekarang")).to_be_visible()
    page.get_by_role("button", name="Impor 1 baris yang siap sekarang").click()
    expect(page.locator("#import-summary")).to_contain_text("Sudah diimpor: 3")
    # The misspelt regency still waits, with a suggestion to pick.
    dewi = page.locator(".card", has_text="Dewi Sartika")
    expect(dewi.get_by_label("Kabupaten/kota (tertulis: Kab. Bato la)")).to_contain_text("Barito Kuala")
    check(page, found, "import-after-fix")

    # The report: the stragglers, all chosen at once, a WhatsApp message per trainee.
    page.goto(live_server + "/dashboard")
    page.locator(".staff-cohort", has_text="Angkatan Uji Kalimantan Selatan").get_by_role(
        "link", name=re.compile(r"\d+ tertinggal")).click()
    page.wait_for_url(re.compile(r".*/report\?inactive=7.*"))
    select_all = page.get_by_label("Pilih semua yang ditampilkan dan belum selesai")
    expect(select_all).to_be_visible()  # shown by staff.js
    select_all.check()
    boxes = page.locator('input[name="user_id"]')
    assert boxes.count() == 4  # Rahmawati and the three imported
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    check(page, found, "report-stragglers")
    page.get_by_role("button", name="Buat pesan WhatsApp").click()
    expect(page.get_by_role("heading", name="Pesan WhatsApp")).to_be_visible()
    siti = page.locator(".message", has_text="Siti Aminah")
    expect(siti.get_by_role("link", name="Buka di WhatsApp")).to_have_attribute("href", re.compile(r"^https://wa\.me/\?text=Halo%20Siti%20Aminah"))
    siti.get_by_role("button", name="Salin pesan untuk Siti Aminah").click()
    expect(siti.get_by_role("status")).to_have_text("Tersalin.")
    assert page.evaluate("navigator.clipboard.readText()").startswith("Halo Siti Aminah, ini pengingat")
    group = page.get_by_role("textbox", name="Pesan grup").input_value()
    assert "Siti Aminah" not in group and "Rahmawati" not in group
    check(page, found, "reminders", shots="reminders")
    siti.get_by_label("Sudah saya kirim ke Siti Aminah").check()
    page.get_by_role("button", name="Catat pengingat yang sudah saya kirim").click()
    expect(page.get_by_text("1 pengingat WhatsApp dicatat.")).to_be_visible()
    expect(page.get_by_text(re.compile("Diingatkan"))).to_have_count(1)

    # TODO(journey): a stuck trainee given an extra attempt. The stuck reasons in the report and
    # the grant (quizzes.grant_attempt, "Grant another attempt" / "Grant one attempt" with a
    # reason, in the report's status cell) are on the journey branch. Once merged, continue
    # here: let Rahmawati use every attempt at a module quiz without passing (as the trainee, or
    # with lms.quizzes.attempts in the fixture), open the report with ?status=stuck_attempts,
    # open "Grant another attempt" on her row, give a reason, grant it, and check that her
    # record (the "Attempts" page) logs the grant and her quiz page offers a new attempt.
    context.close()
    found = {name: v for name, v in found.items() if v}
    assert not found, json.dumps(found, indent=1)
