"""Numbers in query strings and URLs: out of range or not a number gives 400 (or a clamped page,
or a 404 for an id), never a 500, on both databases."""

from __future__ import annotations

import pytest

from tests.conftest import login, text_of

HUGE = "9" * 40


@pytest.fixture
def organizer(app, world):
    client = login(app, world["organizer"])
    return client, world


@pytest.mark.parametrize("value, status", [
    ("7", 200), ("0", 200), ("", 200), ("3650", 200),
    (HUGE, 400), ("99999999999", 400), ("-1", 400), ("abc", 400), ("1e9", 400), ("²", 400), ("٣", 400),
    ("7.5", 400), ("3651", 400),
])
def test_report_inactive_days(organizer, value, status):
    client, world = organizer
    response = client.get(f"/organizer/cohorts/{world['cohort_a'].id}/report", query_string={"inactive": value})
    assert response.status_code == status, value
    if status == 400:
        assert "'inactive' harus bilangan bulat dari 0 sampai 3650" in text_of(response.data)


@pytest.mark.parametrize("value", ["1", "2", "0", "-5", HUGE, "-" + HUGE, "1000001"])
def test_report_page_numbers_are_clamped(organizer, value):
    client, world = organizer
    response = client.get(f"/organizer/cohorts/{world['cohort_a'].id}/report", query_string={"page": value})
    assert response.status_code == 200, value


def test_report_page_that_is_not_a_number_is_refused(organizer):
    client, world = organizer
    response = client.get(f"/organizer/cohorts/{world['cohort_a'].id}/report", query_string={"page": "dua"})
    assert response.status_code == 400


def test_course_report_and_results_filters(organizer, make_user, app):
    client, world = organizer
    assert client.get("/organizer/courses/mini-a/report", query_string={"inactive": HUGE}).status_code == 400
    admin = login(app, world["admin"])
    for value, status in ((str(world["cohort_a"].id), 200), (HUGE, 400), ("²", 400), ("-1", 400), ("", 200),
                          ("999999", 404)):
        response = admin.get("/courses/mini-a/results", query_string={"cohort": value})
        assert response.status_code == status, value


@pytest.mark.parametrize("path", [
    "/organizer/cohorts/{huge}/report", "/organizer/cohorts/{huge}", "/organizer/imports/{huge}",
    "/author/courses/mini-a/versions/{huge}",
])
def test_huge_ids_in_urls_are_not_found(organizer, path):
    client, _ = organizer
    assert client.get(path.format(huge=HUGE)).status_code == 404
    assert client.get(path.format(huge=2**31)).status_code == 404


def test_reminder_ids_that_are_not_plain_numbers_are_ignored(organizer):
    client, world = organizer
    response = client.post(f"/organizer/cohorts/{world['cohort_a'].id}/remind",
                           data={"user_id": ["²", HUGE, "-1"], "channel": "email"})
    assert response.status_code < 500
