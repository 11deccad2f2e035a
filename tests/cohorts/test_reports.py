"""Completion reports: the right numbers, constant query counts, safe exports, scoped access."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.util.sheets import safe_cell, to_csv, to_xlsx
from tests.conftest import count_queries, login, text_of


def seed(app, runner, participants, cohorts=1):
    result = runner.invoke(args=["dev", "seed", "--participants", str(participants), "--cohorts", str(cohorts),
                                 "--course", "mini-q"])
    assert result.exit_code == 0, result.output
    from lms.cohorts.models import Cohort

    with app.app_context():
        return db.session.scalars(select(Cohort).where(Cohort.slug.like("seed-%")).order_by(Cohort.id.desc())
                                  ).first()


@pytest.fixture
def organizer(app, world):
    client = login(app, world["organizer"])
    return client


def test_funnel_and_rates_from_progress_records(app, client, world, organizer, make_user, enrol_user):
    # Trainee: 1 of 2 required lessons of mini-a done; a second trainee: both done.
    login(client, world["trainee"])
    client.post("/courses/mini-a/lessons/pengantar/complete", data={"done": "1"})
    second = make_user(email="kedua@example.test", regency="Kabupaten Tanah Bumbu", regency_code="63.10")
    enrol_user(second, world["cohort_a"])
    other = login(app, second)
    for lesson in ("pengantar", "lanjutan"):
        other.post(f"/courses/mini-a/lessons/{lesson}/complete", data={"done": "1"})
    enrol_user(make_user(email="ketiga@example.test"), world["cohort_a"])  # not started
    page = text_of(organizer.get(f"/organizer/cohorts/{world['cohort_a'].id}/report").data)
    assert "Terdaftar 3" in page and "Sudah mulai 2" in page and "Separuh selesai 2" in page
    assert "Semua materi selesai 1" in page
    stragglers = text_of(organizer.get(f"/organizer/cohorts/{world['cohort_a'].id}/report?status=not_started").data)
    assert "1 peserta ditampilkan" in stragglers
    csv_data = organizer.get(f"/organizer/cohorts/{world['cohort_a'].id}/report?format=csv&table=regency").data
    rows = list(csv.reader(io.StringIO(csv_data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Kabupaten/Kota"
    assert ["Kabupaten Tanah Bumbu", "1", "1", "100", "100"] in rows  # numbers as Indonesian Excel reads them


def test_query_count_does_not_grow_with_participants(app, runner, organizer, world):
    from lms.cohorts.models import CohortStaff

    small = seed(app, runner, 5)
    with app.app_context():
        db.session.add(CohortStaff(cohort_id=small.id, user_id=world["organizer"].id, role="organizer"))
        db.session.commit()
    few = count_queries(app, lambda: organizer.get(f"/organizer/cohorts/{small.id}/report"), savepoints=True)
    big = seed(app, runner, 60)
    with app.app_context():
        db.session.add(CohortStaff(cohort_id=big.id, user_id=world["organizer"].id, role="organizer"))
        db.session.commit()
    many = count_queries(app, lambda: organizer.get(f"/organizer/cohorts/{big.id}/report"), savepoints=True)
    assert few == many


def test_exports_are_inert_in_spreadsheets():
    assert safe_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert [safe_cell(v) for v in ("+62", "-1", "@SUM(A1)", "Ani", 5)] == ["'+62", "'-1", "'@SUM(A1)", "Ani", 5]
    data = to_csv(["Nama"], [["=cmd|' /C calc'!A0"]]).decode("utf-8-sig")
    assert "'=cmd" in data
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(to_xlsx(["Nama", "Nilai"], [["=1+1", 5], ["@x", "Ani"]])))
    sheet = workbook.active
    assert sheet["A2"].value == "'=1+1" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == 5 and sheet["A3"].value == "'@x"


def test_xlsx_export_opens(app, world, organizer):
    from openpyxl import load_workbook

    response = organizer.get(f"/organizer/cohorts/{world['cohort_a'].id}/report?format=xlsx&table=participants")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]][:3] == ["Nama", "Email", "Instansi"]
    assert sheet.max_row == 2  # the one trainee of cohort A


def test_trainee_and_other_organizer_cannot_see_reports(app, world, make_user):
    trainee = login(app, world["trainee"])
    assert trainee.get(f"/organizer/cohorts/{world['cohort_a'].id}/report").status_code == 403
    stranger = make_user("organizer", email="asing@penyelenggara.id")
    client = login(app, stranger)
    assert client.get(f"/organizer/cohorts/{world['cohort_a'].id}/report?format=csv").status_code == 403
    assert client.get("/organizer/courses/mini-a/report").status_code == 404


def test_cli_completion_export(app, runner, world, tmp_path):
    from lms.cohorts.models import Cohort

    with app.app_context():
        slug = db.session.get(Cohort, world["cohort_a"].id).slug
    result = runner.invoke(args=["reports", "completion", "--cohort", slug, "--format", "json"])
    assert result.exit_code == 0 and '"enrolled": 1' in result.output
    out = tmp_path / "laporan.xlsx"
    result = runner.invoke(args=["reports", "completion", "--cohort", slug, "--format", "xlsx", "-o", str(out)])
    assert result.exit_code == 0 and out.read_bytes()[:2] == b"PK"
    assert runner.invoke(args=["reports", "completion", "--cohort", "tidak-ada"]).exit_code == 1


def test_a_big_cohorts_participant_export_is_a_background_job(app, client, auth, world):
    """Above REPORT_EXPORT_INLINE_MAX participants the export runs as a job: a progress page,
    then the same CSV to download."""
    app.config["REPORT_EXPORT_INLINE_MAX"] = 0
    try:
        auth.login(world["organizer"].email)
        url = f"/organizer/cohorts/{world['cohort_a'].id}/report?format=csv&table=participants"
        started = client.get(url)
        assert started.status_code == 302 and "/organizer/jobs/" in started.headers["Location"]
        page = client.get(started.headers["Location"])
        assert "Unduh" in text_of(page.data)
        download = client.get(started.headers["Location"] + "/download")
        assert download.status_code == 200 and download.mimetype == "text/csv"
        assert world["trainee"].email in download.data.decode("utf-8-sig")
        # The same file as the inline export.
        app.config["REPORT_EXPORT_INLINE_MAX"] = 10_000
        assert client.get(url).data == download.data
    finally:
        app.config["REPORT_EXPORT_INLINE_MAX"] = 5000


def test_a_big_course_wide_export_is_a_background_job_for_its_organizers_only(app, client, auth, world, make_user):
    app.config["REPORT_EXPORT_INLINE_MAX"] = 0
    try:
        auth.login(world["organizer"].email)
        url = "/organizer/courses/mini-a/report?format=csv&table=participants"
        started = client.get(url)
        assert started.status_code == 302 and "/organizer/jobs/" in started.headers["Location"]
        download = client.get(started.headers["Location"] + "/download")
        assert download.status_code == 200 and world["trainee"].email in download.data.decode("utf-8-sig")
        assert "mini-a-participants.csv" in download.headers["Content-Disposition"]
        app.config["REPORT_EXPORT_INLINE_MAX"] = 10_000
        assert client.get(url).data == download.data
        auth.logout()
        stranger = make_user("organizer", email="penyelenggara-lain@example.test")
        auth.login(stranger.email)
        assert client.get(started.headers["Location"]).status_code in (403, 404)
    finally:
        app.config["REPORT_EXPORT_INLINE_MAX"] = 5000
