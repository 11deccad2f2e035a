"""Plan exports (one-page PDF, XLSX) and the activities held in the shape of SIM TPBIS: what the
files hold, that they stay one page and inert, and who may download them."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date, datetime

import pytest

from lms.extensions import db
from tests.certificates.conftest import pdf_text
from tests.conftest import login
from tests.plans.test_followups import approve_plan, end_cohort

LONG = ("Perajin purun di Desa Sungai Harapan menjual tikar polos kepada pengepul dengan harga rendah "
        "karena belum mengenal motif dan pasar baru; ") * 12


def pages(data: bytes, tmp_path) -> int:
    if not shutil.which("pdfinfo"):
        pytest.skip("pdfinfo not installed (apt-get install poppler-utils)")
    path = tmp_path / "p.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def workbook(data: bytes):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(data))


def fill_plan(app, plan_id, activities=3, long=False):
    """Budgets, schedules and partners on the plan's activities; a need that starts with '='."""
    from lms.plans.models import ActionPlan, PlanActivity, PlanNeed

    with app.app_context():
        plan = db.session.get(ActionPlan, plan_id)
        plan.library = "Perpustakaan Desa Sungai Harapan"
        plan.needs[0].need = "=HYPERLINK(\"http://x.test\",\"klik\")"
        plan.needs.append(PlanNeed(position=2, need=LONG if long else "Anak putus sekolah butuh tempat belajar",
                                   evidence="Data desa 2025"))
        while len(plan.activities) < activities:
            plan.activities.append(PlanActivity(position=len(plan.activities) + 1, strategies="information"))
        for number, activity in enumerate(plan.activities, start=1):
            activity.title = f"Kegiatan rencana {number}" + (f": {LONG}" if long else "")
            activity.budget = 1_500_000 * number
            activity.budget_source = "apbdes"
            activity.partners = "PKK, Karang Taruna"
            activity.ends_on = date(2026, 5, 1)
        db.session.commit()


@pytest.fixture
def approved(app, plan_world):
    plan_id = approve_plan(app, plan_world["trainee"], plan_world["cohort_a"], plan_world["facilitator"])
    fill_plan(app, plan_id)
    return {**plan_world, "plan_id": plan_id}


