"""CSV and XLSX exports that a spreadsheet cannot turn into formulas, in the page language.

Headers and status labels are translated; numbers stay numbers; times are in each participant's
cohort zone with its abbreviation (WIB, WITA, WIT).

CSV follows the spreadsheet conventions of the export's language, the pair that Excel and
LibreOffice use with those regional settings: Indonesian `;` between fields and `,` before
decimals ("84,4"), English `,` and `.` ("84.4"). The separator never occurs in a number, a
spreadsheet set to that language reads each number as a number, and no thousands separator is
written (in Indonesian "1.234" would read as a decimal elsewhere). XLSX has no such ambiguity: its
numbers and times are typed cells, whatever the reader's settings.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Sequence

from babel.numbers import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.util.formatting import babel_locale, to_zone
from lms.util.timezones import abbreviation

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")

STATUS_LABELS = {"not_started": _l("Not started"), "in_progress": _l("In progress"),
                 "stuck_attempts": _l("Stuck: no attempts left"),
                 "failed_posttest": _l("Failed the post-test"),
                 "missing_lessons": _l("Stuck: lessons missing"),
                 "completed": _l("Completed"), "certified": _l("Certified")}
STAGE_LABELS = {"enrolled": _l("Enrolled"), "started": _l("Started"), "half": _l("Half done"),
                "lessons": _l("All lessons done"), "quizzes": _l("Quizzes passed"), "certified": _l("Certified")}


@dataclass(frozen=True)
class LocalTime:
    """A moment to print in a zone: '2026-03-05 09:30 WITA' in CSV, a typed time in XLSX."""

    value: datetime
    zone: str

    @property
    def local(self) -> datetime:
        return to_zone(self.value, self.zone)

    def __str__(self) -> str:
        return f"{self.local:%Y-%m-%d %H:%M} {abbreviation(self.zone)}"


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, LocalTime):
        return str(value)
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value


def csv_separator(locale: str | None = None) -> str:
    """';' where the decimal sign is ',' (Indonesian), else ','."""
    return ";" if babel_locale(locale).number_symbols["latn"]["decimal"] == "," else ","


def _csv_value(value: Any, locale) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return format_decimal(value, format="0.##########", locale=locale)
    return safe_cell(str(value) if not isinstance(value, (datetime, LocalTime)) else value)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]], locale: str | None = None) -> bytes:
    """UTF-8 with BOM, as Excel opens it directly; separator and decimal sign of the language
    (see the module's note)."""
    loc = babel_locale(locale)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=csv_separator(loc))
    writer.writerow([safe_cell(str(h)) for h in header])
    for row in rows:
        writer.writerow([_csv_value(v, loc) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "Laporan") -> bytes:
    """One sheet: a bold header, then numbers as numbers, times as times (in their zone, the
    abbreviation in the cell's format), text as text (never a formula)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    bold = Font(bold=True)
    cells = []
    for h in header:
        cell = WriteOnlyCell(sheet, value=safe_cell(str(h)))
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    for row in rows:
        values = []
        for v in row:
            if isinstance(v, LocalTime):
                cell = WriteOnlyCell(sheet, value=v.local.replace(tzinfo=None))
                cell.number_format = f'yyyy-mm-dd hh:mm "{abbreviation(v.zone)}"'
            else:
                v = safe_cell(v if isinstance(v, (int, float, datetime)) or v is None else str(v))
                cell = WriteOnlyCell(sheet, value=v)
                if isinstance(v, str):
                    cell.data_type = "s"  # never a formula, whatever it starts with
                elif isinstance(v, float):
                    cell.number_format = "0.0"
            values.append(cell)
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


TABLES = ("participants", "regency", "institution", "module", "funnel")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def export_job(job, progress) -> tuple[bytes, str]:
    """Job handler: a large participant table (a cohort's, or a course's across its cohorts)
    exported off the request."""
    from flask_babel import force_locale

    params = job.params
    with force_locale(params.get("locale") or "id"):  # the language of the page that asked
        return _export(params, progress)


def _export(params, progress) -> tuple[bytes, str]:
    from lms.cohorts.models import Cohort
    from lms.extensions import db
    from lms.reports.queries import cohort_report

    cohorts = [db.session.get(Cohort, i) for i in params.get("cohort_ids") or [params["cohort_id"]]]
    cohorts = [c for c in cohorts if c is not None]
    if not cohorts:
        raise ValueError("the cohorts of this export no longer exist")
    slug = cohorts[0].course.slug if params.get("course") else cohorts[0].slug
    progress(0, 1)
    data, name, _content_type = export_file(cohort_report(cohorts), params["table"], params["format"], slug)
    progress(1, 1)
    return data, name


def _register() -> None:
    from lms.jobs import HANDLERS

    HANDLERS["report_export"] = export_job


_register()
