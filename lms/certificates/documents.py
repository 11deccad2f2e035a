"""A certificate's PDF and public URLs, for views, the CLI and background jobs."""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Callable

from flask import current_app, has_request_context, url_for

from lms.certificates.models import Certificate
from lms.certificates.pdf import render_certificate
from lms.certificates.signing import sign_pdf


def public_url(endpoint: str, **values) -> str:
    """An absolute URL: LMS_PUBLIC_URL when set (behind proxies, in jobs), else the request's."""
    base = current_app.config.get("PUBLIC_URL")
    if base:
        with current_app.test_request_context(base_url=base.rstrip("/") + "/"):
            return url_for(endpoint, _external=True, **values)
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context(base_url="http://127.0.0.1:5000/"):
        return url_for(endpoint, _external=True, **values)


def verify_url(certificate: Certificate) -> str:
    # Built once per app and base URL, then filled in: url_for per certificate adds up in a ZIP.
    template = public_url("certificates.verify", code="CODE")
    return template[: -len("CODE")] + certificate.code


def _render(certificate: Certificate, url: str) -> bytes:
    """Render (and sign, when configured) the certificate from its frozen snapshot."""
    snapshot = certificate.snapshot
    pdf = render_certificate(
        snapshot, url, issuer=current_app.config["CERT_ISSUER"],
        fallback_fonts=current_app.config.get("CERT_FALLBACK_FONTS"))
    return sign_pdf(pdf, reason=f"Sertifikat {snapshot['number']}",
                    location=snapshot.get("city") or snapshot.get("place") or "Indonesia")


# Rendered PDFs kept per process, by everything they are made of: a certificate's snapshot is
# frozen (a correction is a reissue: a new certificate, with a new code and snapshot), so the same
# inputs always make the same document. About 1-3 MB at most (a PDF is about 10 KB, 20-30 KB signed).
KEPT_PDFS = 128
_kept: OrderedDict[str, bytes] = OrderedDict()
_kept_lock = threading.Lock()


def _pdf_key(certificate: Certificate, url: str) -> str:
    """What the PDF is made of: snapshot, verification URL, issuer, fonts and signing key (its file's mtime)."""
    config = current_app.config
    signing = config.get("CERT_SIGNING_P12") or ""
    parts = [certificate.code, certificate.snapshot_json, url, config["CERT_ISSUER"],
             repr(config.get("CERT_FALLBACK_FONTS")), signing,
             str(Path(signing).stat().st_mtime) if signing else ""]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def certificate_pdf(certificate: Certificate, keep: bool = True) -> bytes:
    """The certificate as PDF: rendered (and signed) once, then served from this process's copy
    while its inputs stay the same. keep=False: reuse a kept copy but keep no new one (a ZIP of a
    whole cohort would only push out the copies of single downloads)."""
    url = verify_url(certificate)
    key = _pdf_key(certificate, url)
    with _kept_lock:
        pdf = _kept.get(key)
        if pdf is not None:
            _kept.move_to_end(key)
            return pdf
    pdf = _render(certificate, url)
    if keep:
        with _kept_lock:
            _kept[key] = pdf
            while len(_kept) > KEPT_PDFS:
                _kept.popitem(last=False)
    return pdf


def file_name(certificate: Certificate) -> str:
    safe = "".join(ch if ch.isalnum() else "-" for ch in certificate.snapshot["name"]).strip("-")[:60]
    return f"sertifikat-{safe or 'peserta'}-{certificate.code[:8]}.pdf"


def zip_certificates(certificates: list[Certificate], progress: Callable[[int, int], None] | None = None,
                     every: int = 25) -> bytes:
    """One PDF per certificate in a ZIP (PDFs are already compressed: stored, not deflated)."""
    buffer = io.BytesIO()
    total = len(certificates)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for index, certificate in enumerate(certificates, start=1):
            archive.writestr(file_name(certificate), certificate_pdf(certificate, keep=False))
            if progress and (index % every == 0 or index == total):
                progress(index, total)
    return buffer.getvalue()
