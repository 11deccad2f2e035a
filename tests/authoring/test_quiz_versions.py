"""Editing a quiz that has attempts: graded answers keep the question version they were given for."""

from __future__ import annotations

import json

from sqlalchemy import select

from lms.content.files import read_folder, write_folder
from lms.extensions import db
from lms.quizzes.models import Answer, Attempt, Question, Quiz
from tests.conftest import DATA

QUIZ_FILE = "01-modul/kuis.yml"


def import_version(runner, tmp_path, name: str, tree: dict[str, bytes]) -> dict[str, bytes]:
    write_folder(tree, tmp_path / name)
    result = runner.invoke(args=["courses", "import", str(tmp_path / name)])
    assert result.exit_code == 0, result.output
    return tree


def with_key_swapped(tree: dict[str, bytes]) -> dict[str, bytes]:
    """The facilitator swaps which option of 'pilih-satu' is correct."""
    text = tree[QUIZ_FILE].decode()
    text = text.replace("      - text: Pelibatan masyarakat\n        correct: true\n", "      - text: Pelibatan masyarakat\n", 1)
    text = text.replace("      - text: Pengadaan gedung\n", "      - text: Pengadaan gedung\n        correct: true\n", 1)
    return {**tree, QUIZ_FILE: text.encode()}


def answered_and_submitted(trainee, option: str) -> tuple[int, int]:
    """The trainee answers 'pilih-satu' of the module quiz with the option and submits:
    (attempt id, id of the question version answered). Call inside an app context."""
    from werkzeug.datastructures import MultiDict

    from lms.quizzes.attempts import save_answers, start_attempt, submit_attempt
    from lms.quizzes.types import option_id

    attempt = start_attempt(trainee, db.session.scalar(select(Quiz).where(Quiz.slug == "kuis-modul")))
    db.session.commit()
    question = db.session.scalar(select(Question).where(Question.key == "pilih-satu"))
    save_answers(attempt, MultiDict({f"q{question.id}": option_id(option)}))
    db.session.commit()
    submit_attempt(attempt.id, trainee.id)
    db.session.commit()
    return attempt.id, question.id


def test_changing_a_key_after_answers_makes_a_new_version(app, runner, tmp_path, make_user, make_cohort, enrol_user):
    from lms.quizzes.attempts import start_attempt

    tree = import_version(runner, tmp_path, "v1", read_folder(DATA / "courses" / "mini-q"))
    trainee = make_user()
    enrol_user(trainee, make_cohort("mini-q"))
    with app.app_context():
        # "Pelibatan masyarakat", the correct option in version 1.
        attempt_id, old_id = answered_and_submitted(trainee, "Pelibatan masyarakat")
        old_data = db.session.get(Question, old_id).data_json
        answer = db.session.scalar(select(Answer).where(Answer.attempt_id == attempt_id, Answer.question_id == old_id))
        assert answer.fraction == 1.0
        score = db.session.get(Attempt, attempt_id).percent

    write_folder(with_key_swapped(tree), tmp_path / "v2")
    result = runner.invoke(args=["courses", "import", str(tmp_path / "v2")])
    assert result.exit_code == 0, result.output
    assert "pilih-satu (new version; earlier answers keep the old one)" in result.output

    with app.app_context():
        kept = db.session.get(Question, old_id)
        assert kept.data_json == old_data and kept.archived_at is not None
        current = db.session.scalar(select(Question).where(Question.key == "pilih-satu"))
        assert current.id != old_id and current.archived_at is None
        assert json.loads(current.data_json) != json.loads(old_data)
        answer = db.session.scalar(select(Answer).where(Answer.question_id == old_id))
        assert answer.fraction == 1.0  # not silently regraded
        assert db.session.get(Attempt, attempt_id).percent == score
        # A new attempt gets the new version.
        second = start_attempt(trainee, db.session.scalar(select(Quiz).where(Quiz.slug == "kuis-modul")))
        db.session.commit()
        ids = [entry["q"] for entry in second.layout]
        assert current.id in ids and old_id not in ids


