"""The installable app: service worker, web app manifest, offline page, saved modules'
manifests, the queue's session check and the data-saver setting."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from werkzeug.wrappers import Response

from lms.auth import require
from lms.content.models import Course, Module
from lms.extensions import db
from lms.offline.datasaver import COOKIE as DATA_SAVER_COOKIE
from lms.offline.manifest import module_manifest, module_of
from lms.util.static import static_url

bp = Blueprint("offline", __name__)

# What every saved page needs, kept in the worker's shell cache (with the offline page).
SHELL_FILES = ("css/app.css", "js/offline-core.js", "js/offline.js", "js/quiz.js", "favicon.svg",
               "img/icon-192.png")


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker, from the site root so that it may serve every page; revalidated on
    every update check (its text names the fingerprinted shell files, so a new release is a new
    worker)."""
    import hashlib

    shell = [static_url(name) for name in SHELL_FILES] + [url_for("offline.offline_page")]
    version = hashlib.sha256(" ".join(shell).encode()).hexdigest()[:10]
    response = make_response(render_template("offline/sw.js", shell=shell, version=version))
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def web_manifest() -> Response:
    """The web app manifest: the app installs from the browser and opens on the dashboard."""
    response = jsonify({
        "name": _("Bimtek LMS: library transformation training"),
        "short_name": "Bimtek LMS",
        "lang": "id",
        "start_url": url_for("core.dashboard"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b4f8a",
        "icons": [
            {"src": static_url("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static_url("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static_url("favicon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    })
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/offline")
def offline_page() -> str:
    """Shown by the service worker for a page that was not saved, when there is no connection."""
    return render_template("offline/offline.html")


@bp.get("/offline/session")
def session_state() -> Response | tuple[Response, int]:
    """Who is signed in and a fresh CSRF token, for the offline queue before it sends anything.
    401 (not a redirect to the login page) when nobody is."""
    if not current_user.is_authenticated:
        return _no_store(jsonify(user=None)), 401
    return _no_store(jsonify(user=current_user.id, csrf=generate_csrf()))


def _course(course_slug: str) -> Course:
    course = db.one_or_404(select(Course).where(Course.slug == course_slug))
    require(current_user, "study", course)  # a trainee removed from the cohort: 403, the device drops it
    return course


@bp.get("/courses/<course_slug>/modules/<int:module_id>/offline.json")
@login_required
def module_json(course_slug: str, module_id: int) -> Response:
    """What saving the module for offline reading downloads, with its version and size."""
    course = _course(course_slug)
    module = module_of(course, module_id)
    if module is None:
        abort(404)
    return _no_store(jsonify(module_manifest(current_user, course, module)))


@bp.get("/courses/<course_slug>/offline.json")
@login_required
def course_json(course_slug: str) -> Response:
    """The course's modules, each with its manifest's address (saving the whole course)."""
    course = _course(course_slug)
    modules = db.session.execute(select(Module.id, Module.title).where(
        Module.course_id == course.id, Module.archived_at.is_(None)).order_by(Module.position)).all()
    return _no_store(jsonify(course=course.slug, modules=[
        {"id": i, "title": title,
         "manifest": url_for("offline.module_json", course_slug=course.slug, module_id=i)}
        for i, title in modules]))


@bp.post("/offline/data-saver")
@login_required
def data_saver() -> Response:
    """Turn the data saver on or off on this device."""
    target = request.form.get("next", "")[:500]
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = url_for("core.dashboard")
    response = redirect(target)
    if request.form.get("on") == "1":
        response.set_cookie(DATA_SAVER_COOKIE, "1", max_age=365 * 86400, samesite="Lax", httponly=True,
                            secure=request.is_secure)
    else:
        response.delete_cookie(DATA_SAVER_COOKIE)
    return response
