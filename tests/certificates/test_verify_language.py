"""The public verification page in the visitor's language, dates included; the issue date is
the one on the cohort's calendar."""

from __future__ import annotations

from datetime import datetime, timezone

from lms.extensions import db
from tests.conftest import text_of


def test_verify_page_prints_dates_in_the_page_language(app, certified):
    code = certified["certificate"].code
    visitor = app.test_client()
    page = text_of(visitor.get(f"/verify/{code}").data)
    assert "14–17 Juni 2026" in page and "Tanggal terbit" in page
    visitor.post("/language", data={"locale": "en", "next": "/"})
    page = text_of(visitor.get(f"/verify/{code}").data)
    assert "Jun 14 – 17, 2026" in page  # Babel's English interval, not "14–17 Juni 2026"
    assert "Juni" not in page and "Issued on" in page
    issued = page.split("Issued on", 1)[1]
    assert any(month in issued for month in ("January", "February", "March", "April", "May", "June", "July",
                                             "August", "September", "October", "November", "December"))


def test_issue_date_is_the_cohort_calendar_date(app, certified):
    """Issued at 23.30 WIB on 31 December: in a WITA cohort that is already 1 January."""
    from lms.certificates.rules import make_snapshot
    from lms.cohorts.models import Cohort
    from lms.accounts.models import User
    from lms.content.models import Course

    with app.app_context():
        cohort = db.session.get(Cohort, certified["cohort"].id)
        user = db.session.get(User, certified["trainee"].id)
        course = db.session.get(Course, cohort.course_id)
        late = datetime(2026, 12, 31, 16, 30, tzinfo=timezone.utc)
        cohort.timezone = "Asia/Jakarta"
        assert make_snapshot(user, cohort, course, "1", "X", late)["issued_on"] == "2026-12-31"
        cohort.timezone = "Asia/Makassar"
        assert make_snapshot(user, cohort, course, "1", "X", late)["issued_on"] == "2027-01-01"
        db.session.rollback()
