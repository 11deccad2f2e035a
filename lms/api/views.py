"""Token-authenticated JSON API (`Authorization: Bearer <token>`), described at /api/v1/openapi.json."""

from __future__ import annotations

import hashlib
from functools import wraps
from typing import Any, Callable

from flask import Blueprint, g, jsonify, request
from sqlalchemy import select

from lms.accounts.models import ApiToken, User
from lms.api.openapi import document as openapi_document
from lms.auth import can, cohorts_for, course_cohorts
from lms.cohorts.models import Cohort
from lms.content.models import Course
from lms.extensions import csrf, db, limiter
from lms.reports.chain import chain_as_dict, chain_report
from lms.reports.queries import cohort_report
from lms.surveys.aggregates import report_as_dict, survey_report
from lms.util import utcnow

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens, no cookies


def _error(status: int, message: str):
    response = jsonify(error=message)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="lms"'
    return response


def token_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return _error(401, "missing bearer token")
        digest = hashlib.sha256(header[7:].strip().encode()).hexdigest()
        token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None)))
        user = db.session.get(User, token.user_id) if token else None
        if user is None or not user.is_active:
            return _error(401, "invalid token")
        token.last_used_at = utcnow()
        db.session.commit()
        g.api_user = user
        return view(*args, **kwargs)

    return wrapped


def _cohort(slug: str):
    cohort = db.session.scalar(select(Cohort).where(Cohort.slug == slug))
    if cohort is None or not can(g.api_user, "manage_cohort", cohort):
        return None  # 404 either way: no hint that another organizer's cohort exists
    return cohort


@bp.get("/cohorts")
@limiter.limit("120 per minute")
@token_required
def cohorts():
    """The cohorts the token's owner runs."""
    rows = db.session.scalars(cohorts_for(g.api_user, "manage_cohort").order_by(Cohort.id))
    return jsonify(cohorts=[{"slug": c.slug, "name": c.name, "course": c.course.slug,
                             "starts_on": c.starts_on.isoformat() if c.starts_on else None,
                             "ends_on": c.ends_on.isoformat() if c.ends_on else None, "is_open": c.is_open}
                            for c in rows])


@bp.get("/cohorts/<slug>/completion")
@limiter.limit("60 per minute")
@token_required
def completion(slug: str):
    """Funnel and completion rates by regency and module."""
    cohort = _cohort(slug)
    if cohort is None:
        return _error(404, "no such cohort")
    report = cohort_report([cohort])
    return jsonify(
        cohort=cohort.slug, participants=len(report.participants), funnel=dict(report.funnel()),
        by_regency=[{"regency": r.label, "participants": r.participants, "completed": r.completed,
                     "completion_rate": r.rate, "mean_progress": r.mean_percent} for r in report.by("regency")],
        by_module=[{"module": m.module, "lesson_completion_rate": m.lesson_rate, "quiz": m.quiz_title,
                    "quiz_pass_rate": m.quiz_pass_rate} for m in report.modules])


@bp.get("/cohorts/<slug>/participants")
@limiter.limit("60 per minute")
@token_required
def participants(slug: str):
    """Each participant's progress, status and last activity."""
    cohort = _cohort(slug)
    if cohort is None:
        return _error(404, "no such cohort")
    report = cohort_report([cohort], with_details=False)
    return jsonify(cohort=cohort.slug, participants=[{
        "name": p.name, "email": p.email, "institution": p.institution, "regency": p.regency,
        "regency_code": p.regency_code, "progress_percent": p.percent, "status": p.status,
        "last_activity": p.last_activity.isoformat() if p.last_activity else None} for p in report.participants])


@bp.get("/cohorts/<slug>/survey")
@limiter.limit("60 per minute")
@token_required
def cohort_survey(slug: str):
    """The cohort's training evaluation: anonymous aggregates only (small groups suppressed)."""
    cohort = db.session.scalar(select(Cohort).where(Cohort.slug == slug))
    if cohort is None or not can(g.api_user, "view_results", cohort):
        return _error(404, "no such cohort")
    return jsonify(cohort=cohort.slug, **report_as_dict(survey_report([cohort])))


@bp.get("/courses/<slug>/survey")
@limiter.limit("60 per minute")
@token_required
def course_survey(slug: str):
    """The course's training evaluation across the cohorts the token's owner runs or facilitates."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    cohorts = course_cohorts(g.api_user, "view_results", course) if course else []
    if not cohorts:
        return _error(404, "no such course")
    return jsonify(course=course.slug, **report_as_dict(survey_report(cohorts)))


@bp.get("/cohorts/<slug>/chain")
@limiter.limit("60 per minute")
@token_required
def cohort_chain(slug: str):
    """The cohort's chain: reaction, learning, behaviour, results, by regency and institution."""
    cohort = db.session.scalar(select(Cohort).where(Cohort.slug == slug))
    if cohort is None or not can(g.api_user, "view_results", cohort):
        return _error(404, "no such cohort")
    return jsonify(cohort=cohort.slug, **chain_as_dict(chain_report([cohort])))


@bp.get("/courses/<slug>/chain")
@limiter.limit("60 per minute")
@token_required
def course_chain(slug: str):
    """The course's chain across the cohorts the token's owner runs or facilitates."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    cohorts = course_cohorts(g.api_user, "view_results", course) if course else []
    if not cohorts:
        return _error(404, "no such course")
    return jsonify(course=course.slug, **chain_as_dict(chain_report(cohorts)))


@bp.get("/openapi.json")
def openapi():
    """The API described in OpenAPI 3.1 (lms/api/openapi.py)."""
    return jsonify(openapi_document(request.url_root.rstrip("/") + "/api/v1"))
