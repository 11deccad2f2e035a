"""CSV and XLSX files that a spreadsheet cannot turn into formulas, in the page language: the
format of every export (reports, plans, surveys, import links).

Numbers stay numbers; times are in a given zone with its abbreviation (WIB, WITA, WIT).

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

from lms.util.formatting import babel_locale, to_zone
from lms.util.timezones import abbreviation

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
