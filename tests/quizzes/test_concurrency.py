"""Races on real connections: two tabs submitting one attempt, or starting one, at the same moment.

These tests commit for real (no per-test rollback) and empty the tables afterwards.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.quizzes import attempts as ops
from lms.quizzes.models import Attempt
from tests.conftest import DATA, PASSWORD, import_course_folder
from tests.quizzes.conftest import correct_form


@pytest.fixture
def live_db(backend_app):
    """The backend's database with committed data, emptied afterwards."""
    yield backend_app
    with backend_app.app_context():
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        db.session.remove()


def _setup(app):
    from lms.accounts.models import Role
    from lms.accounts.operations import create_user
    from lms.cohorts.cli import create_cohort
    from lms.cohorts.operations import enrol
    from lms.content.models import Course

    import_course_folder(app, DATA / "courses")
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "mini-q"))
        user = create_user(email="balapan@example.test", full_name="Peserta Balapan", password=PASSWORD,
                           role=Role.TRAINEE)
        enrol(user, create_cohort(course=course, slug="balapan", name="Balapan", key="BALAPAN"))
        db.session.commit()
        return user.id


def _logged_in_client(app):
    client = app.test_client()
    assert client.post("/login", data={"email": "balapan@example.test", "password": PASSWORD}).status_code == 302
    return client


def _race(functions):
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)
    errors: list = []

    def run(index, function):
        try:
            barrier.wait(timeout=10)
            results[index] = function()
        except Exception as exc:  # reported below, with the thread's result
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    return results


def test_two_tabs_submitting_at_once_grade_exactly_once(live_db, monkeypatch):
    app = live_db
    _setup(app)
    tab_one, tab_two = _logged_in_client(app), _logged_in_client(app)
    response = tab_one.post("/courses/mini-q/quizzes/kuis-modul/start")
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    tab_one.post(f"/attempts/{attempt_id}/save", data=correct_form(app, essay=""))

    gradings = []
    original = ops._recompute

    def counting(*args, **kwargs):
        gradings.append(threading.get_ident())
        return original(*args, **kwargs)

    monkeypatch.setattr(ops, "_recompute", counting)
    results = _race([lambda: tab_one.post(f"/attempts/{attempt_id}/submit"),
                     lambda: tab_two.post(f"/attempts/{attempt_id}/submit")])
    assert [r.status_code for r in results] == [302, 302]
    assert len(gradings) == 1
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.state == "graded" and attempt.percent == 75.0
        assert db.session.scalar(select(func.count(Attempt.id))) == 1


def test_two_tabs_starting_at_once_make_one_attempt(live_db):
    app = live_db
    _setup(app)
    tab_one, tab_two = _logged_in_client(app), _logged_in_client(app)
    results = _race([lambda: tab_one.post("/courses/mini-q/quizzes/kuis-modul/start"),
                     lambda: tab_two.post("/courses/mini-q/quizzes/kuis-modul/start")])
    assert [r.status_code for r in results] == [302, 302]
    assert results[0].headers["Location"] == results[1].headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Attempt.id))) == 1


def test_one_trainee_submitting_several_attempts_at_once_grades_them_all(live_db):
    """Several open attempts of one trainee (tabs, or a flaky connection retrying) submitted at
    the same moment: every one is graded, none fails on a lock (a deadlock would answer 503)."""
    app = live_db
    user_id = _setup(app)
    client = _logged_in_client(app)
    response = client.post("/courses/mini-q/quizzes/kuis-modul/start")
    first_id = int(response.headers["Location"].rsplit("/", 1)[1])
    client.post(f"/attempts/{first_id}/save", data=correct_form(app, essay=""))
    with app.app_context():
        from lms.quizzes.models import Answer

        first = db.session.get(Attempt, first_id)
        answers = db.session.scalars(select(Answer).where(Answer.attempt_id == first_id)).all()
        ids = [first_id]
        for number in range(2, 7):  # copies, as if started earlier in other tabs
            copy = Attempt(quiz_id=first.quiz_id, user_id=user_id, number=number, layout_json=first.layout_json,
                           started_at=first.started_at)
            db.session.add(copy)
            db.session.flush()
            db.session.add_all([Answer(attempt_id=copy.id, question_id=a.question_id, response_json=a.response_json)
                                for a in answers])
            ids.append(copy.id)
        db.session.commit()
    clients = [_logged_in_client(app) for _ in ids]
    results = _race([lambda c=c, i=i: c.post(f"/attempts/{i}/submit") for c, i in zip(clients, ids)])
    assert [r.status_code for r in results] == [302] * len(ids)
    with app.app_context():
        states = db.session.scalars(select(Attempt.state).where(Attempt.id.in_(ids))).all()
        assert states == ["graded"] * len(ids)
