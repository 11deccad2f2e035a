"""`flask reports completion` for scheduled exports."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from lms.cohorts.models import Cohort
from lms.extensions import db
from lms.reports import exports
from lms.reports.queries import cohort_report

reports_cli = AppGroup("reports", help="Completion reports for scheduled exports.")


@reports_cli.command("completion")
@click.option("--cohort", "cohort_slug", required=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default="csv")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: standard output; required for xlsx).")
def completion_command(cohort_slug: str, fmt: str, output: Path | None) -> None:
    """Participants of a cohort with progress %, status and last activity."""
    cohort = db.session.scalar(select(Cohort).where(Cohort.slug == cohort_slug))
    if cohort is None:
        click.echo(f"error: no cohort with slug '{cohort_slug}'", err=True)
        sys.exit(1)
    report = cohort_report([cohort], with_details=False)
    header = ["name", "email", "institution", "regency", "cohort", "progress_percent", "status", "last_activity"]
    rows = [(p.name, p.email, p.institution, p.regency, p.cohort_name, p.percent, p.status,
             p.last_activity.isoformat() if p.last_activity else None) for p in report.participants]
    if fmt == "json":
        data = json.dumps({"cohort": cohort.slug, "funnel": dict(report.funnel()),
                           "participants": [dict(zip(header, row)) for row in rows]}, ensure_ascii=False,
                          indent=1).encode()
    elif fmt == "csv":
        data = exports.to_csv(header, rows)
    else:
        if output is None:
            click.echo("error: --output is required for xlsx", err=True)
            sys.exit(1)
        data = exports.to_xlsx(header, rows, cohort.slug)
    if output:
        output.write_bytes(data)
        click.echo(f"wrote {output} ({len(rows)} participants)")
    else:
        sys.stdout.buffer.write(data)
