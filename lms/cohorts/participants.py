"""Participant sheets (CSV or XLSX) read, checked row by row, and applied in one transaction.

Reading is pure: parse_sheet() returns the rows and every problem with its row and column,
as a spreadsheet user sees them (row 1 is the header, column A the first). Nothing is saved
until apply_rows(), which the caller commits once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from lms.accounts.models import PasswordToken, Role, User
from lms.accounts.operations import normalize_email
from lms.accounts.regions import match_province, match_regency, provinces
from lms.cohorts.models import Cohort, Enrolment
from lms.extensions import db
from lms.util import utcnow

MAX_ROWS = 20000
TOKEN_DAYS = 14

# Column headers we recognise (lower case), ours, Indonesian and Moodle's "Upload users".
COLUMNS = {
    "full_name": ["full_name", "nama", "nama lengkap", "name", "full name", "nama peserta"],
    "firstname": ["firstname", "first name", "nama depan"],
    "lastname": ["lastname", "last name", "nama belakang"],
    "email": ["email", "e-mail", "surel", "alamat email", "alamat surel"],
    "nip": ["nip"],
    "position": ["position", "jabatan", "department"],
    "institution": ["institution", "instansi", "lembaga", "perpustakaan", "asal instansi"],
    "regency": ["regency", "kabupaten/kota", "kab/kota", "kabupaten", "kota", "city", "kabupaten / kota"],
    "province": ["province", "provinsi"],
    "username": ["username"],
}


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str | None  # spreadsheet letter, e.g. "B"
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


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
    province: str | None = None
    problems: list[RowProblem] = field(default_factory=list)
    action: str = ""  # "create" or "update", filled by preview()


@dataclass
class Sheet:
    rows: list[ParticipantRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)  # all, including rows'
    columns: dict[str, str] = field(default_factory=dict)  # field -> column letter

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


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")  # what Excel on Windows writes by default


def _read_csv(data: bytes) -> list[list[str]]:
    text = _decode(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max([";", ",", "\t"], key=first.count) if first else ","
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


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


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    rows = []
    for values in sheet.iter_rows(values_only=True):
        rows.append([_xlsx_cell(v) for v in values])
        if len(rows) > MAX_ROWS + 1:
            break
    workbook.close()
    return rows


def read_table(filename: str, data: bytes) -> tuple[list[list[str]] | None, str | None]:
    """Rows of cells from a CSV or XLSX file, or (None, message) when it is neither."""
    name = filename.lower()
    if not data.strip():
        return None, _("the file is empty")
    if data[:4] == b"PK\x03\x04":
        try:
            return _read_xlsx(data), None
        except Exception:
            return None, _("the file looks like an Excel workbook but cannot be read; save it again as .xlsx or .csv")
    if name.endswith((".xls", ".ods")) or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return None, _("old Excel (.xls) and .ods files are not supported; save the sheet as .xlsx or .csv")
    if b"\x00" in data[:4096]:
        return None, _("this is not a CSV or XLSX file")
    return _read_csv(data), None


def parse_sheet(filename: str, data: bytes) -> Sheet:
    """Read and check every row; problems say row and column."""
    sheet = Sheet()
    table, error = read_table(filename, data)
    if table is None:
        sheet.problems.append(RowProblem(1, None, error))
        return sheet
    while table and not any(cell.strip() for cell in table[-1]):
        table.pop()
    if not table:
        sheet.problems.append(RowProblem(1, None, _("the file is empty")))
        return sheet
    header = [cell.strip().lower().lstrip("\ufeff") for cell in table[0]]
    index: dict[str, int] = {}
    for field_name, names in COLUMNS.items():
        for position, title in enumerate(header):
            if title in names and field_name not in index:
                index[field_name] = position
    sheet.columns = {k: column_letter(v) for k, v in index.items()}
    missing = []
    if "email" not in index:
        missing.append("email")
    if "full_name" not in index and "firstname" not in index:
        missing.append("full_name (or firstname and lastname)")
    if missing:
        found = ", ".join(cell for cell in table[0] if cell.strip()) or "-"
        sheet.problems.append(RowProblem(1, None, _("missing required column(s): %(columns)s (the header row "
                                                    "has: %(found)s)", columns=", ".join(missing), found=found)))
        return sheet
    if len(table) == 1:
        sheet.problems.append(RowProblem(2, None, _("the sheet has a header but no participants")))
        return sheet
    if len(table) - 1 > MAX_ROWS:
        sheet.problems.append(RowProblem(MAX_ROWS + 2, None, _("more than %(max)s participants; split the file", max=MAX_ROWS)))
        return sheet
    seen: dict[str, int] = {}
    # The province most rows are in: near-miss regency names are suggested from it first.
    from collections import Counter

    regency_column = index.get("regency")
    votes = Counter()
    if regency_column is not None:
        for cells in table[1:]:
            if regency_column < len(cells):
                found = match_regency(cells[regency_column])
                if found.province_code:
                    votes[found.province_code] += 1
    dominant = votes.most_common(1)[0][0] if votes else None
    for number, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue

        def cell(field_name: str) -> str:
            position = index.get(field_name)
            if position is None or position >= len(cells):
                return ""
            return " ".join(cells[position].split())

        def problem(field_name: str | None, message: str) -> None:
            letter = sheet.columns.get(field_name) if field_name else None
            row.problems.append(RowProblem(number, letter, message))

        name = cell("full_name") or " ".join(p for p in (cell("firstname"), cell("lastname")) if p)
        row = ParticipantRow(row=number, email=normalize_email(cell("email")), full_name=name)
        if not row.email:
            problem("email", _("email is empty"))
        else:
            try:
                validate_email(row.email, check_deliverability=False)
            except EmailNotValidError:
                problem("email", _("'%(email)s' is not a valid email address", email=row.email))
            if row.email in seen:
                problem("email", _("'%(email)s' appears again (first in row %(row)s)", email=row.email, row=seen[row.email]))
            else:
                seen[row.email] = number
        if not name:
            problem("full_name" if "full_name" in index else "firstname", _("name is empty"))
        elif len(name) > 200:
            problem("full_name", _("name is longer than 200 characters"))
        nip = re.sub(r"\s+", "", cell("nip"))
        if nip.startswith(IMPRECISE):
            problem("nip", _("the NIP was stored as a number, and Excel keeps only 15 digits of it; "
                             "format the column as Text and type the NIP again"))
            nip = ""
        if nip:
            if not re.fullmatch(r"\d{18}", nip):
                problem("nip", _("NIP '%(nip)s' must be 18 digits", nip=cell("nip")))
            row.nip = nip
        row.position = cell("position")[:120] or None
        row.institution = cell("institution")[:200] or None
        province_text = cell("province")
        province_code = match_province(province_text) if province_text else None
        if province_text and province_code is None:
            problem("province", _("unknown province '%(name)s'", name=province_text))
        regency_text = cell("regency")
        if regency_text:
            found = match_regency(regency_text, province_code or dominant)
            if found.code is None and (province_code or dominant) is not None:
                anywhere = match_regency(regency_text)  # maybe the province column is wrong
                if anywhere.code is not None or not found.suggestions:
                    found = anywhere
            if found.code is None:
                if found.suggestions:
                    problem("regency", _("unknown regency/city '%(name)s'; did you mean %(options)s?",
                                         name=regency_text, options=_(" or ").join(found.suggestions)))
                else:
                    problem("regency", _("unknown regency/city '%(name)s'", name=regency_text))
            else:
                row.regency, row.regency_code = found.name, found.code
                if province_code and found.province_code != province_code:
                    problem("province", _("%(regency)s is in %(right)s, not %(wrong)s", regency=found.name,
                                          right=provinces()[found.province_code], wrong=provinces()[province_code]))
                province_code = found.province_code
        row.province = province_code
        sheet.rows.append(row)
        sheet.problems.extend(row.problems)
    if not sheet.rows and not sheet.problems:
        sheet.problems.append(RowProblem(2, None, _("the sheet has a header but no participants")))
    return sheet


def preview(sheet: Sheet) -> None:
    """Mark each row as a new account or an update; staff accounts cannot be imported over."""
    emails = [row.email for row in sheet.rows if row.email]
    existing = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))} if emails else {}
    for row in sheet.rows:
        user = existing.get(row.email)
        if user is None:
            row.action = "create"
        elif user.role != Role.TRAINEE.value:
            problem = RowProblem(row.row, sheet.columns.get("email"),
                                 _("'%(email)s' belongs to a staff account, not a participant", email=row.email))
            row.problems.append(problem)
            sheet.problems.append(problem)
        else:
            row.action = "update"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    enrolled: int = 0
    links: list[dict] = field(default_factory=list)  # new accounts: name, email, token


def new_password_token(user: User) -> str:
    """A one-time set-password token (its hash is stored, the token is returned)."""
    token = secrets.token_urlsafe(24)
    db.session.add(PasswordToken(user_id=user.id, token_hash=hashlib.sha256(token.encode()).hexdigest(),
                                 expires_at=utcnow() + timedelta(days=TOKEN_DAYS)))
    return token


def apply_rows(cohort: Cohort, sheet: Sheet) -> ImportResult:
    """Create or update the accounts and enrol them (flush only; the caller commits once)."""
    from werkzeug.security import generate_password_hash

    if not sheet.ok:
        raise ValueError("the sheet has problems; nothing may be imported")
    result = ImportResult()
    emails = [row.email for row in sheet.rows]
    existing = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
    enrolled = set(db.session.scalars(select(Enrolment.user_id).where(Enrolment.cohort_id == cohort.id)))
    unusable = generate_password_hash(secrets.token_urlsafe(32), method="pbkdf2:sha256:1000")
    for row in sheet.rows:
        user = existing.get(row.email)
        values = {"full_name": row.full_name, "nip": row.nip, "position": row.position,
                  "institution": row.institution, "regency": row.regency, "regency_code": row.regency_code,
                  "province": row.province}
        if user is None:
            user = User(email=row.email, role=Role.TRAINEE.value, password_hash=unusable, **values)
            db.session.add(user)
            db.session.flush()
            result.created += 1
            result.links.append({"name": row.full_name, "email": row.email, "token": new_password_token(user)})
        else:
            changed = False
            for key, value in values.items():
                if value is not None and getattr(user, key) != value:
                    setattr(user, key, value)
                    changed = True
            result.updated += changed
        if user.id not in enrolled:
            db.session.add(Enrolment(user_id=user.id, cohort_id=cohort.id))
            enrolled.add(user.id)
            result.enrolled += 1
    db.session.flush()
    return result
