"""Participants whose regency/city is not on Kemendagri's list (typed freely before the list, or
imported from a sheet that named no known place): the organizer picks the right one."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from lms.accounts.models import Role, User
from lms.accounts.regions import match_regency, regencies, regency_groups
from lms.cohorts.models import Cohort, Enrolment
from lms.extensions import db

PAGE_SIZE = 100


class RegencyError(Exception):
    """The regency cannot be set as asked; the message is shown to the organizer."""


def _unlisted(cohort: Cohort):
    return (select(User).join(Enrolment, Enrolment.user_id == User.id)
            .where(Enrolment.cohort_id == cohort.id, User.role == Role.TRAINEE.value, User.regency_code.is_(None)))


def count_unlisted(cohort: Cohort) -> int:
    """Trainees of the cohort whose regency/city has no Kemendagri code."""
    return db.session.scalar(select(func.count()).select_from(_unlisted(cohort).subquery())) or 0


def unlisted_participants(cohort: Cohort, limit: int = PAGE_SIZE) -> list[User]:
    """The first `limit` of them, by name."""
    return list(db.session.scalars(_unlisted(cohort).order_by(User.full_name, User.id).limit(limit)))


def choices_for(user: User, near: str | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """The options to pick from, as (group label, [(code, name)]): near misses of what was typed
    first, then the regencies of the participant's province (else the cohort's), else all."""
    typed = (user.regency or "")[:200]
    found = match_regency(typed, user.province or None, near) if typed else None
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    if found is not None and found.suggestion_codes:
        groups.append((_("Suggested"), [(code, regencies()[code][0]) for code in found.suggestion_codes]))
    province = user.province or near
    for code, label, items in regency_groups():
        if province is None or code == province:
            groups.append((label, list(items)))
    return groups


def set_participant_regency(cohort: Cohort, user_id: int, code: str) -> User:
    """Give a trainee of the cohort a regency/city of the list (flush only): its code, official
    name and province."""
    if code not in regencies():
        raise RegencyError(_("Choose a regency or city from the list."))
    user = db.session.scalar(select(User).join(Enrolment, Enrolment.user_id == User.id)
                             .where(Enrolment.cohort_id == cohort.id, User.id == user_id))
    if user is None:
        raise RegencyError(_("This person is not a participant of the cohort."))
    user.regency, user.province = regencies()[code]
    user.regency_code = code
    db.session.flush()
    return user
