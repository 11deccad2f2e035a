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
from tests.conftest import DATA, PASSWORD, import_course_folder, login
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
    from lms.cohorts.operations import create_cohort
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
    tab_one, tab_two = login(app, "balapan@example.test"), login(app, "balapan@example.test")
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
    tab_one, tab_two = login(app, "balapan@example.test"), login(app, "balapan@example.test")
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
    client = login(app, "balapan@example.test")
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
    clients = [login(app, "balapan@example.test") for _ in ids]
    results = _race([lambda c=c, i=i: c.post(f"/attempts/{i}/submit") for c, i in zip(clients, ids)])
    assert [r.status_code for r in results] == [302] * len(ids)
    with app.app_context():
        states = db.session.scalars(select(Attempt.state).where(Attempt.id.in_(ids))).all()
        assert states == ["graded"] * len(ids)


def _unlimited_attempts(app):
    from lms.quizzes.models import Quiz

    with app.app_context():
        quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "kuis-modul"))
        quiz.attempts_allowed = 0
        db.session.commit()


def _changed_choice(app, form):
    """The form with the single-choice answer changed from right to wrong."""
    from lms.quizzes.types import option_id
    from tests.quizzes.conftest import questions_by_key, quiz_by_slug

    key = f"q{questions_by_key(app, quiz_by_slug(app, 'kuis-modul'))['pilih-satu'].id}"
    changed = form.copy()
    changed[key] = option_id("Pengadaan gedung")
    return changed


def _stored_answers_are_the_graded_ones(app, attempt_id):
    """Every stored answer was graded as it is stored, and the score is their sum."""
    from lms.quizzes.models import Answer, Question
    from lms.quizzes.types import QUESTION_TYPES

    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.state == "graded"
        answers = db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id)).all()
        for answer in answers:
            question = db.session.get(Question, answer.question_id)
            assert answer.graded_at is not None  # (clocks read before a lock wait say nothing of order)
            assert answer.fraction == QUESTION_TYPES[question.qtype].grade(question.data, answer.response)
        assert attempt.score == round(sum(a.mark for a in answers), 4)
        return {a.question_id: a.response for a in answers}


def test_autosave_racing_a_submit_is_graded_or_refused_never_stored_after(live_db):
    """An autosave and a submit of the same attempt at the same moment: the save lands before the
    submit (and is graded) or is refused with 409 (and changes nothing); never a 500."""
    app = live_db
    _setup(app)
    _unlimited_attempts(app)
    trainee, tab = login(app, "balapan@example.test"), login(app, "balapan@example.test")
    outcomes = set()
    for _ in range(6):
        response = trainee.post("/courses/mini-q/quizzes/kuis-modul/start")
        attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
        form = correct_form(app, essay="")
        assert trainee.post(f"/attempts/{attempt_id}/save", data=form).status_code == 302
        changed = _changed_choice(app, form)
        save, submit = _race([
            lambda: tab.post(f"/attempts/{attempt_id}/save", data=changed, headers={"X-Requested-With": "fetch"}),
            lambda: trainee.post(f"/attempts/{attempt_id}/submit")])
        assert save.status_code in (200, 409) and submit.status_code == 302
        stored = _stored_answers_are_the_graded_ones(app, attempt_id)
        wanted = changed if save.status_code == 200 else form
        for question_id, response in stored.items():
            values = wanted.getlist(f"q{question_id}")
            if values and not isinstance(response, (list, dict)):
                assert str(response).strip().lower() in [str(v).strip().lower() for v in values]
        outcomes.add(save.status_code)
    assert outcomes  # each round ended one of the two ways


def test_two_autosaves_at_once_store_one_answer_each(live_db):
    """Two tabs autosaving a fresh attempt at the same moment: both succeed, one row per answer."""
    from lms.quizzes.models import Answer

    app = live_db
    _setup(app)
    _unlimited_attempts(app)
    one, two = login(app, "balapan@example.test"), login(app, "balapan@example.test")
    for _ in range(4):
        response = one.post("/courses/mini-q/quizzes/kuis-modul/start")
        attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
        form = correct_form(app, essay="")
        results = _race([
            lambda: one.post(f"/attempts/{attempt_id}/save", data=form, headers={"X-Requested-With": "fetch"}),
            lambda: two.post(f"/attempts/{attempt_id}/save", data=_changed_choice(app, form),
                             headers={"X-Requested-With": "fetch"})])
        assert [r.status_code for r in results] == [200, 200]
        with app.app_context():
            rows = db.session.execute(select(Answer.question_id, func.count()).where(Answer.attempt_id == attempt_id)
                                      .group_by(Answer.question_id)).all()
            assert rows and all(count == 1 for _, count in rows)
        assert one.post(f"/attempts/{attempt_id}/submit").status_code == 302
        _stored_answers_are_the_graded_ones(app, attempt_id)
