"""`flask courses validate|import PATH`."""

from __future__ import annotations

import sys
from urllib.parse import quote
from pathlib import Path

import click
from flask.cli import AppGroup

from lms.content.loader import CourseSpec, Problem, load_course
from lms.content.sync import SyncReport, sync_course
from lms.extensions import db

courses_cli = AppGroup("courses", help="Validate and import course folders.")


def course_folders(path: Path) -> list[Path]:
    """PATH itself if it holds course.yml, else each subfolder that does."""
    if (path / "course.yml").is_file() or not path.is_dir():
        return [path]
    found = sorted(p.parent for p in path.glob("*/course.yml"))
    return found or [path]


def load_all(path: Path) -> tuple[list[CourseSpec], list[Problem]]:
    """Load every course under PATH; problems carry the course folder in their file name."""
    specs: list[CourseSpec] = []
    problems: list[Problem] = []
    slugs: dict[str, Path] = {}
    for folder in course_folders(path):
        spec, found = load_course(folder)
        prefix = folder.as_posix().rstrip("/") + "/"
        for problem in found:
            file = problem.file if problem.file.startswith(prefix) else prefix + problem.file
            problems.append(Problem(file, problem.line, problem.message, problem.severity))
        if spec is not None:
            if spec.slug in slugs:
                problems.append(Problem(prefix + "course.yml", None,
                                        f"course slug '{spec.slug}' is also used by {slugs[spec.slug]}"))
            slugs[spec.slug] = folder
            specs.append(spec)
    return specs, problems


def _print_problems(problems: list[Problem]) -> bool:
    for problem in problems:
        click.echo(str(problem), err=True)
    errors = sum(p.severity == "error" for p in problems)
    return errors > 0


def asset_url(course_slug: str, path: str) -> str:
    """Image URL relative to the lesson page (/courses/<slug>/lessons/<lesson>), so that
    stored HTML works under any URL prefix; it points at content.asset."""
    return "../assets/" + quote(path)


def import_courses(path: Path) -> tuple[list[SyncReport], list[Problem]]:
    """Validate everything under PATH; if clean, upsert it all (flush only, caller commits)."""
    from lms.quizzes.sync import SyncError

    specs, problems = load_all(path)
    if any(p.severity == "error" for p in problems):
        return [], problems
    reports = []
    for spec in specs:
        try:
            reports.append(sync_course(spec, asset_url))
        except SyncError as exc:
            prefix = spec.root.as_posix().rstrip("/") + "/"
            return [], [*problems, Problem(prefix + exc.file, exc.line, exc.message)]
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
        click.echo(f"ok: {spec.slug}: {len(spec.modules)} modules, {lessons} lessons, {len(spec.assets)} images")


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
