"""Login, logout, profile and language (registration with an enrolment key: lms.cohorts.views)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from lms.accounts.forms import LanguageForm, LoginForm, ProfileForm
from lms.accounts.operations import update_profile, user_by_email
from lms.accounts.sessions import log_in, log_out
from lms.extensions import csrf, db, form_email, form_failed, limiter

bp = Blueprint("accounts", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def safe_next(target: str | None) -> str | None:
    """A redirect target only if it stays on this site (a path, no host, no scheme)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=form_failed)
@limiter.limit(_account_limit, methods=["POST"], key_func=form_email, deduct_when=form_failed)
def login() -> Response | str:
    """Log in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("core.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = user_by_email(form.email.data)
        if user is not None and user.is_active and user.check_password(form.password.data):
            log_in(user, remember=form.remember.data)  # a new session: the account's language applies
            return redirect(safe_next(request.args.get("next")) or url_for("core.dashboard"))
        # Same message whether or not the email exists.
        form.password.errors.append(_("Wrong email or password."))
    status = 200 if request.method == "GET" else 400
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout() -> Response:
    """Log out (POST with CSRF token): this user's sessions end on the server too."""
    log_out(current_user)
    db.session.commit()
    flash(_("You have logged out."), "info")
    response = redirect(url_for("accounts.login"))
    # A shared library computer: the lessons saved for offline reading and any queued answers
    # of this user go (offline.js clears them too, before the request leaves).
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile() -> Response | str:
    """Edit my profile and language."""
    form = ProfileForm(obj=current_user)
    if request.method == "GET" and current_user.regency_code:
        form.regency.data = current_user.regency_code  # the list's entry, whatever was typed before
    if form.validate_on_submit():
        update_profile(
            current_user, full_name=form.full_name.data, locale=form.locale.data,
            nip=form.nip.data, position=form.position.data, institution=form.institution.data,
            **form.region(),
        )
        db.session.commit()
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("accounts.profile"))
    status = 200 if request.method == "GET" else 400
    return render_template("accounts/profile.html", form=form), status


@bp.post("/language")
@csrf.exempt
def set_language() -> Response:
    """Switch the interface language: stored on the account (a CSRF token needed), or in the
    session of a visitor who is not logged in. The footer's language form is on every page: for a
    visitor it carries no token, so reading a public page (verify, the home page) starts no session
    and sets no cookie; another site can at most switch a visitor's language."""
    if current_user.is_authenticated and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    form = LanguageForm(meta={"csrf": False})
    if form.validate_on_submit():
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
        else:
            session["locale"] = form.locale.data
    return redirect(safe_next(request.form.get("next")) or url_for("core.index"))
