"""Grades change only through grading, leave a trail, and certificates follow them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.quizzes.models import Answer, Attempt, GradeChange, QuizResult
from tests.conftest import login, run_cohort, text_of
from tests.quizzes.conftest import correct_form, questions_by_key, quiz_by_slug, start


def _finish_course(app, client, essay: str = "", post_right: bool = True) -> tuple[int, int]:
    """The trainee (logged in on client) does the lesson, the module quiz (75% with an empty
    essay) and the post-test (100%, or 0%); returns both attempts' ids."""
    from lms.quizzes.types import option_id

    client.post("/courses/mini-q/lessons/bacaan-kuis/complete", data={"done": "1"})
    attempt_id = start(client, "kuis-modul")
    client.post(f"/attempts/{attempt_id}/save", data=correct_form(app, essay=essay))
    client.post(f"/attempts/{attempt_id}/submit")
    post = start(client, "post")
    qs = questions_by_key(app, quiz_by_slug(app, "post"))
    client.post(f"/attempts/{post}/save", data={f"q{qs['p1'].id}": "true" if post_right else "false",
                                                f"q{qs['p2'].id}": option_id("PKK" if post_right else "Tidak ada")})
    client.post(f"/attempts/{post}/submit")
    return attempt_id, post


def _answer(app, attempt_id: int, key: str, quiz: str = "kuis-modul") -> Answer:
    with app.app_context():
        question = questions_by_key(app, quiz_by_slug(app, quiz))[key]
        return db.session.scalar(select(Answer).where(Answer.attempt_id == attempt_id,
                                                      Answer.question_id == question.id))


def _certificates(app, user_id):
    from lms.certificates.models import Certificate

    with app.app_context():
        return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user_id)))


@pytest.fixture
def graded_world(app, client, quiz_world, make_user):
    facilitator = make_user("facilitator", full_name="Fasilitator Teliti")
    organizer = make_user("organizer", full_name="Penyelenggara")
    run_cohort(app, organizer, quiz_world["cohort"])
    run_cohort(app, facilitator, quiz_world["cohort"])  # grading is for the cohort's facilitators
    return {**quiz_world, "facilitator": facilitator, "organizer": organizer,
            "staff": login(app, facilitator)}


def test_grading_an_essay_needs_no_reason_and_is_recorded(app, client, graded_world):
    trainee = graded_world["trainee"]
    attempt_id = start(client, "kuis-modul")
    client.post(f"/attempts/{attempt_id}/save", data=correct_form(app, essay="Kegiatan membaca bersama PKK."))
    client.post(f"/attempts/{attempt_id}/submit")
    essay = _answer(app, attempt_id, "uraian")
    response = graded_world["staff"].post(f"/answers/{essay.id}/grade", data={"points": "1", "comment": "Cukup"})
    assert response.status_code == 302
    with app.app_context():
        change = db.session.scalar(select(GradeChange).where(GradeChange.answer_id == essay.id))
        assert (change.kind, change.mark_before, change.mark_after) == ("grade", None, 1.0)
        assert (change.percent_before, change.percent_after, change.passed_after) == (None, 87.5, True)
        assert change.changed_by_id == graded_world["facilitator"].id and change.user_id == trainee.id
    # Grading it again is a change of a given grade: only with a reason.
    graded_world["staff"].post(f"/answers/{essay.id}/grade", data={"points": "2"})
    with app.app_context():
        assert db.session.get(Answer, essay.id).mark == 1.0
        assert db.session.scalar(select(func.count(GradeChange.id))) == 1


def test_an_override_that_completes_the_course_issues_the_certificate(app, client, graded_world):
    trainee = graded_world["trainee"]
    _, post_id = _finish_course(app, client, post_right=False)
    assert _certificates(app, trainee.id) == []  # the post-test failed (0%)
    answer = _answer(app, post_id, "p1", quiz="post")
    graded_world["staff"].post(f"/answers/{answer.id}/grade",
                               data={"points": "1", "override": "1", "reason": "Kunci jawaban keliru"})
    assert [c.status for c in _certificates(app, trainee.id)] == ["valid"]


