"""Who gets a certificate, its gapless number, and the data frozen on it. Functions flush;
callers commit."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.accounts.regions import PROVINCES, regency_name
from lms.certificates.models import Certificate, CertificateCounter
from lms.cohorts.models import Cohort, Enrolment
from lms.content.models import Course
from lms.extensions import db
from lms.learning.progress import lesson_counts, quiz_counts
from lms.plans.rules import approved_plan_exists, plan_required
from lms.quizzes.counting import counted_attempt_of
from lms.quizzes.models import Quiz
from lms.surveys.queries import certificate_waits_for_survey
from lms.util import utcnow
from lms.util.codes import random_code
from lms.util.formatting import to_zone


class CertificateError(Exception):
    """An action the certificate does not allow (revoking twice, ...)."""


def settings(course: Course) -> dict[str, Any]:
    return json.loads(course.certificate_json or "{}")


def new_code() -> str:
    """16 random characters from 32 = 80 bits, shown in groups of four; not derived from ids."""
    return random_code(16)


def format_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalize_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def eligibility(user: User, course: Course, first_only: bool = False) -> tuple[bool, list[str]]:
    """Whether the trainee meets the course's rules, and what is still missing (first_only: stop
    at the first thing missing, for callers that only ask whether)."""
    rules = settings(course)
    if not rules.get("enabled", True):
        return False, ["certificates are not issued for this course"]
    missing = []
    lessons = lesson_counts(user, [course.id])[course.id]
    if first_only and lessons.done < lessons.total:  # the quizzes need not be read
        return False, [f"{lessons.total - lessons.done} required lesson(s) not done"]
    quizzes = quiz_counts(user, [course.id])[course.id]
    if lessons.total + quizzes.total == 0:
        return False, ["the course has nothing required yet"]
    if lessons.done < lessons.total:
        missing.append(f"{lessons.total - lessons.done} required lesson(s) not done")
    if quizzes.done < quizzes.total:
        missing.append(f"{quizzes.total - quizzes.done} required quiz(zes) not passed")
        if first_only:
            return False, missing

    if plan_required(course) and not approved_plan_exists(user.id, course.id):
        missing.append("action plan not approved yet")
        if first_only:
            return False, missing
    minimum = rules.get("min_posttest")
    if minimum is not None:
        score = posttest_score(user, course)
        if score is None or score < minimum:
            missing.append(f"post-test score below {minimum:g}")
    return not missing, missing


def download_waits_for(certificate: Certificate):
    """The survey the holder must answer before she downloads the certificate (the course says
    `survey: {required_for_certificate: true}`), else None. Staff downloads never wait."""
    return certificate_waits_for_survey(certificate.user_id, certificate.cohort_id)


def posttest_score(user: User, course: Course) -> float | None:
    """The percent of the trainee's post-test attempt that counts (None: no post-test, or none graded)."""
    posttest = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.kind == "posttest",
                                                    Quiz.archived_at.is_(None)))
    result = counted_attempt_of(user.id, posttest)
    return (result.percent or 0.0) if result else None


def _insert(table):
    return pg_insert(table) if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert(table)


def next_sequence(series: str) -> int:
    """The next number of a series, gapless: the counter row is updated in the caller's
    transaction (a rollback returns the number), and its row lock orders concurrent issuers."""
    db.session.execute(_insert(CertificateCounter).values(series=series, last=0)
                       .on_conflict_do_nothing(index_elements=["series"]))
    return db.session.execute(
        update(CertificateCounter).where(CertificateCounter.series == series)
        .values(last=CertificateCounter.last + 1).returning(CertificateCounter.last)
    ).scalar_one()


def make_number(course: Course, cohort: Cohort, when: datetime) -> str:
    pattern = settings(course).get("number_pattern") or "{seq:04d}/BIMTEK/{year}"
    values = {"year": when.year, "month": when.month, "course": course.slug, "cohort": cohort.slug}
    series = _series(pattern, values)
    return pattern.format(seq=next_sequence(series), **values)


def _series(pattern: str, values: dict) -> str:
    """The pattern with everything but {seq} filled in: numbers share a counter per series."""
    import re

    return re.sub(r"\{seq(:[^}]*)?\}", "#", pattern).format(**values)


def make_snapshot(user: User, cohort: Cohort, course: Course, number: str, code: str,
                  issued: datetime) -> dict[str, Any]:
    """Everything the certificate prints, frozen at issuance."""
    rules = settings(course)
    score = posttest_score(user, course) if rules.get("show_score") else None
    # The official name of the regency/city from its code ("Kabupaten Hulu Sungai Utara", not what
    # was typed); a place that is not on the list yet prints as written.
    regency = (regency_name(user.regency_code) if user.regency_code else None) or user.regency or ""
    province = PROVINCES.get(user.province or "", "") or (
        PROVINCES.get(user.regency_code[:2], "") if user.regency_code else "")
    return {
        "number": number, "code": format_code(code), "name": user.full_name, "nip": user.nip or "",
        "institution": user.institution or "",
        "regency": ", ".join(part for part in (regency, province) if part),
        "course_title": rules.get("title") or f"Bimbingan Teknis {course.title}",
        "cohort_name": cohort.name, "place": cohort.place or "",
        "starts_on": cohort.starts_on.isoformat() if cohort.starts_on else None,
        "ends_on": cohort.ends_on.isoformat() if cohort.ends_on else None,
        "jp_hours": float(course.jp_hours) if course.jp_hours is not None else None,
        "score": round(score, 1) if score is not None else None,
        "issued_on": to_zone(issued, cohort.timezone).date().isoformat(),  # the date in the cohort's zone
        "signatory_name": cohort.signatory_name or "", "signatory_title": cohort.signatory_title or "",
        "signatory_nip": cohort.signatory_nip or "", "city": cohort.city or "",
    }


