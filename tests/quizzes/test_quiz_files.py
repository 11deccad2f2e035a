"""Quiz files in course folders: errors with file and line; settings that shape attempts."""

from __future__ import annotations

import random
import shutil

from lms.content.loader import load_course
from lms.extensions import db
from lms.quizzes.attempts import start_attempt
from lms.quizzes.counting import counted_attempt_of
from lms.quizzes.models import Attempt
from tests.conftest import DATA
from tests.quizzes.conftest import quiz_by_slug


def copy_q(tmp_path):
    target = tmp_path / "mini-q"
    shutil.copytree(DATA / "courses" / "mini-q", target)
    return target


def errors(path):
    _, problems = load_course(path)
    return [str(p) for p in problems if p.severity == "error"]


def test_quiz_file_errors_name_file_and_line(tmp_path):
    course = copy_q(tmp_path)
    quiz = course / "01-modul" / "kuis.yml"
    text = quiz.read_text()
    text = text.replace("pass_mark: 60", "pass_mark: 160")
    text = text.replace("    answer: true\n", "    answer: maybe\n")
    text = text.replace("  - id: isian\n    type: short\n", "  - id: isian\n    type: shortish\n")
    text = text.replace("      - text: Renovasi gedung\n", "      - text: Renovasi gedung\n        colour: red\n")
    quiz.write_text(text)
    assert errors(course) == [
        "01-modul/kuis.yml:3: error: 'pass_mark' must be a number from 0 to 100",
        "01-modul/kuis.yml:25: error: unknown option key 'colour' (known keys: correct, feedback, feedback_format, "
        "format, text, weight)",
        "01-modul/kuis.yml:29: error: a true/false question needs 'answer: true' or 'answer: false'",
        "01-modul/kuis.yml:32: error: 'type' must be one of: single, multiple, truefalse, short, numeric, "
        "matching, essay, description",
    ]


def test_missing_quiz_file_and_duplicate_question_ids(tmp_path):
    course = copy_q(tmp_path)
    (course / "post.yml").unlink()
    pre = course / "pre.yml"
    pre.write_text(pre.read_text().replace("id: p2", "id: p1"))
    assert errors(course) == [
        "pre.yml:8: error: duplicate question id 'p1' (also on line 4)",
        "course.yml:6: error: quiz file 'post.yml' does not exist",
    ]


def test_single_choice_needs_a_correct_option(tmp_path):
    course = copy_q(tmp_path)
    pre = course / "pre.yml"
    pre.write_text(pre.read_text().replace("        correct: true\n", ""))
    assert errors(course) == ["pre.yml:11: error: a single-choice question needs one fully correct option"]


def test_random_draw_and_shuffle_are_kept_per_attempt(app, courses, make_user, tmp_path, runner):
    course = copy_q(tmp_path)
    quiz_file = course / "01-modul" / "kuis.yml"
    quiz_file.write_text(quiz_file.read_text().replace("attempts: 2\n", "attempts: 0\ndraw: 3\nshuffle_questions: true\n"))
    assert runner.invoke(args=["courses", "import", str(course)]).exit_code == 0
    user = make_user()
    with app.app_context():
        quiz = quiz_by_slug(app, "kuis-modul")
        seen = set()
        for seed in range(6):
            attempt = start_attempt(user, quiz, random.Random(seed))
            assert len(attempt.layout) == 3
            seen.add(tuple(entry["q"] for entry in attempt.layout))
            attempt.state = "graded"
            db.session.flush()
        assert len(seen) > 1  # different draws and orders


def test_grading_highest_or_last(app, courses, make_user):
    user = make_user("trainee")
    with app.app_context():
        quiz = quiz_by_slug(app, "kuis-modul")
        quiz = db.session.get(type(quiz), quiz.id)
        db.session.add_all([Attempt(quiz_id=quiz.id, user_id=user.id, number=1, state="graded", percent=80.0),
                            Attempt(quiz_id=quiz.id, user_id=user.id, number=2, state="graded", percent=40.0),
                            Attempt(quiz_id=quiz.id, user_id=user.id, number=3, state="in_progress")])
        db.session.flush()
        quiz.grading = "highest"
        assert counted_attempt_of(user.id, quiz).number == 1
        quiz.grading = "last"
        db.session.flush()
        assert counted_attempt_of(user.id, quiz).number == 2
