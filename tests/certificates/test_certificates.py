"""Certificates: issued on completion, numbered without gaps, frozen, verifiable, revocable."""

from __future__ import annotations

import hashlib
import io
import zipfile

from sqlalchemy import select

from lms.certificates.models import Certificate
from lms.extensions import db
from tests.certificates.conftest import complete_mini_q, pdf_text, posttest_answered
from tests.conftest import login, run_cohort, text_of


def test_certificate_is_issued_when_the_course_is_completed(app, client, auth, courses, make_user, make_cohort,
                                                            enrol_user):
    cohort = make_cohort("mini-q", key="SELESAI")
    trainee = make_user(email="selesai@example.test")
    enrol_user(trainee, cohort)
    auth.login(trainee.email)
    client.post("/courses/mini-q/lessons/bacaan-kuis/complete", data={"done": "1"})
    with app.app_context():
        assert db.session.scalar(select(Certificate)) is None  # quizzes still to pass
    response = complete_mini_q(client, app)
    assert response.status_code == 302
    page = text_of(client.get("/dashboard").data)
    assert "Unduh sertifikat" in page
    with app.app_context():
        certificate = db.session.scalar(select(Certificate))
        assert certificate.status == "valid" and certificate.user_id == trainee.id
        # The post-test result counts: mini-q shows no score, so none is printed.
        assert certificate.snapshot["score"] is None


def test_issuance_is_idempotent(app, certified):
    from lms.certificates.rules import issue_certificate, issue_if_eligible
    from lms.cohorts.models import Cohort
    from lms.content.models import Course

    with app.app_context():
        trainee = certified["trainee"]
        cohort = db.session.get(Cohort, certified["cohort"].id)
        again, new = issue_certificate(trainee, cohort)
        assert not new and again.id == certified["certificate"].id
        assert issue_if_eligible(trainee, db.session.get(Course, cohort.course_id)) == []
        assert db.session.scalar(select(db.func.count(Certificate.id))) == 1


def test_numbers_follow_the_pattern_without_gaps(app, courses, make_user, make_cohort, enrol_user):
    from lms.certificates.rules import issue_certificate
    from lms.cohorts.models import Cohort

    cohort = make_cohort("mini-q", key="NOMOR")
    with app.app_context():
        numbers = []
        for i in range(3):
            user = make_user(email=f"n{i}@example.test")
            numbers.append(issue_certificate(user, db.session.get(Cohort, cohort.id))[0].number)
        db.session.commit()
    year = numbers[0].rsplit("/", 1)[1]
    assert numbers == [f"000{i}/BIMTEK/{year}" for i in (1, 2, 3)]


def test_snapshot_is_frozen_and_reissue_keeps_the_number(app, client, certified, make_user):
    certificate = certified["certificate"]
    client.post("/profile", data={"full_name": "Ani Rahmawati Putri, A.Md.", "nip": "", "position": "Pengelola",
                                  "institution": "Perpustakaan Desa Tampakang", "regency": "Hulu Sungai Utara",
                                  "province": "63", "locale": "id"})
    verify = text_of(client.get(f"/verify/{certificate.code}").data)
    assert "Ani Rahmawati, A.Md." in verify and "Putri" not in verify
    organizer = app.test_client()
    run_cohort(app, make_user("organizer", email="org@example.test"), certified["cohort"])
    login(organizer, "org@example.test")
    organizer.post(f"/organizer/certificates/{certificate.id}/reissue")
    with app.app_context():
        old = db.session.get(Certificate, certificate.id)
        new = db.session.get(Certificate, old.replaced_by_id)
        assert old.status == "replaced" and new.status == "valid"
        assert new.number == old.number and new.code != old.code
        assert new.snapshot["name"] == "Ani Rahmawati Putri, A.Md."
    old_page = text_of(client.get(f"/verify/{certificate.code}").data)
    assert "Diganti" in old_page and "Sah" not in old_page.split("Diganti")[0][-20:]
    assert client.get(f"/certificates/{certificate.code}.pdf").status_code == 410


