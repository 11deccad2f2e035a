"""Adding, moving, renaming and removing modules and lessons in the browser."""

from __future__ import annotations

from sqlalchemy import select

from lms.authoring.tree import working_tree
from lms.content.models import Course, Lesson, Module
from lms.extensions import db
from tests.conftest import text_of

STRUCTURE = "/author/courses/mini-a/structure"


def course_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Course.id).where(Course.slug == "mini-a"))


def test_add_a_lesson_write_it_and_publish(app, editor):
    fac, trainee = editor["facilitator"], editor["trainee"]
    added = fac.post(STRUCTURE, data={"op": "add_lesson", "target": "01-dasar", "title": "Rapat Desa: Siapa Diundang?",
                                      "slug": "rapat-desa"})
    assert added.status_code == 302
    assert added.headers["Location"].endswith("/files/01-dasar/04-rapat-desa.md/edit")
    with app.app_context():
        tree = working_tree(course_id(app))
    assert tree["01-dasar/module.yml"].endswith(b"  - 04-rapat-desa.md\n")
    assert tree["01-dasar/04-rapat-desa.md"].startswith(b"---\nslug: rapat-desa\ntitle: 'Rapat Desa: Siapa Diundang?'\n")
    page = fac.get(added.headers["Location"])
    assert 'value="Rapat Desa: Siapa Diundang?"' in page.get_data(as_text=True)
    import re

    sha = re.search(rb'name="loaded_sha" type="hidden" value="([0-9a-f]*)"', page.data).group(1).decode()
    assert fac.post(added.headers["Location"], data={
        "title": "Rapat Desa: Siapa Diundang?", "minutes": "10", "required": "y", "loaded_sha": sha,
        "text": "## Tujuan pembelajaran\n\nMengundang BPD dan PKK.\n"}).status_code == 302
    assert fac.post("/author/courses/mini-a/publish").status_code == 302
    lesson = trainee.get("/courses/mini-a/lessons/rapat-desa")
    assert lesson.status_code == 200 and "Mengundang BPD dan PKK." in text_of(lesson.data)


def test_reorder_rename_and_remove_keep_comments_and_ids(app, editor):
    fac = editor["facilitator"]
    cid = course_id(app)
    with app.app_context():
        tree = working_tree(cid)
        from lms.authoring import publish as authoring

        commented = tree["01-dasar/module.yml"].replace(b"lessons:\n", b"# urutan materi\nlessons:\n")
        authoring.save_draft(cid, "01-dasar/module.yml", commented, loaded_sha256=authoring.current(
            cid, "01-dasar/module.yml").sha256, author_id=editor["world"]["facilitator"].id)
        db.session.commit()
        ids = dict(db.session.execute(select(Lesson.slug, Lesson.id).where(Lesson.course_id == cid)).all())
    assert fac.post(STRUCTURE, data={"op": "down", "target": "01-dasar/01-pengantar.md"}).status_code == 302
    assert fac.post(STRUCTURE, data={"op": "rename_module", "target": "01-dasar", "title": "Modul Dasar (baru)"}
                    ).status_code == 302
    assert fac.post(STRUCTURE, data={"op": "remove_lesson", "target": "01-dasar/03-bacaan-tambahan.md"}
                    ).status_code == 302
    with app.app_context():
        module_yml = working_tree(cid)["01-dasar/module.yml"].decode()
    assert "# urutan materi" in module_yml
    assert module_yml.index("02-lanjutan.md") < module_yml.index("01-pengantar.md")
    assert "03-bacaan-tambahan.md" not in module_yml and "title: Modul Dasar (baru)" in module_yml
    outline = text_of(fac.get("/author/courses/mini-a").data)
    assert outline.index("Materi Lanjutan") < outline.index("Pengantar Perpustakaan Desa")
    assert fac.post("/author/courses/mini-a/publish").status_code == 302
    with app.app_context():
        lessons = {l.slug: l for l in db.session.scalars(select(Lesson).where(Lesson.course_id == cid))}
        assert {slug: l.id for slug, l in lessons.items()} == ids  # the same rows, nothing re-created
        assert lessons["lanjutan"].position < lessons["pengantar"].position
        assert lessons["bacaan-tambahan"].archived_at is not None
        assert db.session.scalar(select(Module.title).where(Module.course_id == cid)) == "Modul Dasar (baru)"


