"""The page language everywhere: form errors, numbers, percentages, dates and times in the
cohort's zone (WIB/WITA/WIT), and exports as a spreadsheet in that language reads them."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from lms.extensions import db
from tests.conftest import login, text_of

WHEN = datetime(2026, 3, 5, 1, 30, tzinfo=timezone.utc)  # 09.30 in WITA, 08.30 in WIB


def english(client):
    client.post("/language", data={"locale": "en", "next": "/"})


def test_form_errors_in_the_page_language(client):
    """WTForms' own messages are Indonesian on Indonesian pages and English on English ones."""
    page = text_of(client.post("/register", data={"email": "bukan-email"}).data)
    assert "Isian ini wajib diisi." in page and "Alamat email tidak valid." in page
    assert "This field is required." not in page and "Invalid email address." not in page
    english(client)
    page = text_of(client.post("/register", data={"email": "bukan-email"}).data)
    assert "This field is required." in page and "Invalid email address." in page
    assert "Isian ini wajib diisi." not in page


def test_wtforms_catalog_translates_every_wtforms_message():
    """Our Indonesian catalog for WTForms covers every message of the installed WTForms."""
    from babel.messages.pofile import read_po
    from wtforms.i18n import messages_path

    from lms.translate import TRANSLATIONS

    with open(f"{messages_path()}/wtforms.pot", "rb") as fh:
        template = read_po(fh)
    with (TRANSLATIONS / "id" / "LC_MESSAGES" / "wtforms.po").open("rb") as fh:
        ours = read_po(fh)
    missing = [m.id for m in template if m.id and not (ours.get(m.id) and all(
        ours.get(m.id).string if isinstance(ours.get(m.id).string, tuple) else [ours.get(m.id).string]))]
    assert missing == []


def test_numbers_and_percentages_follow_babel(app):
    from lms.util.formatting import format_number, format_percentage

    assert format_percentage(84.44, locale="id") == "84,4%"  # Babel's id pattern: no space before %
    assert format_percentage(84.44, locale="en") == "84.4%"
    assert format_percentage(100.0, locale="id") == "100%" and format_percentage(None) == "–"
    assert format_number(6.75, locale="id") == "6,75" and format_number(8.0, locale="id") == "8"
    assert format_number(6.75, locale="en") == "6.75"
    assert format_number(1234.5, locale="id") == "1.234,5"


def test_times_in_the_zone_with_its_abbreviation(app):
    from lms.util.formatting import format_local_date, format_local_datetime, format_local_time

    assert format_local_datetime(WHEN, zone="Asia/Makassar", locale="id") == "5 Mar 2026 09.30 WITA"
    assert format_local_datetime(WHEN, zone="Asia/Jakarta", locale="id") == "5 Mar 2026 08.30 WIB"
    assert format_local_time(WHEN, zone="Asia/Jayapura", locale="id") == "10.30 WIT"
    assert format_local_datetime(WHEN, zone="Asia/Makassar", locale="en") == "Mar 5, 2026, 9:30\u202fAM WITA"
    late = datetime(2026, 3, 5, 16, 30, tzinfo=timezone.utc)  # already the 6th in WITA
    assert format_local_date(late, zone="Asia/Makassar", locale="id") == "6 Maret 2026"
    assert format_local_date(late, zone="Asia/Jakarta", locale="id") == "5 Maret 2026"


@pytest.mark.parametrize("texts, zone", [
    (("Banjarmasin",), "Asia/Makassar"),  # Kalimantan Selatan is WITA
    ((None, None, "Angkatan Demo Kalimantan Selatan 2026"), "Asia/Makassar"),
    (("Aula Dinas Perpustakaan, Kota Jayapura",), "Asia/Jayapura"),
    (("Bandung",), "Asia/Jakarta"),
    (("Gedung Serbaguna",), "Asia/Jakarta"),  # nothing known: WIB
])
def test_default_zone_from_the_province_of_the_place(texts, zone):
    from lms.cohorts.timezones import default_zone

    assert default_zone(*texts) == zone


def test_cohort_form_sets_the_zone(app, client, auth, courses, make_user):
    from lms.cohorts.models import Cohort
    from lms.content.models import Course

    from lms.content.models import CourseRole

    organizer = make_user("organizer")
    auth.login(organizer.email)
    with app.app_context():
        course_id = db.session.scalar(select(Course.id).where(Course.slug == "mini-a"))
        # Creating a cohort of a course is for the course's organizers (lms/auth.py).
        db.session.add(CourseRole(course_id=course_id, user_id=organizer.id, role="organizer"))
        db.session.commit()
    base = {"course_id": course_id, "name": "Angkatan Kalsel", "place": "Banjarmasin", "is_open": "y"}
    assert client.post("/organizer/cohorts/new", data={**base, "slug": "kalsel-1", "timezone": ""}).status_code == 302
    assert client.post("/organizer/cohorts/new", data={**base, "slug": "kalsel-2",
                                                        "timezone": "Asia/Jayapura"}).status_code == 302
    assert client.post("/organizer/cohorts/new", data={**base, "slug": "kalsel-3",
                                                        "timezone": "Europe/Berlin"}).status_code == 400
    with app.app_context():
        zones = dict(db.session.execute(select(Cohort.slug, Cohort.timezone).where(Cohort.slug.like("kalsel-%"))).all())
    assert zones == {"kalsel-1": "Asia/Makassar", "kalsel-2": "Asia/Jayapura"}


