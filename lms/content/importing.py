"""Importing course folders: validate everything under a path (a folder of courses, a course
folder or a zip), then sync it all and store each course's files, in the caller's transaction.

Used by `flask courses import`, the browser editor's publish and zip upload, tests and benches.
"""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

from sqlalchemy import select

from lms.content.files import TreeError, read_folder, read_zip, store_tree, write_folder
from lms.content.loader import CourseSpec, load_course
from lms.content.models import Course
from lms.content.problems import Problem, SyncError
from lms.content.sync import SyncReport, sync_course
from lms.extensions import db


def course_folders(path: Path) -> list[Path]:
    """PATH itself if it holds course.yml, else each subfolder that does."""
    if (path / "course.yml").is_file() or not path.is_dir():
        return [path]
    found = sorted(p.parent for p in path.glob("*/course.yml"))
    return found or [path]


@contextmanager
def opened_sources(path: Path) -> Iterator[list[tuple[Path, str]]]:
    """(folder on disk, name to show in messages) for each course under PATH, a folder or a zip.

    A zip is checked (paths, links, sizes) and unpacked into a temporary folder first.
    """
    if path.suffix.lower() != ".zip":
        yield [(folder, folder.as_posix().rstrip("/") + "/") for folder in course_folders(path)]
        return
    trees = read_zip(path)  # TreeError says what is wrong with the zip
    with tempfile.TemporaryDirectory(prefix="lms-zip-") as tmp:
        sources = []
        for index, tree in enumerate(trees):
            folder = Path(tmp) / str(index)
            write_folder(tree, folder)
            sources.append((folder, f"{path.name}/" if len(trees) == 1 else f"{path.name}/{index + 1}/"))
        yield sources


def load_sources(sources: list[tuple[Path, str]]) -> tuple[list[tuple[CourseSpec, str]], list[Problem]]:
    """Load each course; problems carry the shown course folder in their file name."""
    specs: list[tuple[CourseSpec, str]] = []
    problems: list[Problem] = []
    slugs: dict[str, str] = {}
    for folder, shown in sources:
        spec, found = load_course(folder)
        for problem in found:
            problems.append(Problem(shown + problem.file, problem.line, problem.message, problem.severity))
        if spec is not None:
            if spec.slug in slugs:
                problems.append(Problem(shown + "course.yml", None,
                                        f"course slug '{spec.slug}' is also used by {slugs[spec.slug]}"))
            slugs[spec.slug] = shown
            specs.append((spec, shown))
    return specs, problems


def load_all(path: Path) -> tuple[list[CourseSpec], list[Problem]]:
    """Load every course under PATH (a folder of courses, a course folder or a zip)."""
    try:
        with opened_sources(path) as sources:
            specs, problems = load_sources(sources)
    except TreeError as exc:
        return [], [Problem(path.as_posix(), None, str(exc))]
    return [spec for spec, _ in specs], problems


def asset_url(course_slug: str, path: str) -> str:
    """Image URL relative to the lesson page (/courses/<slug>/lessons/<lesson>), so that
    stored HTML works under any URL prefix; it points at content.asset."""
    return "../assets/" + quote(path)


def import_courses(path: Path, *, author_id: int | None = None) -> tuple[list[SyncReport], list[Problem]]:
    """Validate everything under PATH (folder or zip); if clean, upsert it all and store each
    course's files for the browser editor (flush only, caller commits)."""
    try:
        with opened_sources(path) as sources:
            specs, problems = load_sources(sources)
            if any(p.severity == "error" for p in problems):
                return [], problems
            return sync_specs(specs, problems, lambda spec: read_folder(spec.root), origin="files",
                              author_id=author_id)
    except TreeError as exc:
        return [], [Problem(path.as_posix(), None, str(exc))]


def sync_specs(specs: list[tuple[CourseSpec, str]], problems: list[Problem], tree_of, *, origin: str,
               author_id: int | None) -> tuple[list[SyncReport], list[Problem]]:
    """Sync validated courses and make tree_of(spec) their stored files (flush only)."""
    reports = []
    for spec, shown in specs:
        try:
            report = sync_course(spec, asset_url)
        except SyncError as exc:
            return [], [*problems, Problem(shown + exc.file, exc.line, exc.message)]
        course_id = db.session.scalar(select(Course.id).where(Course.slug == spec.slug))
        store_tree(course_id, tree_of(spec), origin=origin, author_id=author_id)
        reports.append(report)
    return reports, problems
