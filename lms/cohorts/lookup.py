"""Loading a cohort for the current user, for the views of every package that serve its staff
(cohorts, reports, certificates): found or 404, then the rule of lms.auth."""

from __future__ import annotations

from flask_login import current_user

from lms.auth import cohorts_for, require
from lms.cohorts.models import Cohort
from lms.extensions import db


def visible_cohorts():
    """Cohorts the current user runs (all of them for an admin): the rule of lms.auth."""
    return cohorts_for(current_user, "manage_cohort")


def managed_cohort(cohort_id: int) -> Cohort:
    """The cohort, if the current user runs it (404 when there is none, 403 when not hers)."""
    cohort = db.get_or_404(Cohort, cohort_id)
    require(current_user, "manage_cohort", cohort)
    return cohort
