"""Participant imports: a batch keeps the sheet's cells (read once, at upload) and every decision
of the organizer (the header row, fixes, rows set aside, rows imported), so the good rows can
be imported now and the rest later.

An import of rows runs as a background job: the chosen rows are checked again and saved in one
transaction, then the new accounts' set-password links emailed (when SMTP is configured).
Nothing of a run that fails is saved, and the job says why. Emails go out after the import is
committed, so no one gets a link to an account that does not exist.
"""

from __future__ import annotations

import json
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from lms.accounts.models import PasswordToken, User
from lms.accounts.regions import regencies
from lms.cohorts import participants
from lms.cohorts.models import Cohort, ImportBatch
from lms.cohorts.participants import (EDITABLE, RowProblem, Sheet, SheetFileError, Table, check_rows, cohort_province,
                                      mark_enrolled, new_password_token, preview, read_table)
from lms.extensions import db
from lms.jobs import Job, JobError, check_runner, enqueue, start
from lms.mail import mail_configured, send_mails
from lms.util import utcnow
from lms.util.db import begin_write

KIND = "participant_import"


class SheetError(JobError):
    """The rows no longer pass the checks (e.g. an address was used meanwhile)."""

    def __init__(self, detail: str) -> None:
        super().__init__("invalid", detail)


class DecisionError(ValueError):
    """A decision that cannot be taken (unknown row, a value that is not allowed)."""


def new_batch(cohort: Cohort, user: User, filename: str, data: bytes, sheet_name: str | None = None) -> ImportBatch:
    """Read the uploaded file once and keep its cells with a new batch (flush only).

    SheetFileError (too big, broken, encrypted, empty...) saves nothing.
    """
    table = read_table(filename, data, sheet_name or None)
    batch = ImportBatch(cohort_id=cohort.id, created_by_id=user.id, filename=(filename or "peserta")[:255],
                        data=b"", sheet_name=table.sheet_name, table_json=_table_json(table))
    db.session.add(batch)
    db.session.flush()
    return batch


def _table_json(table: Table) -> str:
    return json.dumps({"rows": table.rows, "sheet_names": table.sheet_names}, ensure_ascii=False)


def table_of(batch: ImportBatch) -> Table:
    """The batch's cells; a batch stored before cells were kept is read now, once."""
    if batch.table_json is None:
        try:
            table = read_table(batch.filename, batch.data, batch.sheet_name)
        except SheetFileError:
            table = Table([])
        batch.table_json, batch.data = _table_json(table), b""
        db.session.flush()
        return table
    stored = json.loads(batch.table_json)
    return Table(stored["rows"], batch.sheet_name, stored.get("sheet_names", []))


def state_of(batch: ImportBatch) -> dict:
    state = json.loads(batch.state_json or "{}")
    state.setdefault("edits", {})
    state.setdefault("rows", {})
    return state


def decisions_of(batch: ImportBatch) -> list[dict]:
    """The batch's record: who decided what, when ("at" as an aware datetime), oldest first."""
    from datetime import datetime

    entries = json.loads(batch.decisions_json or "[]")
    for entry in entries:
        entry["at"] = datetime.fromisoformat(entry["at"])
    return entries


def sheet_of(batch: ImportBatch, cohort: Cohort) -> Sheet:
    """The batch's rows as checked now, with the organizer's decisions applied."""
    table = table_of(batch)
    if not table.rows:
        return Sheet(file_problems=[RowProblem(1, None, _("the file is empty"))])
    state = state_of(batch)
    sheet = check_rows(table, header_row=batch.header_row, edits=state["edits"], statuses=state["rows"],
                       near=cohort_province(cohort))
    preview(sheet)
    mark_enrolled(sheet, cohort)
    return sheet


def _record(batch: ImportBatch, user_id: int | None, action: str, **details) -> None:
    user = db.session.get(User, user_id) if user_id else None
    entries = json.loads(batch.decisions_json or "[]")
    entries.append({"at": utcnow().isoformat(timespec="seconds"), "by": user_id,
                    "by_name": user.full_name if user else "", "action": action, **details})
    batch.decisions_json = json.dumps(entries, ensure_ascii=False)


