"""The whole chain in one walk, in Chromium at 360 px, as its users do it (issue 17's "done when"):
a trainee drafts her action plan (RTL) in the form, saves and submits it; the facilitator of her
cohort comments per section and asks for a revision; she revises and resubmits; he approves; she
downloads her certificate (the course requires an approved plan). Three months later (the cohort's
dates moved into the past, as the follow-up tests do) she reports two activities with photos,
then answers the training evaluation, the fifth of her cohort to do so, which releases the
answers to the aggregates. The organizer opens the cohort's chain report from her landing and
reads her regency's counts and the survey's means. Screenshots of the plan form and the report
at 360 px go to /tmp/shots/."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator

import pytest

from tests.browser.conftest import EXPECT_MS, run_axe, serving
from tests.conftest import ROOT, base_config

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser

TRAINEE = "rantai@perpusdes.id"
FACILITATOR = "pendamping-rantai@perpusdes.id"
ORGANIZER = "penyelenggara-rantai@perpusdes.id"
PASSWORD = "rahasia-123"
PHONE = {"width": 360, "height": 800}
WAIT = 30_000  # ms: the machine may be busy
SHOTS = Path("/tmp/shots")
# The other trainees' answers (materials, the facilitator, the platform), sent before hers.
OTHERS = [(4, 4, 5), (4, 5, 4), (3, 4, 4), (5, 5, 3)]
HERS = (4, 5, 5)


def picture(kind: str, color: tuple[int, int, int]) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (16, 12), color).save(out, kind)
    return out.getvalue()


@pytest.fixture(scope="module")
def chain_server(browser_ready, tmp_path_factory) -> Iterator[tuple[str, object, int]]:
    """A live server with a course that requires an approved plan and has an evaluation; a cohort
    that ended yesterday with the trainee, four other trainees (another regency) who already
    answered the evaluation, a facilitator and an organizer."""
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
    from lms.surveys import operations as surveys
    from lms.surveys import queries as survey_queries

    path = tmp_path_factory.mktemp("chain-walk") / "live.sqlite3"
    app = create_app({**base_config(f"sqlite:///{path}"), "WTF_CSRF_ENABLED": True})
    with app.app_context():
        upgrade()
        _reports, problems = import_courses(ROOT / "tests" / "data" / "chain" / "mini-c")
        assert not [p for p in problems if p.severity == "error"], problems
        course = db.session.scalar(select(Course).where(Course.slug == "mini-c"))
        today = date.today()
        cohort = create_cohort(course=course, slug="uji-rantai", name="Angkatan Uji Rantai", key="UJIRANTAI",
                               place="Amuntai", city="Amuntai", starts_on=today - timedelta(days=4),
                               ends_on=today - timedelta(days=1), signatory_name="Dra. Pejabat Uji, M.Si.",
                               signatory_title="Kepala Dinas")
        trainee = create_user(email=TRAINEE, full_name="Siti Aminah", password=PASSWORD,
                              institution="Perpustakaan Desa Sungai Harapan", position="Pengelola",
                              regency="Hulu Sungai Utara", province="63")
        enrol(trainee, cohort)
        facilitator = create_user(email=FACILITATOR, full_name="Yusuf Pendamping", password=PASSWORD,
                                  role="facilitator")
        organizer = create_user(email=ORGANIZER, full_name="Rina Penyelenggara", password=PASSWORD,
                                role="organizer")
        db.session.add_all([CohortStaff(cohort_id=cohort.id, user_id=facilitator.id, role="facilitator"),
                            CohortStaff(cohort_id=cohort.id, user_id=organizer.id, role="organizer")])
        db.session.flush()
        survey = survey_queries.survey_of(cohort)
        questions = survey_queries.questions(survey, cohort)
        assert [q.item.kind for q in questions] == ["likert", "likert", "likert", "comment"]
        for number, ratings in enumerate(OTHERS, start=1):
            other = create_user(email=f"peserta{number}@perpusdes.id", full_name=f"Peserta {number}",
                                password=PASSWORD, institution=f"Perpustakaan Desa Martapura {number}",
                                position="Pengelola", regency="Banjar", province="63")
            enrol(other, cohort)
            surveys.submit_survey(other, cohort, survey, questions,
                                  {q.field_name: str(r) for q, r in zip(questions, ratings)})
        db.session.commit()
        cohort_id = cohort.id
    with serving(app) as base:
        yield base, app, cohort_id


def login(browser, base: str, email: str):
    context = browser.new_context(viewport=PHONE, bypass_csp=True, accept_downloads=True)
    context.set_default_timeout(WAIT)
    page = context.new_page()
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/dashboard")
    return context, page


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def shoot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def three_months_later(app, cohort_id: int) -> None:
    """The clock moves on: the cohort ended 100 days ago (both follow-up rounds have fallen due)."""
    from lms.cohorts.models import Cohort
    from lms.extensions import db

    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        cohort.starts_on, cohort.ends_on = date.today() - timedelta(days=103), date.today() - timedelta(days=100)
        db.session.commit()


def held_activity(row, title: str, day: str, strategy: str, people: dict[tuple[str, str], str], story: str,
                  photos: list[dict]) -> None:
    row.get_by_label("Apa yang dilakukan?").fill(title)
    row.get_by_label("Tanggal").fill(day)
    row.get_by_label("Strategi TPBIS").select_option(label=strategy)
    for (age, sex), number in people.items():
        row.locator("fieldset.people-row", has_text=age).get_by_label(sex).fill(number)
    row.get_by_label("Mitra (pisahkan dengan koma)").fill("PKK, Karang Taruna")
    row.get_by_label("Kisah perubahan").fill(story)
    row.get_by_label("Tambah foto").set_input_files(photos)
    row.get_by_label("setuju difoto").check()


def table_row(page, caption: str, header: str) -> dict[str, str]:
    """The visible cells of one row of a captioned table, by column heading."""
    table = page.get_by_role("table", name=caption)
    row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=header, exact=True))
    expect(row).to_have_count(1)
    headings = table.locator("thead th").all_inner_texts()
    cells = [row.locator("th").inner_text()] + row.locator("td").all_inner_texts()
    return dict(zip(headings, cells))


@pytest.fixture
def patient():
    """expect(...) waits up to WAIT here, then the suite's default again for other modules."""
    expect.set_options(timeout=WAIT)
    yield
    expect.set_options(timeout=EXPECT_MS)


