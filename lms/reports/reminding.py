"""Whom a reminder from the completion report reaches: the participants chosen, less those a
reminder cannot help (finished, or out of attempts: the report's statuses) and those already
reminded today on the same channel (never twice a day); and sending them by email (a job)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lms import jobs
from lms.accounts.models import User
from lms.cohorts import reminders
from lms.cohorts.models import Cohort
from lms.reports.queries import cohort_report


@dataclass
class Recipients:
    fresh: list[User] = field(default_factory=list)  # to remind now
    skipped: list[User] = field(default_factory=list)  # already reminded today
    left_out: list[User] = field(default_factory=list)  # a reminder cannot help them

    @property
    def chosen(self) -> list[User]:
        """Those a reminder can help: reminded now or already today."""
        return self.fresh + self.skipped


def recipients(cohort: Cohort, user_ids: list[int], channel: str) -> Recipients:
    """The participants of the cohort among user_ids, sorted as the report's checkboxes offer
    them (a hand-made form naming a finished trainee does not reach her)."""
    chosen = reminders.participants(cohort, user_ids)
    statuses = cohort_report([cohort]).statuses([u.id for u in chosen]) if chosen else {}
    helped = [u for u in chosen if statuses.get(u.id) in reminders.REMINDABLE_STATUSES]
    already = reminders.reminded_today(cohort, [u.id for u in helped], channel)
    return Recipients(fresh=[u for u in helped if u.id not in already],
                      skipped=[u for u in helped if u.id in already],
                      left_out=[u for u in chosen if statuses.get(u.id) not in reminders.REMINDABLE_STATUSES])


def email(cohort: Cohort, users: list[User], sender: User, course_url: str) -> jobs.Job:
    """Start the job that emails the reminders (many participants, one slow SMTP server) and
    records each one sent (lms.cohorts.reminders.send_emails); commits (lms.jobs.launch). The
    job may have ended already (run inline): its status says."""
    return jobs.launch("reminder_emails", {"cohort_id": cohort.id, "user_ids": [u.id for u in users],
                                           "sender_id": sender.id, "course_url": course_url}, sender.id)
