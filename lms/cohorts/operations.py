"""Enrolment: joining a cohort with its key. Functions flush; callers commit."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.models import User
from lms.cohorts.models import Cohort, Enrolment
from lms.extensions import db
from lms.util.codes import random_code


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
