"""`flask demo seed`: every demo account can use its part of the platform at once."""

from __future__ import annotations

from lms.demo import DEMO_PASSWORD
from tests.conftest import text_of


def test_demo_accounts_see_their_cohort_course_and_editor(app, runner, courses):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    pages = {"penyelenggara@demo.bimtek.id": ("/organizer/cohorts", "Angkatan Demo Kalimantan Selatan 2026"),
             "fasilitator@demo.bimtek.id": ("/author/", "Kursus Mini A"),
             "peserta@demo.bimtek.id": ("/dashboard", "Kursus Mini A")}
    for email, (url, expected) in pages.items():
        client = app.test_client()
        assert client.post("/login", data={"email": email, "password": DEMO_PASSWORD}).status_code == 302
        page = client.get(url)
        assert page.status_code == 200 and expected in text_of(page.data), (email, url)
    editor = app.test_client()
    editor.post("/login", data={"email": "fasilitator@demo.bimtek.id", "password": DEMO_PASSWORD})
    assert editor.get("/author/courses/mini-a").status_code == 200
