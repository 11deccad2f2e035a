"""In a real browser at phone width: three months after her cohort ended, a trainee with an
approved plan reports what her library did: two activities held, with photos, without JavaScript
being needed; her facilitator reads the report and sees the photos."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Iterator

import pytest

from tests.browser.conftest import run_axe, screenshot, serving
from tests.conftest import ROOT, base_config

pytestmark = pytest.mark.browser

TRAINEE = "monev@perpusdes.id"
FACILITATOR = "pendamping-monev@perpusdes.id"
PASSWORD = "rahasia-123"
PHONE = {"width": 360, "height": 800}


def tiny_png(color: tuple[int, int, int]) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (12, 9), color).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def followup_server(browser_ready, tmp_path_factory) -> Iterator[str]:
    """A live server: the course that collects plans, a cohort that ended 100 days ago, a trainee
    whose plan was approved, and her facilitator."""
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
    from lms.plans import operations as plans
    from lms.plans.rules import plan_settings

    path = tmp_path_factory.mktemp("followups") / "live.sqlite3"
    app = create_app({**base_config(f"sqlite:///{path}"), "WTF_CSRF_ENABLED": True})
    with app.app_context():
        upgrade()
        _reports, problems = import_courses(ROOT / "tests" / "data" / "plans" / "mini-p")
        assert not [p for p in problems if p.severity == "error"]
        course = db.session.scalar(select(Course).where(Course.slug == "mini-p"))
        today = date.today()
        cohort = create_cohort(course=course, slug="uji-monev", name="Angkatan Uji Monev", key="UJIMONEV",
                               place="Banjarmasin", starts_on=today - timedelta(days=103),
                               ends_on=today - timedelta(days=100))
        trainee = create_user(email=TRAINEE, full_name="Siti Aminah", password=PASSWORD,
                              institution="Perpustakaan Desa Sungai Harapan", position="Pengelola",
                              regency="Hulu Sungai Utara", province="63")
        enrol(trainee, cohort)
        facilitator = create_user(email=FACILITATOR, full_name="Yusuf Pendamping", password=PASSWORD,
                                  role="facilitator")
        db.session.add(CohortStaff(cohort_id=cohort.id, user_id=facilitator.id, role="facilitator"))
        plan = plans.start_plan(trainee, course)
        plan.team, plan.general_goal = "Pengelola, ketua PKK", "Perajin purun memperoleh penghasilan lebih baik"
        plan.period_from, plan.period_to = today.replace(day=1) - timedelta(days=120), today.replace(day=1)
        plan.needs[0].need, plan.needs[0].evidence = "Tikar purun dijual murah", "Rapat warga"
        plan.goals[0].text = "15 dari 20 perajin membuat produk baru"
        activity = plan.activities[0]
        activity.title, activity.strategies, activity.target_group = "Pelatihan desain anyaman", "engagement", "Perajin"
        activity.starts_on, activity.indicator, activity.target = plan.period_from, "Produk baru", "15 orang"
        plans.submit_plan(plan)
        plans.review_plan(plan, facilitator, "approve", "",
                          {c["key"]: {"title": c["title"], "met": True, "comment": ""}
                           for c in plan_settings(course)["rubric"]})
        db.session.commit()
    with serving(app) as base:
        yield base


def login(browser, base: str, email: str, javascript: bool = True):
    context = browser.new_context(viewport=PHONE, bypass_csp=True, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/dashboard")
    return context, page


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def fill_activity(row, title: str, day: str, strategy: str, people: dict[tuple[str, str], str], story: str) -> None:
    row.get_by_label("Apa yang dilakukan?").fill(title)
    row.get_by_label("Tanggal").fill(day)
    row.get_by_label("Strategi TPBIS").select_option(label=strategy)
    for (age, sex), number in people.items():
        row.locator("fieldset.people-row", has_text=age).get_by_label(sex).fill(number)
    row.get_by_label("Mitra (pisahkan dengan koma)").fill("PKK, Karang Taruna")
    row.get_by_label("Kisah perubahan").fill(story)


def test_three_months_later_she_reports_two_activities_with_photos(followup_server, browser):
    found = {}
    # No JavaScript: the whole form works with plain posts.
    trainee, page = login(browser, followup_server, TRAINEE, javascript=False)
    assert "Laporan tindak lanjut bulan ke-1" in page.content()  # month 1 is overdue by now
    page.get_by_role("heading", name="Laporan tindak lanjut bulan ke-3").wait_for()
    found["dashboard"] = run_axe_without_js(browser, page)
    page.locator("section.followup-card", has_text="bulan ke-3").get_by_role(
        "link", name="Laporkan kegiatan perpustakaan Anda").click()
    page.get_by_role("button", name="Mulai laporan").click()
    page.wait_for_url("**/follow-ups/2")
    fits(page)

    page.locator("fieldset", has_text="Kegiatan 1: Pelatihan desain anyaman").get_by_label("Selesai",
                                                                                           exact=True).check()
    first = page.locator("fieldset.plan-row", has_text="Kegiatan terlaksana 1")
    fill_activity(first, "Pelatihan desain anyaman purun, 4 sesi", "2026-02-14", "Pelibatan masyarakat",
                  {("Dewasa", "Perempuan (P)"): "18", ("Dewasa", "Laki-laki (L)"): "2", ("Lansia", "Perempuan (P)"): "3"},
                  "Bu Rina kini menjual tas purun bermotif ke pasar kecamatan.")
    photos = [{"name": f"foto-{n}.png", "mimeType": "image/png", "buffer": tiny_png(color)}
              for n, color in enumerate(((200, 60, 60), (60, 160, 60)), start=1)]
    first.get_by_label("Tambah foto").set_input_files(photos)
    # Without consent the photos are refused, and nothing is saved.
    page.get_by_role("button", name="Tambah kegiatan terlaksana").click()
    assert "Centang kotak persetujuan" in page.locator("#followup-errors").inner_text()
    found["refused"] = run_axe_without_js(browser, page)
    first = page.locator("fieldset.plan-row", has_text="Kegiatan terlaksana 1")
    assert first.get_by_label("Apa yang dilakukan?").input_value().startswith("Pelatihan desain")  # kept in the form
    first.get_by_label("Tambah foto").set_input_files(photos)
    first.get_by_label("setuju difoto").check()
    page.get_by_role("button", name="Tambah kegiatan terlaksana").click()
    page.wait_for_url("**/follow-ups/2#held-*")
    assert page.locator("fieldset.plan-row", has_text="Kegiatan terlaksana 1").locator("ul.photos img").count() == 2

    second = page.locator("fieldset.plan-row", has_text="Kegiatan terlaksana 2")
    fill_activity(second, "Kelas membaca anak setiap Sabtu", "2026-03-14", "Layanan informasi",
                  {("Anak", "Laki-laki (L)"): "7", ("Anak", "Perempuan (P)"): "9"},
                  "Dimas kini membacakan cerita untuk adiknya.")
    second.get_by_label("Tambah foto").set_input_files(
        [{"name": "kelas.png", "mimeType": "image/png", "buffer": tiny_png((60, 60, 200))}])
    second.get_by_label("setuju difoto").check()
    fits(page)
    screenshot(page, "followup-form-360")
    page.get_by_role("button", name="Kirim laporan").click()
    page.wait_for_url("**/follow-ups/2")
    assert "Terima kasih: laporan tindak lanjut Anda sudah terkirim." in page.content()
    assert page.locator("article.held-activity").count() == 2
    assert page.locator("article.held-activity img").count() == 3
    fits(page)
    found["sent"] = run_axe_without_js(browser, page)
    shot = screenshot(page, "followup-sent-360")
    print(f"screenshot: {shot}")
    page.goto(followup_server + "/dashboard")
    assert "Laporan tindak lanjut bulan ke-3" not in page.content()

    # Her facilitator reads it, with the photos (served only to those who may read the report).
    facilitator, review = login(browser, followup_server, FACILITATOR)
    review.goto(followup_server + "/plans")
    assert "Bulan ke-3: 1 dari 1 terkirim" in review.locator("main").inner_text()
    review.get_by_role("link", name="Tindak lanjut angkatan ini").click()
    review.locator("td", has_text="Terkirim").last.get_by_role("link").click()
    images = review.locator("article.held-activity img")
    assert images.count() == 3
    for index in range(3):  # lazy images load when scrolled to
        images.nth(index).scroll_into_view_if_needed()
        review.wait_for_function("img => img.complete && img.naturalWidth === 12", arg=images.nth(index).element_handle())
    fits(review)
    found["staff"] = run_axe(review)
    facilitator.close()
    trainee.close()
    assert {name: v for name, v in found.items() if v} == {}


def run_axe_without_js(browser, page) -> list[dict]:
    """axe on the page's HTML, as served, in a context with JavaScript (the trainee's has none),
    with her cookies so that styles and photos load as she sees them."""
    context = browser.new_context(viewport=PHONE, bypass_csp=True, storage_state=page.context.storage_state())
    copy = context.new_page()
    base = page.url.split("/", 3)
    copy.goto("/".join(base[:3]) + "/healthz")
    copy.set_content(page.content().replace("<head>", f'<head><base href="{page.url}">', 1))
    try:
        return run_axe(copy)
    finally:
        context.close()
