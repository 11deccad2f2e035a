"""Organizer pages for cohorts."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from lms.accounts.models import Role
from lms.auth import role_required
from lms.cohorts.models import Cohort, Enrolment
from lms.content.models import Course
from lms.extensions import db

bp = Blueprint("cohorts", __name__, url_prefix="/organizer")


@bp.get("/cohorts")
@role_required(Role.ORGANIZER, Role.ADMIN)
def index() -> str:
    """Every cohort with its course, dates, enrolment key and number of participants."""
    counts = (
        select(Enrolment.cohort_id, func.count(Enrolment.id).label("participants"))
        .group_by(Enrolment.cohort_id).subquery()
    )
    rows = db.session.execute(
        select(Cohort, Course, func.coalesce(counts.c.participants, 0))
        .join(Course, Course.id == Cohort.course_id)
        .outerjoin(counts, counts.c.cohort_id == Cohort.id)
        .order_by(Cohort.starts_on.desc(), Cohort.name)
    ).all()
    return render_template("cohorts/index.html", rows=rows)