def test_a_typo_fix_in_the_question_text_keeps_the_same_row(app, runner, tmp_path, make_user, make_cohort, enrol_user):
    from lms.quizzes.attempts import start_attempt

    tree = import_version(runner, tmp_path, "v1", read_folder(DATA / "courses" / "mini-q"))
    trainee = make_user()
    enrol_user(trainee, make_cohort("mini-q"))
    with app.app_context():
        start_attempt(trainee, db.session.scalar(select(Quiz).where(Quiz.slug == "kuis-modul")))
        db.session.commit()
        before = db.session.scalar(select(Question.id).where(Question.key == "pilih-satu"))
    tree[QUIZ_FILE] = tree[QUIZ_FILE].replace(b"melibatkan warga adalah?", b"melibatkan warga adalah ...?")
    write_folder(tree, tmp_path / "v2")
    assert runner.invoke(args=["courses", "import", str(tmp_path / "v2")]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(Question.id).where(Question.key == "pilih-satu")) == before


def test_regrading_is_explicit_and_shows_what_changes(app, runner, tmp_path, make_user, make_cohort, enrol_user):

    from tests.conftest import login, text_of

    tree = import_version(runner, tmp_path, "v1", read_folder(DATA / "courses" / "mini-q"))
    trainee = make_user(full_name="Siti Peserta")
    enrol_user(trainee, make_cohort("mini-q"))
    with app.app_context():
        attempt_id, old_id = answered_and_submitted(trainee, "Pengadaan gedung")  # wrong in version 1
        before = db.session.get(Attempt, attempt_id).score
    import_version(runner, tmp_path, "v2", with_key_swapped(tree))

    admin = make_user("admin", email="admin-regrade@example.test")
    client = login(app, admin)
    course_page = client.get("/author/courses/mini-q")
    assert f"/author/courses/mini-q/regrade/{old_id}" in course_page.get_data(as_text=True)
    preview = client.get(f"/author/courses/mini-q/regrade/{old_id}")
    assert preview.status_code == 200
    page = text_of(preview.data)
    assert "Siti Peserta" in page and "1 dari jawaban ini akan mendapat nilai lain." in page
    with app.app_context():  # the preview changed nothing
        assert db.session.scalar(select(Answer.question_id).where(Answer.attempt_id == attempt_id,
                                                                  Answer.question_id == old_id)) == old_id
        assert db.session.get(Attempt, attempt_id).score == before
    assert client.post(f"/author/courses/mini-q/regrade/{old_id}").status_code == 302
    with app.app_context():
        current = db.session.scalar(select(Question).where(Question.key == "pilih-satu"))
        answer = db.session.scalar(select(Answer).where(Answer.attempt_id == attempt_id,
                                                        Answer.question_id == current.id))
        assert answer.fraction == 1.0
        assert db.session.get(Attempt, attempt_id).score == before + current.mark
        assert [e["q"] for e in db.session.get(Attempt, attempt_id).layout].count(current.id) == 1
        # The regrade is in the trainee's grade history: before, after, and who ran it.
        from lms.quizzes.models import GradeChange

        (change,) = db.session.scalars(select(GradeChange).where(GradeChange.attempt_id == attempt_id)).all()
        assert (change.kind, change.mark_before, change.mark_after) == ("regrade", 0.0, current.mark)
        assert change.changed_by_id is not None and change.percent_after > change.percent_before
    assert client.get(f"/author/courses/mini-q/regrade/{old_id}").status_code == 404  # nothing left to regrade


def test_regrading_updates_the_report_cache(app, runner, tmp_path, make_user, make_cohort, enrol_user):
    """After a regrade the per-quiz result the reports read equals a recount of the attempts."""

    from lms.quizzes.models import QuizResult
    from lms.quizzes.regrade import regrade, retired_versions

    tree = import_version(runner, tmp_path, "v1", read_folder(DATA / "courses" / "mini-q"))
    trainee = make_user()
    enrol_user(trainee, make_cohort("mini-q"))
    with app.app_context():
        attempt_id, _ = answered_and_submitted(trainee, "Pengadaan gedung")
        before = db.session.scalar(select(QuizResult.best_percent).where(QuizResult.user_id == trainee.id))
    import_version(runner, tmp_path, "v2", with_key_swapped(tree))
    with app.app_context():
        (retired,) = retired_versions(db.session.scalar(select(Quiz.course_id).where(Quiz.slug == "kuis-modul")))
        regrade(retired.old, retired.current, apply=True)
        db.session.commit()
        after = db.session.scalar(select(QuizResult.best_percent).where(QuizResult.user_id == trainee.id))
        assert after > before
        assert after == db.session.get(Attempt, attempt_id).percent
