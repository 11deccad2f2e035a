"""Nudging stragglers: email each, or WhatsApp messages (one personal message per trainee, or
a group message that names nobody) that the organizer sends from her phone and then confirms;
all logged, and nobody is reminded twice on the same day by mistake."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from lms.accounts.models import User
from lms.cohorts.models import Cohort, Enrolment, Reminder
from lms.extensions import db
from lms.jobs import JobError
from lms.mail import send_mails
from lms.util import utcnow
from lms.util.db import begin_write

# The report's statuses (lms.reports.queries.STATUSES) of trainees a reminder can help: those who
# have not started or not finished, including two of the stuck ones, who can go on by themselves
# (failed the post-test: revisit modules and try again; lessons missing: read them). Not
# "stuck_attempts": only an extra attempt from the organizer lets her go on, so the reminder's
# "continue where you left off" would send her to a closed door. The report's checkboxes, its
# select-all and the reminder routes all use this list.
REMINDABLE_STATUSES = ("not_started", "in_progress", "failed_posttest", "missing_lessons")


def start_of_today(now: datetime | None = None, zone: str = "Asia/Jakarta") -> datetime:
    """Midnight of today in the zone (the cohort's), in UTC."""
    local = (now or utcnow()).astimezone(ZoneInfo(zone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(ZoneInfo("UTC"))


def reminded_today(cohort: Cohort, user_ids: list[int], channel: str) -> set[int]:
    return set(db.session.scalars(select(Reminder.user_id).where(
        Reminder.cohort_id == cohort.id, Reminder.user_id.in_(user_ids or [-1]), Reminder.channel == channel,
        Reminder.sent_at >= start_of_today(zone=cohort.timezone))))


def participants(cohort: Cohort, user_ids: list[int]) -> list[User]:
    """The given users, only those enrolled in the cohort (ids from a form are not trusted)."""
    return list(db.session.scalars(select(User).join(Enrolment, Enrolment.user_id == User.id).where(
        Enrolment.cohort_id == cohort.id, User.id.in_(user_ids or [-1])).order_by(User.full_name)))


def email_text(cohort: Cohort, user: User, course_url: str) -> tuple[str, str]:
    subject = _("Reminder: continue %(course)s", course=cohort.course.title)
    body = _("Dear %(name)s,\n\nYou are registered in %(cohort)s. Your course is waiting for you: open %(url)s "
             "and continue where you left off.\n\nIf you have difficulties, reply to this message or contact "
             "your facilitator.\n\nRegards,\nThe organizers", name=user.full_name, cohort=cohort.name,
             url=course_url)
    return subject, body


def whatsapp_text(cohort: Cohort, course_url: str) -> str:
    """A message for the cohort's WhatsApp group: nobody named (who lags behind is not the
    group's business), everyone invited to continue."""
    return _("Dear participants of %(cohort)s,\n\nSome of us have not continued the course for a while. "
             "Please open %(url)s and continue where you left off. If you have difficulties, tell us in "
             "this group or write to us directly. Keep up the spirit!", cohort=cohort.name, url=course_url)


def personal_text(cohort: Cohort, user: User, course_url: str) -> str:
    """A personal WhatsApp message to one trainee."""
    return _("Hello %(name)s, this is a reminder from the organizers of %(cohort)s. Your course is waiting "
             "for you: open %(url)s and continue where you left off. If something is in the way, reply to "
             "this message and we will help.", name=user.full_name, cohort=cohort.name, url=course_url)


def whatsapp_link(text: str) -> str:
    """A wa.me link that opens WhatsApp with the text filled in; the organizer picks the chat
    (accounts hold no phone numbers)."""
    from urllib.parse import quote

    return "https://wa.me/?text=" + quote(text, safe="")


def log(cohort: Cohort, users: list[User], sender: User, channel: str) -> None:
    """Record the reminders as sent (email: once sent; WhatsApp: once the organizer confirms)."""
    now = utcnow()
    db.session.add_all([Reminder(cohort_id=cohort.id, user_id=u.id, sent_by_id=sender.id, channel=channel,
                                 sent_at=now) for u in users])
    db.session.flush()


def last_reminders(cohort: Cohort, days: int = 14) -> dict[int, datetime]:
    rows = db.session.execute(select(Reminder.user_id, Reminder.sent_at).where(
        Reminder.cohort_id == cohort.id, Reminder.sent_at >= utcnow() - timedelta(days=days)))
    latest: dict[int, datetime] = {}
    for user_id, sent_at in rows:
        if user_id not in latest or sent_at > latest[user_id]:
            latest[user_id] = sent_at
    return latest


def send_emails(job, progress) -> tuple[bytes, str]:
    """Job handler: email the reminders in batches, logging each batch once it is sent, so a
    failure part-way leaves a true record of who was reminded. Anyone reminded today by the
    time the job runs (a second click) is skipped."""
    params = job.params
    cohort = db.session.get(Cohort, params["cohort_id"])
    sender = db.session.get(User, params["sender_id"])
    chosen = participants(cohort, params["user_ids"])
    already = reminded_today(cohort, [u.id for u in chosen], "email")
    fresh = [u for u in chosen if u.id not in already]
    sent = 0
    progress(0, len(fresh))
    for start in range(0, len(fresh), 50):
        batch = fresh[start:start + 50]
        try:
            sent += send_mails([(u.email, *email_text(cohort, u, params["course_url"])) for u in batch])
        except OSError as exc:  # smtplib's errors too
            raise JobError("mail", f"{type(exc).__name__}: {exc}") from exc
        begin_write()  # the log of what was sent waits for the write lock rather than fail
        cohort, sender = db.session.get(Cohort, params["cohort_id"]), db.session.get(User, params["sender_id"])
        log(cohort, batch, sender, "email")
        progress(sent, len(fresh))  # commits the batch's log with the progress
    return f"{sent}\n".encode(), f"pengingat-{cohort.slug}.txt"