def test_add_a_module(app, editor):
    fac = editor["facilitator"]
    assert fac.post(STRUCTURE, data={"op": "add_module", "title": "Advokasi", "slug": "advokasi"}).status_code == 302
    assert fac.post(STRUCTURE, data={"op": "add_lesson", "target": "02-advokasi", "title": "Peta Pemangku Kepentingan",
                                     "slug": "peta-pemangku"}).status_code == 302
    assert fac.post("/author/courses/mini-a/publish").status_code == 302
    with app.app_context():
        titles = db.session.scalars(select(Module.title).where(Module.course_id == course_id(app))
                                    .order_by(Module.position)).all()
    assert titles == ["Modul Dasar", "Advokasi"]


def test_bad_structure_requests_say_why_and_change_nothing(app, editor):
    fac = editor["facilitator"]
    cid = course_id(app)
    with app.app_context():
        before = working_tree(cid)
    for data, message in (
        ({"op": "add_lesson", "target": "01-dasar", "title": "Lagi", "slug": "pengantar"}, "sudah ada"),
        ({"op": "add_lesson", "target": "01-dasar", "title": "Lagi", "slug": "Bukan Slug"}, "huruf kecil"),
        ({"op": "add_lesson", "target": "../luar", "title": "X", "slug": "x"}, None),
        ({"op": "down", "target": "01-dasar/tidak-ada.md"}, "is not listed"),
    ):
        response = fac.post(STRUCTURE, data=data, follow_redirects=True)
        if message is None:
            assert response.status_code == 404
        else:
            assert message in text_of(response.data).lower() or message in text_of(response.data), data
    with app.app_context():
        assert working_tree(cid) == before


def test_add_a_quiz_to_a_module_write_its_question_and_publish(app, editor):
    """A module without a quiz gets one; it cannot be published empty; with one question written
    in the form it publishes and the trainee can take it."""
    from lms.quizzes.models import Quiz

    fac, trainee = editor["facilitator"], editor["trainee"]
    added = fac.post(STRUCTURE, data={"op": "add_quiz", "target": "01-dasar", "title": "Kuis Modul Dasar",
                                      "slug": "kuis-dasar"})
    assert added.status_code == 302 and added.headers["Location"].endswith("/files/01-dasar/quiz.yml/edit#questions")
    with app.app_context():
        tree = working_tree(course_id(app))
    assert tree["01-dasar/module.yml"].endswith(b"quiz: quiz.yml\n")
    empty = fac.post("/author/courses/mini-a/publish", follow_redirects=True)
    assert "quiz.yml" in text_of(empty.data)
    with app.app_context():
        assert db.session.scalar(select(Quiz).where(Quiz.slug == "kuis-dasar")) is None
    assert "Kuis Modul Dasar" in text_of(fac.get("/author/courses/mini-a").data)

    new = "/author/courses/mini-a/files/01-dasar/quiz.yml/questions/new?type=truefalse"
    assert fac.post(new, data={"key": "perpustakaan-desa", "text": "Perpustakaan desa termasuk perpustakaan umum.",
                               "answer": "true", "mark": "1", "save": "1"}).status_code == 302
    assert fac.post("/author/courses/mini-a/publish").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Quiz).where(Quiz.slug == "kuis-dasar")) is not None
    page = trainee.get("/courses/mini-a/quizzes/kuis-dasar")
    assert page.status_code == 200 and "Kuis Modul Dasar" in text_of(page.data)
    again = fac.post(STRUCTURE, data={"op": "add_quiz", "target": "01-dasar", "title": "Lagi", "slug": "lagi"},
                     follow_redirects=True)
    assert "quiz.yml" in text_of(again.data)  # one quiz per module
