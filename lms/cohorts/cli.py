"""`flask cohorts create|import-participants`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from lms.cohorts.models import Cohort
from lms.cohorts.operations import create_cohort, normalize_key
from lms.cohorts.participants import (MAX_FILE_BYTES, SheetFileError, apply_rows, check_rows, cohort_province,
                                      mark_enrolled, preview, preview_lines, read_table)
from lms.util.sheets import to_csv
from lms.util.timezones import ZONES
from lms.content.models import Course
from lms.extensions import db

cohorts_cli = AppGroup("cohorts", help="Manage cohorts (angkatan).")


@cohorts_cli.command("create")
@click.option("--course", "course_slug", required=True, help="Slug of the course.")
@click.option("--slug", required=True, help="Short id of the cohort, e.g. kalsel-2026-1.")
@click.option("--name", required=True, help="Name shown to trainees.")
@click.option("--key", default=None, help="Enrolment key (default: a random one).")
@click.option("--place", default=None)
@click.option("--starts", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--ends", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--signatory-name", default=None, help="Who signs the certificates, with degrees.")
@click.option("--signatory-title", default=None, help="The signatory's position.")
@click.option("--signatory-nip", default=None)
@click.option("--city", default=None, help="City of the signature line on certificates.")
@click.option("--timezone", "zone", default=None,
              type=click.Choice([*ZONES.values(), *ZONES], case_sensitive=False),
              help="WIB, WITA or WIT (default: from the province of --place, --city or --name).")
def create_command(course_slug, slug, name, key, place, starts, ends, signatory_name, signatory_title,
                   signatory_nip, city, zone) -> None:
    """Create a cohort and print its enrolment key."""
    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    if course is None:
        click.echo(f"error: no course with slug '{course_slug}'; import it first", err=True)
        sys.exit(1)
    if starts and ends and ends < starts:
        click.echo(f"error: --ends {ends.date().isoformat()} is before --starts {starts.date().isoformat()}", err=True)
        sys.exit(1)
    if db.session.scalar(select(Cohort).where(Cohort.slug == slug)) is not None:
        click.echo(f"error: a cohort with slug '{slug}' already exists", err=True)
        sys.exit(1)
    if key and db.session.scalar(select(Cohort).where(Cohort.enrolment_key == normalize_key(key))):
        click.echo("error: that enrolment key is already used by another cohort", err=True)
        sys.exit(1)
    cohort = create_cohort(course=course, slug=slug, name=name, key=key, place=place,
                           starts_on=starts.date() if starts else None,
                           ends_on=ends.date() if ends else None, signatory_name=signatory_name,
                           signatory_title=signatory_title, signatory_nip=signatory_nip, city=city,
                           timezone=_zone_name(zone))
    db.session.commit()
    click.echo(f"created cohort {cohort.slug} ({cohort.timezone}); enrolment key: {cohort.enrolment_key}")


@cohorts_cli.command("import-participants")
@click.argument("cohort_ref", metavar="COHORT")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show the preview and import nothing.")
@click.option("--sheet", "sheet_name", default=None, help="The sheet of a workbook to read (default: the first).")
@click.option("--links", "links_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the new accounts' set-password links to this CSV file (default: print them).")
def import_participants_command(cohort_ref: str, path: Path, dry_run: bool, sheet_name: str | None,
                                links_path: Path | None) -> None:
    """Check a participant sheet (CSV or XLSX) as the organizer's page does and import it.

    Prints the preview (header row taken, rows to add, enrol and skip, problems by row and
    column); exits with 1 when a row needs a decision, importing nothing. Otherwise, unless
    --dry-run, imports every row in one transaction.
    """
    cohort = db.session.scalar(select(Cohort).where(Cohort.slug == cohort_ref))
    if cohort is None and cohort_ref.isdigit():
        cohort = db.session.get(Cohort, int(cohort_ref))
    if cohort is None:
        click.echo(f"error: no cohort '{cohort_ref}' (give its short name, e.g. kalsel-2026-1)", err=True)
        sys.exit(2)
    with path.open("rb") as fh:
        data = fh.read(MAX_FILE_BYTES + 1)  # read_table refuses anything bigger
    try:
        table = read_table(path.name, data, sheet_name)
    except SheetFileError as exc:
        click.echo(f"{path}: {exc}", err=True)
        sys.exit(1)
    sheet = check_rows(table, near=cohort_province(cohort))
    preview(sheet)
    mark_enrolled(sheet, cohort)
    for line in preview_lines(sheet):
        click.echo(line)
    if sheet.file_problems or sheet.waiting:
        click.echo(f"{path}: {len(sheet.waiting)} row(s) need a decision; nothing imported", err=True)
        sys.exit(1)
    if dry_run:
        click.echo("dry run: nothing imported")
        return
    result = apply_rows(cohort, sheet.ready)
    db.session.commit()
    click.echo(f"imported into {cohort.slug}: {result.created} accounts created, {result.existing} existing "
               f"accounts (not changed), {result.enrolled} enrolled")
    if result.links:
        rows = [(link["name"], link["email"], _set_password_url(link["token"])) for link in result.links]
        if links_path is not None:
            links_path.write_bytes(to_csv(["Nama", "Email", "Tautan atur kata sandi"], rows))
            links_path.chmod(0o600)
            click.echo(f"set-password links of the {len(rows)} new accounts written to {links_path}")
        else:
            click.echo("set-password links (one-time, 14 days):")
            for name, email, url in rows:
                click.echo(f"  {name} <{email}>: {url}")


def _set_password_url(token: str) -> str:
    from flask import current_app, url_for

    base = current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000"
    with current_app.test_request_context(base_url=base.rstrip("/") + "/"):
        return url_for("invites.set_password", token=token, _external=True)


def _zone_name(value: str | None) -> str | None:
    """'WITA' or 'asia/makassar' -> 'Asia/Makassar'."""
    if not value:
        return None
    for zone, abbreviation in ZONES.items():
        if value.upper() in (abbreviation, zone.upper()):
            return zone
    return None