def test_plan_pdf_is_one_page_with_the_library_and_its_activities(app, approved, tmp_path):
    client = login(app, approved["trainee"])
    page = client.get(f"/plans/{approved['plan_id']}")
    assert f"/plans/{approved['plan_id']}/plan.pdf" in page.get_data(as_text=True)
    response = client.get(f"/plans/{approved['plan_id']}/plan.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "rtl-perpustakaan-desa-sungai-harapan" in response.headers["Content-Disposition"]
    assert pages(response.data, tmp_path) == 1
    text = pdf_text(response.data, tmp_path).replace("\u00a0", " ")
    assert "Perpustakaan Desa Sungai Harapan" in text
    assert "Kegiatan rencana 3" in text and "Rp 4.500.000" in text  # Indonesian grouping
    assert "Rp 9.000.000" in text  # the total
    assert "Disetujui" in text
    assert "lihat versi lengkap di XLSX" not in text  # nothing was cut


def test_a_long_plan_stays_on_one_page_and_points_to_the_xlsx(app, plan_world, tmp_path):
    from lms.plans.models import ActionPlan, PlanGoal, PlanNeed

    plan_id = approve_plan(app, plan_world["trainee"], plan_world["cohort_a"])
    fill_plan(app, plan_id, activities=20, long=True)
    with app.app_context():
        plan = db.session.get(ActionPlan, plan_id)
        plan.needs += [PlanNeed(position=n, need=LONG, evidence=LONG) for n in range(3, 11)]
        plan.goals += [PlanGoal(position=n, text=LONG) for n in range(2, 11)]
        plan.risks = LONG
        db.session.commit()
    response = login(app, plan_world["trainee"]).get(f"/plans/{plan_id}/plan.pdf")
    assert pages(response.data, tmp_path) == 1
    text = " ".join(pdf_text(response.data, tmp_path).split())
    assert "Perpustakaan Desa Sungai Harapan" in text and "Kegiatan rencana 1" in text
    assert "…" in text and "lihat versi lengkap di XLSX" in text


def test_plan_pdf_in_english_when_the_page_is_english(app, approved, tmp_path):
    client = login(app, approved["facilitator"])
    client.post("/language", data={"locale": "en"})
    text = pdf_text(client.get(f"/plans/{approved['plan_id']}/plan.pdf").data, tmp_path).replace("\u00a0", " ")
    assert "COMMUNITY NEEDS" in text and "Rp 4,500,000" in text and "Approved on" in text


def test_plan_xlsx_has_its_sheets_numeric_budgets_and_inert_text(app, approved):
    client = login(app, approved["facilitator"])
    assert f"/plans/{approved['plan_id']}/plan.xlsx" in client.get(f"/plans/{approved['plan_id']}").get_data(as_text=True)
    response = client.get(f"/plans/{approved['plan_id']}/plan.xlsx")
    assert response.status_code == 200 and ".xlsx" in response.headers["Content-Disposition"]
    book = workbook(response.data)
    assert book.sheetnames == ["Identitas", "Kebutuhan", "Tujuan", "Kegiatan", "Hasil pemeriksaan"]
    identity = {row[0]: row[1] for row in book["Identitas"].iter_rows(min_row=2, values_only=True)}
    assert identity["Perpustakaan"] == "Perpustakaan Desa Sungai Harapan"
    assert identity["Periode mulai"] == datetime(2026, 3, 1)
    activities = book["Kegiatan"]
    header = [c.value for c in activities[1]]
    budget = header.index("Anggaran (Rp)") + 1
    cells = [activities.cell(row=r, column=budget) for r in range(2, 5)]
    assert [c.value for c in cells] == [1_500_000, 3_000_000, 4_500_000]
    assert all(c.data_type == "n" and "Rp" in c.number_format for c in cells)
    assert activities.cell(row=2, column=header.index("Selesai") + 1).value == datetime(2026, 5, 1)
    need = book["Kebutuhan"].cell(row=2, column=2)
    assert need.data_type == "s" and need.value.startswith("'=")  # shown as text, never run
    reviews = list(book["Hasil pemeriksaan"].iter_rows(min_row=2, values_only=True))
    assert reviews[0][3] == "Disetujui" and {r[5] for r in reviews[1:]} == {"Ya"}


def test_only_those_who_may_read_the_plan_download_it(app, approved):
    """Her cohort's staff may; another trainee, staff of another cohort and staff who run nothing get 404."""
    from lms.plans.operations import start_plan

    with app.app_context():
        from lms.content.models import Course

        neighbour_plan = start_plan(approved["neighbour"], db.session.get(Course, approved["cohort_a"].course_id)).id
        db.session.commit()
    urls = [f"/plans/{approved['plan_id']}/{name}" for name in ("plan.pdf", "plan.xlsx", "activities.xlsx")]
    for user, want in ((approved["trainee"], 200), (approved["facilitator"], 200), (approved["organizer"], 200),
                       (approved["neighbour"], 404), (approved["other_facilitator"], 404),
                       (approved["other_trainee"], 404)):
        client = login(app, user)
        assert [client.get(url).status_code for url in urls] == [want] * 3, user.email
    # ... and she never gets her neighbour's.
    assert login(app, approved["trainee"]).get(f"/plans/{neighbour_plan}/plan.pdf").status_code == 404
    assert app.test_client().get(urls[0]).status_code == 302  # to the login page


def send_report(app, plan_id, held):
    """Her month-1 report, sent, with the given activities held (dicts of HeldActivity fields)."""
    from lms.plans.followup_ops import start_followup, submit_followup
    from lms.plans.models import ActionPlan, HeldActivity, HeldPhoto

    with app.app_context():
        report = start_followup(db.session.get(ActionPlan, plan_id), 1)
        for item in report.items:
            item.progress = "done"
        report.held.clear()
        for position, fields in enumerate(held, start=1):
            activity = HeldActivity(position=position, **fields)
            if fields.get("photo_consent"):
                activity.photos.append(HeldPhoto(content_type="image/jpeg", sha256="0" * 64, width=1, height=1,
                                                 data=b"\xff\xd8\xff"))
            report.held.append(activity)
        db.session.flush()
        submit_followup(report)
        db.session.commit()
        return report.id


HELD = [
    {"title": "Audiensi dengan kepala desa", "held_on": date(2026, 3, 2), "strategy": "advocacy", "male_adult": 3,
     "story": "=1+1 cerita"},
    {"title": "Pelatihan desain anyaman purun", "held_on": date(2026, 2, 14), "strategy": "engagement",
     "female_adult": 18, "male_adult": 2, "female_elderly": 1250, "partners": "PKK, Karang Taruna",
     "skills": "Menganyam motif baru", "story": "Bu Rina kini menjual tas purun.", "photo_consent": True},
    {"title": "Kelas iPusnas", "held_on": date(2026, 2, 20), "strategy": "information", "female_youth": 7,
     "male_child": 4},
]


def test_activities_held_export_has_one_row_per_activity_in_sim_order(app, approved):
    end_cohort(app, approved["cohort_a"], 100)
    send_report(app, approved["plan_id"], HELD)
    client = login(app, approved["organizer"])
    page = client.get(f"/organizer/cohorts/{approved['cohort_a'].id}/follow-ups").get_data(as_text=True)
    assert "follow-ups/activities.xlsx" in page
    response = client.get(f"/organizer/cohorts/{approved['cohort_a'].id}/follow-ups/activities.xlsx")
    assert response.status_code == 200
    sheet = workbook(response.data).active
    assert sheet.title == "Kegiatan yang terlaksana"
    header = [c.value for c in sheet[1]]
    assert header.index("Strategi TPBIS") < header.index("Kegiatan") < header.index("Jumlah peserta") \
        < header.index("Keterampilan yang dilatih") < header.index("Kisah perubahan")
    rows = [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)]
    # One row each, in the order of the strategies (information, engagement, advocacy).
    assert [r["Kegiatan"] for r in rows] == ["Kelas iPusnas", "Pelatihan desain anyaman purun",
                                             "Audiensi dengan kepala desa"]
    purun = rows[1]
    assert purun["Tanggal pelaksanaan"] == datetime(2026, 2, 14)
    assert (purun["Perempuan (P), Dewasa"], purun["Laki-laki (L), Dewasa"], purun["Perempuan (P), Lansia"]) == (18, 2, 1250)
    assert (purun["Jumlah laki-laki (L)"], purun["Jumlah perempuan (P)"], purun["Jumlah peserta"]) == (2, 1268, 1270)
    assert purun["Foto"] == 1 and purun["Perpustakaan"] == "Perpustakaan Desa Sungai Harapan"
    assert purun["Laporan (bulan ke-)"] == 1
    story = sheet.cell(row=4, column=header.index("Kisah perubahan") + 1)
    assert story.value == "'=1+1 cerita" and story.data_type == "s"
    count = sheet.cell(row=3, column=header.index("Jumlah peserta") + 1)
    assert count.data_type == "n"
    date_cell = sheet.cell(row=3, column=header.index("Tanggal pelaksanaan") + 1)
    assert date_cell.is_date