def test_plan_review_certificate_followup_survey_chain(chain_server, browser, tmp_path, patient):
    base, app, cohort_id = chain_server
    axe = {}

    # --- The trainee drafts her plan in the form, from the lesson that points to it.
    trainee, page = login(browser, base, TRAINEE)
    page.goto(base + "/courses/mini-c/lessons/bacaan-rencana")
    page.get_by_role("button", name="Tandai selesai").click()
    page.wait_for_load_state()
    page.goto(base + "/courses/mini-c/lessons/bacaan-rencana")
    page.get_by_role("link", name="formulir Rencana Aksi").click()
    page.get_by_role("button", name="Mulai rencana saya").click()
    page.wait_for_url("**/courses/mini-c/plan")
    expect(page.get_by_label("Perpustakaan", exact=True)).to_have_value("Perpustakaan Desa Sungai Harapan")
    page.get_by_label("Disusun bersama (tim, mitra di desa)").fill("Pengelola, ketua PKK, Karang Taruna")
    page.get_by_label("Bulan pertama").fill("2026-03")
    page.get_by_label("Bulan terakhir").fill("2026-08")
    page.get_by_label("Kebutuhan", exact=True).fill("Perajin purun menjual tikar polos dengan harga rendah")
    expect(page.locator(".save-status")).to_have_text("Draf tersimpan")  # saved as she types
    page.get_by_label("Bukti", exact=True).fill("Rapat warga, Januari 2026")
    page.get_by_label("Tujuan umum").fill("Perajin purun memperoleh penghasilan yang lebih baik")
    page.get_by_label("Tujuan khusus T1 (SMART)").fill("Akhir Mei 2026, 15 dari 20 peserta membuat produk baru")
    activity = page.locator("fieldset.plan-row", has_text="Kegiatan 1")
    activity.get_by_label("Apa yang akan dilakukan?").fill("Pelatihan desain anyaman, 4 sesi")
    activity.get_by_label("Pelibatan masyarakat").check()
    activity.get_by_label("Sasaran").fill("20 ibu perajin purun")
    activity.get_by_label("Mitra dan perannya").fill("PKK mengajak peserta dan mencatat daftar hadir")
    activity.get_by_label("Anggaran (Rp)").fill("1.500.000")
    activity.get_by_label("Sumber dana").select_option(label="APB Desa (termasuk Dana Desa)")
    activity.get_by_label("Mulai (bulan)").fill("2026-04")
    activity.get_by_label("Indikator").fill("Peserta yang membuat produk baru")
    activity.get_by_label("Target dan waktunya").fill("15 orang, akhir Mei")
    fits(page)
    shoot(page, "chain-plan-form-360")
    axe["plan form"] = run_axe(page)
    # She saves the draft, comes back to it later, and submits it.
    page.get_by_role("button", name="Simpan draf").last.click()
    expect(page.locator("main")).to_contain_text("Draf Anda telah disimpan.")
    page.goto(base + "/courses/mini-c/plan")
    expect(page.get_by_label("Target dan waktunya")).to_have_value("15 orang, akhir Mei")
    page.get_by_role("button", name="Kirim untuk diperiksa").click()
    expect(page.locator("main")).to_contain_text("Menunggu diperiksa")
    expect(page.locator("main")).to_contain_text("Rp 1.500.000")
    # Her lesson is done, but the course waits for an approved plan: no certificate yet.
    page.goto(base + "/dashboard")
    expect(page.locator("main")).to_contain_text("Rencana aksi saya: menunggu diperiksa")
    expect(page.get_by_role("link", name="Unduh sertifikat")).to_have_count(0)

    # --- Her facilitator comments per section and asks for a revision.
    facilitator, review = login(browser, base, FACILITATOR)
    expect(review.locator("main")).to_contain_text("Angkatan Uji Rantai: 1 rencana")
    expect(review.get_by_role("link", name="Rantai dampak: Angkatan Uji Rantai")).to_have_attribute(
        "href", f"/organizer/cohorts/{cohort_id}/chain")  # the landing links her cohort's chain
    review.get_by_role("link", name="Periksa rencana").click()
    review.get_by_role("link", name="Siti Aminah").click()
    needs = review.locator("fieldset.criterion", has_text="Kebutuhan warga dan buktinya")
    needs.get_by_label("Perlu diperbaiki").check()
    needs.get_by_label("Catatan untuk Kebutuhan warga dan buktinya").fill("Tambahkan data dari profil desa.")
    activities = review.locator("fieldset.criterion", has_text="Kegiatan, strategi")
    activities.get_by_label("Sudah memenuhi").check()
    activities.get_by_label("Catatan untuk Kegiatan, strategi, dan indikator").fill("Mitra dan perannya jelas.")
    review.get_by_role("button", name="Minta perbaikan").click()
    review.wait_for_url("**/plans")

    # --- She reads the comments, revises and resubmits.
    page.goto(base + "/courses/mini-c/plan")
    expect(page.locator("main")).to_contain_text("Tambahkan data dari profil desa.")
    expect(page.locator("main")).to_contain_text("Mitra dan perannya jelas.")
    page.get_by_label("Bukti", exact=True).fill("Rapat warga, Januari 2026; profil desa 2025: 31 perajin")
    page.get_by_role("button", name="Kirim untuk diperiksa").click()
    expect(page.locator("main")).to_contain_text("Menunggu diperiksa")

    # --- He approves.
    review.goto(base + "/plans")
    review.get_by_role("link", name="Siti Aminah").click()
    expect(review.locator("main")).to_contain_text("profil desa 2025: 31 perajin")
    for criterion in ("Kebutuhan warga dan buktinya", "Kegiatan, strategi"):
        review.locator("fieldset.criterion", has_text=criterion).get_by_label("Sudah memenuhi").check()
    review.get_by_role("button", name="Setujui rencana").click()
    review.wait_for_url("**/plans")
    expect(review.locator("main")).to_contain_text("Rencana telah disetujui.")
    facilitator.close()

    # --- Her plan is approved, and her certificate downloads.
    page.goto(base + "/courses/mini-c/plan")
    expect(page.locator("main")).to_contain_text("Disetujui")
    page.goto(base + "/dashboard")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Unduh sertifikat").click()
    pdf = tmp_path / "sertifikat.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    # No follow-up is due yet: the cohort ended yesterday.
    expect(page.locator("section.followup-card")).to_have_count(0)

    # --- Three months later: she reports two activities, with photos.
    three_months_later(app, cohort_id)
    page.goto(base + "/dashboard")
    card = page.locator("section.followup-card", has_text="bulan ke-3")
    expect(card).to_be_visible()
    card.get_by_role("link", name="Laporkan kegiatan perpustakaan Anda").click()
    page.get_by_role("button", name="Mulai laporan").click()
    page.wait_for_url("**/follow-ups/2")
    page.locator("fieldset", has_text="Kegiatan 1: Pelatihan desain anyaman").get_by_label(
        "Selesai", exact=True).check()
    held_activity(page.locator("fieldset.plan-row", has_text="Kegiatan terlaksana 1"),
                  "Pelatihan desain anyaman purun, 4 sesi", "2026-04-14", "Pelibatan masyarakat",
                  {("Dewasa", "Perempuan (P)"): "18", ("Dewasa", "Laki-laki (L)"): "2",
                   ("Lansia", "Perempuan (P)"): "3"},
                  "Bu Rina kini menjual tas purun bermotif ke pasar kecamatan.",
                  [{"name": "anyaman.png", "mimeType": "image/png", "buffer": picture("PNG", (200, 60, 60))},
                   {"name": "pasar.jpg", "mimeType": "image/jpeg", "buffer": picture("JPEG", (60, 160, 60))}])
    page.get_by_role("button", name="Tambah kegiatan terlaksana").click()
    page.wait_for_url("**/follow-ups/2#held-*")
    first_photos = page.locator("fieldset.plan-row", has_text="Kegiatan terlaksana 1").locator("ul.photos img")
    expect(first_photos).to_have_count(2)
    held_activity(page.locator("fieldset.plan-row", has_text="Kegiatan terlaksana 2"),
                  "Kelas membaca anak setiap Sabtu", "2026-05-16", "Layanan informasi",
                  {("Anak", "Laki-laki (L)"): "7", ("Anak", "Perempuan (P)"): "9"},
                  "Dimas kini membacakan cerita untuk adiknya.",
                  [{"name": "kelas.jpg", "mimeType": "image/jpeg", "buffer": picture("JPEG", (60, 60, 200))}])
    page.get_by_role("button", name="Kirim laporan").click()
    expect(page.locator("main")).to_contain_text("Terima kasih: laporan tindak lanjut Anda sudah terkirim.")
    expect(page.locator("article.held-activity")).to_have_count(2)
    expect(page.locator("article.held-activity img")).to_have_count(3)
    fits(page)

    # --- She answers the training evaluation, the fifth trainee of her cohort to do so.
    page.goto(base + "/courses/mini-c")
    page.get_by_role("link", name="Isi evaluasi pelatihan").click()
    page.wait_for_url(f"**/cohorts/{cohort_id}/survey")
    groups = page.locator("fieldset.question")
    expect(groups).to_have_count(3)
    expect(page.get_by_role("group", name="Yusuf Pendamping menyampaikan materi dengan jelas.")).to_be_visible()
    scale = {4: "4 · Setuju", 5: "5 · Sangat setuju"}
    for index, rating in enumerate(HERS):
        groups.nth(index).get_by_role("radio", name=scale[rating]).check()
    page.get_by_label("Saran untuk perbaikan penyelenggaraan berikutnya").fill("Waktu praktik ditambah.")
    page.get_by_role("button", name="Kirim evaluasi saya").click()
    page.wait_for_url("**/courses/mini-c")
    expect(page.locator("main")).to_contain_text("Evaluasi pelatihan: sudah diisi")
    trainee.close()

    # --- The organizer opens the cohort's chain from her landing.
    organizer, report = login(browser, base, ORGANIZER)
    report.get_by_role("link", name="Rantai dampak: Angkatan Uji Rantai").click()
    report.wait_for_url(f"**/organizer/cohorts/{cohort_id}/chain")
    expect(report.get_by_role("heading", level=1)).to_have_text("Rantai dampak: Angkatan Uji Rantai")
    main = report.locator("main")
    expect(main).to_contain_text("5 dari 5 peserta menjawab; 5 jawaban masuk dalam rangkuman di bawah ini.")
    stats = report.locator("dl.stats")
    for label, value in (("Menjawab evaluasi", "5"), ("Rencana disetujui", "1"),
                         ("Kegiatan yang terlaksana", "2"), ("Orang yang dijangkau", "39")):
        expect(stats.locator("div", has=report.locator("dt", has_text=label)).locator("dd")).to_have_text(value)

    # Reaction: the means of the five answers, and how many gave each rating.
    ratings = table_row(report, "Penilaian", "Materi: Saya dapat menerapkan materi dalam kegiatan perpustakaan.")
    assert ratings["Jawaban"] == "5" and ratings["Rata-rata (1-5)"] == "4", ratings
    assert [ratings[str(v)] for v in range(1, 6)] == ["0", "0", "1", "3", "1"], ratings
    named = table_row(report, "Penilaian", "Fasilitator: Yusuf Pendamping menyampaikan materi dengan jelas.")
    assert named["Rata-rata (1-5)"] == "4,6" and named["5"] == "3", named
    phone = table_row(report, "Penilaian",
                      "Platform pembelajaran: Materi dapat dibaca dengan baik melalui telepon genggam.")
    assert phone["Rata-rata (1-5)"] == "4,2", phone
    assert "Waktu praktik ditambah." not in main.inner_text()  # comments are not on the chain page

    # Behaviour and results in her regency; the other regency's trainees made no plan.
    hers = table_row(report, "Rantai dampak per kabupaten/kota", "Kabupaten Hulu Sungai Utara")
    assert hers["Peserta"] == "1", hers
    assert hers["Rencana dikirim untuk ditinjau"] == "1" and hers["Rencana disetujui"] == "1", hers
    assert hers["Laporan terkirim, putaran 2"] == "1", hers  # month 3; only rounds with a report have a column
    assert hers["Kegiatan yang terlaksana"] == "2" and hers["Orang yang dijangkau"] == "39", hers
    assert hers["Laki-laki (L)"] == "9" and hers["Perempuan (P)"] == "30", hers
    others = table_row(report, "Rantai dampak per kabupaten/kota", "Kabupaten Banjar")
    assert others["Peserta"] == "4" and others["Rencana disetujui"] == "0" and others["Kegiatan yang terlaksana"] == "0"
    expect(main).to_contain_text("Bu Rina kini menjual tas purun bermotif ke pasar kecamatan.")
    fits(report)
    shoot(report, "chain-report-360")
    axe["chain report"] = run_axe(report)
    organizer.close()
    assert {name: v for name, v in axe.items() if v} == {}