def choose_header(batch: ImportBatch, user: User, row: int) -> None:
    """The organizer says which row is the header (flush only)."""
    rows = table_of(batch).rows
    if not 1 <= row <= len(rows):
        raise DecisionError(_("row %(row)s is not in the sheet", row=row))
    before = batch.header_row
    batch.header_row = row
    _record(batch, user.id, "header", row=row, before=before)
    db.session.flush()


def fix_row(batch: ImportBatch, cohort: Cohort, user: User, row: int, values: dict[str, str]) -> list[str]:
    """Correct fields of a waiting row (full_name, email, nip, regency_code); returns the fields changed."""
    sheet = sheet_of(batch, cohort)
    current = next((r for r in sheet.rows if r.row == row), None)
    if current is None or current.status:
        raise DecisionError(_("row %(row)s is not waiting for a decision", row=row))
    state = state_of(batch)
    edit = state["edits"].setdefault(str(row), {})
    was = {"full_name": current.full_name, "email": current.email, "nip": current.nip or "",
           "regency_code": current.regency_code or ""}
    changed = []
    for name in EDITABLE:
        if name not in values:
            continue
        value = " ".join(str(values[name]).split())[:254]
        if name == "regency_code" and not value:
            continue  # "keep as typed"
        if name == "regency_code" and value not in regencies():
            raise DecisionError(_("choose a regency/city from the list"))
        if value != was[name]:
            edit[name] = value
            changed.append(name)
            if name == "regency_code":  # the record says names, as the organizer saw them
                before, after = current.regency or current.regency_text, f"{regencies()[value][0]} ({value})"
            else:
                before, after = was[name], value
            _record(batch, user.id, "fix", row=row, field=name, before=before, after=after)
    if not edit:
        state["edits"].pop(str(row))
    batch.state_json = json.dumps(state, ensure_ascii=False)
    db.session.flush()
    return changed


def set_aside(batch: ImportBatch, user: User, row: int, aside: bool = True) -> None:
    """Keep a row out of the import (aside=True), or bring it back (flush only)."""
    state = state_of(batch)
    status = state["rows"].get(str(row), "")
    if status == "imported":
        raise DecisionError(_("row %(row)s has been imported already", row=row))
    if aside and status != "set_aside":
        state["rows"][str(row)] = "set_aside"
        _record(batch, user.id, "set_aside", row=row)
    elif not aside and status == "set_aside":
        state["rows"].pop(str(row))
        _record(batch, user.id, "restore", row=row)
    batch.state_json = json.dumps(state, ensure_ascii=False)
    db.session.flush()

    def __init__(self, detail: str) -> None:
        super().__init__("invalid", detail)


def job_of(batch: ImportBatch) -> Job | None:
    """The import job of a queued batch (its id is kept with the batch until the import is done)."""
    job_id = json.loads(batch.result_json or "{}").get("job_id")
    job = db.session.get(Job, job_id) if job_id else None
    return check_runner(job) if job is not None else None


def import_later(batch: ImportBatch, user: User, rows: list[int], link_base: str) -> Job:
    """Start the job that imports these rows of the batch (run_import), the batch queued with
    the job's id until it ends; commits. `link_base`: the set-password URL
    with TOKEN where each new account's token goes."""
    job = enqueue(KIND, {"batch_id": batch.id, "rows": rows, "link_base": link_base}, user.id)
    result = json.loads(batch.result_json or "{}")
    result["job_id"] = job.id
    batch.status, batch.result_json = "queued", json.dumps(result)
    db.session.commit()  # before the job starts: it reads the batch from its own connection
    start(job)
    return job


