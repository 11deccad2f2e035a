"""Token-authenticated JSON API (`Authorization: Bearer <token>`), described at /api/v1/openapi.json."""

from __future__ import annotations

import hashlib
from functools import wraps
from typing import Any, Callable

from flask import Blueprint, g, jsonify, request
from sqlalchemy import select

from lms.accounts.models import ApiToken, User
from lms.auth import can, cohorts_for, course_cohorts
from lms.cohorts.models import Cohort
from lms.extensions import csrf, db, limiter
from lms.reports.queries import cohort_report
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
    from lms.surveys.aggregates import report_as_dict, survey_report

    cohort = db.session.scalar(select(Cohort).where(Cohort.slug == slug))
    if cohort is None or not can(g.api_user, "view_results", cohort):
        return _error(404, "no such cohort")
    return jsonify(cohort=cohort.slug, **report_as_dict(survey_report([cohort])))


@bp.get("/courses/<slug>/survey")
@limiter.limit("60 per minute")
@token_required
def course_survey(slug: str):
    """The course's training evaluation across the cohorts the token's owner runs or facilitates."""
    from lms.content.models import Course
    from lms.surveys.aggregates import report_as_dict, survey_report

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
    from lms.reports.chain import chain_as_dict, chain_report

    cohort = db.session.scalar(select(Cohort).where(Cohort.slug == slug))
    if cohort is None or not can(g.api_user, "view_results", cohort):
        return _error(404, "no such cohort")
    return jsonify(cohort=cohort.slug, **chain_as_dict(chain_report([cohort])))


@bp.get("/courses/<slug>/chain")
@limiter.limit("60 per minute")
@token_required
def course_chain(slug: str):
    """The course's chain across the cohorts the token's owner runs or facilitates."""
    from lms.content.models import Course
    from lms.reports.chain import chain_as_dict, chain_report

    course = db.session.scalar(select(Course).where(Course.slug == slug))
    cohorts = course_cohorts(g.api_user, "view_results", course) if course else []
    if not cohorts:
        return _error(404, "no such course")
    return jsonify(course=course.slug, **chain_as_dict(chain_report(cohorts)))


