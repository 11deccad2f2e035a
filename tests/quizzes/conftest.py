from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.quizzes.models import Question, Quiz


@pytest.fixture
def quiz_world(app, courses, make_user, make_cohort, enrol_user, auth):
    """A trainee enrolled in the quiz test course, logged in."""
    cohort = make_cohort("mini-q", key="KUISQ")
    trainee = make_user("trainee", email="kuis@example.test")
    enrol_user(trainee, cohort)
    auth.login(trainee.email)
    return {"cohort": cohort, "trainee": trainee}


def quiz_by_slug(app, slug):
    with app.app_context():
        return db.session.scalar(select(Quiz).where(Quiz.slug == slug))


def questions_by_key(app, quiz):
    with app.app_context():
        return {q.key: q for q in db.session.scalars(select(Question).where(Question.bank_id == quiz.bank_id))}


def start(client, quiz_slug, course="mini-q"):
    response = client.post(f"/courses/{course}/quizzes/{quiz_slug}/start")
    assert response.status_code == 302, response.data
    match = re.search(r"/attempts/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def correct_form(app, quiz_slug="kuis-modul", *, essay="Kegiatan membaca bersama PKK."):
    """Form values that answer every question of the test quiz correctly."""
    from lms.quizzes.types import option_id

    quiz = quiz_by_slug(app, quiz_slug)
    qs = questions_by_key(app, quiz)
    form = {
        f"q{qs['pilih-satu'].id}": option_id("Pelibatan masyarakat"),
        f"q{qs['benar-salah'].id}": "true",
        f"q{qs['isian'].id}": " bpd ",
        f"q{qs['angka'].id}": "32",
        f"q{qs['uraian'].id}": essay,
    }
    multiple = [(f"q{qs['pilih-banyak'].id}", option_id(t)) for t in ("Advokasi", "Pelibatan masyarakat")]
    pairs = qs["jodohkan"].data
    for pair in pairs["pairs"]:
        choice = next(c["id"] for c in pairs["choices"] if c["text"] == pair["right"])
        form[f"q{qs['jodohkan'].id}-{pair['id']}"] = choice
    from werkzeug.datastructures import MultiDict

    return MultiDict(list(form.items()) + multiple)
