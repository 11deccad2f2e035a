"""Numbers under concurrent issuance (real connections), and PAdES signatures that verify."""

from __future__ import annotations

import datetime
import threading

import pytest
from sqlalchemy import select

from lms.extensions import db
from tests.conftest import PASSWORD
from tests.quizzes.test_concurrency import live_db  # noqa: F401  (fixture)


def test_concurrent_issuance_gives_distinct_consecutive_numbers(live_db):  # noqa: F811
    app = live_db
    from lms.accounts.operations import create_user
    from lms.certificates.models import Certificate
    from lms.certificates.rules import issue_certificate
    from lms.cohorts.operations import create_cohort
    from lms.cohorts.models import Cohort
    from lms.content.models import Course
    from lms.util.db import begin_write
    from tests.conftest import DATA, import_course_folder

    import_course_folder(app, DATA / "courses")
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "mini-q"))
        cohort_id = create_cohort(course=course, slug="serentak", name="Serentak", key="SERENTAK").id
        user_ids = [create_user(email=f"s{i}@example.test", full_name=f"S {i}", password=PASSWORD).id
                    for i in range(8)]
        db.session.commit()

    barrier = threading.Barrier(len(user_ids))
    errors = []

    def issue(user_id):
        try:
            with app.app_context():
                from lms.accounts.models import User
                from lms.util.db import sqlite_begin_immediate

                barrier.wait(timeout=10)
                sqlite_begin_immediate.set(True)  # as a POST request would
                begin_write()
                issue_certificate(db.session.get(User, user_id), db.session.get(Cohort, cohort_id))
                db.session.commit()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=issue, args=(uid,)) for uid in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    with app.app_context():
        numbers = sorted(db.session.scalars(select(Certificate.number)))
    year = numbers[0].rsplit("/", 1)[1]
    assert numbers == [f"{i:04d}/BIMTEK/{year}" for i in range(1, 9)]


@pytest.fixture
def signing_key(tmp_path):
    """A self-made signing key and certificate in a PKCS#12 file, like a TTE from BSrE."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Pejabat Penandatangan Uji"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Perpustakaan Nasional (uji)")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    path = tmp_path / "tte.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"tte", key, cert, None, serialization.BestAvailableEncryption(b"rahasia")))
    return path, cert.public_bytes(serialization.Encoding.DER)


def test_signed_certificate_verifies(app, client, certified, signing_key):
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    import io

    path, cert_der = signing_key
    app.config.update(CERT_SIGNING_P12=str(path), CERT_SIGNING_PASSWORD="rahasia")
    try:
        response = client.get(f"/certificates/{certified['certificate'].code}.pdf")
    finally:
        app.config.update(CERT_SIGNING_P12=None, CERT_SIGNING_PASSWORD=None)
    assert response.status_code == 200
    reader = PdfFileReader(io.BytesIO(response.data))
    (signature,) = reader.embedded_signatures
    trust = asn1_x509.Certificate.load(cert_der)
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[trust]))
    assert status.intact and status.valid
    assert status.signing_cert.subject.native["common_name"] == "Pejabat Penandatangan Uji"
    # A changed byte breaks it.
    tampered = bytearray(response.data)
    index = tampered.find(b"SERTIFIKAT")
    if index == -1:  # text is in a compressed stream: change a byte inside the signed range instead
        index = 200
    tampered[index] ^= 1
    reader = PdfFileReader(io.BytesIO(bytes(tampered)))
    status = validate_pdf_signature(reader.embedded_signatures[0], ValidationContext(trust_roots=[trust]))
    assert not status.intact
