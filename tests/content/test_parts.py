"""content knows no quiz or survey: they are course parts their packages register, and what
reacts to a sync subscribes to course_synced."""

from __future__ import annotations

import shutil

from lms.content import parts
from lms.content.loader import load_course
from lms.content.signals import course_synced
from tests.conftest import DATA, import_course_folder


def test_without_registered_parts_quiz_and_survey_keys_are_unknown(tmp_path, monkeypatch):
    folder = tmp_path / "mini-q"
    shutil.copytree(DATA / "courses" / "mini-q", folder)
    monkeypatch.setattr(parts, "_parts", [])
    spec, problems = load_course(folder)
    errors = [str(p) for p in problems if p.severity == "error"]
    assert any("unknown key 'pretest'" in e for e in errors), errors
    assert any("unknown key 'survey'" in e for e in errors), errors
    assert spec.quizzes == [] and spec.surveys == []


def test_registered_parts_read_quizzes_and_surveys(tmp_path):
    folder = tmp_path / "mini-q"
    shutil.copytree(DATA / "courses" / "mini-q", folder)
    assert [part.name for part in parts.registered()] == ["quizzes", "surveys"]
    spec, problems = load_course(folder)
    assert [str(p) for p in problems if p.severity == "error"] == []
    assert spec.quizzes and spec.surveys
    assert "quizzes" in spec.content_minutes()


def test_each_sync_announces_the_course_and_what_changed(app):
    seen = []

    def receiver(course, report, **_extra):
        seen.append((course.slug, report.is_noop))

    with course_synced.connected_to(receiver):
        import_course_folder(app, DATA / "courses" / "mini-a")
        import_course_folder(app, DATA / "courses" / "mini-a")
    assert seen == [("mini-a", False), ("mini-a", True)]
