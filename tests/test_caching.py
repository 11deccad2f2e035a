"""The session cookie is set only when the session changes; static files and course images are
cached by browsers: no Set-Cookie, no `Vary: Cookie` on them, logged in or not."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

ASSET = "/courses/mini-a/assets/01-dasar/images/diagram.svg"


@pytest.fixture
def csrf_on(app, monkeypatch):
    """As in production: forms carry CSRF tokens kept in the session."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    return app


def _token(page: bytes) -> str:
    import re

    return re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()


def _get(client, path):
    response = client.get(path)
    response.close()  # a static file is sent from an open file
    return response


def _cached(response) -> bool:
    return "Set-Cookie" not in response.headers and "cookie" not in response.headers.get("Vary", "").lower()


def test_cookie_only_when_the_session_changes(csrf_on, client, world):
    # A public page without a form of its own (the footer's language form needs no token): no session.
    home = client.get("/verify")
    assert home.status_code == 200 and "Set-Cookie" not in home.headers
    login = client.get("/login")  # its form's CSRF token: the session starts
    assert "session=" in login.headers.get("Set-Cookie", "")
    again = client.get("/login")
    assert "Set-Cookie" not in again.headers  # nothing changed: not sent again
    assert _cached(_get(client, "/static/css/app.css"))
    response = client.post("/login", data={"email": world["trainee"].email, "password": PASSWORD,
                                           "csrf_token": _token(again.data)})
    assert response.status_code == 302 and "session=" in response.headers["Set-Cookie"]
    client.get("/dashboard")  # the first page after login makes the new session's CSRF token
    for path in ("/dashboard", "/courses/mini-a", "/courses/mini-a/lessons/pengantar"):
        assert "Set-Cookie" not in client.get(path).headers, path
    for path in ("/static/css/app.css", ASSET):
        response = _get(client, path)
        assert response.status_code == 200 and _cached(response), (path, response.headers)
    assert "max-age" in client.get(ASSET).headers["Cache-Control"]


def test_language_switch_keeps_working_with_and_without_an_account(csrf_on, client, world):
    # A visitor: no token needed; her choice is in the session.
    assert client.post("/language", data={"locale": "en", "next": "/login"}).status_code == 302
    assert b"Log in" in client.get("/login").data
    # Logged in: the account's setting changes only with the page's token.
    page = client.get("/login")
    client.post("/login", data={"email": world["trainee"].email, "password": PASSWORD, "csrf_token": _token(page.data)})
    assert client.post("/language", data={"locale": "en", "next": "/dashboard"}).status_code == 400
    dashboard = client.get("/dashboard")
    assert '<html lang="id">' in dashboard.data.decode()  # unchanged without the token
    assert client.post("/language", data={"locale": "en", "next": "/dashboard",
                                          "csrf_token": _token(dashboard.data)}).status_code == 302
    assert '<html lang="en">' in client.get("/dashboard").data.decode()
