"""Course folders: validation with file and line, sanitizing, the real course."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lms.content.loader import load_course
from lms.content.markdown import render_markdown
from tests.conftest import DATA, ROOT

REAL_COURSE = ROOT / "courses" / "strategi-pengembangan-perpustakaan-tik"


def copy_mini(tmp_path: Path) -> Path:
    target = tmp_path / "mini-a"
    shutil.copytree(DATA / "courses" / "mini-a", target)
    return target


def errors_of(path: Path) -> list[str]:
    _, problems = load_course(path)
    return [str(p) for p in problems if p.severity == "error"]


def test_test_course_is_valid(tmp_path):
    spec, problems = load_course(copy_mini(tmp_path))
    assert [p for p in problems if p.severity == "error"] == []
    assert [m.slug for m in spec.modules] == ["dasar"]
    assert [lesson.slug for lesson in spec.modules[0].lessons] == ["pengantar", "lanjutan", "bacaan-tambahan"]
    assert spec.modules[0].lessons[2].required is False
    assert list(spec.assets) == ["01-dasar/images/diagram.svg"]


def test_real_course_is_valid_and_module_one_is_substantial():
    spec, problems = load_course(REAL_COURSE)
    assert [str(p) for p in problems if p.severity == "error"] == []
    assert len(spec.modules) == 6
    first = spec.modules[0]
    assert len(first.lessons) >= 3
    for lesson in first.lessons:
        assert len(lesson.body.split()) >= 400, lesson.source_path


def test_broken_yaml_reports_file_and_line(tmp_path):
    course = copy_mini(tmp_path)
    (course / "01-dasar" / "module.yml").write_text("slug: dasar\ntitle: [unclosed\nlessons: []\n")
    errors = errors_of(course)
    assert len(errors) == 1
    assert errors[0].startswith("01-dasar/module.yml:3: error: invalid YAML")


def test_missing_lesson_file_points_at_the_listing_line(tmp_path):
    course = copy_mini(tmp_path)
    (course / "01-dasar" / "02-lanjutan.md").unlink()
    assert errors_of(course) == [
        "01-dasar/module.yml:6: error: lesson file '01-dasar/02-lanjutan.md' does not exist"]


def test_duplicate_slug_names_both_files(tmp_path):
    course = copy_mini(tmp_path)
    lesson = course / "01-dasar" / "02-lanjutan.md"
    lesson.write_text(lesson.read_text().replace("slug: lanjutan", "slug: pengantar"))
    errors = errors_of(course)
    assert errors == ["01-dasar/02-lanjutan.md:2: error: duplicate lesson slug 'pengantar' "
                      "(also in 01-dasar/01-pengantar.md); lesson slugs must be unique within the course"]


def test_unknown_key_is_named_with_its_line(tmp_path):
    course = copy_mini(tmp_path)
    lesson = course / "01-dasar" / "01-pengantar.md"
    lesson.write_text(lesson.read_text().replace("minutes: 5\n", "minutes: 5\nduration: 5\n"))
    errors = errors_of(course)
    assert len(errors) == 1
    assert errors[0].startswith("01-dasar/01-pengantar.md:5: error: unknown key 'duration'")


def test_every_problem_is_reported_at_once(tmp_path):
    course = copy_mini(tmp_path)
    text = (course / "course.yml").read_text()
    (course / "course.yml").write_text(text + "author: someone\n")
    (course / "01-dasar" / "02-lanjutan.md").write_text("no front matter here\n")
    (course / "01-dasar" / "images" / "diagram.svg").unlink()
    errors = errors_of(course)
    line = len(text.splitlines()) + 1
    assert any(e.startswith(f"course.yml:{line}: error: unknown key 'author'") for e in errors)
    assert "01-dasar/02-lanjutan.md:1: error: missing front matter" in errors[1] or any(
        e.startswith("01-dasar/02-lanjutan.md:1: error: missing front matter") for e in errors)
    assert "01-dasar/01-pengantar.md:11: error: image 'images/diagram.svg' does not exist" in errors
    assert len(errors) == 3


@pytest.mark.parametrize("bad, message", [
    ("slug: Bad Slug", "may contain only lowercase letters"),
    ("minutes: lots", "'minutes' must be a whole number"),
    ("required: sometimes", "'required' must be true or false"),
])
def test_bad_front_matter_values(tmp_path, bad, message):
    course = copy_mini(tmp_path)
    lesson = course / "01-dasar" / "02-lanjutan.md"
    key = bad.split(":")[0]
    lines = [line for line in lesson.read_text().splitlines() if not line.startswith(key + ":")]
    lines.insert(1, bad)
    lesson.write_text("\n".join(lines) + "\n")
    errors = errors_of(course)
    assert any(message in e and e.startswith("01-dasar/02-lanjutan.md:2:") for e in errors), errors


@pytest.mark.parametrize("ref, message", [
    ("https://cdn.example/x.png", "not a link to another site"),
    ("../../../etc/passwd.png", "points outside the course folder"),
    ("images/x.exe", "unsupported type"),
])
def test_image_references_must_be_local_images(tmp_path, ref, message):
    course = copy_mini(tmp_path)
    lesson = course / "01-dasar" / "02-lanjutan.md"
    lesson.write_text(lesson.read_text() + f"\n![gambar]({ref})\n")
    errors = errors_of(course)
    assert len(errors) == 1 and message in errors[0] and errors[0].startswith("01-dasar/02-lanjutan.md:10:")


def test_svg_with_script_is_refused(tmp_path):
    course = copy_mini(tmp_path)
    (course / "01-dasar" / "images" / "diagram.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    assert any("SVG images must be static" in e for e in errors_of(course))


def test_unlisted_markdown_file_is_a_warning(tmp_path):
    course = copy_mini(tmp_path)
    (course / "01-dasar" / "99-draft.md").write_text("---\nslug: d\ntitle: D\n---\n")
    _, problems = load_course(course)
    assert [str(p) for p in problems] == [
        "01-dasar/99-draft.md: warning: not listed under 'lessons' in 01-dasar/module.yml, so it is not imported"]


@pytest.mark.parametrize("markdown_text, forbidden", [
    ("<script>alert('x')</script>Teks", "<script"),
    ("[klik](javascript:alert(1))", "javascript:"),
    ('<img src="images/a.png" onerror="alert(1)">', "onerror"),
    ('<a href="#" onclick="steal()">x</a>', "onclick"),
    ('<iframe src="https://evil.example"></iframe>', "<iframe"),
    ('<div style="position:fixed">x</div>', "style="),
])
def test_markdown_is_rendered_inert(markdown_text, forbidden):
    html = render_markdown(markdown_text, asset_url=lambda p: "../assets/" + p).html
    assert forbidden not in html


def test_markdown_features_survive_sanitizing():
    text = ("## Judul Bagian\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\n"
            '!!! tip "Coba sekarang"\n    Lakukan ini.\n\n```python\nprint(1)\n```\n')
    rendered = render_markdown(text)
    assert '<h2 id="judul-bagian">Judul Bagian</h2>' in rendered.html
    assert "<table>" in rendered.html
    assert '<div class="admonition tip">' in rendered.html
    assert '<code class="language-python">' in rendered.html
    assert rendered.toc == [{"id": "judul-bagian", "name": "Judul Bagian", "level": 2}]
