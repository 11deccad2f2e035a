"""Taking a quiz through the web pages: saving, submitting once, limits, review, completion."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from lms.extensions import db
from lms.quizzes.models import Answer, Attempt
from lms.util import utcnow
from tests.conftest import login, text_of
from tests.quizzes.conftest import correct_form, questions_by_key, quiz_by_slug, start


def get_attempt(app, attempt_id):
    with app.app_context():
        return db.session.get(Attempt, attempt_id)


def test_quiz_page_never_contains_the_answers(app, client, quiz_world):
    attempt_id = start(client, "kuis-modul")
    html = client.get(f"/attempts/{attempt_id}").data.decode()
    assert "Pelibatan masyarakat" in html and "Tepat sekali" not in html and "Gedung bukan strategi" not in html
    for secret in ("fraction", "BPD"):
        index = html.find(secret)
        assert index == -1, html[max(0, index - 200):index + 100]
    # The numeric answer (32) is nowhere in the page's text (ids in URLs aside).
    assert not re.search(r"\b32\b", text_of(html))


def test_full_marks_after_a_manual_essay_grade(app, client, quiz_world, make_user):
    attempt_id = start(client, "kuis-modul")
    form = correct_form(app)
    form.add("action", "review")
    response = client.post(f"/attempts/{attempt_id}/save", data=form)
    assert response.headers["Location"] == f"/attempts/{attempt_id}/submit"
    assert "Anda telah menjawab 7 dari 7 soal." in text_of(client.get(f"/attempts/{attempt_id}/submit").data)
    client.post(f"/attempts/{attempt_id}/submit")
    attempt = get_attempt(app, attempt_id)
    assert attempt.state == "submitted" and attempt.score == 6.0 and attempt.max_score == 8.0
    assert attempt.percent is None and attempt.passed is None  # the essay waits for a facilitator
    page = text_of(client.get(f"/attempts/{attempt_id}/result").data)
    assert "nilai akhir Anda muncul" in page

    from lms.quizzes.attempts import grade_manually

    facilitator = make_user("facilitator")
    with app.app_context():
        quiz = quiz_by_slug(app, "kuis-modul")
        essay = questions_by_key(app, quiz)["uraian"]
        answer = db.session.scalar(select(Answer).where(Answer.attempt_id == attempt_id, Answer.question_id == essay.id))
        grade_manually(answer, facilitator, 0.5, "Cukup baik")
        db.session.commit()
    attempt = get_attempt(app, attempt_id)
    assert attempt.state == "graded" and attempt.score == 7.0 and attempt.percent == 87.5 and attempt.passed is True


def test_review_shows_which_were_wrong_then_the_answers_after_the_last_attempt(app, client, quiz_world):
    """Review options (the quiz's defaults): after an attempt that may be followed by another,
    which answers were wrong, but no correct answer and no feedback anywhere in the page; after the
    last attempt, the correct answers and the feedback."""
    quiz = quiz_by_slug(app, "kuis-modul")  # 2 attempts
    qs = questions_by_key(app, quiz)
    from lms.quizzes.types import option_id

    wrong = {f"q{qs['pilih-satu'].id}": option_id("Pengadaan gedung"), f"q{qs['benar-salah'].id}": "false"}
    first = start(client, "kuis-modul")
    client.post(f"/attempts/{first}/save", data=wrong)
    client.post(f"/attempts/{first}/submit")
    html = client.get(f"/attempts/{first}/result").data.decode()
    page = text_of(html)
    assert "Salah" in page and "Belum lulus" in page  # which were wrong
    for secret in ("Gedung bukan strategi.", "Tepat sekali.", "Menurut UU 43/2007", "Jawaban benar", "correct-answer"):
        assert secret not in html, secret
    assert "Kunci jawaban ditampilkan setelah Anda lulus atau memakai kesempatan terakhir." in page
    second = start(client, "kuis-modul")
    client.post(f"/attempts/{second}/save", data=wrong)
    client.post(f"/attempts/{second}/submit")
    for attempt_id in (second, first):  # now final: every attempt shows the answers
        page = text_of(client.get(f"/attempts/{attempt_id}/result").data)
        assert "Gedung bukan strategi." in page
        assert "Menurut UU 43/2007, perpustakaan desa adalah perpustakaan umum." in page
        assert "Jawaban benar" in page


def test_answers_survive_a_reload(app, client, quiz_world):
    attempt_id = start(client, "kuis-modul")
    qs = questions_by_key(app, quiz_by_slug(app, "kuis-modul"))
    saved = client.post(f"/attempts/{attempt_id}/save", data={f"q{qs['isian'].id}": "BPD"},
                        headers={"X-Requested-With": "fetch"})
    assert saved.get_json() == {"ok": True, "answered": 1}
    assert start(client, "kuis-modul") == attempt_id  # starting again resumes the open attempt
    assert 'value="BPD"' in client.get(f"/attempts/{attempt_id}").data.decode()


def test_second_submit_grades_nothing_again(app, client, quiz_world):
    attempt_id = start(client, "kuis-modul")
    client.post(f"/attempts/{attempt_id}/save", data=correct_form(app))
    client.post(f"/attempts/{attempt_id}/submit")
    first = get_attempt(app, attempt_id)
    again = client.post(f"/attempts/{attempt_id}/submit")
    assert again.headers["Location"] == f"/attempts/{attempt_id}/result"
    assert get_attempt(app, attempt_id).submitted_at == first.submitted_at
    late = client.post(f"/attempts/{attempt_id}/save", data={"action": "save"}, headers={"X-Requested-With": "fetch"})
    assert late.status_code == 409


def test_tampered_submissions_are_rejected(app, client, quiz_world, make_user):
    attempt_id = start(client, "kuis-modul")
    other_quiz = quiz_by_slug(app, "pre")
    foreign = questions_by_key(app, other_quiz)["p2"]
    from lms.quizzes.types import option_id

    # A field of a question outside this attempt.
    assert client.post(f"/attempts/{attempt_id}/save", data={f"q{foreign.id}": option_id("PKK")}).status_code == 400
    # An option of another question.
    qs = questions_by_key(app, quiz_by_slug(app, "kuis-modul"))
    assert client.post(f"/attempts/{attempt_id}/save",
                       data={f"q{qs['pilih-satu'].id}": option_id("PKK")}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Answer).where(Answer.attempt_id == attempt_id)) is None
    # Another trainee's attempt id: not found, and nothing changes.
    intruder = app.test_client()
    make_user(email="penyusup@example.test")
    login(intruder, "penyusup@example.test")
    for path in (f"/attempts/{attempt_id}", f"/attempts/{attempt_id}/result"):
        assert intruder.get(path).status_code == 404
    assert intruder.post(f"/attempts/{attempt_id}/submit").status_code == 404
    assert get_attempt(app, attempt_id).state == "in_progress"


def test_attempt_limit(app, client, quiz_world):
    for _ in range(2):
        attempt_id = start(client, "kuis-modul")
        client.post(f"/attempts/{attempt_id}/submit")
    response = client.post("/courses/mini-q/quizzes/kuis-modul/start")
    assert response.status_code == 302 and response.headers["Location"].endswith("/quizzes/kuis-modul")
    assert "Anda telah memakai seluruh 2 kesempatan" in text_of(client.get(response.headers["Location"]).data)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Attempt.id))) == 2


def test_answers_after_the_time_limit_do_not_count(app, client, quiz_world):
    attempt_id = start(client, "kuis-modul")
    qs = questions_by_key(app, quiz_by_slug(app, "kuis-modul"))
    client.post(f"/attempts/{attempt_id}/save", data={f"q{qs['isian'].id}": "BPD"})
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.started_at = utcnow() - timedelta(minutes=22)
        attempt.deadline_at = utcnow() - timedelta(minutes=2)
        for answer in db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id)):
            answer.saved_at = utcnow() - timedelta(minutes=3)  # saved in time
        db.session.commit()
    late = client.post(f"/attempts/{attempt_id}/save", data={f"q{qs['isian'].id}": "BPD",
                                                              f"q{qs['angka'].id}": "32"},
                       headers={"X-Requested-With": "fetch"})
    assert late.status_code == 409
    page = client.get(f"/attempts/{attempt_id}")  # an expired attempt is closed when opened
    assert page.headers["Location"] == f"/attempts/{attempt_id}/result"
    attempt = get_attempt(app, attempt_id)
    assert attempt.state == "graded" and attempt.score == 1.0  # only the answer saved in time


def test_module_completion_needs_the_quiz_and_the_posttest_opens_after(app, client, quiz_world):
    client.post("/courses/mini-q/lessons/bacaan-kuis/complete", data={"done": "1"})
    page = client.get("/courses/mini-q").data.decode()
    assert '<progress max="100" value="33"' in page  # lesson done; module quiz and post-test not yet
    closed = client.post("/courses/mini-q/quizzes/post/start")
    assert closed.headers["Location"].endswith("/quizzes/post")
    attempt_id = start(client, "kuis-modul")
    client.post(f"/attempts/{attempt_id}/save", data=correct_form(app, essay=""))
    client.post(f"/attempts/{attempt_id}/submit")
    attempt = get_attempt(app, attempt_id)
    assert attempt.passed is True and attempt.percent == 75.0  # empty essay scores 0 and needs no grader
    assert '<progress max="100" value="66"' in client.get("/courses/mini-q").data.decode()
    post_id = start(client, "post")
    assert post_id != attempt_id


def test_pretest_does_not_count_and_hides_answers(app, client, quiz_world):
    attempt_id = start(client, "pre")
    client.post(f"/attempts/{attempt_id}/submit")
    page = text_of(client.get(f"/attempts/{attempt_id}/result").data)
    assert "Jawaban benar" not in page and "Skor Anda: 0%" in page
    assert '<progress max="100" value="0"' in client.get("/courses/mini-q").data.decode()
    assert client.post("/courses/mini-q/quizzes/pre/start").headers["Location"].endswith("/quizzes/pre")


def test_trainee_of_another_course_cannot_start(app, world, quiz_world):
    other = login(app, world["other_trainee"])
    assert other.get("/courses/mini-q/quizzes/kuis-modul").status_code == 403
    assert other.post("/courses/mini-q/quizzes/kuis-modul/start").status_code == 403
