"""`flask plans ...`: follow-up reminders for cron."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from lms import jobs
from lms.cohorts.models import Cohort
from lms.extensions import db
from lms.mail import mail_configured
from lms.plans.followups import reminder_candidates

plans_cli = AppGroup("plans", help="Action plans and their follow-ups.")


@plans_cli.command("remind-followups")
@click.option("--cohort", "cohort_slug", default=None, help="Only this cohort (default: every cohort).")
@click.option("--dry-run", is_flag=True, help="List whom it would remind; send nothing.")
def remind_followups_command(cohort_slug: str | None, dry_run: bool) -> None:
    """Email trainees whose follow-up report has fallen due: once per round, never twice a day.
    Safe to run from cron as often as you like (e.g. daily at 08:00)."""
    cohort_ids = None
    if cohort_slug is not None:
        cohort = db.session.scalar(select(Cohort).where(Cohort.slug == cohort_slug))
        if cohort is None:
            click.echo(f"error: no cohort with slug '{cohort_slug}'", err=True)
            sys.exit(1)
        cohort_ids = [cohort.id]
    if dry_run:
        query = select(Cohort).where(Cohort.ends_on.is_not(None)).order_by(Cohort.id)
        if cohort_ids is not None:
            query = query.where(Cohort.id.in_(cohort_ids))
        found = reminder_candidates(list(db.session.scalars(query)))
        for plan, cohort, _course, due in found:
            click.echo(f"{cohort.slug}\tplan {plan.id}\tuser {plan.user_id}\tround {due.number} "
                       f"(month {due.months}, due {due.due_on.isoformat()})")
        click.echo(f"{len(found)} to remind (trainees reminded today already are skipped when sending)")
        return
    if not mail_configured():
        click.echo("error: set LMS_SMTP_HOST to send email; trainees still see due reports on their dashboard",
                   err=True)
        sys.exit(1)
    job = jobs.enqueue("followup_reminders", {"cohort_ids": cohort_ids}, None)
    db.session.commit()
    jobs.run_job(job.id)  # here, in this process: cron waits for the outcome
    job = db.session.get(jobs.Job, job.id)
    if job.status != "done":
        click.echo(f"error: {job.failure_reason} {job.failure_advice}", err=True)
        sys.exit(1)
    click.echo(f"{int(job.result or b'0')} follow-up reminders sent")
