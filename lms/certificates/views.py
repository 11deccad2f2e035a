"""Certificate downloads, public verification, Open Badges 2.0, and organizers' management."""

from __future__ import annotations

import hashlib
from datetime import date

from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template,
                   request, url_for)
from flask_babel import get_locale, gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.accounts.models import Role, User
from lms.auth import require
from lms.certificates import documents, rules
from lms.certificates.models import Certificate
from lms.certificates.pdf import date_range
from lms.cohorts.models import Cohort, Enrolment
from lms.content.models import Course
from lms.extensions import db, limiter
from lms.certificates.operations import ZIP_KIND, issue_for_cohort, zip_later
from lms.cohorts.lookup import managed_cohort
from lms.jobs import Job
from lms.util.db import begin_write
from lms.cohorts.timezones import cohort_timezone
from lms.util.formatting import format_local_date
from lms.util.downloads import attachment

bp = Blueprint("certificates", __name__)

OB_CONTEXT = "https://w3id.org/openbadges/v2"


def _by_code(code: str) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.code == rules.normalize_code(code)))


def _miss(response: Response) -> bool:
    return response.status_code == 404


# --- public ---------------------------------------------------------------------------------

@bp.get("/verify")
def verify_form() -> Response | str:
    """Type a code from a paper certificate."""
    code = request.args.get("code", "")
    if code:
        return redirect(url_for("certificates.verify", code=rules.normalize_code(code) or "-"))
    return render_template("certificates/verify_form.html")


@bp.get("/verify/<code>")
@limiter.limit(lambda: current_app.config["VERIFY_RATE_LIMIT"])
@limiter.limit(lambda: current_app.config["VERIFY_MISS_RATE_LIMIT"], deduct_when=_miss)
def verify(code: str) -> str | tuple[str, int]:
    """Anyone can check a certificate: holder, training, dates, JP and status; nothing more."""
    certificate = _by_code(code)
    if certificate is None:
        return render_template("certificates/verify_unknown.html"), 404
    replacement = db.session.get(Certificate, certificate.replaced_by_id) if certificate.replaced_by_id else None
    snapshot = certificate.snapshot
    starts = date.fromisoformat(snapshot["starts_on"]) if snapshot.get("starts_on") else None
    ends = date.fromisoformat(snapshot["ends_on"]) if snapshot.get("ends_on") else None
    locale = str(get_locale())  # the page's language: English dates on the English page
    return render_template("certificates/verify.html", certificate=certificate, snapshot=snapshot,
                           replacement=replacement, dates=date_range(starts, ends, locale),
                           issued=format_local_date(date.fromisoformat(snapshot["issued_on"]), "long"),
                           zone=cohort_timezone(certificate.cohort_id))


def _course_for(certificate: Certificate) -> Course:
    return db.session.get(Course, certificate.course_id)


@bp.get("/badges/issuer")
def badge_issuer() -> Response:
    """Open Badges 2.0 Issuer profile."""
    return jsonify({
        "@context": OB_CONTEXT, "type": "Issuer", "id": documents.public_url("certificates.badge_issuer"),
        "name": current_app.config["CERT_ISSUER"], "url": documents.public_url("core.index"),
    })


@bp.get("/badges/classes/<course_slug>")
def badge_class(course_slug: str) -> Response:
    """Open Badges 2.0 BadgeClass for a course."""
    course = db.one_or_404(select(Course).where(Course.slug == course_slug))
    jp = f" ({course.jp_hours:g} JP)" if course.jp_hours else ""
    return jsonify({
        "@context": OB_CONTEXT, "type": "BadgeClass",
        "id": documents.public_url("certificates.badge_class", course_slug=course.slug),
        "name": f"Bimtek {course.title}{jp}",
        "description": course.description or course.title,
        "image": documents.public_url("static", filename="img/badge.svg"),
        "criteria": {"narrative": "Menyelesaikan semua materi wajib dan lulus kuis wajib kursus "
                                  f"{course.title}."},
        "issuer": documents.public_url("certificates.badge_issuer"),
    })


@bp.get("/badges/assertions/<code>")
@limiter.limit(lambda: current_app.config["VERIFY_MISS_RATE_LIMIT"], deduct_when=_miss)
def badge_assertion(code: str) -> Response | tuple[Response, int]:
    """Open Badges 2.0 hosted Assertion; the recipient is a salted hash of the email."""
    certificate = _by_code(code)
    if certificate is None:
        return jsonify({"error": "not found"}), 404
    assertion_id = documents.public_url("certificates.badge_assertion", code=certificate.code)
    if certificate.status != "valid":
        reason = certificate.revoked_reason if certificate.status == "revoked" else "Diganti dengan sertifikat baru"
        return jsonify({"@context": OB_CONTEXT, "id": assertion_id, "type": "Assertion",
                        "revoked": True, "revocationReason": reason}), 410
    user = db.session.get(User, certificate.user_id)
    identity = "sha256$" + hashlib.sha256((user.email.lower() + certificate.badge_salt).encode()).hexdigest()
    return jsonify({
        "@context": OB_CONTEXT, "type": "Assertion", "id": assertion_id,
        "recipient": {"type": "email", "hashed": True, "salt": certificate.badge_salt, "identity": identity},
        "badge": documents.public_url("certificates.badge_class", course_slug=_course_for(certificate).slug),
        "verification": {"type": "HostedBadge"},
        "issuedOn": certificate.issued_at.isoformat(),
        "evidence": documents.public_url("certificates.verify", code=certificate.code),
    })


