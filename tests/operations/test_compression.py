"""Text responses travel compressed; already-compressed formats (PDF, ZIP, images) do not."""

from __future__ import annotations

import gzip
import re

import brotli

from lms.util.static import static_url
from tests.certificates.conftest import certified  # noqa: F401  (fixture)


def test_lesson_page_is_gzip_encoded_and_smaller(app, client, auth, world):
    auth.login(world["trainee"].email)
    path = "/courses/mini-a/lessons/pengantar"
    plain = client.get(path)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers

    packed = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert packed.status_code == 200
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.data) < len(plain.data) / 2
    # CSRF tokens carry a timestamp, so two requests a second apart differ there only
    assert _without_tokens(gzip.decompress(packed.data)) == _without_tokens(plain.data)


def _without_tokens(page: bytes) -> bytes:
    return re.sub(rb'(name="csrf_token"[^>]*?value=")[^"]*"', rb'\1"', page)


def test_browsers_that_take_brotli_get_brotli(app, client, auth, world):
    auth.login(world["trainee"].email)
    response = client.get("/dashboard", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.headers["Content-Encoding"] == "br"
    assert b"</html>" in brotli.decompress(response.data)


def test_certificate_pdf_is_not_compressed_again(app, client, certified):  # noqa: F811
    response = client.get(f"/certificates/{certified['certificate'].code}.pdf",
                          headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert "Content-Encoding" not in response.headers


def test_fingerprinted_css_is_compressed_cached_and_revalidates(app, client):
    with app.test_request_context():
        url = static_url("css/app.css")
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    response.close()  # static files are read from an open file
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"{" in gzip.decompress(response.data)
    assert response.cache_control.max_age == 31536000 and response.cache_control.immutable
    assert "Accept-Encoding" in response.headers["Vary"]
    etag = response.headers["ETag"]
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    again.close()
    assert again.status_code == 304


def test_small_responses_are_sent_as_they_are(app, client):
    response = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