def test_an_automatic_grade_changes_only_by_an_override_with_a_reason(app, client, graded_world):
    attempt_id, _ = _finish_course(app, client)
    answer = _answer(app, attempt_id, "pilih-satu")
    staff = graded_world["staff"]
    staff.post(f"/answers/{answer.id}/grade", data={"points": "0"})  # not an essay, no override
    staff.post(f"/answers/{answer.id}/grade", data={"points": "0", "override": "1", "reason": "  "})
    with app.app_context():
        assert db.session.get(Answer, answer.id).mark == 1.0
        assert db.session.scalar(select(func.count(GradeChange.id))) == 0
    response = staff.post(f"/answers/{answer.id}/grade",
                          data={"points": "0", "override": "1", "reason": "Jawaban disalin dari peserta lain"})
    assert response.status_code == 302
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert db.session.get(Answer, answer.id).mark == 0.0 and attempt.percent == 62.5
        change = db.session.scalar(select(GradeChange))
        assert (change.kind, change.mark_before, change.mark_after) == ("override", 1.0, 0.0)
        assert (change.percent_before, change.percent_after) == (75.0, 62.5)
        assert change.reason == "Jawaban disalin dari peserta lain"
        # The reports' cache follows the new grade.
        result = db.session.get(QuizResult, (attempt.user_id, attempt.quiz_id))
        assert result.best_percent == 62.5


def test_a_grade_change_below_the_rules_flags_the_certificate_for_the_organizer(app, client, graded_world):
    trainee, organizer = graded_world["trainee"], graded_world["organizer"]
    attempt_id, _ = _finish_course(app, client)
    [certificate] = _certificates(app, trainee.id)
    staff = graded_world["staff"]
    for key in ("pilih-satu", "benar-salah"):  # 75% -> 50%, below the pass mark of 60
        answer = _answer(app, attempt_id, key)
        staff.post(f"/answers/{answer.id}/grade", data={"points": "0", "override": "1", "reason": "Salah ketik kunci"})
    [flagged] = _certificates(app, trainee.id)
    assert flagged.status == "valid" and flagged.basis_lost_at is not None  # flagged, not revoked
    organizer_client = login(app, organizer)
    page = text_of(organizer_client.get(f"/organizer/cohorts/{graded_world['cohort'].id}/certificates").data)
    assert "tidak lagi memenuhi" in page
    # The trail, reachable from the cohort's report, shows who, before, after and why.
    report = organizer_client.get(f"/organizer/cohorts/{graded_world['cohort'].id}/report").data.decode()
    trail_url = f"/organizer/cohorts/{graded_world['cohort'].id}/participants/{trainee.id}/grades"
    assert trail_url in report
    trail = text_of(organizer_client.get(trail_url).data)
    assert "Salah ketik kunci" in trail and "Fasilitator Teliti" in trail and "75% → 62,5%" in trail
    # Grading it back up clears the flag.
    answer = _answer(app, attempt_id, "benar-salah")
    staff.post(f"/answers/{answer.id}/grade", data={"points": "1", "override": "1", "reason": "Kunci benar"})
    [cleared] = _certificates(app, trainee.id)
    assert cleared.status == "valid" and cleared.basis_lost_at is None and cleared.id == certificate.id


def test_the_trail_is_for_the_cohorts_organizers_only(app, client, graded_world, make_user, make_cohort):
    trainee = graded_world["trainee"]
    cohort = graded_world["cohort"]
    url = f"/organizer/cohorts/{cohort.id}/participants/{trainee.id}/grades"
    assert login(app, graded_world["organizer"]).get(url).status_code == 200
    assert login(app, make_user("organizer")).get(url).status_code == 403  # runs no cohort of this
    assert client.get(url).status_code == 403  # the trainee herself
    stranger = make_user("trainee")
    url = f"/organizer/cohorts/{cohort.id}/participants/{stranger.id}/grades"
    assert login(app, graded_world["organizer"]).get(url).status_code == 404  # not in the cohort


def test_a_pass_mark_raised_by_an_import_flags_the_certificate_and_lowering_it_clears_the_flag(
        app, client, graded_world, tmp_path):
    """The quiz passed at 75% counted for the certificate; a course file that raises the pass mark
    to 80 leaves the certificate without its basis (flagged for the organizer, not revoked)."""
    import shutil

    from tests.conftest import DATA, import_course_folder

    trainee = graded_world["trainee"]
    _finish_course(app, client)
    [certificate] = _certificates(app, trainee.id)
    assert certificate.basis_lost_at is None
    shutil.copytree(DATA / "courses" / "mini-q", tmp_path / "mini-q")
    quiz_file = tmp_path / "mini-q" / "01-modul" / "kuis.yml"
    original = quiz_file.read_text()
    quiz_file.write_text(original.replace("pass_mark: 60", "pass_mark: 80"))
    import_course_folder(app, tmp_path / "mini-q")
    [flagged] = _certificates(app, trainee.id)
    assert flagged.status == "valid" and flagged.basis_lost_at is not None
    quiz_file.write_text(original)
    import_course_folder(app, tmp_path / "mini-q")
    [cleared] = _certificates(app, trainee.id)
    assert cleared.status == "valid" and cleared.basis_lost_at is None
