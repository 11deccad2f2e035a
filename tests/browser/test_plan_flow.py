"""In a real browser at phone width: a trainee drafts her action plan, submits it, gets comments,
revises, gets approval and downloads her certificate (on a course that requires the plan)."""

from __future__ import annotations

from datetime import date
from typing import Iterator

import pytest

from tests.browser.conftest import run_axe, screenshot, serving
from tests.conftest import ROOT, base_config

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser

TRAINEE = "rtl@perpusdes.id"
FACILITATOR = "pendamping@perpusdes.id"
PASSWORD = "rahasia-123"
PHONE = {"width": 360, "height": 800}


@pytest.fixture(scope="module")
def plan_server(browser_ready, tmp_path_factory) -> Iterator[str]:
    """A live server with the small course that requires an approved plan, a trainee and her facilitator."""
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

    path = tmp_path_factory.mktemp("plans") / "live.sqlite3"
    app = create_app({**base_config(f"sqlite:///{path}"), "WTF_CSRF_ENABLED": True})
    with app.app_context():
        upgrade()
        _reports, problems = import_courses(ROOT / "tests" / "data" / "plans" / "mini-p")
        assert not [p for p in problems if p.severity == "error"]
        course = db.session.scalar(select(Course).where(Course.slug == "mini-p"))
        cohort = create_cohort(course=course, slug="uji-rtl", name="Angkatan Uji RTL", key="UJIRTL",
                               place="Banjarmasin", city="Banjarmasin", starts_on=date(2026, 6, 14),
                               ends_on=date(2026, 6, 17), signatory_name="Dra. Pejabat Uji, M.Si.",
                               signatory_title="Kepala Dinas")
        trainee = create_user(email=TRAINEE, full_name="Siti Aminah", password=PASSWORD,
                              institution="Perpustakaan Desa Sungai Harapan", position="Pengelola",
                              regency="Hulu Sungai Utara", province="63")
        enrol(trainee, cohort)
        facilitator = create_user(email=FACILITATOR, full_name="Yusuf Pendamping", password=PASSWORD,
                                  role="facilitator")
        db.session.add(CohortStaff(cohort_id=cohort.id, user_id=facilitator.id, role="facilitator"))
        db.session.commit()
    with serving(app) as base:
        yield base


def login(browser, base: str, email: str):
    context = browser.new_context(viewport=PHONE, bypass_csp=True, accept_downloads=True)
    page = context.new_page()
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/dashboard")
    return context, page


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def cold_weight(context, page, url: str) -> int:
    """Bytes transferred (headers and encoded bodies) to load the page with an empty cache."""
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    sizes: list[int] = []

    def finished(request) -> None:
        measured = request.sizes()
        sizes.append(measured["responseBodySize"] + measured["responseHeadersSize"])

    page.on("requestfinished", finished)
    page.goto(url, wait_until="networkidle")
    page.remove_listener("requestfinished", finished)
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    return sum(sizes)


