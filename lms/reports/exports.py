"""The completion report's tables as CSV and XLSX, in the page language: headers and status labels
translated, times in each participant's cohort zone (the file format: lms.util.sheets)."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms import jobs
from lms.cohorts.models import Cohort
from lms.extensions import db
from lms.reports.queries import cohort_report
from lms.util.sheets import XLSX, LocalTime, to_csv, to_xlsx

STATUS_LABELS = {"not_started": _l("Not started"), "in_progress": _l("In progress"),
                 "stuck_attempts": _l("Stuck: no attempts left"),
                 "failed_posttest": _l("Failed the post-test"),
                 "missing_lessons": _l("Stuck: lessons missing"),
                 "completed": _l("Completed"), "certified": _l("Certified")}
STAGE_LABELS = {"enrolled": _l("Enrolled"), "started": _l("Started"), "half": _l("Half done"),
                "lessons": _l("All lessons done"), "quizzes": _l("Quizzes passed"), "certified": _l("Certified")}

TABLES = ("participants", "regency", "institution", "module", "funnel")


def report_table(report, name: str) -> tuple[list[str], Iterable[Sequence[Any]]]:
    """The header and rows of one table of a completion report (lms.reports.queries.Report), in
    the current language: status and stage labels instead of codes, times in the cohort's zone."""
    if name == "participants":
        zones = {c.name: c.timezone for c in report.cohorts}

        def participants():
            for name_, email, institution, regency, cohort, percent, status, last in report.rows():
                yield (name_, email, institution, regency, cohort, percent, str(STATUS_LABELS.get(status, status)),
                       LocalTime(last, zones.get(cohort, "Asia/Jakarta")) if last else None)

        return ([_("Name"), _("Email"), _("Institution"), _("Regency/city"), _("Cohort"), _("Progress (%)"),
                 _("Status"), _("Last activity")], participants())
    if name in ("regency", "institution"):
        label = _("Regency/city") if name == "regency" else _("Institution")
        return ([label, _("Participants"), _("Completed"), _("Completion rate (%)"), _("Mean progress (%)")],
                [(g.label, g.participants, g.completed, g.rate, g.mean_percent) for g in report.by(name)])
    if name == "module":
        return ([_("Module"), _("Required lessons"), _("Lessons done (%)"), _("Quiz"), _("Quiz passed (%)")],
                [(m.module, m.lessons, m.lesson_rate, m.quiz_title or "", m.quiz_pass_rate) for m in report.modules])
    return ([_("Stage"), _("Participants")],
            [(str(STAGE_LABELS.get(stage, stage)), count) for stage, count in report.funnel()])


def export_file(report, name: str, fmt: str, slug: str) -> tuple[bytes, str, str]:
    """(data, file name, content type) of one table as CSV or XLSX."""
    header, rows = report_table(report, name)
    if fmt == "csv":
        return to_csv(header, rows), f"{slug}-{name}.csv", "text/csv"
    return to_xlsx(header, rows, name), f"{slug}-{name}.xlsx", XLSX


KIND = "report_export"


def export_later(cohorts: list, table: str, fmt: str, *, course: bool, locale: str, user_id: int):
    """Start the job that writes a big table (one cohort's, or the course's across `cohorts`
    when `course`) in the language of the page that asked; commits (lms.jobs.launch)."""
    return jobs.launch(KIND, {"cohort_ids": [c.id for c in cohorts], "table": table, "format": fmt,
                              "course": course, "locale": locale}, user_id)


def export_job(job, progress) -> tuple[bytes, str]:
    """Job handler: a large participant table (a cohort's, or a course's across its cohorts)
    exported off the request."""
    from flask_babel import force_locale

    params = job.params
    with force_locale(params.get("locale") or "id"):  # the language of the page that asked
        return _export(params, progress)


def _export(params, progress) -> tuple[bytes, str]:
    cohorts = [db.session.get(Cohort, i) for i in params.get("cohort_ids") or [params["cohort_id"]]]
    cohorts = [c for c in cohorts if c is not None]
    if not cohorts:
        raise ValueError("the cohorts of this export no longer exist")
    slug = cohorts[0].course.slug if params.get("course") else cohorts[0].slug
    progress(0, 1)
    data, name, _content_type = export_file(cohort_report(cohorts), params["table"], params["format"], slug)
    progress(1, 1)
    return data, name