def run_import(job: Job, progress) -> tuple[bytes, str]:
    """Job handler: save the chosen rows in one transaction, then email the set-password links."""
    batch_id, link_base = job.params["batch_id"], job.params.get("link_base", "")
    begin_write()
    if db.session.get_bind().dialect.name == "postgresql":  # one import of a batch at a time
        db.session.execute(select(ImportBatch.id).where(ImportBatch.id == batch_id).with_for_update())
    batch = db.session.get(ImportBatch, batch_id)
    cohort = db.session.get(Cohort, batch.cohort_id)
    sheet = sheet_of(batch, cohort)
    wanted = job.params.get("rows")
    chosen = [row for row in sheet.pending if wanted is None or row.row in wanted]
    if not chosen:  # another run (a second click, a retry) imported them already
        db.session.rollback()
        return b"{}", f"impor-{batch_id}.json"
    bad = [row for row in chosen if row.problems]
    if bad:
        first = bad[0].problems[0]
        raise SheetError(_("%(count)s of the rows to import no longer pass the checks (e.g. row %(row)s: "
                           "%(message)s); nothing was imported. Check the preview again.",
                           count=len(bad), row=first.row, message=first.message))
    result = participants.apply_rows(cohort, chosen)
    state = state_of(batch)
    for row in chosen:
        state["rows"][str(row.row)] = "imported"
    batch.state_json = json.dumps(state, ensure_ascii=False)
    _record(batch, job.created_by_id, "imported", rows=[row.row for row in chosen], created=result.created,
            existing=result.existing, enrolled=result.enrolled)
    summary = json.loads(batch.result_json or "{}")
    summary.pop("job_id", None)
    for key in ("created", "existing", "enrolled"):
        summary[key] = summary.get(key, 0) + getattr(result, key)
    # Who got a new account is kept; their set-password tokens are not (only hashes are stored):
    # they go out by email now, and the organizer's download issues new ones.
    summary["links"] = summary.get("links", []) + [{"name": link["name"], "email": link["email"]}
                                                   for link in result.links]
    summary["last"] = {"created": result.created, "existing": result.existing, "enrolled": result.enrolled}
    left = sum(1 for row in sheet.rows if row.status != "imported") - len(chosen)  # waiting or set aside
    batch.status = "partial" if left else "done"
    batch.result_json = json.dumps(summary)
    progress(len(chosen), len(chosen))  # commits the import with the job's progress
    mailed = _email_links(cohort, result.links, link_base)
    if mailed:
        batch = db.session.get(ImportBatch, batch_id)
        summary.update(mailed)
        batch.result_json = json.dumps(summary)
        db.session.commit()
    return json.dumps({k: v for k, v in summary.items() if k != "links"}).encode(), f"impor-{batch_id}.json"


def reissue_links(batch: ImportBatch) -> tuple[list[dict], int]:
    """New one-time set-password links for the batch's new accounts that have not chosen their
    password yet (flush only); returns (name, email, token) dicts and how many had chosen one.
    Links are never stored, only their hashes, so a download makes new ones, and the earlier
    unused links of those accounts stop working: one valid link per account."""
    emails = [link["email"] for link in json.loads(batch.result_json or "{}").get("links", [])]
    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))} if emails else {}
    chose = set(db.session.scalars(select(PasswordToken.user_id).where(
        PasswordToken.user_id.in_([u.id for u in users.values()]), PasswordToken.used_at.is_not(None))))
    pending = [users[email] for email in emails if email in users and users[email].id not in chose]
    if pending:
        db.session.execute(update(PasswordToken).where(
            PasswordToken.user_id.in_([u.id for u in pending]), PasswordToken.used_at.is_(None))
            .values(expires_at=utcnow() - timedelta(seconds=1)))
    links = [{"name": u.full_name, "email": u.email, "token": new_password_token(u)} for u in pending]
    db.session.flush()
    return links, len(chose)


def _email_links(cohort: Cohort, links: list[dict], link_base: str) -> dict:
    if not links or not link_base or not mail_configured():
        return {}
    messages = [(link["email"], _("Your account for %(cohort)s", cohort=cohort.name),
                 _("Dear %(name)s,\n\nAn account has been made for you for %(cohort)s. Choose your password "
                   "here (the link works once, for 14 days):\n%(url)s\n\nRegards,\nThe organizers",
                   name=link["name"], cohort=cohort.name, url=link_base.replace("TOKEN", link["token"])))
                for link in links]
    try:
        return {"mailed": send_mails(messages)}
    except OSError as exc:
        return {"mail_error": str(exc)}

