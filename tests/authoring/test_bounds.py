"""Bounded work in the editor: zips refused before anything is saved, pathological lesson text
and YAML refused quickly with what and where, drafts that cannot be written as a folder."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from sqlalchemy import func, select

from lms.authoring.models import CourseFileDraft, CourseUpload
from lms.content.files import MAX_DEPTH, MAX_NAME_CHARS, TreeError, clean_path, published_tree, read_zip, zip_trees
from lms.content.models import Lesson
from lms.extensions import db
from tests.authoring.test_editor import EDIT, LESSON, save, text_of
from tests.authoring.test_tree import zip_of
from tests.content.test_bounds import ADVERSARIAL, BILLION_LAUGHS

BUDGET = 2.0  # CPU seconds, as in tests/content/test_bounds.py


def _zip_with(*entries: zipfile.ZipInfo | tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("course.yml", b"slug: x\n")
        for entry in entries:
            if isinstance(entry, zipfile.ZipInfo):
                archive.writestr(entry, b"x")
            else:
                archive.writestr(*entry)
    return buffer.getvalue()


@pytest.mark.parametrize("entries, message", [
    ({"course.yml": b"x", "01/lesson.md": b"x", "01/lesson.md/x.md": b"x"}, "is both a file and a folder"),
    ({"course.yml": b"x", "a" * (MAX_NAME_CHARS + 1) + ".md": b"x"}, f"longer than {MAX_NAME_CHARS} characters"),
    ({"course.yml": b"x", "/".join(["d"] * (MAX_DEPTH + 1)) + ".md": b"x"}, f"nested more than {MAX_DEPTH} deep"),
    ({"course.yml": b"x", "C:/x.md": b"x"}, "outside the course folder"),
    ({"course.yml": b"x", "a\\..\\..\\x.md": b"x"}, "outside the course folder"),
    ({"course.yml": b"x", "ba\x01d.md": b"x"}, "unusual characters"),
    ({"course.yml": b"x", "01/besar.md": b"\0" * (6 * 1024 * 1024)}, "unpacks to more than the limit"),
    ({"course.yml": b"x", "01/rasio.md": b" " * (2 * 1024 * 1024)}, "compressed more than 100 times"),
])
def test_bad_zips_are_refused_with_what_and_where(entries, message):
    started = time.process_time()
    with pytest.raises(TreeError, match=message):
        read_zip(zip_of(entries))
    assert time.process_time() - started < BUDGET


def test_a_name_twice_a_folder_entry_named_like_a_file_and_encrypted_entries_are_refused():
    folder = zipfile.ZipInfo("gambar/")
    with pytest.raises(TreeError, match="both a file and a folder"):
        read_zip(_zip_with(("gambar", b"x"), folder))
    with pytest.warns(UserWarning, match="Duplicate name"):
        twice = _zip_with(("a.md", b"1"), ("a.md", b"2"))
    with pytest.raises(TreeError, match="in the zip twice"):
        read_zip(twice)
    data = bytearray(_zip_with(("rahasia.md", b"x")))
    central = data.rindex(b"PK\x01\x02")  # the last entry's central directory header
    data[central + 8] |= 0x1  # "encrypted" in its flags
    with pytest.raises(TreeError, match="encrypted"):
        read_zip(bytes(data))


def test_many_files_or_a_huge_declared_total_are_refused_from_the_headers():
    many = zip_of({"course.yml": b"x", **{f"f{i}.md": b"" for i in range(2001)}})
    with pytest.raises(TreeError, match="the limit is 2000"):
        read_zip(many)
    # Eleven files of 4.9 MB each, declared in the headers: refused before unpacking any.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("course.yml", b"x")
        for i in range(11):
            archive.writestr(f"{i}.png", b"\0" * (4900 * 1024))
    big = buffer.getvalue()
    with pytest.raises(TreeError, match="unpacks to more than the limit"):
        read_zip(big)


def test_editor_paths_are_bounded_too():
    assert clean_path("01/" + "a" * 60 + ".md") is not None
    assert clean_path("01/" + "a" * (MAX_NAME_CHARS + 1)) is None
    assert clean_path("/".join(["d"] * (MAX_DEPTH + 1))) is None


def _course_tree(app):
    with app.app_context():
        course_id = db.session.scalar(select(Lesson.course_id).where(Lesson.slug == "pengantar"))
        return published_tree(course_id)


@pytest.mark.parametrize("extra, message", [
    ({"01-dasar/01-pengantar.md/x.md": b"x"}, "is both a file and a folder"),
    ({"01-dasar/" + "n" * (MAX_NAME_CHARS + 1) + ".md": b"x"}, "longer than"),
    ({"../luar.md": b"x"}, "outside the course folder"),
])
def test_a_bad_zip_upload_is_refused_before_it_is_saved(app, editor, extra, message):
    fac = editor["facilitator"]
    tree = _course_tree(app)
    archive = zip_trees({"mini-a": tree})
    buffer = io.BytesIO(archive)
    with zipfile.ZipFile(buffer, "a") as z:
        for name, data in extra.items():
            z.writestr("mini-a/" + name if not name.startswith("..") else name, data)
    started = time.process_time()
    response = fac.post("/author/courses/mini-a/upload", data={"archive": (io.BytesIO(buffer.getvalue()), "k.zip")},
                        content_type="multipart/form-data", follow_redirects=True)
    assert time.process_time() - started < BUDGET
    assert response.status_code == 200 and message in text_of(response.data)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseUpload)) == 0


def test_a_new_course_zip_bomb_is_refused_before_it_is_saved(app, make_user, courses):
    from tests.conftest import login

    admin = make_user(role="admin")
    client = login(app, admin)
    bomb = zip_of({"baru/course.yml": b"slug: baru\n", "baru/besar.md": b"\0" * (6 * 1024 * 1024)})
    response = client.post("/author/upload", data={"archive": (io.BytesIO(bomb), "bom.zip")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200 and "unpacks to more than the limit" in text_of(response.data)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseUpload)) == 0


def test_a_draft_that_makes_a_file_and_a_folder_of_one_name_is_a_problem_not_a_crash(app, editor):
    fac = editor["facilitator"]
    response = fac.post(f"/author/courses/mini-a/files/{LESSON}/catatan.md/edit",
                        data={"title": "Catatan", "text": "## Catatan\n", "loaded_sha": ""})
    assert response.status_code == 302  # a draft, like any new file
    published = fac.post("/author/courses/mini-a/publish")
    assert published.status_code == 422
    assert f"'{LESSON}' is both a file and a folder" in text_of(published.data)
    assert fac.get("/author/courses/mini-a").status_code == 200


@pytest.mark.parametrize("name", ["open brackets", "unclosed links", "nested emphasis", "quote lines",
                                  "unclosed tags", "markdown in html"])
def test_live_preview_of_pathological_text_answers_quickly(app, editor, name):
    fac = editor["facilitator"]
    started = time.process_time()
    response = fac.post(EDIT, data={"title": "Pengantar", "text": ADVERSARIAL[name], "loaded_sha": "",
                                    "preview": "1"}, headers={"X-Requested-With": "fetch"})
    assert time.process_time() - started < BUDGET
    assert response.status_code == 200
    page = text_of(response.data)
    assert "tidak dapat ditampilkan" in page or "<script" not in page


def test_live_preview_says_which_line_is_refused(app, editor):
    fac = editor["facilitator"]
    response = fac.post(EDIT, data={"title": "Pengantar", "text": "Baris satu.\n\n" + "[" * 200, "loaded_sha": "",
                                    "preview": "1"}, headers={"X-Requested-With": "fetch"})
    page = text_of(response.data)
    assert "baris 3" in page and "nested more than 16 deep" in page


def test_a_billion_laughs_draft_is_refused_quickly_everywhere_in_the_editor(app, editor):
    fac = editor["facilitator"]
    started = time.process_time()
    saved = fac.post("/author/courses/mini-a/files/course.yml/edit", data={"text": BILLION_LAUGHS,
                                                                            "loaded_sha": _sha(app, "course.yml")})
    assert saved.status_code == 302
    assert fac.get("/author/courses/mini-a").status_code == 200  # the outline says why it cannot be shown
    assert fac.get("/author/courses/mini-a/files/course.yml/settings").status_code in (200, 302)
    published = fac.post("/author/courses/mini-a/publish")
    assert published.status_code == 422
    assert "mini-a/course.yml:2" in text_of(published.data) and "aliases" in text_of(published.data)
    assert time.process_time() - started < 3 * BUDGET
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseFileDraft)) == 1


def _sha(app, path: str) -> str:
    import hashlib

    return hashlib.sha256(_course_tree(app)[path]).hexdigest()


def test_a_lesson_draft_beyond_the_bounds_is_not_published(app, editor):
    fac = editor["facilitator"]
    assert save(fac, "## A\n\n" + "[a](" * 5000 + "\n").status_code == 302
    started = time.process_time()
    published = fac.post("/author/courses/mini-a/publish")
    assert time.process_time() - started < BUDGET
    assert published.status_code == 422
    assert f"mini-a/{LESSON}:" in text_of(published.data) and "unclosed" in text_of(published.data)
