"""The bundled course: honest hours, phone-sized tables, and templates that download and open."""

from __future__ import annotations

import io
import shutil

from docx import Document
from openpyxl import load_workbook

from lms.content.loader import load_course
from tests.conftest import DATA, ROOT, login

COURSE = ROOT / "courses" / "strategi-pengembangan-perpustakaan-tik"
SLUG = "strategi-pengembangan-perpustakaan-tik"


def test_bundled_course_has_no_warnings_and_claims_its_content_hours():
    spec, problems = load_course(COURSE)
    assert [str(p) for p in problems] == []
    assert spec.jp_hours == spec.content_jp()
    assert spec.minutes_per_jp == 45


def test_pre_post_bank_covers_every_module_without_repeating_module_quizzes():
    spec, _ = load_course(COURSE)
    bank = spec.gift_banks["tes-awal-akhir.gift"]
    assert len(bank) >= 18
    module_stems = {q.stem.strip() for quiz in spec.quizzes if quiz.kind == "module" for q in quiz.questions}
    assert not [q.key for q in bank if q.stem.strip() in module_stems]
    text = (COURSE / "tes-awal-akhir.gift").read_text()
    for topic in ("SIM TPBIS", "fasilitasi"):
        assert topic in text
    assert "19/2015" not in text and "19 Tahun 2015" not in text


def test_templates_open_with_their_columns():
    attendance = load_workbook(COURSE / "files" / "daftar-hadir.xlsx")
    assert attendance.sheetnames == ["Daftar hadir", "Pendaftaran"]
    header = [c.value for c in attendance["Daftar hadir"][7]]
    assert header[:2] == ["No", "Nama"] and "Setuju difoto (Ya/Tidak)" in header
    assert "Nomor ponsel" not in header  # kept on the registration sheet only
    assert "Nomor ponsel" in [c.value for c in attendance["Pendaftaran"][4]]

    log = load_workbook(COURSE / "files" / "catatan-kegiatan.xlsx")
    assert log.sheetnames == ["Kegiatan", "Hadir", "Rekap"]
    assert [c.value for c in log["Kegiatan"][1]][:4] == ["Tanggal", "Kegiatan", "Jenis", "Strategi TPBIS"]
    assert log["Kegiatan"]["I2"].value == '=IF(COUNT(G2:H2)=0,"",G2+H2)'
    assert log["Rekap"]["B3"].value.startswith("=COUNTA(Kegiatan!B2")

    sheet = Document(str(COURSE / "files" / "lembar-advokasi.docx"))
    headings = [p.text for p in sheet.paragraphs if p.style.name.startswith("Heading")]
    assert headings[0].startswith("USULAN:")
    assert headings[1:] == ["Kebutuhan warga", "Yang sudah dilakukan", "Kisah warga", "Usulan dan rincian biaya",
                            "Manfaat bagi desa", "Dasar", "Kontak"]


def test_a_trainee_downloads_the_templates_from_the_lessons(app, client, runner, make_user, make_cohort, enrol_user):
    assert runner.invoke(args=["courses", "import", str(COURSE)]).exit_code == 0
    user = make_user(email="unduh@perpusdes.id")
    enrol_user(user, make_cohort(SLUG))
    login(client, user)
    lesson = client.get(f"/courses/{SLUG}/lessons/tik-lembar-kerja-dan-aplikasi-perpustakaan").get_data(as_text=True)
    assert f'href="/courses/{SLUG}/assets/files/catatan-kegiatan.xlsx"' in lesson or \
        'assets/files/catatan-kegiatan.xlsx"' in lesson
    response = client.get(f"/courses/{SLUG}/assets/files/catatan-kegiatan.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    assert load_workbook(io.BytesIO(response.data)).sheetnames == ["Kegiatan", "Hadir", "Rekap"]
    docx = client.get(f"/courses/{SLUG}/assets/files/lembar-advokasi.docx")
    assert docx.status_code == 200 and Document(io.BytesIO(docx.data)).paragraphs[0].text.startswith("USULAN:")


def _mini(tmp_path):
    target = tmp_path / "mini-a"
    shutil.copytree(DATA / "courses" / "mini-a", target)
    return target


def test_wide_table_and_overclaimed_hours_are_warnings(tmp_path):
    course = _mini(tmp_path)
    lesson = course / "01-dasar" / "01-pengantar.md"
    lesson.write_text(lesson.read_text() + "\n| a | b | c | d | e |\n|---|---|---|---|---|\n| 1 | 2 | 3 | 4 | 5 |\n")
    (course / "course.yml").write_text((course / "course.yml").read_text().replace("jp_hours: 0.5", "jp_hours: 40"))
    spec, problems = load_course(course)
    warnings = [str(p) for p in problems if p.severity == "warning"]
    assert any("01-dasar/01-pengantar.md:" in w and "table has 5 columns" in w for w in warnings)
    assert any(w.startswith("course.yml:") and "jp_hours is 40 but the content holds" in w for w in warnings)
    assert not [p for p in problems if p.severity == "error"]


def test_a_link_to_a_missing_or_fake_template_is_an_error(tmp_path):
    course = _mini(tmp_path)
    lesson = course / "01-dasar" / "01-pengantar.md"
    (course / "files").mkdir()
    (course / "files" / "palsu.xlsx").write_text("not a spreadsheet")
    lesson.write_text(lesson.read_text() + "\n[Unduh](../files/hilang.docx) dan [ini](../files/palsu.xlsx)\n")
    _, problems = load_course(course)
    errors = [str(p) for p in problems if p.severity == "error"]
    assert any("file '../files/hilang.docx' does not exist" in e for e in errors)
    assert any("file '../files/palsu.xlsx' is not a XLSX file" in e for e in errors)
