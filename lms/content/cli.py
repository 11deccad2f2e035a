"""`flask courses validate|import PATH`."""

from __future__ import annotations

import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

import click
from flask.cli import AppGroup
from sqlalchemy import select

from lms.content.loader import CourseSpec, Problem, load_course
from lms.content.models import Course
from lms.content.sync import SyncReport, sync_course
from lms.extensions import db

courses_cli = AppGroup("courses", help="Validate and import course folders.")


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
    from lms.authoring.tree import read_zip, write_folder

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
    from lms.authoring.tree import TreeError

    try:
        with opened_sources(path) as sources:
            specs, problems = load_sources(sources)
    except TreeError as exc:
        return [], [Problem(path.as_posix(), None, str(exc))]
    return [spec for spec, _ in specs], problems


def _print_problems(problems: list[Problem]) -> bool:
    for problem in problems:
        click.echo(str(problem), err=True)
    errors = sum(p.severity == "error" for p in problems)
    return errors > 0


def asset_url(course_slug: str, path: str) -> str:
    """Image URL relative to the lesson page (/courses/<slug>/lessons/<lesson>), so that
    stored HTML works under any URL prefix; it points at content.asset."""
    return "../assets/" + quote(path)


def import_courses(path: Path, *, author_id: int | None = None) -> tuple[list[SyncReport], list[Problem]]:
    """Validate everything under PATH (folder or zip); if clean, upsert it all and store each
    course's files for the browser editor (flush only, caller commits)."""
    from lms.authoring.tree import TreeError, read_folder

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
    from lms.authoring.tree import store_tree
    from lms.quizzes.sync import SyncError

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


@courses_cli.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
def validate_command(path: Path) -> None:
    """Check a course folder (or a folder of courses) and list every problem."""
    specs, problems = load_all(path)
    failed = _print_problems(problems)
    if failed:
        errors = sum(p.severity == "error" for p in problems)
        click.echo(f"{errors} error(s); fix them before importing.", err=True)
        sys.exit(1)
    for spec in specs:
        lessons = sum(len(m.lessons) for m in spec.modules)
        images = sum(a.content_type.startswith("image/") for a in spec.assets.values())
        downloads = f", {len(spec.assets) - images} files to download" if len(spec.assets) > images else ""
        claimed = f", {spec.jp_hours:g} JP claimed" if spec.jp_hours is not None else ""
        click.echo(f"ok: {spec.slug}: {len(spec.modules)} modules, {lessons} lessons, {images} images{downloads}; "
                   f"content {spec.content_jp():g} JP at {spec.minutes_per_jp:g} minutes{claimed}")


@courses_cli.command("import")
@click.argument("path", type=click.Path(path_type=Path))
def import_command(path: Path) -> None:
    """Validate, then add or update courses in one transaction; a bad file imports nothing."""
    try:
        reports, problems = import_courses(path)
        failed = _print_problems(problems)
        if failed:
            db.session.rollback()
            click.echo("Nothing was imported.", err=True)
            sys.exit(1)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for report in reports:
        click.echo(f"{report.course_slug}: {len(report.added)} added, {len(report.changed)} changed, "
                   f"{len(report.removed)} removed, {report.unchanged} unchanged")
        for label, items in (("added", report.added), ("changed", report.changed), ("removed", report.removed)):
            for item in items:
                click.echo(f"  {label}: {item}")


@courses_cli.command("export")
@click.argument("slug")
@click.argument("out", type=click.Path(path_type=Path))
def export_command(slug: str, out: Path) -> None:
    """Write a course's files, as last imported or published, to OUT.zip (a folder named SLUG)."""
    from lms.authoring.tree import published_tree, zip_trees

    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        click.echo(f"No course with slug '{slug}'.", err=True)
        sys.exit(1)
    tree = published_tree(course.id)
    if not tree:
        click.echo(f"Course '{slug}' has no stored files yet: import its folder once with `courses import`.", err=True)
        sys.exit(1)
    out.write_bytes(zip_trees({slug: tree}))
    click.echo(f"{out}: {len(tree)} files")


@courses_cli.command("grant")
@click.argument("slug")
@click.argument("email")
@click.argument("role", type=click.Choice(["owner", "author", "organizer"]))
def grant_command(slug: str, email: str, role: str) -> None:
    """Give EMAIL a ROLE on course SLUG: owner or author (facilitators), organizer (organizers)."""
    from lms.accounts.models import User
    from lms.content.roles import CourseRoleError, grant_course_role

    course = db.session.scalar(select(Course).where(Course.slug == slug))
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if course is None or user is None:
        click.echo(f"No course with slug '{slug}'." if course is None else f"No account with email '{email}'.", err=True)
        sys.exit(1)
    try:
        grant_course_role(course, user, role, None)
    except CourseRoleError as exc:
        click.echo(f"{email}: {exc}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"{user.email} is now {role} of {course.slug}")
