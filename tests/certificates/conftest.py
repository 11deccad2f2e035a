from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from sqlalchemy import select

from lms.extensions import db
from tests.quizzes.conftest import correct_form, start


def pdf_text(data: bytes, tmp_path) -> str:
    """The text of a PDF as poppler's pdftotext reads it (what a reader would copy)."""
    if not shutil.which("pdftotext"):
        if os.environ.get("CI"):
            pytest.fail("pdftotext (poppler-utils) is needed in CI")
        pytest.skip("pdftotext not installed (apt-get install poppler-utils)")
    path = tmp_path / "c.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def posttest_answered(client, app) -> int:
    """Everything of the quiz course but the last click: the lesson done, the module quiz passed,
    the post-test started with its right answers saved. Returns the post-test attempt's id."""
    client.post("/courses/mini-q/lessons/bacaan-kuis/complete", data={"done": "1"})
    attempt = start(client, "kuis-modul")
    client.post(f"/attempts/{attempt}/save", data=correct_form(app, essay=""))
    client.post(f"/attempts/{attempt}/submit")
    post = start(client, "post")
    from lms.quizzes.types import option_id
    from tests.quizzes.conftest import questions_by_key, quiz_by_slug

    qs = questions_by_key(app, quiz_by_slug(app, "post"))
    client.post(f"/attempts/{post}/save", data={f"q{qs['p1'].id}": "true", f"q{qs['p2'].id}": option_id("PKK")})
    return post


def complete_mini_q(client, app):
    """Finish the quiz course: the lesson, the module quiz and the post-test."""
    return client.post(f"/attempts/{posttest_answered(client, app)}/submit")


@pytest.fixture
def certified(app, client, auth, courses, make_user, make_cohort, enrol_user):
    """A trainee who completed mini-q in a cohort with a signatory, and her certificate."""
    from lms.certificates.models import Certificate

    cohort = make_cohort("mini-q", key="SERTIF", name="Angkatan Sertifikat")
    with app.app_context():
        from lms.cohorts.models import Cohort
        from datetime import date

        c = db.session.get(Cohort, cohort.id)
        c.place, c.city = "Banjarmasin", "Banjarmasin"
        c.starts_on, c.ends_on = date(2026, 6, 14), date(2026, 6, 17)
        c.signatory_name, c.signatory_title = "Dra. Pejabat, M.Si.", "Kepala Dinas Perpustakaan"
        db.session.commit()
    trainee = make_user(email="lulus@example.test", full_name="Ani Rahmawati, A.Md.", nip="196804111993031009")
    enrol_user(trainee, cohort)
    auth.login(trainee.email)
    complete_mini_q(client, app)
    with app.app_context():
        certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == trainee.id))
    assert certificate is not None
    return {"cohort": cohort, "trainee": trainee, "certificate": certificate}
