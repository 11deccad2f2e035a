"""Logged-in sessions that end on the server: Flask's signed cookie carries the user's id and
session nonce (Flask-Login's alternative id, also in the remember-me cookie); logging out or
changing the password gives the user a new nonce, so a copied session or remember cookie stops
working. Logging in starts a new session (and so a new CSRF token)."""

from __future__ import annotations

import secrets

from flask import g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import login_user, logout_user

from lms.accounts.models import User, new_session_nonce
from lms.extensions import db


def load_user(value: str):
    """Flask-Login's user loader: the user whose id and current nonce the cookie names, else None."""
    user_id, _, nonce = (value or "").partition(":")
    if not (user_id.isascii() and user_id.isdigit() and len(user_id) < 10) or not nonce:
        return None  # also a cookie from before nonces: log in again
    user = db.session.get(User, int(user_id))
    if user is None or not user.session_nonce or not secrets.compare_digest(user.session_nonce, nonce):
        return None
    return user


def log_in(user, remember: bool = False) -> None:
    """Start a fresh session for the user: nothing of the visitor's session (e.g. a value planted
    by someone else: session fixation) or its CSRF token survives the login."""
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF's token of this request
    login_user(user, remember=remember)


def log_out(user) -> None:
    """End the user's sessions on the server (flush only; the caller commits) and clear the cookie."""
    if user is not None and getattr(user, "is_authenticated", False):
        user.session_nonce = new_session_nonce()
        db.session.flush()
    logout_user()
    session.clear()
    g.pop("csrf_token", None)


def user_id_of_session() -> str | None:
    """The user id in the session cookie, without a database query (for the request log)."""
    value = session.get("_user_id")
    return value.partition(":")[0] if value else None


# Responses meant to be kept by browsers: static files, course images.
CACHED_ENDPOINTS = frozenset({"static", "content.asset"})


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, saved only when it changed (SESSION_REFRESH_EACH_REQUEST is
    off), and without `Vary: Cookie` on static files and course images unless their request changed
    the session: reading the session to check access (a course image is for its trainees) must not
    make browsers fetch the image again whenever the cookie changes. Those responses are public
    (static) or private (images), never shared between users by a cache."""

    def save_session(self, app, session, response) -> None:
        if request.endpoint in CACHED_ENDPOINTS and not session.modified:
            session.accessed = False
        super().save_session(app, session, response)
