"""Participant sheets (CSV or XLSX) as offices make them: read once, checked row by row,
and applied in one transaction.

Reading is in two steps. read_table() turns the uploaded bytes into rows of text cells, once,
with bounds on size, unpacked size, rows and text (an import batch keeps these rows, so the
file is never parsed again). check_rows() then finds the header row among the first rows
(title blocks, merged cells and blank rows above it), skips rows that are not people (totals,
formulas, repeated headers, column numbers) with a reason, and checks every participant,
problems by row and column as a spreadsheet user sees them (row 1 is the sheet's first row,
column A the first). Nothing is saved until apply_rows(), which the caller commits once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from lms.accounts.models import PasswordToken, Role, User
from lms.accounts.operations import normalize_email
from lms.accounts.regions import match_province, match_regency, provinces, regencies
from lms.cohorts.models import Cohort, Enrolment
from lms.extensions import db
from lms.util import utcnow

MAX_FILE_BYTES = 5 * 1024 * 1024  # as uploaded (the web form's limit too)
MAX_ROWS = 20000  # rows of the sheet, title and totals included
MAX_COLUMNS = 50  # columns read; a participant sheet has a dozen
MAX_CELL_CHARS = 1000  # a longer cell is cut (names over 200 characters are refused anyway)
MAX_TEXT_CHARS = 20 * 1024 * 1024  # all cells together
XLSX_MAX_UNPACKED = 40 * 1024 * 1024  # the sum of the workbook's zip members, unpacked
XLSX_MAX_MEMBERS = 1000
HEADER_SCAN = 20  # the header is looked for in the sheet's first rows
PICK_ROWS = 40  # and the organizer may pick it among these
TOKEN_DAYS = 14
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and every password-protected workbook

FIELDS = ("full_name", "firstname", "lastname", "email", "nip", "position", "institution", "regency", "province",
          "username")
# Header cells we recognise, after header_key(): exact names first, then words they contain.
EXACT = {
    "full_name": {"full_name", "full name", "name", "nama", "nama lengkap", "nama peserta"},
    "firstname": {"firstname", "first name", "nama depan"},
    "lastname": {"lastname", "last name", "nama belakang"},
    "email": {"email", "e mail", "surel"},
    "nip": {"nip"},
    "position": {"position", "jabatan", "department"},
    "institution": {"institution", "instansi", "lembaga", "perpustakaan", "asal instansi"},
    "regency": {"regency", "kabupaten/kota", "kab/kota", "kabupaten", "kota", "city"},
    "province": {"province", "provinsi", "prov"},
    "username": {"username"},
}
# Checked in this order, so "Nama Instansi" is the institution and "Nama Kabupaten" the regency.
CONTAINS = [
    ("email", re.compile(r"\b(e ?mail|surel|surat elektronik)\b")),
    ("nip", re.compile(r"\bnip\b")),
    ("province", re.compile(r"\bprovinsi\b")),
    ("regency", re.compile(r"\b(kabupaten|kab|kota|regency|city)\b")),
    ("institution", re.compile(r"\b(instansi|lembaga|unit kerja|satuan kerja|satker|perpustakaan|institution|opd)\b")),
    ("position", re.compile(r"\b(jabatan|position|pekerjaan)\b")),
    ("firstname", re.compile(r"\b(nama depan|first ?name)\b")),
    ("lastname", re.compile(r"\b(nama belakang|last ?name)\b")),
    ("full_name", re.compile(r"\b(nama|name)\b")),
]
TOTALS = re.compile(r"^(jumlah|jml|total|sub ?total|grand total|rekap|rekapitulasi)\b", re.I)
NUMBERING = re.compile(r"^\(?\d{1,2}\)?$")  # "1", "(2)": the column-number row under a header
EDITABLE = ("full_name", "email", "nip", "regency_code")


class SheetFileError(ValueError):
    """The file cannot be read as a participant sheet; the message says why and what to do."""


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str | None  # spreadsheet letter, e.g. "B"
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class SkippedRow:
    row: int
    reason: str


@dataclass
class ParticipantRow:
    row: int
    email: str
    full_name: str
    nip: str | None = None
    position: str | None = None
    institution: str | None = None
    regency: str | None = None
    regency_code: str | None = None
    regency_text: str = ""  # as typed in the sheet
    province: str | None = None
    problems: list[RowProblem] = field(default_factory=list)
    suggestions: list[tuple[str, str]] = field(default_factory=list)  # (code, name) for an unknown regency
    edited: list[str] = field(default_factory=list)  # fields the organizer corrected
    status: str = ""  # "" (waiting), "imported" or "set_aside": the organizer's decisions
    action: str = ""  # "create", "enrol" or "enrolled", filled by preview()


@dataclass
class Table:
    """A sheet's cells as text, as read once from the file."""

    rows: list[list[str]]
    sheet_name: str | None = None
    sheet_names: list[str] = field(default_factory=list)


