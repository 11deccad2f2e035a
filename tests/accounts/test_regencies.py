"""Regencies from Kemendagri's list: chosen (or typed, abbreviations too) at registration and in
the profile, stored as codes, counted by code in reports, printed by official name; old typed
values mapped by migration 0019; what cannot be mapped listed for the organizer to fix."""

from __future__ import annotations

from sqlalchemy import select, text

from lms.accounts.models import User
from lms.extensions import db
from tests.accounts.test_accounts import REGISTRATION, get_user
from tests.conftest import login, text_of


def _register(client, **fields):
    return client.post("/register", data={**REGISTRATION, "enrolment_key": "BIMTEK-HSU", **fields})


def test_registration_stores_the_code_of_the_chosen_or_typed_regency(app, courses, make_cohort):
    make_cohort("mini-a", key="BIMTEK-HSU")
    page = text_of(app.test_client().get("/register").data)
    assert "Kabupaten Hulu Sungai Utara (HSU)" in page and "Kalimantan Selatan (Kalsel)" in page
    for n, (regency, province) in enumerate((("63.08", "63"), ("HSU", ""), ("Kab. Batola", "63"))):
        email = f"peserta{n}@perpusdes.id"
        response = _register(app.test_client(), email=email, regency=regency, province=province)
        assert response.status_code == 302, text_of(response.data)
        user = get_user(app, email)
        assert (user.regency_code, user.province) == ({"Kab. Batola": "63.04"}.get(regency, "63.08"), "63")
        assert user.regency == {"Kab. Batola": "Kabupaten Barito Kuala"}.get(regency, "Kabupaten Hulu Sungai Utara")


def test_a_place_not_on_the_list_or_in_another_province_is_a_form_error(app, client, courses, make_cohort):
    make_cohort("mini-a", key="BIMTEK-HSU")
    response = _register(client, regency="Banjarmasinn")
    assert response.status_code == 400
    assert "'Banjarmasinn' tidak ada dalam daftar kabupaten/kota; maksud Anda Kota Banjarmasin" in text_of(response.data)
    response = _register(client, regency="32.73", province="63")  # Kota Bandung, Kalimantan Selatan chosen
    assert response.status_code == 400
    assert "Kota Bandung ada di Jawa Barat, bukan di Kalimantan Selatan" in text_of(response.data)
    assert get_user(app, REGISTRATION["email"]) is None


def test_profile_shows_the_stored_regency_and_asks_for_one_not_on_the_list(app, client, make_user):
    user = make_user(email="lama@perpusdes.id", regency="Banjarmasinn", province="63", regency_code=None)
    login(client, user)
    page = client.get("/profile").data.decode()
    assert 'Anda menulis "Banjarmasinn"' in text_of(page.encode())
    form = {"full_name": "Ani", "position": "Pengelola", "institution": "Perpustakaan", "locale": "id",
            "province": "63", "regency": "63.71"}
    assert client.post("/profile", data=form).status_code == 302
    assert get_user(app, user.email).regency_code == "63.71"
    assert '<option value="63.71" selected>Kota Banjarmasin (BJM)</option>' in client.get("/profile").data.decode()


def test_report_counts_one_row_per_place_and_the_certificate_prints_its_official_name(app, world, make_user,
                                                                                       enrol_user):
    from lms.certificates.rules import make_snapshot
    from lms.cohorts.models import Cohort
    from lms.content.models import Course
    from lms.reports.queries import cohort_report
    from lms.util import utcnow

    cohort = world["cohort_a"]
    spellings = [("Hulu Sungai Utara", "63.08"), ("Kabupaten Hulu Sungai Utara", "63.08"), ("Banjarmasinn", None)]
    for n, (typed, code) in enumerate(spellings):
        enrol_user(make_user(email=f"p{n}@perpusdes.id", regency=typed, regency_code=code), cohort)
    with app.app_context():
        report = cohort_report([db.session.get(Cohort, cohort.id)])
        rows = {g.label: g.participants for g in report.by("regency")}
        assert rows["Kabupaten Hulu Sungai Utara"] == 2 + (world["trainee"].regency_code == "63.08")
        assert "Hulu Sungai Utara" not in rows and rows["Tidak ada dalam daftar"] >= 1
        assert ("63.08", "Kabupaten Hulu Sungai Utara") in report.regencies()
        user = db.session.scalar(select(User).where(User.email == "p0@perpusdes.id"))
        snapshot = make_snapshot(user, db.session.get(Cohort, cohort.id), db.session.get(Course, cohort.course_id),
                                 "1", "ABCD", utcnow())
        assert snapshot["regency"] == "Kabupaten Hulu Sungai Utara, Kalimantan Selatan"


