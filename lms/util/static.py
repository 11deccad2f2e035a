"""Fingerprinted URLs of the static files."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from flask import url_for

from lms.config import ROOT


def static_url(filename: str) -> str:
    """url_for('static') with a content hash, so a changed file gets a new URL."""
    return url_for("static", filename=filename, v=_static_hash(filename))


@lru_cache(maxsize=64)
def _static_hash(filename: str) -> str:
    path = ROOT / "static" / filename
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.is_file() else "0"
