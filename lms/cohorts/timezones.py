"""A cohort's time zone when the organizer leaves it to us (from the province its place is in),
and the zone of a page (the cohort it is about), which lms.util.formatting asks for through the
app (register)."""

from __future__ import annotations

import re
from typing import Any

from flask_login import current_user
from sqlalchemy import select

from lms.accounts.regions import match_regency, provinces, simplify
from lms.cohorts.models import Cohort, CohortStaff, Enrolment
from lms.content.models import Course
from lms.extensions import db
from lms.util.formatting import page_timezone
from lms.util.timezones import WIB, zone_for_province


def province_of(*texts: str | None) -> str | None:
    """The province a cohort's place, city or name points to ("Banjarmasin" -> "63",
    "Bimtek Kalimantan Selatan 2026" -> "63"), or None when nothing matches."""
    for text in texts:
        wanted = f" {simplify(text or '')} "
        if not wanted.strip():
            continue
        for code, name in provinces().items():  # a province named anywhere in the text
            if f" {simplify(name)} " in wanted:
                return code
        for part in re.split(r"[,;/()]", text or ""):  # "Aula Dinas, Banjarmasin" -> each part
            found = match_regency(part)
            if found.code:
                return found.province_code
    return None


def default_zone(*texts: str | None, fallback: str = WIB) -> str:
    """The IANA zone for a cohort from its place, city and name; the fallback if none is known."""
    province = province_of(*texts)
    return zone_for_province(province, fallback) if province else fallback


def request_zone(view_args: dict[str, Any]) -> str | None:
    """The zone of the page's cohort: the one the URL names, else the user's cohort of the course
    the URL names, else the user's latest cohort (as a trainee, then as staff); None if none."""
    if isinstance(view_args.get("cohort_id"), int):
        cohort = db.session.get(Cohort, view_args["cohort_id"])  # the view loaded it: no query
        if cohort is not None:
            return cohort.timezone
    if not (current_user and current_user.is_authenticated):
        return None
    mine = (select(Cohort.timezone).join(Enrolment, Enrolment.cohort_id == Cohort.id)
            .where(Enrolment.user_id == current_user.id))
    if view_args.get("course_slug"):
        zone = db.session.scalar(mine.join(Course, Course.id == Cohort.course_id)
                                 .where(Course.slug == view_args["course_slug"])
                                 .order_by(Enrolment.enrolled_at.desc()).limit(1))
        if zone:
            return zone
    zone = db.session.scalar(mine.order_by(Enrolment.enrolled_at.desc()).limit(1))
    if zone:
        return zone
    return db.session.scalar(select(Cohort.timezone).join(CohortStaff, CohortStaff.cohort_id == Cohort.id)
                             .where(CohortStaff.user_id == current_user.id).order_by(Cohort.id.desc()).limit(1))


def cohort_timezone(cohort_id: int | None) -> str:
    """The zone of a cohort by id (the page's zone when unknown); for rows of several cohorts."""
    cohort = db.session.get(Cohort, cohort_id) if cohort_id else None
    return cohort.timezone if cohort is not None else page_timezone()


def register(app) -> None:
    """Pages show times in their cohort's zone (lms.util.formatting.page_timezone asks
    request_zone); templates get cohort_timezone for rows of several cohorts."""
    app.extensions["lms.request_zone"] = request_zone
    app.jinja_env.globals["cohort_timezone"] = cohort_timezone
