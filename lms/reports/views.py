"""The chain report (reaction, learning, behaviour, results) of a cohort and of a course across
the cohorts I run or facilitate, with CSV/XLSX exports of each table.

Access: "view_results", the rule of the results, gain and evaluation pages: the organizers and
facilitators of the cohort (and admins). A course's report covers only the cohorts of it in
which I may view results."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.auth import course_cohorts, require
from lms.cohorts.models import Cohort
from lms.content.models import Course
from lms.extensions import db
from lms.plans.followup_forms import AGE_LABELS, PROGRESS_LABELS, SEX_LABELS
from lms.plans.forms import STRATEGY_LABELS
from lms.reports import chain_exports
from lms.reports.chain import chain_report
from lms.reports.charts import chain_charts
from lms.surveys.forms import SECTION_TITLES
from lms.util.downloads import attachment

bp = Blueprint("reports", __name__, url_prefix="/organizer")


def _download(data: bytes, name: str, mimetype: str) -> Response:
    return attachment(data, name, mimetype)


def _page(cohorts: list[Cohort], *, title: str, slug: str, cohort: Cohort | None, course: Course):
    fmt = request.args.get("format")
    if fmt is not None:
        table = request.args.get("table", "summary")
        if fmt not in ("csv", "xlsx") or table not in chain_exports.TABLES:
            abort(404)
        report = chain_report(cohorts, stories=None if table == "stories" else 0)
        return _download(*chain_exports.export_chain(report, table, fmt, slug))
    report = chain_report(cohorts)
    return render_template("reports/chain.html", report=report, title=title, cohort=cohort, course=course,
                           summary=chain_exports.summary_rows(report), sections=SECTION_TITLES,
                           strategy_labels=STRATEGY_LABELS, progress_labels=PROGRESS_LABELS,
                           sex_labels=SEX_LABELS, charts=chain_charts(report, SEX_LABELS, AGE_LABELS))


@bp.get("/cohorts/<int:cohort_id>/chain")
@login_required
def cohort_chain(cohort_id: int):
    """The cohort's chain (?format=csv|xlsx&table=summary|regency|institution|rounds|stories|survey)."""
    cohort = db.get_or_404(Cohort, cohort_id)
    require(current_user, "view_results", cohort)
    return _page([cohort], title=cohort.name, slug=cohort.slug, cohort=cohort, course=cohort.course)


@bp.get("/courses/<course_slug>/chain")
@login_required
def course_chain(course_slug: str):
    """The course's chain across the cohorts of it in which I may view results."""
    course = db.one_or_404(select(Course).where(Course.slug == course_slug))
    require(current_user, "view_results", course)
    cohorts = course_cohorts(current_user, "view_results", course)
    if not cohorts:
        abort(404)
    return _page(cohorts, title=course.title, slug=course.slug, cohort=None, course=course)
