"""The hot pages make a small, fixed number of queries, whatever the course or progress size."""

from __future__ import annotations

import pytest

from lms.extensions import db
from tests.conftest import ROOT, count_queries, login
from tests.quizzes.conftest import quiz_world  # noqa: F401  (fixture)

LIMITS = {  # page -> most queries allowed (a trainee, logged in)
    "lesson": 2,  # the lesson I am on, opened again within a minute: the user, then one read
    "lesson, first visit": 7,
    "course": 4,
    "dashboard": 4,
    "quiz submit": 9,  # PostgreSQL: the trainee's row is locked (and loaded) first: concurrent submits queue there
}


@pytest.fixture
def reader(app, client, courses, make_user, make_cohort, enrol_user, runner):
    """A trainee in the real course and in the small test course."""
    assert runner.invoke(args=["courses", "import", str(ROOT / "courses")]).exit_code == 0
    user = make_user(email="pembaca@perpusdes.id")
    for slug in ("strategi-pengembangan-perpustakaan-tik", "mini-a"):
        enrol_user(user, make_cohort(slug))
    login(client, user)
    return client


def test_hot_pages_make_few_queries_independent_of_size(app, reader):
    big = "/courses/strategi-pengembangan-perpustakaan-tik"
    lesson = f"{big}/lessons/dasar-hukum-perpustakaan-desa"
    reader.get(lesson)  # a trainee coming back to a lesson she has opened before

    def measure():
        reader.get(lesson)  # then the same lesson again: a reload
        return {"lesson": count_queries(app, lambda: reader.get(lesson)),
                "course": count_queries(app, lambda: reader.get(big)),
                "dashboard": count_queries(app, lambda: reader.get("/dashboard"))}

    before = measure()
    # Much more progress, and a second course on the dashboard: no more queries.
    for slug in ("apa-itu-tpbis", "pusat-kegiatan-dan-tiga-strategi", "contoh-perubahan-perpustakaan",
                 "pelibatan-peta-kebutuhan-potensi-mitra", "pelibatan-merancang-kegiatan-inklusif"):
        reader.post(f"{big}/lessons/{slug}/complete", data={"done": "1"})
    reader.post("/courses/mini-a/lessons/pengantar/complete", data={"done": "1"})
    after = measure()
    assert before == after
    for page, count in after.items():
        assert count <= LIMITS[page], (page, count)
    # Opening a lesson for the first time also records the visit: a few writes more, no more reads.
    first_visit = count_queries(app, lambda: reader.get(f"{big}/lessons/tik-media-sosial-perpustakaan"))
    assert first_visit <= LIMITS["lesson, first visit"], first_visit


def test_quiz_submit_makes_few_queries_independent_of_answers_and_attempts(app, client, quiz_world):
    """Submitting grades every answer: one query for all questions and one for all answers,
    whatever their number and however many attempts came before."""
    from sqlalchemy import update

    from lms.quizzes.models import Quiz
    from tests.quizzes.conftest import correct_form, questions_by_key, quiz_by_slug, start

    quiz = quiz_by_slug(app, "kuis-modul")
    with app.app_context():  # unlimited attempts, so that many can come before
        db.session.execute(update(Quiz).where(Quiz.id == quiz.id).values(attempts_allowed=0))
        db.session.commit()
    questions = questions_by_key(app, quiz)

    def submit(form) -> int:
        attempt = start(client, "kuis-modul")
        assert client.post(f"/attempts/{attempt}/save", data=form).status_code == 302  # saved
        return count_queries(app, lambda: client.post(f"/attempts/{attempt}/submit"))

    first_with_one_answer = submit({f"q{questions['benar-salah'].id}": "true"})
    for _ in range(3):
        submit(correct_form(app, essay=""))
    fifth_with_every_answer = submit(correct_form(app, essay=""))
    assert first_with_one_answer == fifth_with_every_answer
    assert fifth_with_every_answer <= LIMITS["quiz submit"], fifth_with_every_answer
