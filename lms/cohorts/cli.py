"""`flask cohorts create|list`."""

from __future__ import annotations

import sys
from datetime import date

import click
from flask.cli import AppGroup
from sqlalchemy import select

from lms.cohorts.models import Cohort
from lms.cohorts.operations import new_enrolment_key, normalize_key
from lms.cohorts.timezones import default_zone
from lms.util.timezones import ZONES
from lms.content.models import Course
from lms.extensions import db

cohorts_cli = AppGroup("cohorts", help="Manage cohorts (angkatan).")


def create_cohort(*, course: Course, slug: str, name: str, key: str | None = None,
                  place: str | None = None, starts_on: date | None = None,
                  ends_on: date | None = None, timezone: str | None = None,
                  **certificate: str | None) -> Cohort:
    """A new open cohort of the course (flush only). certificate: signatory_name,
    signatory_title, signatory_nip, city, as printed on its certificates. Without a time zone,
    the zone of the province its place, city or name points to (else WIB)."""
    zone = timezone or default_zone(place, certificate.get("city"), name)
    cohort = Cohort(course_id=course.id, slug=slug, name=name,
                    enrolment_key=normalize_key(key) if key else new_enrolment_key(),
                    place=place, starts_on=starts_on, ends_on=ends_on, timezone=zone, **certificate)
    db.session.add(cohort)
    db.session.flush()
    return cohort


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


def _zone_name(value: str | None) -> str | None:
    """'WITA' or 'asia/makassar' -> 'Asia/Makassar'."""
    if not value:
        return None
    for zone, abbreviation in ZONES.items():
        if value.upper() in (abbreviation, zone.upper()):
            return zone
    return None
