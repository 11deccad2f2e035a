"""File downloads: one way to answer with bytes saved under a name."""

from __future__ import annotations

import io

from flask import Response, send_file


def attachment(data: bytes, name: str, mimetype: str | None = None) -> Response:
    """`data` as a download saved as `name` (type guessed from the name when not given).

    send_file writes Content-Disposition, with an RFC 5987 `filename*` for names outside ASCII,
    and answers Range requests. Its "no-cache" is dropped so that downloads keep the app's rule
    for pages (`private, no-cache` when logged in) unless the caller sets its own."""
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)
    del response.headers["Cache-Control"]
    return response