@dataclass
class Sheet:
    rows: list[ParticipantRow] = field(default_factory=list)
    file_problems: list[RowProblem] = field(default_factory=list)  # the sheet as a whole (e.g. no header)
    columns: dict[str, str] = field(default_factory=dict)  # field -> column letter
    header_row: int | None = None  # 1-based; None when no header was found
    header_rows: int = 1  # 2 when the header is split over two rows (merged group titles)
    header_cells: list[str] = field(default_factory=list)
    header_chosen: bool = False  # picked by the organizer rather than found
    skipped: list[SkippedRow] = field(default_factory=list)
    first_rows: list[tuple[int, list[str]]] = field(default_factory=list)  # to pick the header from
    sheet_name: str | None = None
    sheet_names: list[str] = field(default_factory=list)
    near: str | None = None  # the province code near misses are suggested from first

    @property
    def pending(self) -> list[ParticipantRow]:
        return [row for row in self.rows if not row.status]

    @property
    def ready(self) -> list[ParticipantRow]:
        """Rows that can be imported now."""
        return [row for row in self.pending if not row.problems]

    @property
    def waiting(self) -> list[ParticipantRow]:
        """Rows that need a decision (a fix, or setting them aside)."""
        return [row for row in self.pending if row.problems]

    @property
    def problems(self) -> list[RowProblem]:
        """What stands in the way: the sheet's problems, then those of rows still waiting."""
        return self.file_problems + [p for row in self.pending for p in row.problems]

    @property
    def ok(self) -> bool:
        return not self.problems


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- reading the file (once) ----------------------------------------------------------------------

def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # what Excel on Windows writes by default


def _delimiter(lines: list[str]) -> str:
    """The separator that splits the first lines most consistently (names may hold commas)."""
    best, best_score = ",", (0, 0)
    for delimiter in (";", ",", "\t", "|"):
        counts = Counter(len(row) for row in csv.reader(lines, delimiter=delimiter) if len(row) > 1)
        if counts:
            width, times = counts.most_common(1)[0]
            if (times, width) > best_score:
                best, best_score = delimiter, (times, width)
    return best


def _read_csv(data: bytes) -> Table:
    text = _decode(data)
    lines = [line for line in text.splitlines()[:HEADER_SCAN + 30] if line.strip()]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(lines))
    rows = []
    try:
        for cells in reader:
            rows.append(cells[:MAX_COLUMNS])
            if len(rows) > MAX_ROWS:
                break
    except csv.Error as exc:
        raise SheetFileError(_("the CSV file cannot be read near row %(row)s (%(error)s); save it again from "
                               "the spreadsheet program", row=len(rows) + 1, error=str(exc))) from None
    return Table(_bounded(rows))


# Excel keeps 15 significant digits of a number: an 18-digit NIP typed as a number is damaged.
IMPRECISE = "\x00imprecise:"


def _xlsx_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if abs(value) >= 1e15:
            return IMPRECISE + str(int(value))
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
    return str(value)


