"""Questions of a quiz file edited one at a time in a form: the file stays the source, the
change is a draft checked by the importer, and an answered question gets a new version."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lms.authoring import questions
from lms.extensions import db
from lms.quizzes.models import Question, Quiz
from tests.conftest import DATA, login, text_of

QUIZ = DATA / "courses" / "mini-q" / "01-modul" / "kuis.yml"
BASE = "/author/courses/mini-q/files/01-modul/kuis.yml"


def test_every_question_reads_and_writes_back_unchanged():
    text = QUIZ.read_text()
    rows = questions.list_questions(text)
    assert [r.qtype for r in rows] == ["single", "multiple", "truefalse", "short", "numeric", "matching", "essay"]
    for row in rows:
        assert questions.write_question(text, questions.read_question(text, row.key), new=False) == text


def test_a_changed_option_keeps_the_rest_of_the_file_as_written():
    text = QUIZ.read_text()
    fields = questions.read_question(text, "pilih-satu")
    fields.options[1]["text"] = "Pengadaan gedung baru"
    fields.options.append({"text": "Lomba mewarnai", "correct": False, "weight": None, "feedback": ""})
    new = questions.write_question(text, fields, new=False)
    changed = [line for line in new.splitlines() if line not in text.splitlines()]
    assert changed == ["      - text: Pengadaan gedung baru", "      - text: Lomba mewarnai"]
    assert questions.read_question(new, "pilih-satu").options == fields.options


def test_a_new_question_needs_an_id_of_its_own():
    text = QUIZ.read_text()
    fields = questions.QuestionFields(key="isian", qtype="short", text="Apa?", answers=[
        {"text": "BPD", "weight": 100.0, "feedback": ""}])
    with pytest.raises(questions.StructureError):
        questions.write_question(text, fields, new=True)


def test_a_number_question_with_several_answers_is_left_to_the_text_editor():
    """A bank from Moodle may give a number question several answers or '*' (any other number):
    the form shows one answer, so it must not open (saving it would lose the others)."""
    text = QUIZ.read_text().replace("    answer: 32\n    tolerance: 0.5\n", (
        "    answers:\n      - {value: 32, tolerance: 0.5}\n"
        "      - {value: '*', weight: 0, feedback: Hitung lagi jumlah harinya.}\n"))
    assert "value: '*'" in text
    with pytest.raises(questions.StructureError, match="list of answers"):
        questions.read_question(text, "angka")
    assert questions.read_question(text, "pilih-satu").qtype == "single"  # the others still open


@pytest.fixture
def quiz_author(app, runner, make_user, make_cohort):
    """An admin and the mini-q course with its files stored, as `courses import` leaves them."""
    result = runner.invoke(args=["courses", "import", str(DATA / "courses" / "mini-q")])
    assert result.exit_code == 0, result.output
    admin = make_user("admin", email="penulis-kuis@example.test")
    client = login(app, admin)
    return client


def form_of(page: bytes, start: str = 'id="question-form"') -> dict[str, str]:
    """The values a browser would post from the form that starts at `start` (inputs, textareas,
    ticked boxes and radio buttons)."""
    html = page.decode()
    form = html[html.index(start):html.index("</form>", html.index(start))]
    data = {}
    for tag in re.finditer(r"<input [^>]*>", form):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag.group(0)))
        if attrs.get("type") in ("checkbox", "radio") and " checked" not in tag.group(0):
            continue
        if "name" in attrs:
            data[attrs["name"]] = attrs.get("value", "")
    for area in re.finditer(r'<textarea [^>]*name="([^"]+)"[^>]*>(?:\r?\n)?(.*?)</textarea>', form, re.S):
        data[area.group(1)] = area.group(2).replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
    return data


def test_a_facilitator_changes_an_option_through_the_form_and_publishes(app, quiz_author):
    page = quiz_author.get(f"{BASE}/edit")
    assert page.status_code == 200
    assert f"{BASE}/questions/pilih-satu" in page.get_data(as_text=True)
    form_page = quiz_author.get(f"{BASE}/questions/pilih-satu")
    assert form_page.status_code == 200
    data = form_of(form_page.data)
    assert data["options-0-text"] == "Pelibatan masyarakat" and data["options-0-correct"] == "y"
    assert "options-1-correct" not in data
    data["options-1-text"] = "Pengadaan gedung megah"
    saved = quiz_author.post(f"{BASE}/questions/pilih-satu", data={**data, "save": "1"})
    assert saved.status_code == 302
    with app.app_context():  # a draft: trainees still get the published question
        stem = db.session.scalar(select(Question.data_json).where(Question.key == "pilih-satu",
                                                                  Question.archived_at.is_(None)))
        assert "Pengadaan gedung megah" not in stem
    assert quiz_author.post("/author/courses/mini-q/publish").status_code == 302
    with app.app_context():
        stem = db.session.scalar(select(Question.data_json).where(Question.key == "pilih-satu",
                                                                  Question.archived_at.is_(None)))
        assert "Pengadaan gedung megah" in stem


def test_adding_a_question_of_each_kind_through_the_form(app, quiz_author):
    new = f"{BASE}/questions/new"
    cases = {
        "single": {"options-0-text": "Ya", "options-0-correct": "y", "options-1-text": "Tidak"},
        "truefalse": {"answer": "false", "feedback_false": "Betul, salah."},
        "short": {"answers-0-text": "Musdes", "answers-0-weight": "100"},
        "numeric": {"number": "2,5", "tolerance": "0"},
        "matching": {"pairs-0-left": "A", "pairs-0-right": "1", "pairs-1-left": "B", "pairs-1-right": "2"},
        "essay": {"mark": "3"},
    }
    for qtype, extra in cases.items():
        data = form_of(quiz_author.get(f"{new}?type={qtype}").data)
        data.update({"key": f"baru-{qtype}", "text": f"Soal baru {qtype}?", **extra, "save": "1"})
        response = quiz_author.post(f"{new}?type={qtype}", data=data)
        assert response.status_code == 302, (qtype, text_of(response.data)[:2000])
    assert quiz_author.post("/author/courses/mini-q/publish").status_code == 302
    with app.app_context():
        quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "kuis-modul"))
        added = {q.key: q for q in db.session.scalars(select(Question).where(Question.key.like("baru-%")))}
        assert set(added) == {f"baru-{t}" for t in cases} and quiz is not None
        assert added["baru-numeric"].data["answers"][0]["value"] == 2.5
        assert added["baru-essay"].mark == 3


def test_a_question_with_mistakes_or_that_the_importer_would_refuse_is_not_saved(app, quiz_author):
    data = form_of(quiz_author.get(f"{BASE}/questions/pilih-satu").data)
    data.pop("options-0-correct")  # no correct option left
    response = quiz_author.post(f"{BASE}/questions/pilih-satu", data={**data, "save": "1"})
    assert response.status_code == 400
    assert "Centang pilihan yang benar" in text_of(response.data)
    # Weights of the correct options that do not add up to 100%: the importer's file:line problem.
    data = form_of(quiz_author.get(f"{BASE}/questions/pilih-banyak").data)
    data.update({"options-0-weight": "50", "options-1-weight": "30"})
    response = quiz_author.post(f"{BASE}/questions/pilih-banyak", data={**data, "save": "1"})
    assert response.status_code == 400
    assert "kuis.yml:" in text_of(response.data) and "80.0%" in text_of(response.data)
    with app.app_context():
        from lms.authoring.models import CourseFileDraft

        assert db.session.scalar(select(CourseFileDraft)) is None


def test_preview_shows_the_question_without_its_answer(app, quiz_author):
    data = form_of(quiz_author.get(f"{BASE}/questions/pilih-satu").data)
    data["text"] = "Strategi yang **melibatkan** warga?"
    response = quiz_author.post(f"{BASE}/questions/pilih-satu", data={**data, "preview": "1"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    preview = html[html.index('id="preview"'):]
    assert "<strong>melibatkan</strong>" in preview and "Pelibatan masyarakat" in preview
    assert "Tepat sekali" not in preview  # option feedback is not shown


def test_two_editors_changing_the_same_question_get_a_conflict(app, quiz_author):
    first = form_of(quiz_author.get(f"{BASE}/questions/isian").data)
    second = dict(first)
    other = form_of(quiz_author.get(f"{BASE}/questions/angka").data)
    # Someone changes another question: no conflict.
    other["number"] = "33"
    assert quiz_author.post(f"{BASE}/questions/angka", data={**other, "save": "1"}).status_code == 302
    first["answers-2-text"] = "Badan Permusyawaratan"
    assert quiz_author.post(f"{BASE}/questions/isian", data={**first, "save": "1"}).status_code == 302
    # The second editor loaded 'isian' before the first saved it.
    second["answers-2-text"] = "BPD desa"
    response = quiz_author.post(f"{BASE}/questions/isian", data={**second, "save": "1"})
    assert response.status_code == 409
    assert "Badan Permusyawaratan" in text_of(response.data)
    again = form_of(response.data)
    assert quiz_author.post(f"{BASE}/questions/isian", data={**again, "save": "1"}).status_code == 302
    with app.app_context():
        from lms.authoring import publish

        course_id = db.session.scalar(select(Quiz.course_id).where(Quiz.slug == "kuis-modul"))
        text = publish.current(course_id, "01-modul/kuis.yml").text
    assert questions.read_question(text, "angka").number == 33
    assert [a["text"] for a in questions.read_question(text, "isian").answers][-1] == "BPD desa"


def test_moving_and_removing_questions(app, quiz_author):
    assert quiz_author.post(f"{BASE}/questions/jodohkan/up").status_code == 302
    assert quiz_author.post(f"{BASE}/questions/uraian/remove").status_code == 302
    with app.app_context():
        from lms.authoring import publish

        course_id = db.session.scalar(select(Quiz.course_id).where(Quiz.slug == "kuis-modul"))
        text = publish.current(course_id, "01-modul/kuis.yml").text
    assert [r.key for r in questions.list_questions(text)] == [
        "pilih-satu", "pilih-banyak", "benar-salah", "isian", "jodohkan", "angka"]
    assert quiz_author.post(f"{BASE}/questions/tidak-ada/remove").status_code == 404


def test_forged_posts_and_strangers_are_refused(app, quiz_author, world):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = quiz_author.post(f"{BASE}/questions/isian/remove")
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    facilitator = login(app, world["facilitator"])
    assert facilitator.get(f"{BASE}/questions/isian").status_code == 403
    assert quiz_author.get("/author/courses/mini-q/files/course.yml/questions/isian").status_code == 404


def test_course_settings_in_a_form_change_only_what_changed(app, quiz_author):
    from lms.authoring import publish
    from lms.content.models import Course

    url = "/author/courses/mini-q/files/course.yml/settings"
    page = quiz_author.get(url)
    assert page.status_code == 200
    data = form_of_settings(page.data)
    refused = quiz_author.post(url, data={**data, "certificate_number_pattern": "{nomor}/BIMTEK"})
    assert refused.status_code == 400 and "course.yml:" in text_of(refused.data)  # the importer's file:line
    data.update({"jp_hours": "4,5", "certificate_title": "Bimtek Kuis Mini"})
    assert quiz_author.post(url, data=data).status_code == 302
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "mini-q"))
        text = publish.current(course.id, "course.yml").text
    before = (DATA / "courses" / "mini-q" / "course.yml").read_text()
    added = [line for line in text.splitlines() if line not in before.splitlines()]
    assert sorted(added) == sorted(["jp_hours: 4.5", "certificate:", "  title: Bimtek Kuis Mini"])
    assert all(line in text.splitlines() for line in before.splitlines())
    assert quiz_author.post("/author/courses/mini-q/publish").status_code == 302
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "mini-q"))
        assert course.jp_hours == 4.5


def test_the_course_page_leads_to_every_quiz(app, quiz_author):
    page = quiz_author.get("/author/courses/mini-q").get_data(as_text=True)
    for path in ("pre.yml", "post.yml", "01-modul/kuis.yml"):
        assert f"/author/courses/mini-q/files/{path}/edit#questions" in page
        assert f"/author/courses/mini-q/files/{path}/settings" in page
    pre = text_of(quiz_author.get("/author/courses/mini-q/files/pre.yml/settings").data)
    assert "Pengaturan kuis" in pre


def test_quiz_settings_the_importer_refuses_are_not_saved(app, quiz_author):
    url = f"{BASE}/settings"
    data = form_of_settings(quiz_author.get(url).data)
    assert data["pass_mark"] == "60" and data["grading"] == "highest"
    response = quiz_author.post(url, data={**data, "pass_mark": "120"})
    assert response.status_code == 400  # the form's own range check
    data["attempts"], data["grading"] = "5", "last"
    assert quiz_author.post(url, data=data).status_code == 302
    assert quiz_author.post("/author/courses/mini-q/publish").status_code == 302
    with app.app_context():
        quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "kuis-modul"))
        assert quiz.attempts_allowed == 5 and quiz.grading == "last"


def form_of_settings(page: bytes) -> dict[str, str]:
    return form_of(page, '<form method="post" class="form"')