def current_certificate(user_id: int, cohort_id: int) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(
        Certificate.user_id == user_id, Certificate.cohort_id == cohort_id, Certificate.status != "replaced"))


def issue_certificate(user: User, cohort: Cohort) -> tuple[Certificate, bool]:
    """The trainee's certificate for the cohort, issued now if she has none (idempotent).
    Returns (certificate, newly issued). Eligibility is the caller's question."""
    existing = current_certificate(user.id, cohort.id)
    if existing is not None:
        return existing, False
    course = db.session.get(Course, cohort.course_id)
    now = utcnow()
    try:
        with db.session.begin_nested():
            number = make_number(course, cohort, to_zone(now, cohort.timezone))  # year/month as the cohort's calendar says
            code = new_code()
            certificate = Certificate(
                code=code, number=number, user_id=user.id, cohort_id=cohort.id, course_id=course.id,
                issued_at=now, badge_salt=secrets.token_hex(8),
                snapshot_json=json.dumps(make_snapshot(user, cohort, course, number, code, now), ensure_ascii=False),
            )
            db.session.add(certificate)
    except IntegrityError:  # issued concurrently by another request: keep that one
        existing = current_certificate(user.id, cohort.id)
        if existing is None:
            raise
        return existing, False
    return certificate, True


def issue_if_eligible(user: User, course: Course) -> list[Certificate]:
    """Issue the trainee's certificates for every cohort of the course she is in, if she
    meets the rules; returns the ones issued now."""
    eligible, _ = eligibility(user, course, first_only=True)
    return _issue_in_cohorts(user, course) if eligible else []


def _issue_in_cohorts(user: User, course: Course) -> list[Certificate]:
    """Issue the trainee's certificates for every cohort of the course she is in (eligibility
    is the caller's question); returns the ones issued now."""
    cohorts = db.session.scalars(select(Cohort).join(Enrolment, Enrolment.cohort_id == Cohort.id)
                                 .where(Enrolment.user_id == user.id, Cohort.course_id == course.id))
    issued = []
    for cohort in cohorts:
        certificate, new = issue_certificate(user, cohort)
        if new:
            issued.append(certificate)
    return issued


def reevaluate(user: User, course: Course) -> list[Certificate]:
    """After the trainee's grades changed: issue her certificates if she now meets the rules; flag
    her valid certificates whose basis is gone (basis_lost_at, for the organizer to decide), and
    unflag them when the rules are met again. Returns the certificates issued now."""
    eligible, missing = eligibility(user, course)
    issued = _issue_in_cohorts(user, course) if eligible else []
    now = utcnow()
    for certificate in db.session.scalars(select(Certificate).where(
            Certificate.user_id == user.id, Certificate.course_id == course.id, Certificate.status == "valid")):
        if eligible:
            certificate.basis_lost_at, certificate.basis_note = None, ""
        elif certificate.basis_lost_at is None:
            certificate.basis_lost_at, certificate.basis_note = now, "; ".join(missing)[:1000]
    db.session.flush()
    return issued


def flagged_certificates(cohort_id: int) -> int:
    """How many valid certificates of the cohort lost their basis (shown to the organizer)."""
    from sqlalchemy import func

    return db.session.scalar(select(func.count(Certificate.id)).where(
        Certificate.cohort_id == cohort_id, Certificate.status == "valid", Certificate.basis_lost_at.is_not(None)))


def revoke(certificate: Certificate, reason: str) -> None:
    if certificate.status != "valid":
        raise CertificateError("only a valid certificate can be revoked")
    if not reason.strip():
        raise CertificateError("a reason is required")
    certificate.status = "revoked"
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason.strip()
    db.session.flush()


def reissue(certificate: Certificate) -> Certificate:
    """A new certificate with the same number and today's profile data (e.g. a corrected
    name); the old one is kept and marked as replaced."""
    if certificate.status == "replaced":
        raise CertificateError("this certificate has already been replaced")
    user = db.session.get(User, certificate.user_id)
    cohort = db.session.get(Cohort, certificate.cohort_id)
    course = db.session.get(Course, certificate.course_id)
    certificate.status = "replaced"
    db.session.flush()
    now = utcnow()
    code = new_code()
    snapshot = make_snapshot(user, cohort, course, certificate.number, code, now)
    new = Certificate(code=code, number=certificate.number, user_id=user.id, cohort_id=cohort.id,
                      course_id=course.id, issued_at=now, badge_salt=secrets.token_hex(8),
                      snapshot_json=json.dumps(snapshot, ensure_ascii=False))
    db.session.add(new)
    db.session.flush()
    certificate.replaced_by_id = new.id
    db.session.flush()
    return new
