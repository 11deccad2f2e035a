"""The pages of background jobs: progress (the page refreshes itself until the job is done) and
the download of its result. A job is seen by whoever runs every cohort it is about."""

from __future__ import annotations

import mimetypes

from flask import Blueprint, Response, abort, render_template
from flask_login import current_user, login_required

from lms.auth import require
from lms.cohorts.models import Cohort
from lms.extensions import db
from lms.jobs import Job, check_runner
from lms.util.downloads import attachment

bp = Blueprint("jobs", __name__, url_prefix="/organizer/jobs")


def _my_job(job_id: int) -> Job:
    """A job of a cohort the current user runs."""
    job = check_runner(db.get_or_404(Job, job_id))
    ids = job.params.get("cohort_ids") or [job.params.get("cohort_id", 0)]
    cohorts = [db.session.get(Cohort, i) for i in ids]
    if not cohorts or None in cohorts:
        abort(404)
    for cohort in cohorts:  # a course-wide export: every cohort in it is one I run
        require(current_user, "manage_cohort", cohort)
    return job


@bp.get("/<int:job_id>")
@login_required
def progress(job_id: int) -> str:
    """Progress of a background job; the page refreshes itself until it is done."""
    job = _my_job(job_id)
    return render_template("jobs/job.html", job=job)


@bp.get("/<int:job_id>/download")
@login_required
def download(job_id: int) -> Response:
    """The job's result (a ZIP of certificates, a report export)."""
    job = _my_job(job_id)
    if job.status != "done" or job.result is None:
        abort(404)
    kind = mimetypes.guess_type(job.result_name or "")[0] or "application/octet-stream"
    return attachment(job.result, job.result_name, kind)
