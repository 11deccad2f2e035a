"""Participant import: CSV and XLSX, encodings and separators, row/column errors, one transaction."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from lms.accounts.models import User
from lms.cohorts.models import Enrolment
from lms.cohorts.participants import parse_sheet
from lms.extensions import db
from tests.conftest import login, text_of

# The Banjarmasin Bimtek of June 2021: 43 participants from five regencies and the province.
REGENCIES = [("Kab. Barito Kuala", 7), ("Kabupaten Tanah Bumbu", 11), ("Hulu Sungai Tengah", 9),
             ("Kab. Hulu Sungai Utara", 13), ("Kota Banjarmasin", 3)]


def kalsel_csv(delimiter=";", encoding="cp1252", extra_rows="") -> bytes:
    lines = [delimiter.join(["Nama", "Email", "NIP", "Jabatan", "Instansi", "Kabupaten/Kota", "Provinsi"])]
    number = 0
    for regency, count in REGENCIES:
        for _ in range(count):
            number += 1
            lines.append(delimiter.join([f"Peserta Ké {number}", f"peserta{number}@perpusdes.id", "",
                                         "Pengelola perpustakaan", f"Perpustakaan Desa {number}", regency,
                                         "Kalimantan Selatan"]))
    return ("\r\n".join(lines) + "\r\n" + extra_rows).encode(encoding)


def test_reads_the_43_participants_in_windows_encoding_with_semicolons():
    sheet = parse_sheet("peserta.csv", kalsel_csv())
    assert [str(p) for p in sheet.problems] == []
    assert len(sheet.rows) == 43
    assert sheet.rows[0].full_name == "Peserta Ké 1"
    codes = {r.regency_code for r in sheet.rows}
    assert codes == {"63.04", "63.10", "63.07", "63.08", "63.71"}
    assert {r.province for r in sheet.rows} == {"63"}


def test_utf8_with_bom_and_commas_and_moodle_columns():
    data = ("\ufeffusername,firstname,lastname,email,institution,department,city\n"
            "ani,Ani,Rahmawati,ani@perpusdes.id,Perpusdes Sungai Namang,Pengelola,Hulu Sungai Utara\n").encode("utf-8")
    sheet = parse_sheet("moodle.csv", data)
    assert [str(p) for p in sheet.problems] == []
    row = sheet.rows[0]
    assert (row.full_name, row.position, row.regency) == ("Ani Rahmawati", "Pengelola", "Kabupaten Hulu Sungai Utara")


def test_xlsx_is_read():
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Nama Lengkap", "Email", "NIP", "Kabupaten/Kota"])
    sheet.append(["Budi Santoso", "budi@perpusdes.id", 196804111993031009, "Tanah Bumbu"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    parsed = parse_sheet("peserta.xlsx", buffer.getvalue())
    # An 18-digit NIP stored as a number has lost digits in Excel: say so rather than import it.
    assert [str(p) for p in parsed.problems] == [
        "row 2, column C: the NIP was stored as a number, and Excel keeps only 15 digits of it; "
        "format the column as Text and type the NIP again"]
    sheet["C2"] = "196804111993031009"
    buffer = io.BytesIO()
    workbook.save(buffer)
    parsed = parse_sheet("peserta.xlsx", buffer.getvalue())
    assert [str(p) for p in parsed.problems] == []
    assert parsed.rows[0].nip == "196804111993031009" and parsed.rows[0].regency_code == "63.10"


def test_every_problem_names_row_and_column():
    data = ("Nama;Email;NIP;Kabupaten/Kota\n"
            "Ani;ani@perpusdes.id;;Kab. Bato la\n"
            ";bukan-email;123;Tanah Bumbu\n"
            "Cici;ani@perpusdes.id;;Banjar\n"
            "Dodi;dodi@perpusdes.id;;Tabalong\n").encode()
    sheet = parse_sheet("p.csv", data)
    assert [str(p) for p in sheet.problems] == [
        "row 2, column D: unknown regency/city 'Kab. Bato la'; did you mean Kabupaten Barito Kuala?",
        "row 3, column B: 'bukan-email' is not a valid email address",
        "row 3, column A: name is empty",
        "row 3, column C: NIP '123' must be 18 digits",
        "row 4, column B: 'ani@perpusdes.id' appears again (first in row 2)",
    ]


def test_files_that_cannot_be_imported():
    assert str(parse_sheet("x.csv", b"").problems[0]) == "row 1: the file is empty"
    no_header = str(parse_sheet("x.csv", b"Nama,Instansi\nAni,X\n").problems[0])
    assert "no header row with an email and a name column" in no_header and "which row is the header?" in no_header
    assert "header but no participants" in str(parse_sheet("x.csv", b"Nama,Email\n").problems[0])
    assert "not supported" in str(parse_sheet("x.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest").problems[0])
    assert "not a CSV" in str(parse_sheet("x.csv", b"\x00\x01\x02binary").problems[0])


def organizer_client(app, world):
    client = login(app, world["organizer"])
    return client


def upload(client, cohort_id, data, name="peserta.csv"):
    return client.post(f"/organizer/cohorts/{cohort_id}/import",
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def count_users(app):
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def batch_of(response) -> int:
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_preview_then_commit_then_reimport_enrols_and_changes_nobody(app, world):
    client = organizer_client(app, world)
    cohort_id = world["cohort_a"].id
    before = count_users(app)
    response = upload(client, cohort_id, kalsel_csv())
    preview = client.get(response.headers["Location"])
    assert "Siap diimpor: 43 (43 akun baru, 0 akun lama didaftarkan, 0 sudah terdaftar)" in text_of(preview.data)
    assert "Baris kepala tabel yang dipakai: baris 1" in text_of(preview.data)
    assert count_users(app) == before  # nothing saved before confirmation
    batch = batch_of(response)
    done = client.post(f"/organizer/imports/{batch}/commit")
    page = text_of(client.get(done.headers["Location"]).data)
    assert "43 akun dibuat, 0 akun lama (tidak diubah), 43 didaftarkan." in page
    assert count_users(app) == before + 43
    links = client.post(f"/organizer/imports/{batch}/links.csv").data.decode("utf-8-sig")
    assert links.count("/set-password/") == 43
    # The same file again, with another institution: nobody duplicated, nobody's account changed.
    changed = kalsel_csv().replace(b"Perpustakaan Desa 1;", b"Perpustakaan Desa Baru;")
    again = upload(client, cohort_id, changed)
    assert "Siap diimpor: 43 (0 akun baru, 0 akun lama didaftarkan, 43 sudah terdaftar)" in \
        text_of(client.get(again.headers["Location"]).data)
    client.post(f"/organizer/imports/{batch_of(again)}/commit")
    assert count_users(app) == before + 43
    with app.app_context():
        assert db.session.scalar(select(User.institution).where(User.email == "peserta1@perpusdes.id")) == \
            "Perpustakaan Desa 1"
        assert db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.cohort_id == cohort_id)) == 44

    # A new participant sets her password with the link, and is logged in.
    token = re.search(r"/set-password/([\w-]+)", links).group(1)
    newcomer = app.test_client()
    assert newcomer.post(f"/set-password/{token}", data={"password": "kata-sandi-baru",
                                                          "password_confirm": "kata-sandi-baru"}).status_code == 302
    assert newcomer.get("/dashboard").status_code == 200
    assert app.test_client().get(f"/set-password/{token}").status_code == 404  # used once


def test_a_bad_row_waits_while_the_good_rows_are_imported(app, world):
    client = organizer_client(app, world)
    before = count_users(app)
    bad = kalsel_csv(extra_rows="Ganda;peserta1@perpusdes.id;;;;Banjar;\r\n")
    response = upload(client, world["cohort_a"].id, bad)
    page = text_of(client.get(response.headers["Location"]).data)
    assert "Baris 45, kolom B: 'peserta1@perpusdes.id' muncul lagi (pertama di baris 2)" in page
    assert "Siap diimpor: 43" in page and "Perlu keputusan: 1" in page
    batch = batch_of(response)
    client.post(f"/organizer/imports/{batch}/commit")
    assert count_users(app) == before + 43
    page = text_of(client.get(f"/organizer/imports/{batch}").data)
    assert "Sudah diimpor: 43" in page and "Perlu keputusan: 1" in page  # row 45 is kept for later
    assert client.post(f"/organizer/imports/{batch}/commit").status_code == 400  # nothing ready now
    # Later: the organizer corrects the address in place and imports that row too.
    fixed = client.post(f"/organizer/imports/{batch}/decide", data={
        "action": "fix", "row": "45", "full_name": "Ganda", "email": "ganda@perpusdes.id"})
    assert fixed.status_code == 302
    client.post(f"/organizer/imports/{batch}/commit")
    assert count_users(app) == before + 44
    page = text_of(client.get(f"/organizer/imports/{batch}").data)
    assert "Peserta diimpor" in page
    assert 'baris 45: Email diubah dari "peserta1@perpusdes.id" menjadi "ganda@perpusdes.id"' in page
    assert "baris 2–44 diimpor: 43 akun dibuat" in page and "baris 45 diimpor: 1 akun dibuat" in page


def test_staff_and_participants_look_the_same_and_are_not_changed(app, world, make_user):
    client = organizer_client(app, world)
    staff = make_user("admin", email="kepala@perpusnas.go.id", full_name="Kepala Pusat")
    trainee = make_user("trainee", email="ani@perpusdes.id", full_name="Ani Rahmawati")
    data = (f"Nama,Email,Instansi,Kabupaten/Kota\nNama Palsu,{staff.email},Instansi Palsu,Tabalong\n"
            f"Nama Lain,{trainee.email},Instansi Lain,Tabalong\n").encode()
    response = upload(client, world["cohort_b"].id, data)
    page = text_of(client.get(response.headers["Location"]).data)
    assert "staf" not in page and "admin" not in page.lower()
    assert "Akun lama yang didaftarkan: baris 2–3" in page  # the same words for both addresses
    assert page.count("akun lama: didaftarkan") == 2
    client.post(f"/organizer/imports/{batch_of(response)}/commit")
    with app.app_context():
        for user in (staff, trainee):
            stored = db.session.get(User, user.id)
            assert (stored.full_name, stored.institution, stored.regency) == \
                (user.full_name, user.institution, user.regency)
            assert db.session.scalar(select(Enrolment.id).where(Enrolment.user_id == user.id,
                                                                Enrolment.cohort_id == world["cohort_b"].id))


def test_large_upload_is_refused(app, world):
    client = organizer_client(app, world)
    # The limit (5 MB in production) is Flask's MAX_CONTENT_LENGTH; a small one keeps the test in memory.
    assert app.config["MAX_CONTENT_LENGTH"] == 5 * 1024 * 1024
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        response = upload(client, world["cohort_a"].id, b"x" * 4096)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 5 * 1024 * 1024
    assert response.status_code == 413
    assert "terlalu besar" in text_of(response.data)


def test_another_organizers_cohort_is_forbidden(app, world, make_user):
    stranger = make_user("organizer", email="lain@penyelenggara.id")
    client = login(app, stranger)
    for path in (f"/organizer/cohorts/{world['cohort_a'].id}", f"/organizer/cohorts/{world['cohort_a'].id}/report",
                 f"/organizer/cohorts/{world['cohort_a'].id}/import",
                 f"/organizer/cohorts/{world['cohort_a'].id}/certificates"):
        assert client.get(path).status_code == 403, path
    assert "Kursus Mini A" not in text_of(client.get("/organizer/cohorts").data)


def test_organizer_creates_a_cohort_and_changes_its_key(app, world):
    client = organizer_client(app, world)
    from lms.content.models import Course

    from lms.content.roles import grant_course_role

    with app.app_context():  # an admin opened the course to her: she may create cohorts of it
        course = db.session.scalar(select(Course).where(Course.slug == "mini-a"))
        course_id = course.id
        grant_course_role(course, world["organizer"], "organizer", None)
        db.session.commit()
    response = client.post("/organizer/cohorts/new", data={
        "course_id": course_id, "name": "Angkatan Baru", "slug": "angkatan-baru", "place": "Banjarmasin",
        "starts_on": "2026-06-14", "ends_on": "2026-06-17", "enrolment_key": "", "is_open": "y",
        "signatory_name": "Dra. Pejabat", "signatory_title": "Kepala Dinas", "signatory_nip": "", "city": "Banjarmasin"})
    assert response.status_code == 302
    cohort_id = int(response.headers["Location"].rsplit("/", 1)[1])
    duplicate_key = client.post(f"/organizer/cohorts/{cohort_id}", data={
        "course_id": course_id, "name": "Angkatan Baru", "slug": "angkatan-baru", "enrolment_key": "KUNCIA2026",
        "is_open": "y"})
    assert "Angkatan lain sudah memakai kode pendaftaran ini." in text_of(duplicate_key.data)
    client.post(f"/organizer/cohorts/{cohort_id}", data={
        "course_id": course_id, "name": "Angkatan Baru", "slug": "angkatan-baru", "enrolment_key": "kunci baru 1"})
    from lms.cohorts.models import Cohort

    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        assert cohort.enrolment_key == "KUNCIBARU1" and cohort.is_open is False and cohort.created_by_id


def test_a_failed_import_job_saves_nothing_says_why_and_can_run_again(app, world, monkeypatch):
    import lms.cohorts.participants as participants

    client = organizer_client(app, world)
    before = count_users(app)
    response = upload(client, world["cohort_a"].id, kalsel_csv())
    batch = int(response.headers["Location"].rsplit("/", 1)[1])
    original = participants.apply_rows

    def fails(cohort, sheet):
        original(cohort, sheet)  # every account is written, then the disk fills up
        raise OSError("disk full")

    monkeypatch.setattr(participants, "apply_rows", fails)
    assert client.post(f"/organizer/imports/{batch}/commit").status_code == 302
    page = text_of(client.get(f"/organizer/imports/{batch}").data)
    assert "Impor berhenti dan tidak menyimpan apa pun: Sebuah galat tak terduga" in page
    assert "disk full" not in page
    assert count_users(app) == before
    monkeypatch.setattr(participants, "apply_rows", original)
    client.post(f"/organizer/imports/{batch}/commit")
    assert count_users(app) == before + 43
    # A second click after it is done changes nothing.
    assert client.post(f"/organizer/imports/{batch}/commit").status_code == 302
    assert count_users(app) == before + 43