def test_plan_drafted_reviewed_revised_approved_then_certificate(plan_server, browser, tmp_path):
    found = {}
    trainee, page = login(browser, plan_server, TRAINEE)
    page.goto(plan_server + "/courses/mini-p/lessons/bacaan-rencana")
    page.get_by_role("button", name="Tandai selesai").click()  # marks it done and goes to the next step
    page.wait_for_load_state()
    page.goto(plan_server + "/courses/mini-p/lessons/bacaan-rencana")  # back to the lesson's link to the form
    page.get_by_role("link", name="formulir Rencana Aksi").click()
    page.get_by_role("button", name="Mulai rencana saya").click()
    page.wait_for_url("**/courses/mini-p/plan")
    weight = cold_weight(trainee, page, plan_server + "/courses/mini-p/plan")
    print(f"plan form, cold: {weight} bytes transferred")
    assert weight < 60 * 1024, weight
    found["form"] = run_axe(page)
    fits(page)

    # A half-filled draft is kept, autosaved as she types...
    assert page.get_by_label("Perpustakaan", exact=True).input_value() == "Perpustakaan Desa Sungai Harapan"
    page.get_by_label("Disusun bersama (tim, mitra di desa)").fill("Pengelola, ketua PKK, Karang Taruna")
    page.get_by_label("Kebutuhan", exact=True).fill("Perajin purun menjual tikar polos dengan harga rendah")
    page.wait_for_function("document.querySelector('.save-status').textContent === 'Draf tersimpan'")
    page.reload()
    assert page.get_by_label("Kebutuhan", exact=True).input_value().startswith("Perajin purun")
    # ... but cannot be submitted: the page says which sections are missing.
    page.get_by_role("button", name="Kirim untuk diperiksa").click()
    gaps = page.locator("#plan-gaps")
    assert "Kebutuhan 1: tulis buktinya" in gaps.inner_text()
    assert "Tujuan: tulis tujuan umum." in gaps.inner_text()
    found["gaps"] = run_axe(page)

    page.get_by_label("Bulan pertama").fill("2026-03")
    page.get_by_label("Bulan terakhir").fill("2026-08")
    page.get_by_label("Bukti", exact=True).fill("Rapat warga, Januari 2026")
    page.get_by_label("Tujuan umum").fill("Perajin purun memperoleh penghasilan yang lebih baik")
    page.get_by_label("Tujuan khusus T1 (SMART)").fill("Akhir Mei 2026, 15 dari 20 peserta membuat produk baru")
    activity = page.locator("fieldset.plan-row", has_text="Kegiatan 1")
    activity.get_by_label("Apa yang akan dilakukan?").fill("Pelatihan desain anyaman, 4 sesi")
    activity.get_by_label("Pelibatan masyarakat").check()
    activity.get_by_label("Sasaran").fill("20 ibu perajin purun")
    activity.get_by_label("Mitra dan perannya").fill("PKK mengajak peserta dan mencatat daftar hadir")
    activity.get_by_label("Anggaran (Rp)").fill("1,5 juta")
    activity.get_by_label("Sumber dana").select_option(label="APB Desa (termasuk Dana Desa)")
    activity.get_by_label("Mulai (bulan)").fill("2026-04")
    activity.get_by_label("Indikator").fill("Peserta yang membuat produk baru")
    activity.get_by_label("Target dan waktunya").fill("15 orang, akhir Mei")
    page.get_by_role("button", name="Kirim untuk diperiksa").click()
    expect(page.locator("body")).to_contain_text("Tulis jumlahnya dengan angka: 1.500.000.")
    page.locator("fieldset.plan-row", has_text="Kegiatan 1").get_by_label("Anggaran (Rp)").fill("1.500.000")
    page.get_by_role("button", name="Kirim untuk diperiksa").click()
    page.wait_for_selector("text=Menunggu diperiksa")
    assert "Rp 1.500.000" in page.content()

    facilitator, review = login(browser, plan_server, FACILITATOR)
    assert "1 rencana" in review.content()
    review.get_by_role("link", name="Periksa rencana").click()
    review.get_by_role("link", name="Siti Aminah").click()
    found["review"] = run_axe(review)
    fits(review)
    needs = review.locator("fieldset.criterion", has_text="Kebutuhan warga dan buktinya")
    needs.get_by_label("Perlu diperbaiki").check()
    needs.get_by_label("Catatan untuk Kebutuhan warga dan buktinya").fill("Tambahkan data dari profil desa.")
    review.locator("fieldset.criterion", has_text="Kegiatan, strategi").get_by_label("Sudah memenuhi").check()
    review.get_by_role("button", name="Minta perbaikan").click()
    review.wait_for_url("**/plans")

    page.goto(plan_server + "/courses/mini-p/plan")
    assert "Tambahkan data dari profil desa." in page.content()
    page.get_by_label("Bukti", exact=True).fill("Rapat warga, Januari 2026; profil desa 2025: 31 perajin")
    page.get_by_role("button", name="Kirim untuk diperiksa").click()
    page.wait_for_selector("text=Menunggu diperiksa")
    screenshot(page, "plan-submitted-360")

    review.goto(plan_server + "/plans")
    review.get_by_role("link", name="Siti Aminah").click()
    for criterion in ("Kebutuhan warga dan buktinya", "Kegiatan, strategi"):
        review.locator("fieldset.criterion", has_text=criterion).get_by_label("Sudah memenuhi").check()
    review.get_by_role("button", name="Setujui rencana").click()
    review.wait_for_url("**/plans")
    assert "Rencana telah disetujui." in review.content()

    page.goto(plan_server + "/courses/mini-p/plan")
    assert "Disetujui" in page.content()
    found["approved"] = run_axe(page)
    page.get_by_role("link", name="Versi 1").click()
    expect(page.locator("body")).to_contain_text("Tambahkan data dari profil desa.")
    page.goto(plan_server + "/dashboard")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Unduh sertifikat").click()
    pdf = tmp_path / "sertifikat.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    facilitator.close()
    trainee.close()
    assert {name: v for name, v in found.items() if v} == {}
