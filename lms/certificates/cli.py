"""`flask certificates issue|sample`."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from lms.certificates.operations import issue_for_cohort
from lms.certificates.pdf import render_certificate
from lms.cohorts.models import Cohort
from lms.extensions import db

certificates_cli = AppGroup("certificates", help="Certificates: issue to eligible trainees, render a sample.")


@certificates_cli.command("issue")
@click.option("--cohort", "cohort_slug", required=True)
def issue_command(cohort_slug: str) -> None:
    """Issue certificates to every eligible trainee of the cohort who has none yet."""
    cohort = db.session.scalar(select(Cohort).where(Cohort.slug == cohort_slug))
    if cohort is None:
        click.echo(f"error: no cohort with slug '{cohort_slug}'", err=True)
        sys.exit(1)
    count = issue_for_cohort(cohort)
    db.session.commit()
    click.echo(f"{cohort_slug}: {count} certificate(s) issued")


SAMPLE = {
    "number": "0042/BIMTEK-SPPTIK/2026", "code": "K7Q2-9XWB-AD4M-PL3R",
    "name": "Ani Rahmawati, A.Md.", "nip": "196804111993031009",
    "institution": "Perpustakaan Desa Sungai Namang", "regency": "Hulu Sungai Utara, Kalimantan Selatan",
    "course_title": "Bimbingan Teknis Strategi Pengembangan Perpustakaan dan Teknologi Informasi Komunikasi",
    "cohort_name": "Angkatan Kalimantan Selatan", "place": "Banjarmasin",
    "starts_on": "2021-06-14", "ends_on": "2021-06-17", "jp_hours": 32, "score": 86.5,
    "issued_on": date.today().isoformat(), "signatory_name": "Nama Pejabat, S.Sos., M.Si.",
    "signatory_title": "Kepala Pusat Pengembangan Perpustakaan Umum dan Khusus",
    "signatory_nip": "197001012000031001", "city": "Jakarta",
}


@certificates_cli.command("sample")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", default=None, help="Try a particular name (long, accented, non-Latin, emoji).")
def sample_command(output: Path, name: str | None) -> None:
    """Render a sample certificate with demo data, to check the design."""
    snapshot = dict(SAMPLE, name=name or SAMPLE["name"])
    pdf = render_certificate(snapshot, "https://lms.example.id/verify/K7Q29XWBAD4MPL3R",
                             issuer=current_app.config["CERT_ISSUER"],
                             fallback_fonts=current_app.config.get("CERT_FALLBACK_FONTS"))
    output.write_bytes(pdf)
    click.echo(f"wrote {output} ({len(pdf) // 1024} KB)")
