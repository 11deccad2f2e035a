"""course.yml `action_plan:`: validated with file:line errors, imported onto the course."""

from __future__ import annotations

import json
import shutil

from tests.conftest import DATA, ROOT

from lms.content.loader import load_course

GOOD = """action_plan:
  required: true
  rubric:
    - key: kebutuhan
      title: Kebutuhan warga berbukti
      description: Kebutuhan warga dengan bukti.
      section: needs
    - key: kegiatan
      title: Kegiatan menjawab tujuan
"""


def course_with(tmp_path, block: str):
    folder = tmp_path / "mini-a"
    shutil.copytree(DATA / "courses" / "mini-a", folder)
    text = (folder / "course.yml").read_text(encoding="utf-8").split("action_plan:")[0]
    (folder / "course.yml").write_text(text + block, encoding="utf-8")
    return load_course(folder)


def test_a_rubric_is_read_with_its_settings(tmp_path):
    spec, problems = course_with(tmp_path, GOOD)
    assert [p for p in problems if p.severity == "error"] == []
    assert spec.action_plan == {"required": True, "rubric": [
        {"key": "kebutuhan", "title": "Kebutuhan warga berbukti", "description": "Kebutuhan warga dengan bukti.",
         "section": "needs"},
        {"key": "kegiatan", "title": "Kegiatan menjawab tujuan", "description": "", "section": None}]}


def test_mistakes_are_named_with_file_and_line(tmp_path):
    block = """action_plan:
  required: ya
  deadline: 2026-06-01
  rubric:
    - key: Kebutuhan Warga
      title: Kebutuhan
    - key: tujuan
      title: Tujuan
      section: anggaran
    - key: tujuan
      title: Lagi
    - title: Tanpa kunci
"""
    _spec, problems = course_with(tmp_path, block)
    offset = (DATA / "courses" / "mini-a" / "course.yml").read_text().split("action_plan:")[0].count("\n")
    errors = [(p.line - offset, p.message) for p in problems if p.severity == "error"]
    assert all(p.file == "course.yml" for p in problems if p.severity == "error")
    expected = [(2, "'required' must be true or false"), (3, "unknown action_plan key 'deadline'"),
                (5, "a criterion's 'key' may contain only lowercase letters"), (9, "'section' must be one of"),
                (10, "criterion key 'tujuan' is used twice"), (12, "missing required key 'key'")]
    for line, message in expected:
        assert any(got == line and text.startswith(message) for got, text in errors), (line, message, errors)
    assert len(errors) == len(expected)


def test_a_plan_block_without_rubric_is_refused(tmp_path):
    _spec, problems = course_with(tmp_path, "action_plan:\n  required: true\n")
    assert any("missing required key 'rubric'" in p.message for p in problems)


def test_the_bundled_course_requires_an_approved_plan(app):
    from tests.conftest import import_course_folder
    from sqlalchemy import select

    from lms.content.models import Course
    from lms.extensions import db

    import_course_folder(app, ROOT / "courses" / "strategi-pengembangan-perpustakaan-tik")
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "strategi-pengembangan-perpustakaan-tik"))
        settings = json.loads(course.action_plan_json)
        assert settings["required"] is True
        assert [c["key"] for c in settings["rubric"]] == ["kebutuhan", "tujuan", "kegiatan", "anggaran-jadwal",
                                                         "indikator"]
        from lms.content.models import Lesson

        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "rencana-rtl-pertanyaan-pemandu"))
        assert 'href="/courses/strategi-pengembangan-perpustakaan-tik/plan"' in lesson.body_html
        assert "akan menyediakan formulir" not in lesson.body_html
