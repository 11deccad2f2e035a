"""Issuing certificates to a cohort and building the ZIP of its certificates (views, the CLI and
jobs call these). Functions flush; callers commit (zip_later commits: it starts a job)."""

from __future__ import annotations

from sqlalchemy import select

from lms.accounts.models import User
from lms.certificates import documents, rules
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort, Enrolment
from lms.content.models import Course
from lms.extensions import db
from lms.jobs import Job, launch

ZIP_KIND = "certificates_zip"


def issue_for_cohort(cohort: Cohort) -> int:
    """Issue a certificate to every eligible trainee of the cohort who has none; returns how many."""
    course = db.session.get(Course, cohort.course_id)
    count = 0
    for user in db.session.scalars(select(User).join(Enrolment, Enrolment.user_id == User.id)
                                   .where(Enrolment.cohort_id == cohort.id)):
        eligible, _ = rules.eligibility(user, course)
        if eligible:
            _, new = rules.issue_certificate(user, cohort)
            count += new
    return count


def zip_later(cohort: Cohort, user: User) -> Job:
    """Start the job that builds the ZIP of the cohort's valid certificates (build_cohort_zip);
    commits (lms.jobs.launch)."""
    return launch(ZIP_KIND, {"cohort_id": cohort.id}, user.id)


def build_cohort_zip(job: Job, progress) -> tuple[bytes, str]:
    """Job handler: one PDF per valid certificate of the cohort."""
    cohort = db.session.get(Cohort, job.params["cohort_id"])
    certificates = list(db.session.scalars(select(Certificate).where(
        Certificate.cohort_id == cohort.id, Certificate.status == "valid").order_by(Certificate.number)))
    progress(0, len(certificates))
    data = documents.zip_certificates(certificates, progress)
    return data, f"sertifikat-{cohort.slug}.zip"