def test_cli_cohort_zone(app, runner, courses):
    from lms.cohorts.models import Cohort

    result = runner.invoke(args=["cohorts", "create", "--course", "mini-a", "--slug", "hsu-1", "--name", "HSU",
                                 "--place", "Amuntai, Hulu Sungai Utara"])
    assert result.exit_code == 0 and "Asia/Makassar" in result.output
    result = runner.invoke(args=["cohorts", "create", "--course", "mini-a", "--slug", "pap-1", "--name", "Papua",
                                 "--timezone", "WIT"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(Cohort.timezone).where(Cohort.slug == "pap-1")) == "Asia/Jayapura"


@pytest.fixture
def wita(app, world, make_user, enrol_user):
    """Cohort A in WITA, its trainee half done with her last activity at WHEN."""
    from lms.cohorts.models import Cohort
    from lms.learning.models import CourseProgress

    client = login(app, world["trainee"])
    client.post("/courses/mini-a/lessons/pengantar/complete", data={"done": "1"})
    with app.app_context():
        db.session.get(Cohort, world["cohort_a"].id).timezone = "Asia/Makassar"
        progress = db.session.scalar(select(CourseProgress).where(CourseProgress.user_id == world["trainee"].id))
        progress.last_activity_at = WHEN
        db.session.commit()
    organizer = login(app, world["organizer"])
    return organizer


def test_report_page_prints_times_in_the_cohort_zone(app, world, wita):
    url = f"/organizer/cohorts/{world['cohort_a'].id}/report"
    page = text_of(wita.get(url).data)
    assert "5/3/26 09.30 WITA" in page
    assert "Hulu Sungai Utara 50% Sedang berlangsung 5/3/26 09.30 WITA" in page  # Babel, id
    english(wita)
    page = text_of(wita.get(url).data)
    assert "3/5/26, 9:30\u202fAM WITA" in page or "3/5/26, 9:30 AM WITA" in page


def test_xlsx_export_types_numbers_and_times(app, world, wita):
    from openpyxl import load_workbook

    response = wita.get(f"/organizer/cohorts/{world['cohort_a'].id}/report?format=xlsx&table=participants")
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, sheet[2]))
    assert row["Kemajuan (%)"].value == 50 and row["Kemajuan (%)"].data_type == "n"
    assert row["Status"].value == "Sedang berlangsung"  # a label, not in_progress
    last = row["Aktivitas terakhir"]
    assert last.is_date and last.value == datetime(2026, 3, 5, 9, 30) and "WITA" in last.number_format
    regency = load_workbook(io.BytesIO(wita.get(
        f"/organizer/cohorts/{world['cohort_a'].id}/report?format=xlsx&table=regency").data)).active
    assert all(cell.data_type == "n" for cell in regency[2][1:])


def test_csv_export_follows_the_language(app, world, wita):
    url = f"/organizer/cohorts/{world['cohort_a'].id}/report?format=csv&table="
    rows = list(csv.reader(io.StringIO(wita.get(url + "participants").data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["Nama", "Email"] and rows[1][6:] == ["Sedang berlangsung", "2026-03-05 09:30 WITA"]
    regency = list(csv.reader(io.StringIO(wita.get(url + "regency").data.decode("utf-8-sig")), delimiter=";"))
    assert regency[1][3:] == ["0", "50"]
    english(wita)
    rows = list(csv.reader(io.StringIO(wita.get(url + "participants").data.decode("utf-8-sig")), delimiter=","))
    assert rows[0][:2] == ["Name", "Email"] and rows[1][6:] == ["In progress", "2026-03-05 09:30 WITA"]


def test_decimal_sign_in_csv():
    from lms.util.sheets import to_csv

    assert to_csv(["Nilai"], [[84.4]], locale="id").decode("utf-8-sig").splitlines() == ["Nilai", "84,4"]
    assert to_csv(["A", "B"], [[84.4, 2]], locale="en").decode("utf-8-sig").splitlines() == ["A,B", "84.4,2"]


def test_lesson_images_are_lazy_and_sized():
    from PIL import Image

    from lms.content.loader import AssetSpec
    from lms.content.markdown import image_size, render_markdown

    png = io.BytesIO()
    Image.new("RGB", (640, 360)).save(png, "PNG")
    assets = {"img/peta.png": AssetSpec("img/peta.png", "image/png", png.getvalue(), "x")}
    html = render_markdown("![Peta](../img/peta.png)\n\n![Lain](../img/lain.png)", source_dir="m1",
                           asset_url=lambda path: f"/courses/c/assets/{path}",
                           image_size=lambda path: image_size(assets.get(path))).html
    sized, unknown = re.findall(r"<img [^>]*>", html)
    assert 'loading="lazy"' in sized and 'width="640" height="360"' in sized
    assert 'loading="lazy"' in unknown and "width=" not in unknown
