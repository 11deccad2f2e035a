"""Fingerprinted URLs of the static files."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from flask import has_request_context, request, url_for

from lms.config import ROOT


def static_url(filename: str) -> str:
    """url_for('static') with a content hash, so a changed file gets a new URL; kept per
    (file, application root) for requests (every page asks for the same few)."""
    if not has_request_context():
        return url_for("static", filename=filename, v=_static_hash(filename))
    key = (filename, request.script_root)
    found = _urls.get(key)
    if found is None:
        if len(_urls) > 256:
            _urls.clear()
        found = _urls[key] = url_for("static", filename=filename, v=_static_hash(filename))
    return found


_urls: dict[tuple[str, str], str] = {}


@lru_cache(maxsize=64)
def _static_hash(filename: str) -> str:
    path = ROOT / "static" / filename
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.is_file() else "0"