# --- trainees -------------------------------------------------------------------------------

@bp.get("/certificates/<code>.pdf")
@login_required
def download(code: str) -> Response | tuple[str, int]:
    """My certificate as PDF (organizers may download any); revoked or replaced ones stop."""
    certificate = _by_code(code)
    if certificate is None or not current_user.is_authenticated:
        abort(404)
    require(current_user, "download_certificate", certificate)
    if certificate.status != "valid":
        return render_template("certificates/gone.html", certificate=certificate), 410
    if certificate.user_id == current_user.id and rules.download_waits_for(certificate) is not None:
        return render_template("certificates/survey_first.html", certificate=certificate), 403
    return attachment(documents.certificate_pdf(certificate), documents.file_name(certificate), "application/pdf",
                      cache_control="private, no-store")


# --- organizers -----------------------------------------------------------------------------

@bp.get("/organizer/cohorts/<int:cohort_id>/certificates")
@login_required
def cohort_certificates(cohort_id: int) -> str:
    """A cohort's certificates, with revoke and reissue, and the trainees still without one."""
    cohort = managed_cohort(cohort_id)
    certificates = db.session.execute(
        select(Certificate, User).join(User, User.id == Certificate.user_id)
        .where(Certificate.cohort_id == cohort.id).order_by(User.full_name, Certificate.issued_at)).all()
    certified = {c.user_id for c, _ in certificates if c.status != "replaced"}
    without = db.session.scalars(select(User).join(Enrolment, Enrolment.user_id == User.id)
                                 .where(Enrolment.cohort_id == cohort.id, User.role == Role.TRAINEE.value)
                                 .order_by(User.full_name)).all()
    jobs = db.session.scalars(select(Job).where(Job.kind == ZIP_KIND).order_by(Job.id.desc()).limit(5))
    return render_template("certificates/cohort.html", cohort=cohort, certificates=certificates,
                           without=[u for u in without if u.id not in certified],
                           jobs=[j for j in jobs if j.params.get("cohort_id") == cohort.id])


@bp.post("/organizer/cohorts/<int:cohort_id>/certificates/issue")
@login_required
def issue_cohort(cohort_id: int) -> Response:
    """Issue certificates to every eligible trainee of the cohort who has none."""
    cohort = managed_cohort(cohort_id)
    begin_write()
    cohort = db.session.get(Cohort, cohort_id)
    issued = issue_for_cohort(cohort)
    db.session.commit()
    flash(_("%(count)s certificates issued.", count=issued), "success")
    return redirect(url_for("certificates.cohort_certificates", cohort_id=cohort.id))


@bp.post("/organizer/certificates/<int:certificate_id>/revoke")
@login_required
def revoke(certificate_id: int) -> Response:
    """Revoke with a reason; the verification page then says so, and the PDF stops."""
    certificate = db.get_or_404(Certificate, certificate_id)
    require(current_user, "manage_certificates", certificate)
    try:
        rules.revoke(certificate, request.form.get("reason", "")[:500])
    except rules.CertificateError:
        db.session.rollback()
        flash(_("Give a reason to revoke a valid certificate."), "error")
    else:
        db.session.commit()
        flash(_("Certificate %(number)s revoked.", number=certificate.number), "success")
    return redirect(url_for("certificates.cohort_certificates", cohort_id=certificate.cohort_id))


@bp.post("/organizer/certificates/<int:certificate_id>/reissue")
@login_required
def reissue(certificate_id: int) -> Response:
    """Reissue with the trainee's current profile (after a name correction)."""
    certificate = db.get_or_404(Certificate, certificate_id)
    require(current_user, "manage_certificates", certificate)
    begin_write()
    certificate = db.get_or_404(Certificate, certificate_id)
    try:
        new = rules.reissue(certificate)
    except rules.CertificateError:
        db.session.rollback()
        flash(_("This certificate has already been replaced."), "error")
    else:
        db.session.commit()
        flash(_("Certificate %(number)s reissued.", number=new.number), "success")
    return redirect(url_for("certificates.cohort_certificates", cohort_id=certificate.cohort_id))


@bp.post("/organizer/cohorts/<int:cohort_id>/certificates/zip")
@login_required
def start_zip(cohort_id: int) -> Response:
    """Build a ZIP of the cohort's valid certificates in the background."""
    cohort = managed_cohort(cohort_id)
    job = zip_later(cohort, current_user)
    return redirect(url_for("jobs.progress", job_id=job.id))
