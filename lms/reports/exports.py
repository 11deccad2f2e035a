"""CSV and XLSX exports that a spreadsheet cannot turn into formulas."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any, Iterable, Sequence

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with BOM and semicolons, as Indonesian Excel opens it directly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "Laporan") -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    bold = Font(bold=True)
    cells = []
    for h in header:
        cell = WriteOnlyCell(sheet, value=safe_cell(h))
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    for row in rows:
        values = []
        for v in row:
            v = safe_cell(v)
            cell = WriteOnlyCell(sheet, value=v)
            if isinstance(v, str):
                cell.data_type = "s"  # never a formula, whatever it starts with
            values.append(cell)
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


TABLES = ("participants", "regency", "institution", "module", "funnel")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_table(report, name: str) -> tuple[list[str], Iterable[Sequence[Any]]]:
    """The header and rows of one table of a completion report (lms.reports.queries.Report)."""
    if name == "participants":
        return (["Nama", "Email", "Instansi", "Kabupaten/Kota", "Angkatan", "Kemajuan (%)", "Status",
                 "Aktivitas terakhir"],
                report.rows())
    if name in ("regency", "institution"):
        label = "Kabupaten/Kota" if name == "regency" else "Instansi"
        return ([label, "Peserta", "Selesai", "Tingkat penyelesaian (%)", "Rata-rata kemajuan (%)"],
                [(g.label, g.participants, g.completed, g.rate, g.mean_percent) for g in report.by(name)])
    if name == "module":
        return (["Modul", "Materi wajib", "Materi selesai (%)", "Kuis", "Lulus kuis (%)"],
                [(m.module, m.lessons, m.lesson_rate, m.quiz_title or "", m.quiz_pass_rate) for m in report.modules])
    return (["Tahap", "Peserta"], [(stage, count) for stage, count in report.funnel()])


def export_file(report, name: str, fmt: str, slug: str) -> tuple[bytes, str, str]:
    """(data, file name, content type) of one table as CSV or XLSX."""
    header, rows = report_table(report, name)
    if fmt == "csv":
        return to_csv(header, rows), f"{slug}-{name}.csv", "text/csv"
    return to_xlsx(header, rows, name), f"{slug}-{name}.xlsx", XLSX


def export_job(job, progress) -> tuple[bytes, str]:
    """Job handler: a large participant table (a cohort's, or a course's across its cohorts)
    exported off the request."""
    from lms.cohorts.models import Cohort
    from lms.extensions import db
    from lms.reports.queries import cohort_report

    params = job.params
    cohorts = [db.session.get(Cohort, i) for i in params.get("cohort_ids") or [params["cohort_id"]]]
    cohorts = [c for c in cohorts if c is not None]
    if not cohorts:
        raise ValueError("the cohorts of this export no longer exist")
    slug = cohorts[0].course.slug if params.get("course") else cohorts[0].slug
    progress(0, 1)
    data, name, _ = export_file(cohort_report(cohorts), params["table"], params["format"], slug)
    progress(1, 1)
    return data, name


def _register() -> None:
    from lms.jobs import HANDLERS

    HANDLERS["report_export"] = export_job


_register()