def test_activities_held_export_in_english_and_for_the_trainee(app, approved):
    end_cohort(app, approved["cohort_a"], 100)
    report = send_report(app, approved["plan_id"], HELD[:1])
    client = login(app, approved["trainee"])
    assert f"/plans/{approved['plan_id']}/activities.xlsx" in client.get(f"/follow-ups/{report}").get_data(as_text=True)
    client.post("/language", data={"locale": "en"})
    sheet = workbook(client.get(f"/plans/{approved['plan_id']}/activities.xlsx").data).active
    header = [c.value for c in sheet[1]]
    assert "TPBIS strategy" in header and "Total participants" in header
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1 and rows[0][header.index("TPBIS strategy")] == "Advocacy"


def test_cohort_activities_export_is_for_its_staff_and_counts_only_sent_reports(app, approved):
    from lms.plans.followup_ops import start_followup
    from lms.plans.models import ActionPlan, HeldActivity

    end_cohort(app, approved["cohort_a"], 100)
    with app.app_context():  # a draft report's activity is not exported
        draft = start_followup(db.session.get(ActionPlan, approved["plan_id"]), 2)
        draft.held.append(HeldActivity(position=9, title="Belum dikirim", strategy="advocacy", male_adult=1))
        db.session.commit()
    url = f"/organizer/cohorts/{approved['cohort_a'].id}/follow-ups/activities.xlsx"
    for user, want in ((approved["facilitator"], 200), (approved["organizer"], 200), (approved["trainee"], 403),
                       (approved["other_facilitator"], 403)):
        assert login(app, user).get(url).status_code == want, user.email
    sheet = workbook(login(app, approved["facilitator"]).get(url).data).active
    assert sheet.max_row == 1  # the header only


def test_pdf_keeps_one_page_with_unbreakable_words_and_other_scripts(app, plan_world, tmp_path):
    """An address longer than a column is split, an emoji or Arabic name gets the fallback fonts."""
    from lms.plans.models import ActionPlan

    plan_id = approve_plan(app, plan_world["trainee"], plan_world["cohort_a"])
    fill_plan(app, plan_id, activities=20)
    with app.app_context():
        plan = db.session.get(ActionPlan, plan_id)
        plan.library = "Perpustakaan Desa ٱلنور 📚"
        for activity in plan.activities:
            activity.partners = "https://example.test/" + "mitra" * 80
        db.session.commit()
    response = login(app, plan_world["trainee"]).get(f"/plans/{plan_id}/plan.pdf")
    assert response.status_code == 200 and pages(response.data, tmp_path) == 1
    text = pdf_text(response.data, tmp_path)
    assert "Perpustakaan Desa" in text and "https://example.test/mitra" in text