@bp.get("/openapi.json")
def openapi():
    """The API described in OpenAPI 3.1."""
    cohort_param = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"},
                    "description": "Short name of the cohort"}
    error = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return jsonify({
        "openapi": "3.1.0",
        "info": {"title": "Bimtek LMS API", "version": "1.0.0",
                 "description": "Completion of cohorts, progress of their participants, the anonymous "
                                "training evaluation (aggregates only), and the chain from reaction to "
                                "results. Tokens: "
                                "`flask --app lms users token --email ORGANIZER --name NAME`."},
        "servers": [{"url": request.url_root.rstrip("/") + "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
                "Cohort": {"type": "object", "required": ["slug", "name", "course", "is_open"], "properties": {
                    "slug": {"type": "string"}, "name": {"type": "string"}, "course": {"type": "string"},
                    "starts_on": {"type": ["string", "null"], "format": "date"},
                    "ends_on": {"type": ["string", "null"], "format": "date"}, "is_open": {"type": "boolean"}}},
                "Participant": {"type": "object", "required": ["name", "email", "progress_percent", "status"],
                                "properties": {
                                    "name": {"type": "string"}, "email": {"type": "string"},
                                    "institution": {"type": "string"}, "regency": {"type": "string"},
                                    "regency_code": {"type": ["string", "null"]},
                                    "progress_percent": {"type": "integer", "minimum": 0, "maximum": 100},
                                    "status": {"type": "string",
                                               "enum": ["not_started", "in_progress", "stuck_attempts", "failed_posttest",
                                                        "missing_lessons", "completed", "certified"]},
                                    "last_activity": {"type": ["string", "null"], "format": "date-time"}}},
                "SurveyItem": {"type": "object", "required": ["key", "section", "text", "suppressed"],
                               "description": "One rating cell. Suppressed (fewer answers than min_group): "
                                              "n, mean and distribution are null.",
                               "properties": {
                                   "key": {"type": "string"},
                                   "section": {"type": "string",
                                               "enum": ["materi", "fasilitator", "penyelenggaraan", "platform", "umum"]},
                                   "text": {"type": "string"},
                                   "facilitator": {"type": ["string", "null"],
                                                   "description": "The facilitator rated (never the respondent)"},
                                   "suppressed": {"type": "boolean"},
                                   "n": {"type": ["integer", "null"]},
                                   "mean": {"type": ["number", "null"], "minimum": 1, "maximum": 5},
                                   "distribution": {"type": ["object", "null"],
                                                    "description": "Answers per value, keys '1' to '5'",
                                                    "additionalProperties": {"type": "integer"}}}},
                "People": {"type": "object", "description": "People reached, by sex then age group",
                           "properties": {sex: {"type": "object", "properties": {
                               age: {"type": "integer"} for age in ("child", "youth", "adult", "elderly")}}
                               for sex in ("male", "female")}},
                "ChainGroup": {"type": "object", "required": ["label", "participants"],
                               "description": "The chain for one regency/city (key: Kemendagri code, null when "
                                              "not on the list) or institution.",
                               "properties": {
                                   "key": {"type": ["string", "null"]}, "label": {"type": "string"},
                                   "participants": {"type": "integer"},
                                   "survey_answered": {"type": ["integer", "null"],
                                                       "description": "Trainees who answered the evaluation; null "
                                                                      "unless every group has min_group answers"},
                                   "learning": {"type": "object"}, "behaviour": {"type": "object"},
                                   "results": {"type": "object", "properties": {
                                       "activities": {"type": "integer"},
                                       "people": {"$ref": "#/components/schemas/People"},
                                       "people_total": {"type": "integer"}, "partners": {"type": "integer"},
                                       "stories": {"type": "integer"}}}}},
                "Chain": {"type": "object",
                          "required": ["cohorts", "participants", "reaction", "learning", "behaviour", "results"],
                          "description": "Reaction (the anonymous evaluation, as /survey gives it), learning "
                                         "(pre-/post-test means and normalized gain), behaviour (action plans, "
                                         "follow-up reports per round), results (activities held, people "
                                         "reached, partners, stories); in total and by regency and institution.",
                          "properties": {
                              "cohorts": {"type": "array", "items": {"type": "string"}},
                              "participants": {"type": "integer"},
                              "reaction": {"$ref": "#/components/schemas/Survey"},
                              "learning": {"type": ["object", "null"], "properties": {
                                  "mean_pre": {"type": ["number", "null"]}, "mean_post": {"type": ["number", "null"]},
                                  "normalized_gain": {"type": ["number", "null"]}, "paired": {"type": "integer"}}},
                              "behaviour": {"type": "object", "properties": {
                                  "plans_started": {"type": "integer"}, "plans_submitted": {"type": "integer"},
                                  "plans_approved": {"type": "integer"}, "reporting": {"type": "integer"},
                                  "rounds": {"type": "array", "items": {"type": "object"}}}},
                              "results": {"type": "object", "properties": {
                                  "activities": {"type": "integer"},
                                  "people": {"$ref": "#/components/schemas/People"},
                                  "people_total": {"type": "integer"},
                                  "partners": {"type": "array", "items": {"type": "string"}},
                                  "stories": {"type": "integer"},
                                  "rounds": {"type": "array", "items": {"type": "object"}},
                                  "story_list": {"type": "array", "items": {"type": "object"}}}},
                              "survey_min_group": {"type": "integer"},
                              "by_regency": {"type": "array", "items": {"$ref": "#/components/schemas/ChainGroup"}},
                              "by_institution": {"type": "array",
                                                 "items": {"$ref": "#/components/schemas/ChainGroup"}}}},
                "Survey": {"type": "object", "required": ["title", "min_group", "answered", "in_aggregates", "items"],
                           "description": "Anonymous aggregates: no respondent is named or linkable. Ballots join "
                                          "the aggregates in batches of at least min_group.",
                           "properties": {
                               "title": {"type": "string"}, "min_group": {"type": "integer"},
                               "enrolled": {"type": "integer"},
                               "answered": {"type": "integer", "description": "Trainees who answered"},
                               "in_aggregates": {"type": "integer", "description": "Answers counted below"},
                               "cohorts": {"type": "array", "items": {"type": "object", "properties": {
                                   "slug": {"type": "string"}, "enrolled": {"type": "integer"},
                                   "answered": {"type": "integer"}, "in_aggregates": {"type": "integer"}}}},
                               "items": {"type": "array", "items": {"$ref": "#/components/schemas/SurveyItem"}},
                               "comments": {"type": "array", "items": {"type": "object", "properties": {
                                   "key": {"type": "string"}, "text": {"type": "string"},
                                   "suppressed": {"type": "boolean"},
                                   "comments": {"type": "array", "items": {"type": "string"},
                                                "description": "In random order; empty when suppressed"}}}}}},
            },
        },
        "paths": {
            "/cohorts": {"get": {"summary": "Cohorts I run", "responses": {
                "200": {"description": "Cohorts", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"cohorts": {"type": "array",
                                                                 "items": {"$ref": "#/components/schemas/Cohort"}}}}}}},
                "401": error}}},
            "/cohorts/{slug}/completion": {"get": {"summary": "Completion funnel and rates", "parameters": [cohort_param],
                                                   "responses": {"200": {"description": "Completion", "content": {
                                                       "application/json": {"schema": {"type": "object"}}}},
                                                       "401": error, "404": error}}},
            "/cohorts/{slug}/participants": {"get": {"summary": "Participants' progress", "parameters": [cohort_param],
                                                     "responses": {"200": {"description": "Participants", "content": {
                                                         "application/json": {"schema": {"type": "object", "properties": {
                                                             "participants": {"type": "array", "items": {
                                                                 "$ref": "#/components/schemas/Participant"}}}}}}},
                                                         "401": error, "404": error}}},
            "/cohorts/{slug}/survey": {"get": {
                "summary": "Training evaluation of a cohort (anonymous aggregates)", "parameters": [cohort_param],
                "responses": {"200": {"description": "Aggregates", "content": {"application/json": {"schema": {
                    "allOf": [{"$ref": "#/components/schemas/Survey"},
                              {"type": "object", "properties": {"cohort": {"type": "string"}}}]}}}},
                    "401": error, "404": error}}},
            "/cohorts/{slug}/chain": {"get": {
                "summary": "The chain of a cohort: reaction, learning, behaviour, results", "parameters": [cohort_param],
                "responses": {"200": {"description": "Chain", "content": {"application/json": {"schema": {
                    "allOf": [{"$ref": "#/components/schemas/Chain"},
                              {"type": "object", "properties": {"cohort": {"type": "string"}}}]}}}},
                    "401": error, "404": error}}},
            "/courses/{slug}/chain": {"get": {
                "summary": "The chain of a course across my cohorts",
                "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"},
                                "description": "Short name of the course"}],
                "responses": {"200": {"description": "Chain", "content": {"application/json": {"schema": {
                    "allOf": [{"$ref": "#/components/schemas/Chain"},
                              {"type": "object", "properties": {"course": {"type": "string"}}}]}}}},
                    "401": error, "404": error}}},
            "/courses/{slug}/survey": {"get": {
                "summary": "Training evaluation of a course across my cohorts (anonymous aggregates)",
                "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"},
                                "description": "Short name of the course"}],
                "responses": {"200": {"description": "Aggregates", "content": {"application/json": {"schema": {
                    "allOf": [{"$ref": "#/components/schemas/Survey"},
                              {"type": "object", "properties": {"course": {"type": "string"}}}]}}}},
                    "401": error, "404": error}}},
        },
    })
