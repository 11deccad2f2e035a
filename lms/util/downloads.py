"""A file to download, named as send_file names it (download_name: an ASCII file name, plus
filename* for names with other characters), for every export and document of the app."""

from __future__ import annotations

import io

from flask import Response, send_file


def attachment(data: bytes, name: str, mimetype: str | None = None, cache_control: str | None = None) -> Response:
    """The bytes as an attachment called name. Without cache_control the app's rule for pages
    applies (private to the logged-in user); "private, no-store" for secrets and personal
    documents. The body stays an ordinary one, so text exports are compressed like pages."""
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name,
                         etag=False, conditional=False)
    response.direct_passthrough = False
    if cache_control:
        response.headers["Cache-Control"] = cache_control
    else:
        del response.headers["Cache-Control"]
    return response
