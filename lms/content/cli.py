"""`flask courses validate|import|export|grant`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from lms.accounts.models import User
from lms.content.files import published_tree, zip_trees
from lms.content.importing import import_courses, load_all
from lms.content.models import Course
from lms.content.problems import Problem
from lms.content.roles import CourseRoleError, grant_course_role
from lms.extensions import db

courses_cli = AppGroup("courses", help="Validate and import course folders.")


def _print_problems(problems: list[Problem]) -> bool:
    for problem in problems:
        click.echo(str(problem), err=True)
    errors = sum(p.severity == "error" for p in problems)
    return errors > 0


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