def _unreadable_workbook() -> SheetFileError:
    return SheetFileError(_("the file looks like an Excel workbook but cannot be read (it may be damaged); open "
                            "it in Excel or LibreOffice and save it again as .xlsx or .csv"))


def _read_xlsx(data: bytes, sheet_name: str | None) -> Table:
    # The zip's directory says how big each member unpacks; Python's zipfile never unpacks more
    # than that (a member that lies fails its CRC), so the sum is a real bound, checked before
    # openpyxl opens anything.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _unreadable_workbook() from None
    unpacked = sum(member.file_size for member in members)
    if len(members) > XLSX_MAX_MEMBERS or unpacked > XLSX_MAX_UNPACKED:
        raise SheetFileError(_("the workbook unpacks to %(size)s MB, more than the %(max)s MB a participant sheet "
                               "may have; keep only the participant sheet (without pictures) and save it again, "
                               "or save it as .csv", size=unpacked // (1024 * 1024),
                               max=XLSX_MAX_UNPACKED // (1024 * 1024)))
    from openpyxl import load_workbook

    try:
        # Read-only mode streams the sheet; data_only=False shows formulas as formulas ("=SUM(..)").
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:
        raise _unreadable_workbook() from None
    try:
        names = list(workbook.sheetnames)
        if sheet_name is not None and sheet_name not in names:
            raise SheetFileError(_("the workbook has no sheet named '%(name)s'; its sheets are: %(names)s",
                                   name=sheet_name, names=", ".join(names)))
        worksheets = [ws for ws in workbook.worksheets if hasattr(ws, "iter_rows")]
        if not worksheets:
            raise SheetFileError(_("the workbook has no sheet with cells"))
        worksheet = workbook[sheet_name] if sheet_name is not None else worksheets[0]
        rows: list[list[str]] = []
        blank = 0  # blank rows are kept only when something follows them
        for values in worksheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            cells = [_xlsx_cell(v) for v in values]
            if not any(cell.strip() for cell in cells):
                blank += 1
                if blank > 2 * MAX_ROWS:  # formatting down to Excel's last row: nothing more to read
                    break
                continue
            rows.extend([] for _ in range(blank))
            blank = 0
            rows.append(cells)
            if len(rows) > MAX_ROWS:
                break
        title = worksheet.title
    except SheetFileError:
        raise
    except Exception:
        raise _unreadable_workbook() from None
    finally:
        workbook.close()
    return Table(_bounded(rows), title, names)


def _bounded(rows: list[list[str]]) -> list[list[str]]:
    """Rows with trailing blanks removed, within the row and text bounds."""
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if len(rows) > MAX_ROWS:
        raise SheetFileError(_("the sheet has more than %(max)s rows; split it into several files", max=MAX_ROWS))
    total = 0
    for index, cells in enumerate(rows):
        while cells and not cells[-1].strip():
            cells.pop()
        for position, cell in enumerate(cells):
            if len(cell) > MAX_CELL_CHARS:
                cells[position] = cell[:MAX_CELL_CHARS]
            total += len(cells[position])
        if total > MAX_TEXT_CHARS:
            raise SheetFileError(_("the sheet holds more than %(max)s MB of text (row %(row)s); a participant "
                                   "sheet is much smaller", max=MAX_TEXT_CHARS // (1024 * 1024), row=index + 1))
    return rows


def read_table(filename: str, data: bytes, sheet_name: str | None = None) -> Table:
    """The cells of a CSV or XLSX file as text, or SheetFileError with a message for the organizer."""
    name = (filename or "").lower()
    if len(data) > MAX_FILE_BYTES:
        raise SheetFileError(_("the file is larger than %(max)s MB; split it into several files",
                               max=MAX_FILE_BYTES // (1024 * 1024)))
    if not data.strip():
        raise SheetFileError(_("the file is empty"))
    if data[:4] == b"PK\x03\x04":
        table = _read_xlsx(data, sheet_name)
    elif data[:8] == OLE_SIGNATURE:
        # Excel keeps a workbook protected with a password in an OLE container with these streams.
        if "EncryptionInfo".encode("utf-16-le") in data or "EncryptedPackage".encode("utf-16-le") in data:
            raise SheetFileError(_("the workbook is protected with a password; open it in Excel, remove the "
                                   "password (File, Info, Protect Workbook) and save it again"))
        raise SheetFileError(_("old Excel (.xls) files are not supported; save the sheet as .xlsx or .csv"))
    elif name.endswith((".xls", ".ods", ".numbers")):
        raise SheetFileError(_("old Excel (.xls) and .ods files are not supported; save the sheet as .xlsx or .csv"))
    elif b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SheetFileError(_("this is not a CSV or XLSX file"))
    else:
        table = _read_csv(data)
    if not table.rows:
        raise SheetFileError(_("the file is empty"))
    return table


# --- finding the header and the people ------------------------------------------------------------

def header_key(text: str) -> str:
    """'E-mail*' -> 'e mail'; 'Kab./Kota' -> 'kab/kota'; 'Nama\\nLengkap' -> 'nama lengkap'."""
    text = re.sub(r"[^a-z0-9/_ ]+", " ", (text or "").lower().lstrip("\ufeff"))
    text = re.sub(r"\s*/\s*", "/", text)
    return re.sub(r"\s+", " ", text).strip()


def field_of(cell: str) -> str | None:
    """The participant field a header cell names, if any."""
    key = header_key(cell)
    if not key or "@" in cell:
        return None
    for name, titles in EXACT.items():
        if key in titles:
            return name
    if len(key) > 60:  # a sentence (a title or a note), not a column header
        return None
    spaced = key.replace("/", " ").replace("_", " ")
    for name, pattern in CONTAINS:
        if pattern.search(spaced):
            return name
    return None


def map_columns(cells: list[str]) -> dict[str, int]:
    """field -> position of the leftmost header cell naming it."""
    index: dict[str, int] = {}
    for position, cell in enumerate(cells):
        name = field_of(cell)
        if name is not None and name not in index:
            index[name] = position
    return index


def _complete(index: dict[str, int]) -> bool:
    return "email" in index and ("full_name" in index or "firstname" in index)


def _merged(upper: list[str], lower: list[str]) -> list[str]:
    """A header over two rows (a merged group title above the column titles): lower row wins."""
    width = max(len(upper), len(lower))
    upper, lower = upper + [""] * (width - len(upper)), lower + [""] * (width - len(lower))
    return [low if low.strip() else up for up, low in zip(upper, lower)]


def _header_at(rows: list[list[str]], position: int) -> tuple[list[str], int]:
    """The header cells starting at a 0-based row, and how many rows the header spans."""
    cells = rows[position]
    if not _complete(map_columns(cells)) and position + 1 < len(rows):
        both = _merged(cells, rows[position + 1])
        if _complete(map_columns(both)) and len(map_columns(both)) > len(map_columns(rows[position + 1])):
            return both, 2
    return cells, 1


def find_header(rows: list[list[str]]) -> int | None:
    """The 0-based row of the header among the first rows: the first naming email and name."""
    for position in range(min(HEADER_SCAN, len(rows))):
        cells, _span = _header_at(rows, position)
        if _complete(map_columns(cells)):
            return position
    return None


def _is_blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _formula(cells: list[str]) -> str | None:
    return next((cell.strip() for cell in cells if cell.strip().startswith("=")), None)


def _skip_reason(cells: list[str], header_cells: list[str], email: str, name: str, right_below: bool) -> str | None:
    """Why a row after the header is not a participant, or None when it is one."""
    if _is_blank(cells):
        return _("empty row")
    filled = [cell.strip() for cell in cells if cell.strip()]
    if right_below and all(NUMBERING.match(cell) for cell in filled) and len(filled) > 1:
        return _("column numbers under the header")
    if "@" not in email and sum(1 for position, cell in enumerate(cells) if cell.strip()
                                and position < len(header_cells)
                                and header_key(cell) == header_key(header_cells[position])) >= 2:
        return _("the header repeated")
    if "@" not in email:
        if any(TOTALS.match(cell) for cell in filled[:3]):
            return _("a totals row (%(text)s)", text=next(c for c in filled[:3] if TOTALS.match(c))[:40])
        formula = _formula(cells)
        if formula is not None and (not name or name.startswith("=")):
            return _("a formula row (%(formula)s)", formula=formula[:40])
        if not email and not name:
            return _("no name and no email")
    return None


def cohort_province(cohort: Cohort | None) -> str | None:
    """The province where the cohort takes place, from its city or place, if they name one."""
    for text in (cohort.city, cohort.place) if cohort is not None else ():
        if text:
            found = match_province(text) or match_regency(text).province_code
            if found:
                return found
    return None


def check_rows(table: Table, *, header_row: int | None = None, edits: dict | None = None,
               statuses: dict | None = None, near: str | None = None) -> Sheet:
    """Find the header (or take header_row, 1-based), skip non-participant rows and check the rest.

    edits: {row: {field: value}} the organizer's corrections (full_name, email, nip, regency_code);
    statuses: {row: "imported" | "set_aside"}; near: a province code for ranking regency suggestions.
    """
    rows = table.rows
    sheet = Sheet(sheet_name=table.sheet_name, sheet_names=table.sheet_names)
    sheet.first_rows = [(number, cells) for number, cells in enumerate(rows[:PICK_ROWS], start=1)]
    header = _read_header(sheet, rows, header_row)
    if header is None:
        return sheet
    header_cells, index = header
    body_start = sheet.header_row - 1 + sheet.header_rows

    def value(cells: list[str], name: str) -> str:
        at = index.get(name)
        if at is None or at >= len(cells):
            return ""
        return " ".join(cells[at].split())

    def name_of(cells: list[str]) -> str:
        return value(cells, "full_name") or " ".join(p for p in (value(cells, "firstname"),
                                                                   value(cells, "lastname")) if p)

    people: list[tuple[int, list[str]]] = []
    for number, cells in enumerate(rows[body_start:], start=body_start + 1):
        reason = _skip_reason(cells, header_cells, value(cells, "email"), name_of(cells), number == body_start + 1)
        if reason is None:
            people.append((number, cells))
        else:
            sheet.skipped.append(SkippedRow(number, reason))
    if not people:
        sheet.file_problems.append(RowProblem(body_start + 1, None, _("the sheet has a header but no participants")))
        return sheet
    # Near-miss regencies are suggested from the row's province, else the cohort's, else the
    # province most rows are in.
    if near is None and "regency" in index:
        votes = Counter(match_regency(value(cells, "regency")).province_code for _n, cells in people)
        votes.pop(None, None)
        near = votes.most_common(1)[0][0] if votes else None
    sheet.near = near
    _check_people(sheet, people, value, name_of, edits or {}, statuses or {})
    return sheet


def _read_header(sheet: Sheet, rows: list[list[str]],
                 header_row: int | None) -> tuple[list[str], dict[str, int]] | None:
    """Find (or take) the header and map its columns onto the sheet: (header cells, column index),
    or None with a file problem when there is no usable header."""
    if header_row is not None and 1 <= header_row <= len(rows):
        position, sheet.header_chosen = header_row - 1, True
    else:
        position = find_header(rows)
    if position is None:
        sheet.file_problems.append(RowProblem(1, None, _(
            "no header row with an email and a name column was found in the first %(count)s rows; which row "
            "is the header?", count=min(HEADER_SCAN, len(rows)))))
        return None
    header_cells, span = _header_at(rows, position)
    index = map_columns(header_cells)
    sheet.header_row, sheet.header_rows = position + 1, span
    sheet.header_cells = [" ".join(cell.split()) for cell in header_cells if cell.strip()]
    sheet.columns = {name: column_letter(at) for name, at in index.items()}
    missing = []
    if "email" not in index:
        missing.append("email")
    if "full_name" not in index and "firstname" not in index:
        missing.append(_("name (or first and last name)"))
    if missing:
        found = ", ".join(sheet.header_cells) or "-"
        sheet.file_problems.append(RowProblem(position + 1, None, _(
            "missing required column(s): %(columns)s (the header row has: %(found)s)",
            columns=", ".join(missing), found=found)))
        return None
    return header_cells, index


def _check_people(sheet: Sheet, people: list[tuple[int, list[str]]], value, name_of, edits: dict,
                  statuses: dict) -> None:
    """Check each participant row onto sheet.rows; an address given twice is a problem of the later row."""
    seen: dict[str, int] = {}
    for number, cells in people:
        row = _check_person(number, cells, value, name_of, sheet.columns, edits.get(str(number), {}), sheet.near)
        row.status = statuses.get(str(number), "")
        if row.status != "set_aside" and row.email:
            if row.email in seen:
                row.problems.append(RowProblem(number, sheet.columns.get("email"), _(
                    "'%(email)s' appears again (first in row %(row)s)", email=row.email, row=seen[row.email])))
            else:
                seen[row.email] = number
        if row.status == "imported":
            row.problems = []  # it passed when it was imported; what it says now changes nothing
        sheet.rows.append(row)


# Plain ASCII addresses that email_validator certainly accepts; anything else is asked of it
# (0.25 ms an address: 5 s for a sheet of 20,000).
_PLAIN_EMAIL = re.compile(r"[a-z0-9_%+-]+(\.[a-z0-9_%+-]+)*@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,63})")


def valid_email(email: str) -> bool:
    """What the email_validator library says (without asking the DNS), quickly for plain addresses."""
    plain = _PLAIN_EMAIL.fullmatch(email)
    if plain and len(email) <= 254 and len(email.split("@")[0]) <= 64 and \
            plain.group(4) not in SPECIAL_USE_DOMAIN_NAMES:
        return True
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _check_person(number, cells, value, name_of, columns, edit: dict, near: str | None) -> ParticipantRow:
    def problem(field_name: str | None, message: str) -> None:
        letter = columns.get(field_name) if field_name else None
        row.problems.append(RowProblem(number, letter, message))

    name = " ".join(str(edit["full_name"]).split()) if "full_name" in edit else name_of(cells)
    email = normalize_email(edit["email"] if "email" in edit else value(cells, "email"))
    row = ParticipantRow(row=number, email=email, full_name=name, edited=sorted(edit))
    name_column = "full_name" if "full_name" in columns else "firstname"
    for field_name, text in (("email", email), (name_column, name)):
        if text.startswith("="):
            problem(field_name, _("the cell holds a formula (%(formula)s), not a value; in the spreadsheet copy "
                                  "the column and paste it as values", formula=text[:40]))
    if not email:
        problem("email", _("email is empty"))
    elif not email.startswith("=") and not valid_email(email):
        problem("email", _("'%(email)s' is not a valid email address", email=email))
    if not name:
        problem(name_column, _("name is empty"))
    elif len(name) > 200:
        problem(name_column, _("name is longer than 200 characters"))
    nip_text = str(edit["nip"]) if "nip" in edit else value(cells, "nip")
    nip = re.sub(r"\s+", "", nip_text)
    if nip.startswith(IMPRECISE):
        problem("nip", _("the NIP was stored as a number, and Excel keeps only 15 digits of it; "
                         "format the column as Text and type the NIP again"))
        nip = ""
    if nip:
        if not re.fullmatch(r"\d{18}", nip):
            problem("nip", _("NIP '%(nip)s' must be 18 digits", nip=nip_text))
        row.nip = nip
    row.position = value(cells, "position")[:120] or None
    row.institution = value(cells, "institution")[:200] or None
    province_text = value(cells, "province")
    province_code = match_province(province_text) if province_text else None
    if province_text and province_code is None:
        problem("province", _("unknown province '%(name)s'", name=province_text))
    row.regency_text = value(cells, "regency")
    if edit.get("regency_code") in regencies():
        row.regency_code = edit["regency_code"]
        row.regency, province_code = regencies()[row.regency_code]
    elif row.regency_text:
        found = match_regency(row.regency_text, province_code, near)
        if found.code is None:
            row.suggestions = list(zip(found.suggestion_codes, found.suggestions))
            if found.suggestions:
                problem("regency", _("unknown regency/city '%(name)s'; did you mean %(options)s?",
                                     name=row.regency_text, options=_(" or ").join(found.suggestions)))
            else:
                problem("regency", _("unknown regency/city '%(name)s'", name=row.regency_text))
        else:
            row.regency, row.regency_code = found.name, found.code
            if province_code and found.province_code != province_code:
                problem("province", _("%(regency)s is in %(right)s, not %(wrong)s", regency=found.name,
                                      right=provinces()[found.province_code], wrong=provinces()[province_code]))
            province_code = found.province_code
    row.province = province_code
    return row


def parse_sheet(filename: str, data: bytes, sheet_name: str | None = None, *, near: str | None = None) -> Sheet:
    """Read and check a whole file at once (the command line, and tests); problems say row and column."""
    try:
        table = read_table(filename, data, sheet_name)
    except SheetFileError as exc:
        return Sheet(file_problems=[RowProblem(1, None, str(exc))])
    return check_rows(table, near=near)


def preview(sheet: Sheet) -> None:
    """Mark each row: a new account, an existing account to enrol, or one enrolled already.

    Whether an existing address is a participant's or staff's is not shown: an existing account
    of any kind is enrolled and never changed by an import.
    """
    emails = [row.email for row in sheet.rows if row.email]
    existing = set(db.session.scalars(select(User.email).where(User.email.in_(emails)))) if emails else set()
    for row in sheet.rows:
        row.action = "enrol" if row.email in existing else "create"


def mark_enrolled(sheet: Sheet, cohort: Cohort) -> None:
    """Rows whose account is in the cohort already say so."""
    emails = [row.email for row in sheet.rows if row.action == "enrol"]
    if not emails:
        return
    enrolled = set(db.session.scalars(select(User.email).join(Enrolment, Enrolment.user_id == User.id)
                                      .where(Enrolment.cohort_id == cohort.id, User.email.in_(emails))))
    for row in sheet.rows:
        if row.action == "enrol" and row.email in enrolled:
            row.action = "enrolled"


@dataclass
class ImportResult:
    created: int = 0
    existing: int = 0  # accounts that existed: enrolled, not changed
    enrolled: int = 0
    links: list[dict] = field(default_factory=list)  # new accounts: name, email, token


def new_password_token(user: User) -> str:
    """A one-time set-password token (its hash is stored, the token is returned)."""
    token = secrets.token_urlsafe(24)
    db.session.add(PasswordToken(user_id=user.id, token_hash=hashlib.sha256(token.encode()).hexdigest(),
                                 expires_at=utcnow() + timedelta(days=TOKEN_DAYS)))
    return token


def apply_rows(cohort: Cohort, rows: list[ParticipantRow]) -> ImportResult:
    """Create the new accounts and enrol everyone (flush only; the caller commits once).

    An account that exists already is enrolled as it is: an organizer's sheet never changes
    anyone's name, institution or region (the account's owner does, in her profile).
    """
    from werkzeug.security import generate_password_hash

    if any(row.problems for row in rows):
        raise ValueError("rows with problems may not be imported")
    result = ImportResult()
    emails = [row.email for row in rows]
    existing = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))} if emails else {}
    enrolled = set(db.session.scalars(select(Enrolment.user_id).where(Enrolment.cohort_id == cohort.id)))
    unusable = generate_password_hash(secrets.token_urlsafe(32), method="pbkdf2:sha256:1000")
    for row in rows:
        user = existing.get(row.email)
        if user is None:
            user = User(email=row.email, role=Role.TRAINEE.value, password_hash=unusable, full_name=row.full_name,
                        nip=row.nip, position=row.position, institution=row.institution, regency=row.regency,
                        regency_code=row.regency_code, province=row.province)
            db.session.add(user)
            db.session.flush()
            existing[row.email] = user
            result.created += 1
            result.links.append({"name": row.full_name, "email": row.email, "token": new_password_token(user)})
        else:
            result.existing += 1
        if user.id not in enrolled:
            db.session.add(Enrolment(user_id=user.id, cohort_id=cohort.id))
            enrolled.add(user.id)
            result.enrolled += 1
    db.session.flush()
    return result


# --- the preview as text (the command line; the page says the same) -------------------------------

def row_ranges(numbers) -> str:
    """[2, 3, 4, 7] -> '2–4, 7'."""
    parts: list[str] = []
    start = previous = None
    for number in sorted(numbers):
        if start is None:
            start = number
        elif number != previous + 1:
            parts.append(str(start) if start == previous else f"{start}–{previous}")
            start = number
        previous = number
    if start is not None:
        parts.append(str(start) if start == previous else f"{start}–{previous}")
    return ", ".join(parts)


def header_line(sheet: Sheet) -> str:
    """Which row was taken as the header, how, and what it holds."""
    if sheet.header_rows == 2:
        taken = _("Header rows taken: rows %(first)s and %(second)s", first=sheet.header_row,
                  second=sheet.header_row + 1)
    else:
        taken = _("Header row taken: row %(row)s", row=sheet.header_row)
    how = _("chosen by you") if sheet.header_chosen else _("found automatically")
    return f"{taken} ({how}): " + " · ".join(sheet.header_cells)


def problem_line(problem: RowProblem) -> str:
    where = _("Row %(row)s", row=problem.row)
    if problem.column:
        where += ", " + _("column %(column)s", column=problem.column)
    return f"{where}: {problem.message}"


def summary_lines(sheet: Sheet) -> list[str]:
    """What will happen to which rows, one line each (the page shows the same lines)."""
    ready = sheet.ready
    by_action = {action: [row.row for row in ready if row.action == action]
                 for action in ("create", "enrol", "enrolled")}
    lines = [_("Ready to import: %(count)s (%(create)s new accounts, %(enrol)s existing accounts to enrol, "
               "%(enrolled)s already enrolled)", count=len(ready), create=len(by_action["create"]),
               enrol=len(by_action["enrol"]), enrolled=len(by_action["enrolled"])),
             _("Need a decision: %(count)s", count=len(sheet.waiting)),
             _("Skipped, not participants: %(count)s", count=len(sheet.skipped))]
    for action, numbers in by_action.items():
        if not numbers:
            continue
        rows = row_ranges(numbers)
        if action == "create":
            lines.append(_("New accounts: rows %(rows)s", rows=rows))
        elif action == "enrol":
            lines.append(_("Existing accounts to enrol: rows %(rows)s", rows=rows))
        else:
            lines.append(_("Already enrolled: rows %(rows)s", rows=rows))
    return lines


def skipped_line(skipped: SkippedRow) -> str:
    return _("Row %(row)s skipped: %(reason)s", row=skipped.row, reason=skipped.reason)


def preview_lines(sheet: Sheet) -> list[str]:
    """The whole preview as lines of text, for the command line."""
    lines = []
    if sheet.sheet_name:
        lines.append(_('sheet "%(name)s"', name=sheet.sheet_name))
    if sheet.header_row:
        lines.append(header_line(sheet))
    lines += [problem_line(p) for p in sheet.file_problems]
    if sheet.header_row is None or sheet.file_problems:
        lines.append(_("Which row is the header?"))
        lines += [f"  {number}: " + " · ".join(c for c in cells if c.strip()) for number, cells in sheet.first_rows]
        return lines
    lines += summary_lines(sheet)
    lines += [skipped_line(s) for s in sheet.skipped]
    lines += [problem_line(p) for row in sheet.waiting for p in row.problems]
    return lines
