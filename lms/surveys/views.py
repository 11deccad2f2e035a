"""Trainees answer their cohort's evaluation; the cohort's staff read its aggregates."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.auth import course_cohorts, require
from lms.cohorts.models import Cohort
from lms.content.models import Course
from lms.extensions import db
from lms.surveys import aggregates, exports, operations, queries
from lms.surveys.forms import SCALE, SECTION_TITLES, SurveyForm
from lms.util.downloads import attachment

bp = Blueprint("surveys", __name__)


def _download(data: bytes, name: str, mimetype: str) -> Response:
    return attachment(data, name, mimetype)


def _trainee_survey(cohort_id: int):
    cohort = db.get_or_404(Cohort, cohort_id)
    require(current_user, "answer_survey", cohort)
    survey = queries.survey_of(cohort)
    if survey is None:
        abort(404)
    return cohort, survey


def _render_form(cohort, survey, questions, form, errors=None, values=None, status=200):
    return render_template("surveys/take.html", cohort=cohort, survey=survey, questions=questions, form=form,
                           errors=errors or {}, values=values or {}, scale=SCALE,
                           sections=SECTION_TITLES), status


@bp.get("/cohorts/<int:cohort_id>/survey")
@login_required
def take(cohort_id: int) -> tuple[str, int]:
    """The evaluation form, once she finished the post-test; a thank-you once answered."""
    cohort, survey = _trainee_survey(cohort_id)
    if queries.has_answered(current_user.id, cohort.id):
        return render_template("surveys/done.html", cohort=cohort, survey=survey), 200
    if not queries.finished_training(current_user, cohort.course):
        return render_template("surveys/not_yet.html", cohort=cohort, survey=survey), 200
    return _render_form(cohort, survey, queries.questions(survey, cohort), SurveyForm())


@bp.post("/cohorts/<int:cohort_id>/survey")
@login_required
def submit(cohort_id: int) -> Response | tuple[str, int]:
    """Take her answers once: the answers are stored apart from the fact that she answered."""
    cohort, survey = _trainee_survey(cohort_id)
    form = SurveyForm()
    if not form.validate_on_submit():
        abort(400)
    if queries.has_answered(current_user.id, cohort.id):
        return render_template("surveys/done.html", cohort=cohort, survey=survey, again=True), 409
    if not queries.finished_training(current_user, cohort.course):
        return render_template("surveys/not_yet.html", cohort=cohort, survey=survey), 409
    questions = queries.questions(survey, cohort)
    try:
        operations.submit_survey(current_user, cohort, survey, questions, request.form)
    except operations.AlreadyAnswered:
        db.session.rollback()
        return render_template("surveys/done.html", cohort=cohort, survey=survey, again=True), 409
    except operations.SurveyError as exc:
        db.session.rollback()
        values = {q.field_name: request.form.get(q.field_name, "")[:operations.MAX_COMMENT] for q in questions}
        flash(str(exc), "error")
        return _render_form(cohort, survey, questions, form, exc.errors, values, 422)
    db.session.commit()
    flash(_("Thank you! Your evaluation has been recorded anonymously."), "success")
    return redirect(url_for("learning.course", course_slug=cohort.course.slug))


def _results_page(cohorts: list[Cohort], *, title: str, slug: str, cohort: Cohort | None, course: Course):
    report = aggregates.survey_report(cohorts)
    fmt = request.args.get("format")
    if fmt is not None:
        table = request.args.get("table", "items")
        if fmt not in ("csv", "xlsx") or table not in exports.TABLES:
            abort(404)
        return _download(*exports.export_survey(report, table, fmt, slug))
    return render_template("surveys/results.html", report=report, title=title, cohort=cohort, course=course,
                           sections=SECTION_TITLES, min_group=operations.MIN_GROUP)


@bp.get("/organizer/cohorts/<int:cohort_id>/survey")
@login_required
def cohort_results(cohort_id: int):
    """The cohort's evaluation: aggregates only (?format=csv|xlsx&table=items|comments)."""
    cohort = db.get_or_404(Cohort, cohort_id)
    require(current_user, "view_results", cohort)
    return _results_page([cohort], title=cohort.name, slug=cohort.slug, cohort=cohort, course=cohort.course)


@bp.get("/organizer/courses/<course_slug>/survey")
@login_required
def course_results(course_slug: str):
    """The evaluation across the cohorts of the course that I run or facilitate."""
    course = db.one_or_404(select(Course).where(Course.slug == course_slug))
    require(current_user, "view_results", course)
    cohorts = course_cohorts(current_user, "view_results", course)
    return _results_page(cohorts, title=course.title, slug=course.slug, cohort=None, course=course)