def test_a_downloaded_pdf_is_kept_and_a_reissue_gets_its_own(app, client, certified, make_user, monkeypatch,
                                                              tmp_path):
    """The PDF is rendered once and kept (the snapshot is frozen); a reissue (new code, new
    snapshot) is a new document, and so is one whose verification address changed."""
    from lms.certificates import documents

    rendered = []
    render = documents.render_certificate
    monkeypatch.setattr(documents, "render_certificate", lambda *a, **k: rendered.append(a[1]) or render(*a, **k))
    certificate = certified["certificate"]
    url = f"/certificates/{certificate.code}.pdf"
    first = client.get(url).data
    assert client.get(url).data == first and len(rendered) == 1  # kept: not rendered again
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://sertifikat.example.id")
    moved = client.get(url).data
    assert len(rendered) == 2 and rendered[-1].startswith("https://sertifikat.example.id/verify/")
    assert moved != first
    client.post("/profile", data={"full_name": "Ani Rahmawati Putri, A.Md.", "nip": "", "position": "Pengelola",
                                  "institution": "Perpustakaan Desa Tampakang", "regency": "Hulu Sungai Utara",
                                  "province": "63", "locale": "id"})
    organizer = app.test_client()
    run_cohort(app, make_user("organizer", email="org-pdf@example.test"), certified["cohort"])
    login(organizer, "org-pdf@example.test")
    organizer.post(f"/organizer/certificates/{certificate.id}/reissue")
    with app.app_context():
        new = db.session.get(Certificate, db.session.get(Certificate, certificate.id).replaced_by_id)
    assert client.get(url).status_code == 410  # the replaced one is not served from the kept copy
    reissued = client.get(f"/certificates/{new.code}.pdf").data
    assert len(rendered) == 3 and reissued != moved
    assert "Ani Rahmawati Putri, A.Md." in pdf_text(reissued, tmp_path)
    assert new.code in pdf_text(reissued, tmp_path)


def test_revocation_flips_verification_and_stops_the_pdf(app, client, certified, make_user):
    certificate = certified["certificate"]
    assert client.get(f"/certificates/{certificate.code}.pdf").status_code == 200
    assert "Sah" in text_of(client.get(f"/verify/{certificate.code}").data)
    organizer = app.test_client()
    run_cohort(app, make_user("organizer", email="org2@example.test"), certified["cohort"])
    login(organizer, "org2@example.test")
    no_reason = organizer.post(f"/organizer/certificates/{certificate.id}/revoke", data={"reason": " "})
    assert no_reason.status_code == 302
    organizer.post(f"/organizer/certificates/{certificate.id}/revoke", data={"reason": "Data kehadiran keliru"})
    page = text_of(client.get(f"/verify/{certificate.code}").data)
    assert "Dicabut" in page and "tidak berlaku lagi" in page
    assert client.get(f"/certificates/{certificate.code}.pdf").status_code == 410
    assertion = client.get(f"/badges/assertions/{certificate.code}")
    assert assertion.status_code == 410 and assertion.get_json()["revoked"] is True


def test_verification_shows_nothing_personal_and_unknown_codes_are_404_then_429(app, client, certified):
    certificate = certified["certificate"]
    page = text_of(client.get(f"/verify/{certificate.code.lower()}").data)
    assert "Ani Rahmawati, A.Md." in page and "Banjarmasin" in page
    assert "196804111993031009" not in page and "lulus@example.test" not in page
    grouped = "-".join(certificate.code[i:i + 4] for i in range(0, 16, 4))
    assert client.get(f"/verify/{grouped}").status_code == 200  # as printed, with dashes
    stranger = app.test_client()
    statuses = [stranger.get(f"/verify/BUKANKODE{i:04d}").status_code for i in range(11)]
    assert statuses[:10] == [404] * 10 and statuses[10] == 429
    assert "Ani" not in text_of(stranger.get("/verify/BUKANKODE0000").data)


def test_open_badges_assertion(app, client, certified):
    certificate = certified["certificate"]
    data = client.get(f"/badges/assertions/{certificate.code}").get_json()
    assert data["@context"] == "https://w3id.org/openbadges/v2" and data["type"] == "Assertion"
    assert data["id"] == f"https://lms.example.id/badges/assertions/{certificate.code}"
    assert data["verification"] == {"type": "HostedBadge"}
    recipient = data["recipient"]
    assert recipient["type"] == "email" and recipient["hashed"] is True
    expected = hashlib.sha256(("lulus@example.test" + recipient["salt"]).encode()).hexdigest()
    assert recipient["identity"] == "sha256$" + expected
    assert "lulus@example.test" not in str(data)
    badge = client.get(data["badge"].replace("https://lms.example.id", "")).get_json()
    assert badge["type"] == "BadgeClass" and badge["name"].startswith("Bimtek")
    assert set(badge) >= {"@context", "id", "name", "description", "image", "criteria", "issuer"}
    issuer = client.get(badge["issuer"].replace("https://lms.example.id", "")).get_json()
    assert issuer["type"] == "Issuer" and issuer["name"] == "Perpustakaan Nasional Republik Indonesia"
    assert data["issuedOn"].startswith(certificate.issued_at.date().isoformat()[:4])


