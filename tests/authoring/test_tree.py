"""Course files in the database and the zip round trip (`courses export`, zips for validate/import)."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.content.files import read_folder, read_zip, TreeError, zip_trees
from lms.content.models import Course, CourseFile, CourseFileVersion, Lesson
from lms.extensions import db

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "courses" / "strategi-pengembangan-perpustakaan-tik"
MINI = ROOT / "tests" / "data" / "courses" / "mini-a"


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_export_import_export_gives_the_same_files(app, runner, tmp_path):
    """The real course, through a zip into an empty database and out again: the same bytes."""
    original = read_folder(REAL)
    first = tmp_path / "first.zip"
    first.write_bytes(zip_trees({"strategi-pengembangan-perpustakaan-tik": original}))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Course)) == 0
    result = runner.invoke(args=["courses", "import", str(first)])
    assert result.exit_code == 0, result.output
    second = tmp_path / "second.zip"
    result = runner.invoke(args=["courses", "export", "strategi-pengembangan-perpustakaan-tik", str(second)])
    assert result.exit_code == 0, result.output
    assert second.read_bytes() == first.read_bytes()
    assert read_zip(second) == [original]  # every file, images and the GIFT bank included
    assert any(name.endswith(".svg") for name in original) and any(name.endswith(".gift") for name in original)


def test_importing_the_same_files_again_adds_no_versions(app, runner, tmp_path):
    for _ in range(2):
        assert runner.invoke(args=["courses", "import", str(MINI)]).exit_code == 0
    with app.app_context():
        files = db.session.scalar(select(func.count()).select_from(CourseFile))
        versions = db.session.scalar(select(func.count()).select_from(CourseFileVersion))
    assert files == versions == len(read_folder(MINI))


def test_changed_file_is_versioned_and_progress_kept(app, runner, tmp_path, make_user):
    folder = tmp_path / "mini-a"
    for name, data in read_folder(MINI).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    assert runner.invoke(args=["courses", "import", str(folder)]).exit_code == 0
    lesson_file = next(p for p in folder.rglob("*.md"))
    lesson_file.write_text(lesson_file.read_text(encoding="utf-8") + "\nTambahan baris.\n", encoding="utf-8")
    result = runner.invoke(args=["courses", "import", str(folder)])
    assert result.exit_code == 0, result.output
    rel = lesson_file.relative_to(folder).as_posix()
    with app.app_context():
        versions = db.session.scalars(select(CourseFileVersion).where(CourseFileVersion.path == rel)
                                      .order_by(CourseFileVersion.id)).all()
        assert len(versions) == 2 and versions[1].data.endswith(b"Tambahan baris.\n")
        assert [v.origin for v in versions] == ["files", "files"]


def test_validate_accepts_a_zip_and_names_file_and_line_inside_it(app, runner, tmp_path):
    tree = read_folder(MINI)
    good = tmp_path / "kursus.zip"
    good.write_bytes(zip_trees({"mini-a": tree}))
    result = runner.invoke(args=["courses", "validate", str(good)])
    assert result.exit_code == 0, result.output
    assert "ok: mini-a" in result.output
    broken = dict(tree)
    broken["course.yml"] = broken["course.yml"].replace(b"title:", b"title: [unclosed\nx:", 1)
    bad = tmp_path / "rusak.zip"
    bad.write_bytes(zip_trees({"mini-a": broken}))
    result = runner.invoke(args=["courses", "import", str(bad)])
    assert result.exit_code == 1
    assert "rusak.zip/course.yml:" in result.output
    assert "Nothing was imported." in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Course)) == 0
        assert db.session.scalar(select(func.count()).select_from(CourseFile)) == 0


@pytest.mark.parametrize("entries, message", [
    ({"../course.yml": b"slug: x\n"}, "outside the course folder"),
    ({"kursus/../../etc/passwd": b"x"}, "outside the course folder"),
    ({"/etc/course.yml": b"x"}, "outside the course folder"),
    ({"kursus/gambar.png": b"x"}, "no course.yml"),
])
def test_unsafe_or_empty_zips_are_refused(entries, message):
    with pytest.raises(TreeError, match=message):
        read_zip(zip_of(entries))


def test_links_in_a_zip_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("course.yml", b"slug: x\n")
        link = zipfile.ZipInfo("gambar.svg")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(TreeError, match="links are not allowed"):
        read_zip(buffer.getvalue())


def test_a_zip_bomb_stops_at_the_limit_without_unpacking_it_all():
    bomb = zip_of({"course.yml": b"slug: x\n", "01/besar.md": b"\0" * (6 * 1024 * 1024)})
    assert len(bomb) < 100_000
    with pytest.raises(TreeError, match="unpacks to more than the limit"):
        read_zip(bomb)


def test_import_of_a_bad_zip_changes_nothing(app, runner, tmp_path):
    assert runner.invoke(args=["courses", "import", str(MINI)]).exit_code == 0
    for name, data in (("bukan.zip", b"just text"), ("jalur.zip", zip_of({"../x.md": b"x", "course.yml": b""}))):
        path = tmp_path / name
        path.write_bytes(data)
        result = runner.invoke(args=["courses", "import", str(path)])
        assert result.exit_code == 1
        assert name in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseFileVersion)) == len(read_folder(MINI))
        assert db.session.scalar(select(func.count()).select_from(Lesson)) > 0


def test_export_of_an_unknown_course_says_so(app, runner, tmp_path):
    result = runner.invoke(args=["courses", "export", "tidak-ada", str(tmp_path / "x.zip")])
    assert result.exit_code == 1
    assert "No course with slug 'tidak-ada'" in result.output
