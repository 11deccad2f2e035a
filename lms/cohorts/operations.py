"""Creating and changing cohorts, who runs them, and enrolment: joining a cohort with its key (the
view, the CLI and the demo data build cohorts through create_cohort). Functions flush; callers
commit."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.models import User
from lms.cohorts.models import Cohort, CohortStaff, Enrolment
from lms.cohorts.timezones import default_zone
from lms.content.models import Course
from lms.extensions import db
from lms.util.codes import random_code

# What an organizer sets on a cohort besides its course, key and zone (the certificate's
# signatory and city among them).
SETTINGS = ("name", "place", "starts_on", "ends_on", "is_open", "signatory_name", "signatory_title",
            "signatory_nip", "city", "follow_up_months")


class EnrolmentError(Exception):
    """A key that opens no cohort, or a closed cohort; the message is shown to the user."""


def normalize_key(key: str) -> str:
    return "".join(key.split()).upper()


def new_enrolment_key() -> str:
    """A key that is easy to read out and type on a phone: 10 characters, no 0/O/1/I."""
    return random_code(10)


def cohort_for_key(key: str) -> Cohort:
    """The open cohort this enrolment key belongs to, or EnrolmentError."""
    normalized = normalize_key(key or "")
    cohort = db.session.scalar(select(Cohort).where(Cohort.enrolment_key == normalized)) if normalized else None
    if cohort is None:
        raise EnrolmentError(_l("This enrolment key is not valid. Check it with your organizer."))
    if not cohort.is_open:
        raise EnrolmentError(_l("This cohort is closed for registration."))
    return cohort


def enrol(user: User, cohort: Cohort) -> Enrolment:
    """Enrol the user in the cohort; enrolling twice returns the existing enrolment."""
    existing = db.session.scalar(
        select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.cohort_id == cohort.id)
    )
    if existing is not None:
        return existing
    enrolment = Enrolment(user_id=user.id, cohort_id=cohort.id)
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


def key_in_use(key: str, cohort: Cohort | None = None) -> bool:
    """True when another cohort than this one already uses the (normalized) enrolment key."""
    other = cohort.id if cohort is not None and cohort.id else 0
    return db.session.scalar(select(Cohort.id).where(Cohort.enrolment_key == key, Cohort.id != other)) is not None


def create_cohort(*, course: Course, slug: str, name: str, key: str | None = None,
                  place: str | None = None, starts_on: date | None = None,
                  ends_on: date | None = None, timezone: str | None = None,
                  created_by: User | None = None, **settings) -> Cohort:
    """A new cohort of the course, open unless is_open=False (flush only). settings: the rest of
    SETTINGS (signatory_name, signatory_title, signatory_nip, city as printed on its
    certificates; follow_up_months). Without a key, a random one; without a time zone, the zone
    of the province its place, city or name points to (else WIB). Its creator, if given, runs it."""
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise TypeError(f"unknown cohort settings: {sorted(unknown)}")
    if starts_on and ends_on and ends_on < starts_on:
        raise ValueError(f"the end date {ends_on.isoformat()} is before the start date {starts_on.isoformat()}")
    zone = timezone or default_zone(place, settings.get("city"), name)
    cohort = Cohort(course_id=course.id, slug=slug, name=name,
                    enrolment_key=normalize_key(key) if key else new_enrolment_key(),
                    place=place, starts_on=starts_on, ends_on=ends_on, timezone=zone,
                    created_by_id=created_by.id if created_by is not None else None, **settings)
    db.session.add(cohort)
    db.session.flush()
    if created_by is not None:
        db.session.add(CohortStaff(cohort_id=cohort.id, user_id=created_by.id, role=created_by.role))
        db.session.flush()
    return cohort


def update_cohort(cohort: Cohort, *, course: Course, key: str | None, timezone: str | None, **settings) -> None:
    """Change the cohort's settings (SETTINGS), course, key (kept when None) and zone (from its
    place, city or name when None); flush only."""
    for name, value in settings.items():
        if name not in SETTINGS:
            raise TypeError(f"unknown cohort setting: {name}")
        setattr(cohort, name, value)
    cohort.enrolment_key = normalize_key(key) if key else cohort.enrolment_key or new_enrolment_key()
    cohort.course_id = course.id
    cohort.timezone = timezone or default_zone(cohort.place, cohort.city, cohort.name)
    db.session.flush()


def add_staff(cohort: Cohort, user: User) -> bool:
    """Let a facilitator or organizer work on the cohort, in her role; False when she does already."""
    if db.session.scalar(select(CohortStaff.id).where(CohortStaff.cohort_id == cohort.id,
                                                       CohortStaff.user_id == user.id)):
        return False
    db.session.add(CohortStaff(cohort_id=cohort.id, user_id=user.id, role=user.role))
    db.session.flush()
    return True


def remove_staff(member: CohortStaff) -> None:
    """She no longer works on the cohort (her records and the cohort's are kept)."""
    db.session.delete(member)
    db.session.flush()