def test_pdf_carries_the_snapshot_and_a_verification_link(app, client, certified, tmp_path):
    certificate = certified["certificate"]
    response = client.get(f"/certificates/{certificate.code}.pdf")
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    text = " ".join(pdf_text(response.data, tmp_path).split())
    assert "SERTIFIKAT" in text and "Ani Rahmawati, A.Md." in text
    assert "NIP. 19680411 199303 1 009" in text
    assert "14–17 Juni 2026 di Banjarmasin" in text
    assert f"https://lms.example.id/verify/{certificate.code}" in text
    assert "Dra. Pejabat, M.Si." in text


def test_names_of_every_kind_are_laid_out(app, tmp_path):
    from lms.certificates.cli import SAMPLE
    from lms.certificates.pdf import render_certificate

    names = ["Muhammad Abdurrahman bin Haji Abdul Qadir Al-Banjari Wiraatmadja Kusumaningrat, S.Sos., M.Hum.",
             "Rahmah O'Neil", "Zoë Ñúñez-Łukasiewicz", "Ани Рахмавати", "Siti 😀 Nur"]
    for name in names:
        pdf = render_certificate(dict(SAMPLE, name=name), "https://lms.example.id/verify/X", issuer="Perpusnas")
        text = " ".join(pdf_text(pdf, tmp_path).split())
        for word in name.replace("😀", "").split():
            assert word in text, (word, text[:300])


def test_zip_of_a_cohort_holds_one_pdf_per_certified_trainee(app, client, certified, make_user, courses,
                                                             enrol_user):
    other = make_user(email="belum@example.test")
    enrol_user(other, certified["cohort"])  # enrolled, not certified
    organizer = app.test_client()
    run_cohort(app, make_user("organizer", email="org3@example.test"), certified["cohort"])
    login(organizer, "org3@example.test")
    page = text_of(organizer.get(f"/organizer/cohorts/{certified['cohort'].id}/certificates").data)
    assert "Ani Rahmawati, A.Md." in page and "Peserta tanpa sertifikat" in page
    response = organizer.post(f"/organizer/cohorts/{certified['cohort'].id}/certificates/zip")
    job_page = organizer.get(response.headers["Location"])
    assert "Siap: 1 sertifikat." in text_of(job_page.data)
    job_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    archive = zipfile.ZipFile(io.BytesIO(organizer.get(f"/organizer/jobs/{job_id}/download").data))
    names = archive.namelist()
    assert len(names) == 1 and names[0].startswith("sertifikat-Ani-Rahmawati")
    assert archive.read(names[0]).startswith(b"%PDF")


def test_cli_sample_and_issue(app, runner, tmp_path, certified):
    out = tmp_path / "contoh.pdf"
    result = runner.invoke(args=["certificates", "sample", str(out), "--name", "Siti 😀 Nur"])
    assert result.exit_code == 0 and out.read_bytes().startswith(b"%PDF")
    from lms.cohorts.models import Cohort

    with app.app_context():
        slug = db.session.get(Cohort, certified["cohort"].id).slug
    result = runner.invoke(args=["certificates", "issue", "--cohort", slug])
    assert result.exit_code == 0 and "0 certificate(s) issued" in result.output
    assert runner.invoke(args=["certificates", "issue", "--cohort", "tidak-ada"]).exit_code == 1


def test_a_timed_posttest_closed_by_its_time_limit_still_issues_the_certificate(app, client, auth, courses,
                                                                                  make_user, make_cohort, enrol_user):
    """The post-test's time runs out after the right answers were saved: opening the quiz page
    closes and grades the attempt, and the certificate is issued as if she had pressed submit."""
    from datetime import timedelta

    from lms.quizzes.models import Answer, Attempt
    from lms.util import utcnow

    cohort = make_cohort("mini-q", key="WAKTU")
    trainee = make_user(email="waktu@example.test")
    enrol_user(trainee, cohort)
    auth.login(trainee.email)
    post = posttest_answered(client, app)
    with app.app_context():
        row = db.session.get(Attempt, post)
        row.started_at, row.deadline_at = utcnow() - timedelta(minutes=30), utcnow() - timedelta(minutes=5)
        for answer in db.session.scalars(select(Answer).where(Answer.attempt_id == post)):
            answer.saved_at = utcnow() - timedelta(minutes=10)  # saved in time
        db.session.commit()
        assert db.session.scalar(select(Certificate)) is None
    page = client.get(f"/attempts/{post}")
    assert page.headers["Location"] == f"/attempts/{post}/result"
    shown = text_of(client.get(page.headers["Location"]).data)
    assert "sertifikat Anda telah terbit" in shown
    with app.app_context():
        assert db.session.get(Attempt, post).passed is True
        certificate = db.session.scalar(select(Certificate))
        assert certificate is not None and certificate.user_id == trainee.id and certificate.status == "valid"
