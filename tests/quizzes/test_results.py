"""Facilitators' view: item analysis, knowledge gain, essay grading; GIFT import/export CLI."""

from __future__ import annotations

from sqlalchemy import select

from lms.extensions import db
from lms.quizzes.attempts import save_answers, start_attempt, submit_attempt
from lms.quizzes.models import Answer, Attempt, Question, QuestionBank
from lms.quizzes.stats import item_analysis, knowledge_gain
from lms.quizzes.types import option_id
from tests.conftest import run_cohort, text_of
from tests.quizzes.conftest import questions_by_key, quiz_by_slug


def take(app, user, quiz_slug, answers):
    """Start, answer ({question key: form value}) and submit an attempt for a user."""
    from werkzeug.datastructures import MultiDict

    quiz = quiz_by_slug(app, quiz_slug)
    qs = questions_by_key(app, quiz)
    with app.app_context():
        attempt = start_attempt(user, quiz)
        save_answers(attempt, MultiDict({f"q{qs[k].id}": v for k, v in answers.items()}))
        db.session.commit()
        submit_attempt(attempt.id, user.id)
        db.session.commit()
        return db.session.get(Attempt, attempt.id)


def seed_cohort(app, make_user, make_cohort, enrol_user):
    """Six trainees: pre-test scores 0/50/50/50/100/0, post-test all right for four of them."""
    cohort = make_cohort("mini-q", key="HASIL", name="Angkatan Hasil")
    users = [make_user(email=f"t{i}@example.test", full_name=f"Peserta {i}") for i in range(6)]
    for user in users:
        enrol_user(user, cohort)
    right_p1, right_p2 = "true", option_id("PKK")
    wrong_p2 = option_id("Tidak ada")
    pre = [{"p1": "false", "p2": wrong_p2}, {"p1": right_p1, "p2": wrong_p2}, {"p1": right_p1, "p2": wrong_p2},
           {"p1": "false", "p2": right_p2}, {"p1": right_p1, "p2": right_p2}, {}]
    for user, answers in zip(users, pre):
        take(app, user, "pre", answers)
    for user in users[:4]:
        take(app, user, "post", {"p1": right_p1, "p2": right_p2})
    return cohort, users


def test_item_analysis_and_knowledge_gain(app, courses, make_user, make_cohort, enrol_user):
    cohort, users = seed_cohort(app, make_user, make_cohort, enrol_user)
    with app.app_context():
        quiz = quiz_by_slug(app, "pre")
        items, counted = item_analysis(quiz, [u.id for u in users])
        assert counted == 6
        by_key = {i.question.key: i for i in items}
        assert by_key["p1"].facility == 50.0 and by_key["p2"].facility == 33.3
        # p1 right goes with p2 right only partly: r = 0 for these six, computed not guessed.
        assert by_key["p1"].discrimination == 0.0
        assert [(o.correct, o.count) for o in by_key["p2"].options] == [(True, 2), (False, 3)]
        assert [(o.label_html, o.count) for o in by_key["p1"].options] == [("true", 3), ("false", 2)]

        from lms.content.models import Course

        course = db.session.scalar(select(Course).where(Course.slug == "mini-q"))
        gain = knowledge_gain(course, [u.id for u in users])
    assert gain.paired == 4
    assert gain.mean_pre == 37.5 and gain.mean_post == 100.0
    assert gain.normalized_gain == 1.0
    assert [t.gain for t in gain.trainees][:4] == [1.0, 1.0, 1.0, 1.0]


def test_results_pages_for_staff(app, client, auth, courses, make_user, make_cohort, enrol_user):
    cohort, users = seed_cohort(app, make_user, make_cohort, enrol_user)
    organizer = make_user("organizer")
    run_cohort(app, organizer, cohort)
    auth.login(organizer.email)
    page = text_of(client.get(f"/courses/mini-q/results?cohort={cohort.id}").data)
    assert "Rata-rata pre-test 37,5%" in page and "Rata-rata post-test 100%" in page  # Babel, id
    assert "Peserta 0" in page
    stats_page = text_of(client.get(f"/courses/mini-q/quizzes/pre/results?cohort={cohort.id}").data)
    assert "Analisis butir soal" in stats_page and "PKK: 2" in stats_page
    assert client.get("/courses/mini-q/results?cohort=99999").status_code == 404


def test_facilitator_grades_an_essay(app, client, auth, courses, make_user, make_cohort, enrol_user):
    cohort = make_cohort("mini-q", key="ESAI")
    trainee = make_user(email="esai@example.test", full_name="Penulis Esai")
    enrol_user(trainee, cohort)
    attempt = take(app, trainee, "kuis-modul", {"uraian": "Saya akan mengadakan kelas menjahit bersama PKK."})
    assert attempt.state == "submitted"
    facilitator = make_user("facilitator")
    run_cohort(app, facilitator, cohort)
    auth.login(facilitator.email)
    queue = text_of(client.get("/grading").data)
    assert "Penulis Esai" in queue and "kelas menjahit" in queue
    with app.app_context():
        answer_id = db.session.scalar(select(Answer.id).join(Question).where(
            Answer.attempt_id == attempt.id, Question.key == "uraian"))
    too_many = client.post(f"/answers/{answer_id}/grade", data={"points": "5"})
    assert too_many.status_code == 302
    assert get_state(app, attempt.id) == "submitted"
    client.post(f"/answers/{answer_id}/grade", data={"points": "2", "comment": "Rencana yang jelas."})
    with app.app_context():
        graded = db.session.get(Attempt, attempt.id)
        assert graded.state == "graded" and graded.score == 2.0 and graded.percent == 25.0
    assert "Tidak ada jawaban yang menunggu penilaian." in text_of(client.get("/grading").data)


