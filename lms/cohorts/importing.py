"""Participant imports as a background job: checked again and saved in one transaction, then
the new accounts' set-password links emailed (when SMTP is configured).

The job commits the whole sheet at once, together with its progress; nothing of a sheet that
fails is saved, and the job says why. Emails go out after the import is committed, so no one
gets a link to an account that does not exist.
"""

from __future__ import annotations

import json
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from lms.accounts.models import PasswordToken, User
from lms.cohorts.models import Cohort, ImportBatch
from lms.extensions import db
from lms.jobs import HANDLERS, Job, JobError, check_runner
from lms.util import utcnow
from lms.util.db import begin_write

KIND = "participant_import"


class SheetError(JobError):
    """The sheet no longer passes the checks (e.g. an account was made meanwhile)."""

    def __init__(self, detail: str) -> None:
        super().__init__("invalid", detail)


def job_of(batch: ImportBatch) -> Job | None:
    """The import job of a queued batch (its id is kept with the batch until the import is done)."""
    job_id = json.loads(batch.result_json or "{}").get("job_id")
    job = db.session.get(Job, job_id) if job_id else None
    return check_runner(job) if job is not None else None


def run_import(job: Job, progress) -> tuple[bytes, str]:
    """Job handler: save the sheet in one transaction, then email the set-password links."""
    from lms.cohorts.participants import apply_rows, parse_sheet, preview

    batch_id, link_base = job.params["batch_id"], job.params.get("link_base", "")
    begin_write()
    if db.session.get_bind().dialect.name == "postgresql":  # one import of a batch at a time
        db.session.execute(select(ImportBatch.id).where(ImportBatch.id == batch_id).with_for_update())
    batch = db.session.get(ImportBatch, batch_id)
    if batch.status == "done":  # another run (a second click, a retry) imported it already
        db.session.rollback()
        return b"{}", f"impor-{batch_id}.json"
    cohort = db.session.get(Cohort, batch.cohort_id)
    sheet = parse_sheet(batch.filename, batch.data)
    preview(sheet)
    if not sheet.ok:
        first = sheet.problems[0]
        raise SheetError(f"{len(sheet.problems)} problem(s), e.g. row {first.row}: {first.message}")
    result = apply_rows(cohort, sheet)
    # Who got a new account is kept; their set-password tokens are not (only hashes are stored):
    # they go out by email now, and the organizer's download issues new ones.
    summary = {"created": result.created, "updated": result.updated, "enrolled": result.enrolled,
               "links": [{"name": link["name"], "email": link["email"]} for link in result.links]}
    batch.status, batch.data = "done", b""
    batch.result_json = json.dumps(summary)
    progress(len(sheet.rows), len(sheet.rows))  # commits the import with the job's progress
    summary.update(_email_links(cohort, result.links, link_base))
    batch = db.session.get(ImportBatch, batch_id)
    batch.result_json = json.dumps(summary)
    db.session.commit()
    return json.dumps({k: v for k, v in summary.items() if k != "links"}).encode(), f"impor-{batch_id}.json"


def reissue_links(batch: ImportBatch) -> tuple[list[dict], int]:
    """New one-time set-password links for the batch's new accounts that have not chosen their
    password yet (flush only); returns (name, email, token) dicts and how many had chosen one.
    Links are never stored, only their hashes, so a download makes new ones, and the earlier
    unused links of those accounts stop working: one valid link per account."""
    from lms.cohorts.participants import new_password_token

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
    from lms.mail import mail_configured, send_mails

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


HANDLERS[KIND] = run_import
