"""The facilitator, an author of course mini-a, and a trainee who has completed one of its lessons."""

from __future__ import annotations

import pytest

from lms.content.models import CourseRole
from lms.extensions import db
from tests.conftest import login


@pytest.fixture
def editor(app, world):
    """The facilitator, an author of course mini-a (a course role); the trainee has completed the lesson."""
    with app.app_context():
        db.session.add(CourseRole(course_id=world["cohort_a"].course_id, user_id=world["facilitator"].id, role="author"))
        db.session.commit()
    trainee = login(app, world["trainee"])
    assert trainee.post("/courses/mini-a/lessons/pengantar/complete").status_code == 302
    facilitator = login(app, world["facilitator"])
    return {"facilitator": facilitator, "trainee": trainee, "world": world}
