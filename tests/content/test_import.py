"""`courses import`: one transaction, upsert by slug, progress survives edits."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import func, select

from lms.content.models import Course, Lesson, Module
from lms.extensions import db
from lms.learning.models import LessonProgress
from tests.conftest import DATA, ROOT


def copy_courses(tmp_path: Path) -> Path:
    target = tmp_path / "courses"
    shutil.copytree(DATA / "courses", target)
    return target


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_validate_cli_exits_zero_on_the_real_course(runner):
    result = runner.invoke(args=["courses", "validate", str(ROOT / "courses" / "strategi-pengembangan-perpustakaan-tik")])
    assert result.exit_code == 0, result.output
    assert "ok: strategi-pengembangan-perpustakaan-tik: 6 modules" in result.output


def test_validate_cli_lists_problems_and_fails(runner, tmp_path):
    courses = copy_courses(tmp_path)
    (courses / "mini-b" / "01-satu" / "module.yml").write_text("slug: satu\ntitle: X\nlessons:\n  - hilang.md\n")
    result = runner.invoke(args=["courses", "validate", str(courses)])
    assert result.exit_code == 1
    assert f"{courses}/mini-b/01-satu/module.yml:4: error: lesson file '01-satu/hilang.md' does not exist" in result.output


def test_import_reports_and_is_idempotent(app, runner, tmp_path):
    courses = copy_courses(tmp_path)
    first = runner.invoke(args=["courses", "import", str(courses)])
    assert first.exit_code == 0, first.output
    assert "mini-a: 6 added, 0 changed, 0 removed" in first.output  # course, module, 3 lessons, image
    again = runner.invoke(args=["courses", "import", str(courses)])
    assert "mini-a: 0 added, 0 changed, 0 removed, 4 unchanged" in again.output
    assert count(app, Lesson) == 5  # mini-a 3, mini-b 1, mini-q 1


def test_bad_file_imports_nothing(app, runner, tmp_path):
    courses = copy_courses(tmp_path)
    (courses / "mini-b" / "01-satu" / "materi.md").write_text("---\nslug: x\n")
    result = runner.invoke(args=["courses", "import", str(courses)])
    assert result.exit_code == 1
    assert "Nothing was imported." in result.output
    assert count(app, Course) == 0 and count(app, Lesson) == 0


def _progress_rows(app, slug):
    with app.app_context():
        return db.session.execute(
            select(Lesson.slug, LessonProgress.completed_at.is_not(None))
            .join(LessonProgress, LessonProgress.lesson_id == Lesson.id).where(Lesson.slug == slug)
        ).all()


def test_edit_reorder_and_removal_keep_progress(app, runner, tmp_path, make_user):
    courses = copy_courses(tmp_path)
    runner.invoke(args=["courses", "import", str(courses)])
    user = make_user()
    from lms.learning.progress import set_completed

    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "lanjutan"))
        lesson_id = lesson.id
        set_completed(user, lesson, True)
        db.session.commit()

    module_dir = courses / "mini-a" / "01-dasar"
    # Edit the text, rename the file and put it first: same slug, same lesson.
    text = (module_dir / "02-lanjutan.md").read_text().replace("Teks lanjutan.", "Teks lanjutan yang diperbarui.")
    (module_dir / "02-lanjutan.md").unlink()
    (module_dir / "00-lanjutan-baru.md").write_text(text)
    (module_dir / "module.yml").write_text(
        "slug: dasar\ntitle: Modul Dasar\nlessons:\n  - 00-lanjutan-baru.md\n  - 01-pengantar.md\n")
    result = runner.invoke(args=["courses", "import", str(courses)])
    assert result.exit_code == 0, result.output
    assert "changed: lesson lanjutan" in result.output
    assert "removed: lesson bacaan-tambahan" in result.output

    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "lanjutan"))
        assert lesson.id == lesson_id
        assert "diperbarui" in lesson.body_html
        assert lesson.position < db.session.scalar(select(Lesson.position).where(Lesson.slug == "pengantar"))
        archived = db.session.scalar(select(Lesson).where(Lesson.slug == "bacaan-tambahan"))
        assert archived.archived_at is not None
    assert _progress_rows(app, "lanjutan") == [("lanjutan", True)]

    # Bringing a removed lesson back restores it, with the same id.
    (module_dir / "module.yml").write_text(
        "slug: dasar\ntitle: Modul Dasar\nlessons:\n  - 00-lanjutan-baru.md\n  - 01-pengantar.md\n"
        "  - 03-bacaan-tambahan.md\n")
    result = runner.invoke(args=["courses", "import", str(courses)])
    assert "changed: lesson bacaan-tambahan" in result.output
    with app.app_context():
        assert db.session.scalar(select(Lesson.archived_at).where(Lesson.slug == "bacaan-tambahan")) is None


def test_removed_module_is_archived_not_deleted(app, runner, tmp_path):
    courses = copy_courses(tmp_path)
    runner.invoke(args=["courses", "import", str(courses)])
    (courses / "mini-a" / "course.yml").write_text("slug: mini-a\ntitle: Kursus Mini A\nmodules: []\n")
    result = runner.invoke(args=["courses", "import", str(courses / "mini-a")])
    assert result.exit_code == 0, result.output
    assert "removed: module dasar" in result.output
    with app.app_context():
        assert db.session.scalar(select(Module.archived_at).where(Module.slug == "dasar")) is not None
        assert db.session.scalar(select(func.count()).select_from(Lesson)
                                 .where(Lesson.archived_at.is_(None), Lesson.course_id == Module.course_id,
                                        Module.slug == "dasar")) == 0


def test_stored_html_is_sanitized(app, runner, tmp_path):
    courses = copy_courses(tmp_path)
    lesson = courses / "mini-b" / "01-satu" / "materi.md"
    lesson.write_text(lesson.read_text() + '\n<script>alert(1)</script>\n[x](javascript:alert(1))\n'
                      '<img src="a.png" onerror="alert(1)">\n')
    from PIL import Image

    Image.new("RGB", (2, 2)).save(courses / "mini-b" / "01-satu" / "a.png")  # a real PNG: the importer checks
    result = runner.invoke(args=["courses", "import", str(courses)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        html = db.session.scalar(select(Lesson.body_html).where(Lesson.slug == "materi-b"))
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html
    assert 'src="../assets/01-satu/a.png"' in html


def test_real_course_imports(app, runner):
    result = runner.invoke(args=["courses", "import", str(ROOT / "courses")])
    assert result.exit_code == 0, result.output
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "strategi-pengembangan-perpustakaan-tik"))
        assert course is not None and float(course.jp_hours) == 14.5  # derived from the content: see course.yml
        assert len([m for m in course.modules if m.archived_at is None]) == 6