def get_state(app, attempt_id):
    with app.app_context():
        return db.session.get(Attempt, attempt_id).state


GIFT = """$CATEGORY: Impor/Modul 1

::g1::Ibu kota Kalimantan Selatan sejak 2022?{=Banjarbaru ~Banjarmasin#Sebelum 2022}

::g2::Jumlah provinsi Indonesia {#38}

::g3::Jodohkan.{=HSU -> Amuntai =HST -> Barabai}
"""


def test_import_and_export_gift_cli(app, runner, courses, tmp_path):
    source = tmp_path / "bank.gift"
    source.write_text(GIFT, encoding="utf-8")
    result = runner.invoke(args=["quizzes", "import-gift", str(source), "--course", "mini-q", "--bank", "Impor"])
    assert result.exit_code == 0, result.output
    assert "3 added" in result.output and "categories: Impor/Modul 1" in result.output
    exported = tmp_path / "out.gift"
    result = runner.invoke(args=["quizzes", "export-gift", "--course", "mini-q", "--bank", "Impor", "-o", str(exported)])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["quizzes", "import-gift", str(exported), "--course", "mini-q", "--bank", "Impor"])
    assert "0 added, 0 changed, 3 unchanged" in again.output


def test_bad_gift_file_imports_nothing(app, runner, courses, tmp_path):
    source = tmp_path / "rusak.gift"
    source.write_text("::a::Baik {=ya ~tidak}\n\n::b::Rusak {=ya ~tidak\n", encoding="utf-8")
    result = runner.invoke(args=["quizzes", "import-gift", str(source), "--course", "mini-q", "--bank", "Rusak"])
    assert result.exit_code == 1
    assert f"{source}:3: error: unbalanced braces" in result.output
    with app.app_context():
        assert db.session.scalar(select(QuestionBank).where(QuestionBank.name == "Rusak")) is None


def test_an_oversized_gift_file_is_refused_without_reading_it(app, runner, courses, tmp_path):
    from lms.quizzes.moodlexml import MAX_XML_BYTES

    source = tmp_path / "besar.gift"
    with source.open("wb") as handle:  # sparse: the size is what the bound reads
        handle.truncate(MAX_XML_BYTES + 1)
    result = runner.invoke(args=["quizzes", "import-gift", str(source), "--course", "mini-q", "--bank", "Besar"])
    assert result.exit_code == 1 and "larger than" in result.output
    with app.app_context():
        assert db.session.scalar(select(QuestionBank).where(QuestionBank.name == "Besar")) is None


def test_quiz_can_draw_from_an_imported_bank(app, runner, courses, tmp_path):
    source = tmp_path / "bank.gift"
    source.write_text(GIFT, encoding="utf-8")
    runner.invoke(args=["quizzes", "import-gift", str(source), "--course", "mini-q", "--bank", "Impor"])
    course = tmp_path / "mini-q"
    import shutil

    from tests.conftest import DATA

    shutil.copytree(DATA / "courses" / "mini-q", course)
    (course / "01-modul" / "kuis.yml").write_text(
        "slug: kuis-modul\ntitle: Kuis dari bank\nbank: Impor\ndraw: 2\ncategory: Impor\n")
    result = runner.invoke(args=["courses", "import", str(course)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        quiz = quiz_by_slug(app, "kuis-modul")
        from lms.quizzes.attempts import quiz_questions

        assert len(quiz_questions(quiz)) == 3 and quiz.draw_count == 2
    (course / "01-modul" / "kuis.yml").write_text("slug: kuis-modul\ntitle: X\nbank: Tidak Ada\n")
    result = runner.invoke(args=["courses", "import", str(course)])
    assert result.exit_code == 1 and "question bank 'Tidak Ada' does not exist" in result.output


def test_discrimination_is_positive_when_strong_trainees_get_the_item_right(app, courses, make_user, make_cohort,
                                                                            enrol_user):
    cohort = make_cohort("mini-q", key="BEDA")
    users = [make_user(email=f"d{i}@example.test") for i in range(4)]
    for user in users:
        enrol_user(user, cohort)
    right, wrong = option_id("PKK"), option_id("Tidak ada")
    # Two strong trainees answer both right, two weak ones both wrong.
    for user, ok in zip(users, (True, True, False, False)):
        take(app, user, "pre", {"p1": "true" if ok else "false", "p2": right if ok else wrong})
    with app.app_context():
        items, counted = item_analysis(quiz_by_slug(app, "pre"), [u.id for u in users])
    assert counted == 4
    assert [i.discrimination for i in items] == [100.0, 100.0]
    assert [i.facility for i in items] == [50.0, 50.0]
