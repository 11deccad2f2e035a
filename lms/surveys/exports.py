"""The aggregates as CSV or XLSX (formula-safe, in the page's language): items and comments."""

from __future__ import annotations

from flask_babel import gettext as _

from lms.util.sheets import XLSX, to_csv, to_xlsx
from lms.surveys.aggregates import SurveyReport
from lms.surveys.forms import SECTION_TITLES

TABLES = ("items", "comments")


def survey_table(report: SurveyReport, name: str):
    """(header, rows): suppressed cells carry no numbers, only the note."""
    too_few = _("Too few answers to show")
    if name == "items":
        header = [_("Section"), _("Item"), _("Facilitator"), _("Answers"), _("Mean (1-5)"),
                  "1", "2", "3", "4", "5", _("Note")]
        rows = []
        for a in report.items:
            section = str(SECTION_TITLES.get(a.section, a.section))
            if a.suppressed:
                rows.append([section, a.text, a.facilitator, None, None, None, None, None, None, None, too_few])
            else:
                rows.append([section, a.text, a.facilitator, a.n, round(a.mean, 2), *a.counts, ""])
        return header, rows
    header = [_("Question"), _("Comment")]
    if not report.comments_shown:
        return header, [[g.text, too_few] for g in report.comment_groups]
    return header, [[g.text, comment] for g in report.comment_groups for comment in g.comments]


def export_survey(report: SurveyReport, name: str, fmt: str, slug: str) -> tuple[bytes, str, str]:
    header, rows = survey_table(report, name)
    if fmt == "csv":
        return to_csv(header, rows), f"{slug}-evaluasi-{name}.csv", "text/csv"
    return to_xlsx(header, rows, name), f"{slug}-evaluasi-{name}.xlsx", XLSX