def test_organizer_fixes_a_regency_not_on_the_list(app, world, make_user, enrol_user):
    cohort = world["cohort_a"]
    typo = make_user(email="typo@perpusdes.id", full_name="Rahmadi", regency="Banjarmasinn", province="63",
                     regency_code=None)
    enrol_user(typo, cohort)
    organizer = login(app, world["organizer"])
    report = text_of(organizer.get(f"/organizer/cohorts/{cohort.id}/report").data)
    assert "menulis kabupaten/kota yang tidak ada dalam daftar" in report
    page = organizer.get(f"/organizer/cohorts/{cohort.id}/regencies").data.decode()
    assert "Rahmadi" in page and '<optgroup label="Saran"><option value="63.71">Kota Banjarmasin</option>' in page
    outsider = make_user(email="luar@perpusdes.id", regency="x", regency_code=None)  # not in the cohort
    assert organizer.post(f"/organizer/cohorts/{cohort.id}/regencies",
                          data={"user_id": outsider.id, "regency_code": "63.71"}).status_code == 400
    assert organizer.post(f"/organizer/cohorts/{cohort.id}/regencies",
                          data={"user_id": typo.id, "regency_code": "99.99"}).status_code == 400
    response = organizer.post(f"/organizer/cohorts/{cohort.id}/regencies", data={"user_id": typo.id,
                                                                                  "regency_code": "63.71"})
    assert response.status_code == 302
    fixed = get_user(app, typo.email)
    assert (fixed.regency_code, fixed.regency, fixed.province) == ("63.71", "Kota Banjarmasin", "63")
    after = text_of(organizer.get(f"/organizer/cohorts/{cohort.id}/regencies").data)
    assert "Rahmadi: Kota Banjarmasin." in after and "Kabupaten/kota semua peserta sudah ada dalam daftar" in after
    # The trainee herself may not use the organizer's page.
    trainee = login(app, world["trainee"])
    assert trainee.get(f"/organizer/cohorts/{cohort.id}/regencies").status_code == 403


def test_migration_maps_typed_regencies_to_codes_once(tmp_path):
    from flask_migrate import upgrade

    from lms import create_app
    from tests.conftest import base_config

    app = create_app(base_config(f"sqlite:///{tmp_path / 'old.sqlite3'}"))
    typed = {1: ("Kab. HSU", None, None), 2: ("kota banjarmasin", None, "63"), 3: ("Banjarmasinn", None, "63"),
             4: ("Tanah Bumbu", "63.10", None), 5: ("Batola", None, "63")}
    with app.app_context():
        upgrade(revision="0016_cohort_timezone")
        with db.engine.begin() as conn:
            for id_, (regency, code, province) in typed.items():
                conn.execute(text("INSERT INTO user (id, email, password_hash, role, full_name, locale, "
                                  "is_active_account, created_at, session_nonce, regency, regency_code, province) "
                                  "VALUES (:id, :email, 'x', 'trainee', 'Ani', 'id', 1, '2026-01-01', 'n', :regency, "
                                  ":code, :province)"),
                             {"id": id_, "email": f"{id_}@b.id", "regency": regency, "code": code,
                              "province": province})
        upgrade()
        with db.engine.connect() as conn:
            rows = {r[0]: (r[1], r[2]) for r in conn.execute(text("SELECT id, regency_code, province FROM user"))}
            again = conn.execute(text("SELECT id, regency, regency_code, province FROM user")).all()
        assert rows == {1: ("63.08", "63"), 2: ("63.71", "63"), 3: (None, "63"), 4: ("63.10", "63"),
                        5: ("63.04", "63")}
        import importlib.util

        from tests.conftest import ROOT

        spec = importlib.util.spec_from_file_location(
            "migration_0019", ROOT / "migrations" / "versions" / "0019_user_regency_code.py")
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        assert migration.region_updates(again) == []  # idempotent: nothing left to change
        db.engine.dispose()
