"""`flask demo seed`: demo accounts and a demo cohort on a new database."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from lms.accounts.models import Role, User
from lms.accounts.operations import create_user
from lms.cohorts.cli import create_cohort
from lms.cohorts.models import Cohort
from lms.cohorts.operations import enrol
from lms.content.models import Course
from lms.extensions import db

demo_cli = AppGroup("demo", help="Demo data for trying the platform locally.")

DEMO_PASSWORD = "bimtek-demo-2026"
DEMO_KEY = "KALSEL2026"
DEMO_ACCOUNTS = [
    (Role.ADMIN, "admin@demo.bimtek.id", "Admin Demo", None),
    (Role.ORGANIZER, "penyelenggara@demo.bimtek.id", "Rina Penyelenggara", "Perpustakaan Nasional RI"),
    (Role.FACILITATOR, "fasilitator@demo.bimtek.id", "Budi Fasilitator, S.IP.", "Dispersip Kalimantan Selatan"),
    (Role.TRAINEE, "peserta@demo.bimtek.id", "Siti Rahmah", "Perpustakaan Desa Sungai Namang"),
]


@demo_cli.command("seed")
def seed_command() -> None:
    """Create demo accounts (one per role) and a demo cohort, only on a database without users."""
    if db.session.scalar(select(func.count(User.id))):
        click.echo("Users exist already: demo data not added (existing data kept).")
        return
    users = {}
    for role, email, name, institution in DEMO_ACCOUNTS:
        users[role] = create_user(email=email, full_name=name, password=DEMO_PASSWORD, role=role,
                                  institution=institution, position="Pengelola perpustakaan"
                                  if role is Role.TRAINEE else None,
                                  regency="Hulu Sungai Utara" if role is Role.TRAINEE else None,
                                  province="63" if role is Role.TRAINEE else None)
    course = db.session.scalar(select(Course).order_by(Course.id).limit(1))
    if course is not None and db.session.scalar(select(func.count(Cohort.id))) == 0:
        cohort = create_cohort(course=course, slug="demo-kalsel-2026", name="Angkatan Demo Kalimantan Selatan 2026",
                               key=DEMO_KEY, place="Banjarmasin", starts_on=date(2026, 12, 1),
                               ends_on=date(2026, 12, 4))
        enrol(users[Role.TRAINEE], cohort)
        click.echo(f"Demo cohort '{cohort.name}', enrolment key {cohort.enrolment_key}")
    db.session.commit()
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for role, email, _, _ in DEMO_ACCOUNTS:
        click.echo(f"  {role.value:<12} {email}")
