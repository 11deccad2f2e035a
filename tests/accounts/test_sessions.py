"""Sessions as a security reviewer expects (ASVS V3): logout ends the session on the server, a
login starts a new session with a new CSRF token, cookies carry the right flags, logged-in pages
are not cached by shared caches, and rate limits count the real client behind a proxy."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import PASSWORD, login


def _replay(app, name: str, value: str) -> FlaskClient:
    """Another browser that sends only a copied cookie."""
    thief = app.test_client()
    thief.set_cookie(name, value, domain="localhost")
    return thief


def test_a_copied_session_cookie_stops_working_at_logout(app, client, world):
    login(client, world["trainee"])
    copied = client.get_cookie("session").value
    assert _replay(app, "session", copied).get("/dashboard").status_code == 200  # a live session
    client.post("/logout")
    assert _replay(app, "session", copied).get("/dashboard").status_code == 302  # to the login page


def test_a_copied_remember_me_cookie_stops_working_at_logout(app, client, world):
    client.post("/login", data={"email": world["trainee"].email, "password": PASSWORD, "remember": "y"})
    remember = client.get_cookie("remember_token")
    assert remember is not None and remember.http_only
    assert _replay(app, "remember_token", remember.value).get("/dashboard").status_code == 200
    client.post("/logout")
    assert _replay(app, "remember_token", remember.value).get("/dashboard").status_code == 302


def test_a_new_password_ends_the_sessions_made_with_the_old_one(app, client, world):
    from lms.accounts.models import User
    from lms.extensions import db

    login(client, world["trainee"])
    with app.app_context():
        db.session.get(User, world["trainee"].id).set_password("kata-sandi-lain-9")
        db.session.commit()
    assert client.get("/dashboard").status_code == 302


def test_login_starts_a_new_session_with_a_new_csrf_token(app, client, world):
    client.get("/login")
    with client.session_transaction() as session:  # the visitor's CSRF token (the form's, with CSRF on)
        session["csrf_token"] = before = "a token from before the login"
        session["planted"] = "by someone else"  # session fixation: a value set before login
    client.post("/login", data={"email": world["trainee"].email, "password": PASSWORD})
    client.get("/profile")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["csrf_token"] != before
        assert session["_user_id"].startswith(f"{world['trainee'].id}:")


def test_remember_cookie_follows_the_session_cookie_setting(backend_app):
    from lms import create_app
    from tests.conftest import base_config

    url = backend_app.config["SQLALCHEMY_DATABASE_URI"]
    secure = create_app({**base_config(url), "SESSION_COOKIE_SECURE": True})
    assert (secure.config["REMEMBER_COOKIE_SECURE"], secure.config["REMEMBER_COOKIE_HTTPONLY"],
            secure.config["REMEMBER_COOKIE_SAMESITE"]) == (True, True, "Lax")
    assert create_app(base_config(url)).config["REMEMBER_COOKIE_SECURE"] is False


def test_logged_in_pages_are_private_and_static_files_keep_their_caching(app, client, world):
    assert "private" not in client.get("/login").headers.get("Cache-Control", "")
    login(client, world["trainee"])
    for path in ("/dashboard", "/courses/mini-a", "/courses/mini-a/lessons/pengantar", "/profile"):
        assert client.get(path).headers["Cache-Control"] == "private, no-cache", path
    image = client.get("/courses/mini-a/assets/01-dasar/images/diagram.svg")
    assert image.headers["Cache-Control"] == "private, max-age=86400"  # lesson images: as before
    from lms.util.static import static_url

    with app.test_request_context():
        css = static_url("css/app.css")
    response = client.get(css)
    response.close()
    assert "immutable" in response.headers["Cache-Control"]


def _failed_logins(client: FlaskClient, forwarded_for: str | None, times: int) -> list[int]:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return [client.post("/login", data={"email": f"tidak-ada{i}@example.test", "password": "salah"},
                        headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code
            for i in range(times)]


def test_behind_a_trusted_proxy_each_client_has_its_own_login_limit(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)  # nginx at 10.0.0.2 in front
    # 5 failed logins a minute per address: the sixth from one client is refused...
    assert _failed_logins(client, "203.0.113.7", 6) == [400] * 5 + [429]
    # ...while another client behind the same proxy still may try.
    assert _failed_logins(client, "198.51.100.20", 1) == [400]


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(app, client):
    assert app.config["TRUSTED_PROXIES"] == 0
    # A client that makes up a new X-Forwarded-For for each try is still one address.
    statuses = [_failed_logins(client, f"192.0.2.{i}", 1)[0] for i in range(6)]
    assert statuses == [400] * 5 + [429]
