"""Participant sheets as regency offices make them: title blocks and merged cells above the
header, column numbers, formulas, totals, abbreviations, Windows-1252 and semicolons; the
bounds on what an upload may cost; partial import with decisions; the command line."""

from __future__ import annotations

import io
import json
import time
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.accounts.regions import match_province, match_regency
from lms.cohorts.models import Enrolment, ImportBatch
from lms.cohorts.participants import parse_sheet, preview, preview_lines
from lms.extensions import db
from tests.cohorts.test_import import batch_of, count_users, organizer_client, upload
from tests.conftest import text_of


def office_workbook(extra=None) -> bytes:
    """The list a Dinas Perpustakaan sends: title block, a blank row, a header with a column-number
    row under it, a numbering formula, regencies as the office writes them, a totals row and a
    formula row at the bottom, and a second sheet of notes."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Peserta"
    sheet["A1"] = "DAFTAR PESERTA BIMBINGAN TEKNIS SPP-TIK"
    sheet.merge_cells("A1:H1")
    sheet["A2"] = "DINAS PERPUSTAKAAN DAN KEARSIPAN PROVINSI KALIMANTAN SELATAN TAHUN 2026"
    sheet.merge_cells("A2:H2")
    sheet.append([])  # row 3: blank
    sheet.append(["No.", "Nama Lengkap\n(dengan gelar)", "Alamat E-mail *", "NIP", "Jabatan", "Nama Instansi",
                  "Kab./Kota", "Provinsi"])  # row 4
    sheet.append(["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)", "(8)"])  # row 5
    people = [
        ("Siti Aminah, S.Pd", "siti@perpusdes.id", "HSU", "Kalsel"),
        ("Budi Santoso", "budi@perpusdes.id", "Kab. HST", "Kalsel"),
        ("Rahmat Hidayat", "rahmat@perpusdes.id", "hss", "KALSEL"),
        ("Nur Aisyah", "nur@perpusdes.id", "Batola", "Kalimantan Selatan"),
        ("Fitri Handayani", "fitri@perpusdes.id", "Kabupaten  Tanbu", "kalsel"),
        ("Ahmad Fauzi", "ahmad@perpusdes.id", "Kotabaru", "Kalsel"),
        ("Dewi Lestari", "dewi@perpusdes.id", "KOTA BANJARMASIN", ""),
        ("Yusuf Maulana", "yusuf@perpusdes.id", "Kab. Bato la", "Kalsel"),  # a near miss: needs a decision
    ]
    for number, (name, email, regency, province) in enumerate(people, start=1):
        row = 5 + number
        sheet.append(["=ROW()-5" if number > 1 else 1, name, email, None, "Pengelola Perpustakaan",
                      f"Perpustakaan Desa {number}", regency, province])
        assert sheet.max_row == row
    sheet.append([])  # row 14: blank
    sheet.append([None, "Jumlah", None, None, None, None, None, None])  # row 15
    sheet.append([None, None, None, None, None, "=COUNTA(B6:B13)"])  # row 16
    for row in extra or []:
        sheet.append(row)
    notes = workbook.create_sheet("Catatan")
    notes["A1"] = "Diisi oleh operator kabupaten"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_the_office_workbook_is_read_as_the_office_means_it(app):
    with app.app_context():
        sheet = parse_sheet("peserta.xlsx", office_workbook())
    assert sheet.header_row == 4 and sheet.sheet_name == "Peserta" and sheet.sheet_names == ["Peserta", "Catatan"]
    assert sheet.columns == {"full_name": "B", "email": "C", "nip": "D", "position": "E", "institution": "F",
                             "regency": "G", "province": "H"}
    assert [(s.row, s.reason) for s in sheet.skipped] == [
        (5, "nomor kolom di bawah kepala tabel"), (14, "baris kosong"), (15, "baris jumlah (Jumlah)"),
        (16, "baris rumus (=COUNTA(B6:B13))")]
    codes = {row.row: (row.regency_code, row.province) for row in sheet.rows}
    assert codes == {6: ("63.08", "63"), 7: ("63.07", "63"), 8: ("63.06", "63"), 9: ("63.04", "63"),
                     10: ("63.10", "63"), 11: ("63.02", "63"), 12: ("63.71", "63"), 13: (None, "63")}
    assert [str(p) for p in sheet.problems] == [
        "row 13, column G: kabupaten/kota 'Kab. Bato la' tidak dikenal; mungkin maksud Anda Kabupaten Barito Kuala?"]
    assert [r.row for r in sheet.ready] == [6, 7, 8, 9, 10, 11, 12] and sheet.rows[0].full_name == "Siti Aminah, S.Pd"


def test_a_header_over_two_rows_of_merged_group_titles():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["REKAP PESERTA"])
    sheet.append(["No", "Nama", "Kontak", None, "Asal"])
    sheet.append([None, None, "Email", "No. HP", "Kabupaten/Kota"])
    sheet.merge_cells("C2:D2")
    sheet.append([1, "Ani", "ani@perpusdes.id", "0812", "Tabalong"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    parsed = parse_sheet("x.xlsx", buffer.getvalue())
    assert (parsed.header_row, parsed.header_rows) == (2, 2)
    assert parsed.columns == {"full_name": "B", "email": "C", "regency": "E"}
    assert [(r.row, r.email, r.regency_code) for r in parsed.rows] == [(4, "ani@perpusdes.id", "63.09")]


def test_windows_1252_semicolons_title_line_and_totals():
    data = ("DAFTAR HADIR PESERTA;;;;\r\n"
            ";;;;\r\n"
            "No;Nama Peserta;E-mail;Asal Instansi;Kabupaten/Kota\r\n"
            "1;Désy Ramadhani, S.Sos;desy@perpusdes.id;Perpustakaan Desa Pematang;Kab. Tanah Laut\r\n"
            "2;Muhammad Rizky;rizky@perpusdes.id;Taman Baca “Cahaya”;Banjarbaru\r\n"
            "3;;;;\r\n"
            "No;Nama Peserta;E-mail;Asal Instansi;Kabupaten/Kota\r\n"
            "3;Lina Marlina;lina@perpusdes.id;Perpustakaan Desa Sei Tabuk;Kab Banjar\r\n"
            ";TOTAL;3 orang;;\r\n").encode("cp1252")
    sheet = parse_sheet("hadir.csv", data)
    assert sheet.header_row == 3
    assert [(r.row, r.full_name, r.institution, r.regency_code) for r in sheet.rows] == [
        (4, "Désy Ramadhani, S.Sos", "Perpustakaan Desa Pematang", "63.01"),
        (5, "Muhammad Rizky", "Taman Baca “Cahaya”", "63.72"),
        (8, "Lina Marlina", "Perpustakaan Desa Sei Tabuk", "63.03")]
    assert [(s.row, s.reason) for s in sheet.skipped] == [
        (6, "no name and no email"), (7, "the header repeated"), (9, "a totals row (TOTAL)")]
    assert sheet.ok


def test_utf8_bom_commas_and_quoted_names_with_commas():
    data = ("\ufeffNama,Email,Kabupaten\n\"Hj. Rusmini, S.Pd.I\",rusmini@perpusdes.id,Kotim\n").encode("utf-8")
    sheet = parse_sheet("p.csv", data)
    assert [(r.full_name, r.regency_code, r.province) for r in sheet.rows] == [("Hj. Rusmini, S.Pd.I", "62.02", "62")]


def test_excel_unicode_text_is_utf16_with_tabs():
    data = "Nama\tEmail\tKabupaten/Kota\r\nÉrna\terna@perpusdes.id\tKab. Tapin\r\n".encode("utf-16")
    sheet = parse_sheet("peserta.txt", data)
    assert [(r.full_name, r.regency_code) for r in sheet.rows] == [("Érna", "63.05")]


@pytest.mark.parametrize("typed, code", [
    ("HSU", "63.08"), ("Kab. HST", "63.07"), ("hss", "63.06"), ("Batola", "63.04"), ("TANBU", "63.10"),
    ("Kotabaru", "63.02"), ("Kota Baru", "63.02"), ("Kab.Kotabaru", "63.02"), ("kabupaten   barito kuala", "63.04"),
    ("Kota Banjarmasin", "63.71"), ("KOTA  BANJARBARU", "63.72"), ("Palangkaraya", "62.71"),
    ("Kota Palangka Raya", "62.71"), ("Kukar", "64.02"), ("Tanah  Bumbu", "63.10"),
])
def test_regency_abbreviations_and_spellings(typed, code):
    assert match_regency(typed).code == code


@pytest.mark.parametrize("typed, code", [
    ("Kalsel", "63"), ("KALTENG", "62"), ("Kaltim", "64"), ("Jabar", "32"), ("Jateng", "33"), ("jatim", "35"),
    ("DIY", "34"), ("D.I. Yogyakarta", "34"), ("Prov. Kalimantan Selatan", "63"), ("Provinsi Jawa Barat", "32"),
    ("63", "63"),
])
def test_province_abbreviations(typed, code):
    assert match_province(typed) == code


def test_the_kabupaten_or_kota_word_decides_between_namesakes():
    assert match_regency("Kota Bogor").code == "32.71" and match_regency("Kab. Bogor").code == "32.01"
    assert match_regency("Banjar", "63").code == "63.03" and match_regency("Kota Banjar").code == "32.79"


def test_near_misses_are_suggested_from_the_province_first():
    # "Banjr" is near Banjar in Kalimantan Selatan and Banjar in Jawa Barat.
    assert match_regency("Kab. Banjr", "63").suggestions[0] == "Kabupaten Banjar"
    assert match_regency("Kab. Banjr", "32").suggestions[0] == "Kota Banjar"
    # Without a province on the row, the cohort's (or the sheet's) province ranks first; with none
    # of its regencies near, the rest of the country is offered.
    assert match_regency("Tanah Bumbo", None, "63").suggestion_codes[0] == "63.10"
    assert match_regency("Sleman Utara", None, "63").suggestion_codes[0] == "34.04"


def test_suggestions_follow_the_cohorts_province(app):
    data = "Nama;Email;Kabupaten/Kota\nAni;ani@perpusdes.id;Banjr\n".encode()
    with app.app_context():
        in_kalsel = parse_sheet("p.csv", data, near="63")
        in_jabar = parse_sheet("p.csv", data, near="32")
    assert in_kalsel.rows[0].suggestions[0] == ("63.03", "Kabupaten Banjar")
    assert in_jabar.rows[0].suggestions[0] == ("32.79", "Kota Banjar")


# --- bounds ---------------------------------------------------------------------------------------

def zip_bomb(unpacked_mb: int) -> bytes:
    """A valid-looking workbook whose sheet unpacks to unpacked_mb MB (of spaces)."""
    real = io.BytesIO()
    workbook = Workbook()
    workbook.active.append(["Nama", "Email"])
    workbook.save(real)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(real.getvalue())) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * (unpacked_mb * 1024 * 1024))
            target.writestr(member.filename, data)
    return out.getvalue()


def test_a_workbook_that_unpacks_too_big_is_refused_before_it_is_opened():
    bomb = zip_bomb(100)
    assert len(bomb) < 300 * 1024  # small on the wire
    tracemalloc.start()
    started = time.process_time()
    sheet = parse_sheet("bom.xlsx", bomb)
    elapsed = time.process_time() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "the workbook unpacks to 100 MB, more than the 40 MB" in sheet.problems[0].message
    assert elapsed < 1 and peak < 5 * 1024 * 1024


def test_encrypted_broken_and_oversized_files_get_a_clear_message():
    # Excel puts a password-protected workbook in an OLE container with an EncryptionInfo stream.
    encrypted = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 64
    assert "protected with a password" in parse_sheet("rahasia.xlsx", encrypted).problems[0].message
    broken = office_workbook()[:3000]  # cut off, as by a failed download
    assert "cannot be read (it may be damaged)" in parse_sheet("peserta.xlsx", broken).problems[0].message
    rows = "Nama;Email\n" + "".join(f"P {n};p{n}@perpusdes.id\n" for n in range(20001))
    assert "more than 20000 rows" in parse_sheet("besar.csv", rows.encode()).problems[0].message
    wide = "Nama;Email\n" + "A;" + "x" * 5000 + "@perpusdes.id\n"
    assert len(parse_sheet("lebar.csv", wide.encode()).rows[0].email) <= 1000  # a cell is cut, not kept whole


def test_a_refused_file_saves_nothing(app, world):
    client = organizer_client(app, world)
    with app.app_context():
        before = db.session.scalar(select(func.count(ImportBatch.id)))
    response = upload(client, world["cohort_a"].id, zip_bomb(50), name="peserta.xlsx")
    assert response.status_code == 422
    assert "Tidak ada yang disimpan: buku kerja membesar" in text_of(response.data)
    with app.app_context():
        assert db.session.scalar(select(func.count(ImportBatch.id))) == before


def test_the_file_is_parsed_once_per_import(app, world, monkeypatch):
    import lms.cohorts.importing as importing
    import lms.cohorts.participants as participants

    calls = []
    original = participants.read_table

    def counting(*args, **kwargs):
        calls.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(importing, "read_table", counting)
    client = organizer_client(app, world)
    response = upload(client, world["cohort_a"].id, office_workbook(), name="peserta.xlsx")
    batch = batch_of(response)
    for _ in range(3):
        assert client.get(f"/organizer/imports/{batch}").status_code == 200
    client.post(f"/organizer/imports/{batch}/commit")
    assert calls == ["peserta.xlsx"]
    with app.app_context():
        stored = db.session.get(ImportBatch, batch)
        assert stored.data == b"" and json.loads(stored.table_json)["rows"][3][1] == "Nama Lengkap\n(dengan gelar)"


# --- partial import and the batch's record ---------------------------------------------------------

def test_import_the_good_rows_fix_one_in_place_set_one_aside(app, world):
    client = organizer_client(app, world)
    extra = [["=ROW()-16", "Tanpa Email", None, None, None, None, "HSU", "Kalsel"]]  # row 17: needs a decision
    response = upload(client, world["cohort_a"].id, office_workbook(extra), name="peserta.xlsx")
    batch = batch_of(response)
    page = text_of(client.get(f"/organizer/imports/{batch}").data)
    assert "Baris kepala tabel yang dipakai: baris 4 (ditemukan otomatis)" in page
    assert "Siap diimpor: 7 (7 akun baru, 0 akun lama didaftarkan, 0 sudah terdaftar)" in page
    assert "Perlu keputusan: 2" in page and "Dilewati, bukan peserta: 4" in page
    assert "Baris 15 dilewati: baris jumlah (Jumlah)" in page
    before = count_users(app)

    client.post(f"/organizer/imports/{batch}/commit")  # the seven good rows now
    assert count_users(app) == before + 7
    # Row 13: pick the suggested regency; row 17: set aside for now.
    html = client.get(f"/organizer/imports/{batch}").data.decode()
    assert '<option value="63.04">Kabupaten Barito Kuala (63.04)</option>' in html
    assert '<label for="regency-13">' in html and '<label for="email-17">' in html
    client.post(f"/organizer/imports/{batch}/decide", data={"action": "fix", "row": "13", "full_name": "Yusuf Maulana",
                                                              "email": "yusuf@perpusdes.id", "regency_code": "63.04"})
    client.post(f"/organizer/imports/{batch}/decide", data={"action": "set_aside", "row": "17"})
    page = text_of(client.get(f"/organizer/imports/{batch}").data)
    assert "Siap diimpor: 1 (1 akun baru" in page and "Perlu keputusan: 0" in page and "Disisihkan: 1" in page
    client.post(f"/organizer/imports/{batch}/commit")
    assert count_users(app) == before + 8
    with app.app_context():
        yusuf = db.session.scalar(select(User).where(User.email == "yusuf@perpusdes.id"))
        assert (yusuf.regency, yusuf.regency_code, yusuf.province) == ("Kabupaten Barito Kuala", "63.04", "63")
        stored = db.session.get(ImportBatch, batch)
        decisions = [(d["action"], d.get("row"), d.get("rows"), d["by"]) for d in json.loads(stored.decisions_json)]
        organizer = world["organizer"].id
        assert decisions == [("imported", None, [6, 7, 8, 9, 10, 11, 12], organizer),
                             ("fix", 13, None, organizer), ("set_aside", 17, None, organizer),
                             ("imported", None, [13], organizer)]
        assert stored.status == "partial"  # row 17 waits (set aside), the batch stays open
    # Later the organizer brings row 17 back, gives it an address and imports it: the batch is done.
    client.post(f"/organizer/imports/{batch}/decide", data={"action": "restore", "row": "17"})
    client.post(f"/organizer/imports/{batch}/decide", data={"action": "fix", "row": "17", "full_name": "Tanpa Email",
                                                              "email": "tanpa@perpusdes.id"})
    client.post(f"/organizer/imports/{batch}/commit")
    page = text_of(client.get(f"/organizer/imports/{batch}").data)
    assert "Peserta diimpor" in page and "9 akun dibuat, 0 akun lama (tidak diubah), 9 didaftarkan." in page
    assert 'baris 13: Kabupaten/kota diubah dari "Kab. Bato la" menjadi "Kabupaten Barito Kuala (63.04)"' in page
    assert "baris 17 disisihkan" in page and "baris 17 dikembalikan ke impor" in page
    assert "baris 6–12 diimpor: 7 akun dibuat" in page


def test_which_row_is_the_header(app, world):
    notes = "".join(f"Catatan {n}: kolom bertanda * wajib diisi;;\n" for n in range(1, 23))
    data = (notes + "Peserta;Surat elektronik;Daerah\nAni;ani@perpusdes.id;HSU\n").encode()
    client = organizer_client(app, world)
    batch = batch_of(upload(client, world["cohort_a"].id, data))
    page = text_of(client.get(f"/organizer/imports/{batch}").data)
    assert "tidak ditemukan baris kepala tabel dengan kolom email dan nama di 20 baris pertama" in page
    assert "Baris mana yang menjadi kepala tabel?" in page and "23 Peserta · Surat elektronik · Daerah" in page
    client.post(f"/organizer/imports/{batch}/decide", data={"action": "header", "row": "23"})
    page = text_of(client.get(f"/organizer/imports/{batch}").data)
    # "Peserta" names no column we know: the organizer is told which is missing, nothing guessed.
    assert "Baris kepala tabel yang dipakai: baris 23 (dipilih oleh Anda)" in page
    assert "kolom wajib tidak ada: nama (atau nama depan dan nama belakang)" in page


def test_decisions_that_cannot_be_taken(app, world):
    client = organizer_client(app, world)
    batch = batch_of(upload(client, world["cohort_a"].id, office_workbook(), name="peserta.xlsx"))
    for data in ({"action": "fix", "row": "6", "regency_code": "99.99"},  # not a regency
                 {"action": "fix", "row": "15"},  # a skipped row
                 {"action": "header", "row": "999"}, {"action": "drop", "row": "6"}, {"action": "fix", "row": "x"}):
        response = client.post(f"/organizer/imports/{batch}/decide", data=data)
        assert response.status_code == 400, data
    with app.app_context():
        assert json.loads(db.session.get(ImportBatch, batch).decisions_json) == []


# --- the command line -------------------------------------------------------------------------------

def test_cli_and_page_give_the_same_preview(app, world, tmp_path):
    path = tmp_path / "peserta.xlsx"
    path.write_bytes(office_workbook())
    cohort = world["cohort_a"]
    result = app.test_cli_runner().invoke(args=["cohorts", "import-participants", cohort.slug, str(path), "--dry-run"])
    assert result.exit_code == 1  # row 13 needs a decision
    lines = result.stdout.splitlines()
    assert lines[1] == ("Baris kepala tabel yang dipakai: baris 4 (ditemukan otomatis): No. · Nama Lengkap (dengan "
                        "gelar) · Alamat E-mail * · NIP · Jabatan · Nama Instansi · Kab./Kota · Provinsi")
    assert "Akun baru: baris 6–12" in lines
    assert "Baris 15 dilewati: baris jumlah (Jumlah)" in lines
    assert lines[-1].startswith("Baris 13, kolom G: kabupaten/kota 'Kab. Bato la' tidak dikenal")
    client = organizer_client(app, world)
    page = text_of(client.get(upload(client, cohort.id, path.read_bytes(), name="peserta.xlsx")
                              .headers["Location"]).data)
    for line in lines:
        assert " ".join(line.split()) in page, line
    with app.app_context():  # the same function makes both
        sheet = parse_sheet("peserta.xlsx", path.read_bytes(), near="63")
        preview(sheet)
        assert preview_lines(sheet) == lines


def test_cli_imports_in_one_transaction_and_changes_no_existing_account(app, world, tmp_path, make_user):
    existing = make_user("facilitator", email="siti@perpusdes.id", full_name="Siti Fasilitator")
    path = tmp_path / "hadir.csv"
    path.write_bytes("Judul;;\nNama;Email;Kab/Kota\nSiti Lain;siti@perpusdes.id;HSU\nBudi;budi@perpusdes.id;HST\n"
                     "Jumlah;2;\n".encode("cp1252"))
    cohort = world["cohort_b"]
    runner = app.test_cli_runner()
    before = count_users(app)
    dry = runner.invoke(args=["cohorts", "import-participants", cohort.slug, str(path), "--dry-run"])
    assert dry.exit_code == 0 and "Akun lama yang didaftarkan: baris 3" in dry.stdout and count_users(app) == before
    links = tmp_path / "tautan.csv"
    done = runner.invoke(args=["cohorts", "import-participants", cohort.slug, str(path), "--links", str(links)])
    assert done.exit_code == 0, done.output
    assert "1 accounts created, 1 existing accounts (not changed), 2 enrolled" in done.stdout
    assert links.read_text("utf-8-sig").count("/set-password/") == 1 and oct(links.stat().st_mode)[-3:] == "600"
    with app.app_context():
        assert db.session.get(User, existing.id).full_name == "Siti Fasilitator"
        assert db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.cohort_id == cohort.id)) == 3
    workbook = tmp_path / "peserta.xlsx"
    workbook.write_bytes(office_workbook())
    bad = runner.invoke(args=["cohorts", "import-participants", cohort.slug, str(workbook), "--sheet", "Lain"])
    assert bad.exit_code == 1 and "buku kerja tidak punya lembar bernama 'Lain'; lembarnya: Peserta, Catatan" in bad.output
    missing = runner.invoke(args=["cohorts", "import-participants", "tidak-ada", str(path)])
    assert missing.exit_code == 2 and "no cohort 'tidak-ada'" in missing.output


@pytest.mark.parametrize("email", [
    "ani@perpusdes.id", "a.b+c@desa.go.id", "x_y%z@sub.domain.co.id", "a..b@desa.id", ".a@desa.id", "a.@desa.id",
    "a@-desa.id", "a@desa-.id", "a@desa", "a@desa.test", "a@x.local", "a@desa.i", "a@localhost", "ani@perpus desa.id",
    "ani@perpusdes.id.", "ani@@perpusdes.id", "a" * 65 + "@desa.id", "a@" + "b" * 64 + ".id", "bü@desa.id",
])
def test_the_quick_email_check_agrees_with_email_validator(email):
    from email_validator import EmailNotValidError, validate_email

    from lms.cohorts.participants import valid_email

    try:
        validate_email(email, check_deliverability=False)
        expected = True
    except EmailNotValidError:
        expected = False
    assert valid_email(email) is expected
