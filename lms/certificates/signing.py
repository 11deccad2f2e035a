"""Electronic signature (PAdES) of certificate PDFs with pyHanko, when a key is configured.

LMS_CERT_SIGNING_P12 names a PKCS#12 file (key and certificate, e.g. from BSrE for a
certified TTE), LMS_CERT_SIGNING_PASSWORD its passphrase. Without them certificates are issued
unsigned and the verification page is the proof.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path

from flask import current_app

_lock = threading.Lock()
_signers: dict[tuple[str, float], object] = {}


def _signer(path: str, password: str | None):
    from pyhanko.sign import signers

    key = (path, Path(path).stat().st_mtime)
    with _lock:
        signer = _signers.get(key)
        if signer is None:
            signer = signers.SimpleSigner.load_pkcs12(
                pfx_file=path, passphrase=password.encode() if password else None)
            if signer is None:
                raise RuntimeError(f"cannot read signing key and certificate from {path}")
            _signers.clear()
            _signers[key] = signer
        return signer


def signing_configured() -> bool:
    return bool(current_app.config.get("CERT_SIGNING_P12"))


def sign_pdf(pdf: bytes, *, reason: str, location: str) -> bytes:
    """The PDF with an embedded PAdES signature (or unchanged when signing is not configured)."""
    path = current_app.config.get("CERT_SIGNING_P12")
    if not path:
        return pdf
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = _signer(path, current_app.config.get("CERT_SIGNING_PASSWORD"))
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name="TandaTanganElektronik", reason=reason, location=location,
        subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256")
    output = signers.sign_pdf(writer, metadata, signer=signer)
    return output.getvalue()
