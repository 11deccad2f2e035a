"""The staff landing links each of the user's cohorts to its chain report, and the link opens it."""

from __future__ import annotations

from lms.cohorts.models import CohortStaff
from lms.extensions import db
from tests.conftest import PASSWORD, text_of


def _client(app, user):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    return client


def test_facilitator_landing_links_her_cohorts_chain_reports(app, world):
    facilitator, cohort_a, cohort_b = world["facilitator"], world["cohort_a"], world["cohort_b"]
    with app.app_context():
        db.session.add(CohortStaff(cohort_id=cohort_a.id, user_id=facilitator.id, role="facilitator"))
        db.session.commit()
    client = _client(app, facilitator)
    html = client.get("/dashboard").get_data(as_text=True)
    link = (f'<a href="/organizer/cohorts/{cohort_a.id}/chain" aria-label="Rantai dampak: {cohort_a.name}">'
            'Rantai dampak</a>')
    assert link in html
    assert f"/organizer/cohorts/{cohort_b.id}/chain" not in html  # not her cohort
    page = client.get(f"/organizer/cohorts/{cohort_a.id}/chain")
    assert page.status_code == 200
    assert f"Rantai dampak: {cohort_a.name}" in text_of(page.data)
    assert client.get(f"/organizer/cohorts/{cohort_b.id}/chain").status_code in (403, 404)


def test_organizer_landing_links_every_cohort_she_runs_to_its_chain(app, world):
    html = _client(app, world["organizer"]).get("/dashboard").get_data(as_text=True)
    for cohort in (world["cohort_a"], world["cohort_b"]):
        assert (f'<a href="/organizer/cohorts/{cohort.id}/chain" aria-label="Rantai dampak: {cohort.name}">'
                'Rantai dampak</a>') in html
