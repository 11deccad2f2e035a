"""Bimtek LMS: e-learning for Perpusnas TPBIS technical-guidance trainings."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from flask import Flask, Request, current_app, request, session
from flask_login import current_user
from sqlalchemy import event

from lms import config as lms_config
from lms.extensions import babel, compress, csrf, db, limiter, login_manager, migrate

ROOT = lms_config.ROOT


def select_locale() -> str:
    """The user's language, else the session's choice, else Bahasa Indonesia."""
    from flask import current_app, has_request_context

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _configure_sqlite(app: Flask) -> None:
    """WAL, busy timeout, foreign keys, and real transactions (BEGIN) on SQLite."""
    timeout_ms = app.config["SQLITE_BUSY_TIMEOUT_MS"]

    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    from flask import g

    from lms.util.db import sqlite_begin_immediate

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:
        immediate = sqlite_begin_immediate.get()
        connection.info["immediate"] = immediate  # holds_write_lock() asks
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    @app.before_request
    def writes_take_the_lock_first() -> None:
        # POST/PUT/DELETE requests write: on SQLite they begin with the write lock.
        g.sqlite_immediate = sqlite_begin_immediate.set(request.method not in ("GET", "HEAD", "OPTIONS"))

    @app.teardown_request
    def back_to_deferred(exc: BaseException | None) -> None:
        # Nothing after the request (a test's next connection, say) inherits the request's choice.
        token = g.pop("sqlite_immediate", None)
        if token is not None:
            try:
                sqlite_begin_immediate.reset(token)
            except ValueError:  # set in another context: leave it
                pass


def _static_cache(response):
    """Fingerprinted static files (?v=<hash>) never change: browsers keep them for a year."""
    if request.endpoint == "static" and response.status_code == 200:
        # Our static files are small: read them whole, so Flask-Compress compresses them with
        # gzip too (not only streaming algorithms) and the file is closed with the response.
        response.direct_passthrough = False
        response.make_sequence()
    if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
        # send_file marks every file "no-cache" (revalidate before each use); a fingerprinted
        # URL never needs that, and with it browsers ask again on every page.
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = 31536000
        response.cache_control.immutable = True
    return response


def _private_pages(response):
    """Pages for a logged-in user are hers alone: no shared cache (proxy, CDN) may keep them, and
    her browser asks again before showing one (e.g. on a shared library computer after logout).
    A response that says how to cache itself (static files, lesson images) keeps its header."""
    if request.endpoint != "static" and "Cache-Control" not in response.headers and current_user \
            and current_user.is_authenticated:
        response.headers["Cache-Control"] = "private, no-cache"
    return response


class TrustedProxies:
    """WSGI middleware: behind LMS_TRUSTED_PROXIES reverse proxies (nginx: one), the client's
    address, scheme and host come from the X-Forwarded-* headers the proxies set (Werkzeug's
    ProxyFix, trusting that many values from the right); with none (the default) the headers are
    ignored, so a client cannot choose the address that rate limits count."""

    def __init__(self, app: Flask) -> None:
        from werkzeug.middleware.proxy_fix import ProxyFix

        self.app, self.plain = app, app.wsgi_app
        self._fixed: dict[int, ProxyFix] = {}
        self._proxy_fix = ProxyFix

    def __call__(self, environ, start_response):
        count = int(self.app.config.get("TRUSTED_PROXIES") or 0)
        if count <= 0:
            return self.plain(environ, start_response)
        fixed = self._fixed.get(count)
        if fixed is None:
            fixed = self._fixed[count] = self._proxy_fix(self.plain, x_for=count, x_proto=count, x_host=count)
        return fixed(environ, start_response)


def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'",
    )
    return response


def _template_gettext(translations) -> dict[str, Any]:
    """The templates' _(), gettext and ngettext for one rendering, bound to this request's
    translations: the same as Flask-Babel's (Jinja's "newstyle" gettext: autoescaped, then
    %-formatted with the keyword arguments), without looking the translations up again for
    each of the page's twenty-odd strings."""
    from jinja2 import pass_context
    from markupsafe import Markup

    @pass_context
    def gettext(context, string: str, /, **variables: Any) -> str:
        result = translations.ugettext(string)
        if context.eval_ctx.autoescape:
            result = Markup(result)
        return result % variables

    @pass_context
    def ngettext(context, singular: str, plural: str, num: int, /, **variables: Any) -> str:
        variables.setdefault("num", num)
        result = translations.ungettext(singular, plural, num)
        if context.eval_ctx.autoescape:
            result = Markup(result)
        return result % variables

    return {"gettext": gettext, "ngettext": ngettext}


class _FormTranslations:
    """WTForms' messages ("This field is required.") from the page's catalogs, in its language."""

    def ugettext(self, string: str) -> str:
        from flask_babel import get_translations

        return get_translations().ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        from flask_babel import get_translations

        return get_translations().ungettext(singular, plural, n)


_FORM_TRANSLATIONS = _FormTranslations()


def _form_translations() -> None:
    # Flask-WTF reads WTForms' own catalogs (no Indonesian one) unless the request already holds
    # its translations (flask_wtf.i18n caches them on request.wtforms_translations): give it ours,
    # looked up only when a form message is translated.
    request.wtforms_translations = _FORM_TRANSLATIONS


def _request_log(app: Flask) -> None:
    """One log line per request: method, path, status, duration and user id."""
    import logging
    import time

    from flask import g

    log = logging.getLogger("lms.requests")

    @app.before_request
    def start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        started = g.pop("request_started", None)
        if started is not None:
            from lms.accounts.sessions import user_id_of_session

            user = user_id_of_session()  # Flask-Login's id in the cookie: no database query
            log.info("method=%s path=%s status=%s duration_ms=%.1f user=%s", request.method, request.path,
                     response.status_code, (time.perf_counter() - started) * 1000, user or "-")
        return response


class LmsRequest(Request):
    """Uploads are limited to MAX_CONTENT_LENGTH, except course zips on the editor's zip routes."""

    LARGE_UPLOADS = frozenset({"authoring.upload", "authoring.upload_new"})
    PHOTO_UPLOADS = frozenset({"plans.followup_save"})  # activity photos from phones

    @property
    def max_content_length(self) -> int | None:
        if self.endpoint in self.LARGE_UPLOADS and current_app:
            return current_app.config["MAX_COURSE_ZIP_BYTES"]
        if self.endpoint in self.PHOTO_UPLOADS and current_app:
            return current_app.config["MAX_PHOTO_UPLOAD_BYTES"]
        return super().max_content_length


def register_course_parts() -> None:
    """The files of a course folder that other packages own (lms.content.parts): quiz files,
    then surveys. create_app calls this; code that loads course folders without an app (tests)
    may call it too. Registering twice changes nothing."""
    from lms.quizzes.course_part import register as register_quizzes
    from lms.surveys.course_part import register as register_surveys

    register_quizzes()
    register_surveys()


def register_job_handlers() -> None:
    """Every kind of background job and its handler: lms.jobs runs a job by its kind."""
    from lms.certificates.operations import build_cohort_zip
    from lms.cohorts.importing import KIND as PARTICIPANT_IMPORT, run_import
    from lms.cohorts.reminders import send_emails
    from lms.jobs import register
    from lms.plans.followup_ops import send_reminders
    from lms.reports.exports import export_job

    register(PARTICIPANT_IMPORT, run_import)
    register("reminder_emails", send_emails)
    register("followup_reminders", send_reminders)
    register("certificates_zip", build_cohort_zip)
    register("report_export", export_job)


def create_app(config_overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: defaults, instance/config.py, LMS_* variables, then overrides."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.request_class = LmsRequest
    from lms.util.params import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any route is added
    _load_config(app, config_overrides)
    _init_extensions(app)
    import lms.models  # noqa: F401  (every model registered before first use)
    register_job_handlers()

    _connect_signals()
    _register_blueprints(app)
    _register_cli(app)
    _register_error_handlers(app)
    _register_response_hooks(app)
    _register_template_helpers(app)
    return app


def _load_config(app: Flask, config_overrides: Mapping[str, Any] | None) -> None:
    """Defaults, instance/config.py, LMS_* variables, the overrides; then what follows from them."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(lms_config.defaults(instance))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_mapping(lms_config.from_environment())
    if config_overrides:
        app.config.from_mapping(config_overrides)
    # The remember-me cookie is as secure as the session cookie unless set otherwise.
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = lms_config.secret_key_from_instance(instance)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgresql://"):  # use psycopg 3, the driver we install
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + url[len("postgresql://"):]
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = lms_config.postgres_engine_options(
            app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}, pooler=app.config["DATABASE_POOLER"])
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    if app.config.get("REDIS_PREFIX"):  # another site on the same Redis keeps its own keys and queue
        app.config.setdefault("RATELIMIT_KEY_PREFIX", app.config["REDIS_PREFIX"])
        if app.config["JOBS_QUEUE"] == "lms":
            app.config["JOBS_QUEUE"] = f"{app.config['REDIS_PREFIX']}-lms"
    # Two catalogs in one directory: ours, and WTForms' validation messages (wtforms.po, which
    # WTForms itself does not ship in Indonesian); Flask-Babel merges them per locale.
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", ";".join([str(ROOT / "lms" / "translations")] * 2))
    app.config.setdefault("BABEL_DOMAIN", "messages;wtforms")


def _init_extensions(app: Flask) -> None:
    """The database (and SQLite's settings), migrations, CSRF, rate limits, compression,
    translations and formatting, sessions and logins."""
    app.jinja_env.add_extension("jinja2.ext.do")
    db.init_app(app)
    _configure_sqlite(app)
    from lms.util.db import end_reads_with_commit

    end_reads_with_commit(app)  # registered after db.init_app: runs before the session is removed
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)  # registered first, so it runs after every other after_request
    from lms.util.formatting import page_timezone
    from lms.util.formatting import register as register_formatting

    babel.init_app(app, locale_selector=select_locale, timezone_selector=page_timezone)
    register_formatting(app)
    from lms.cohorts.timezones import register as register_zones

    register_zones(app)  # the page's zone: its cohort's
    app.before_request(_form_translations)
    from flask_babel import lazy_gettext as _l

    from lms.accounts.sessions import SessionInterface, load_user

    app.session_interface = SessionInterface()  # no Set-Cookie / Vary: Cookie on cached responses
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.user_loader(load_user)  # the id and the session nonce: logged-out cookies fail


def _connect_signals() -> None:
    """Downstream packages follow upstream facts (DESIGN.md): every subscription, in one place.
    Receivers run in the sender's transaction and flush only; connecting again (another app in
    the same process) changes nothing."""
    from lms.certificates import receivers as certificates
    from lms.learning import receivers as learning
    from lms.learning.signals import lesson_completed
    from lms.plans.signals import plan_approved
    from lms.quizzes.signals import (attempt_graded, attempt_scored, attempt_started, grade_changed, quiz_opening,
                                     trainee_guidance)

    from lms.learning.course_sync import connect as connect_learning_to_content

    register_course_parts()  # content loads and syncs the quiz and survey files through them
    connect_learning_to_content()  # learning recounts its caches when content syncs a course
    # learning: its caches follow the quizzes; the quiz pages ask it for the trainee's way
    attempt_started.connect(learning.note_quiz_activity)
    attempt_scored.connect(learning.recount_quiz)
    quiz_opening.connect(learning.posttest_gate)
    trainee_guidance.connect(learning.guidance)
    # certificates: issued (or flagged) when lessons, grades or plans complete a course
    lesson_completed.connect(certificates.issue_when_course_complete)
    attempt_graded.connect(certificates.issue_when_eligible)
    grade_changed.connect(certificates.reevaluate_after_grade_change)
    plan_approved.connect(certificates.issue_when_plan_approved)


def _register_blueprints(app: Flask) -> None:
    from lms.accounts.views import bp as accounts_bp
    from lms.api.views import bp as api_bp
    from lms.authoring.views import bp as authoring_bp
    from lms.certificates.views import bp as certificates_bp
    from lms.cohorts.views import bp as cohorts_bp
    from lms.cohorts.views import public_bp as invites_bp
    from lms.content.views import bp as content_bp
    from lms.core.views import bp as core_bp
    from lms.learning.views import bp as learning_bp
    from lms.offline.views import bp as offline_bp
    from lms.plans.views import bp as plans_bp
    from lms.quizzes.views import bp as quizzes_bp
    from lms.reports.views import bp as reports_bp
    from lms.jobs.views import bp as jobs_bp
    from lms.surveys.views import bp as surveys_bp

    for blueprint in (core_bp, accounts_bp, learning_bp, content_bp, cohorts_bp, quizzes_bp, certificates_bp,
                      invites_bp, api_bp, authoring_bp, plans_bp,
                      surveys_bp, offline_bp, reports_bp, jobs_bp):
        app.register_blueprint(blueprint)


def _register_cli(app: Flask) -> None:
    from lms.accounts.cli import users_cli
    from lms.backup import backup_command, restore_command
    from lms.certificates.cli import certificates_cli
    from lms.cohorts.cli import cohorts_cli
    from lms.content.cli import courses_cli
    from lms.demo import demo_cli, dev_cli
    from lms.jobs import jobs_cli
    from lms.plans.cli import plans_cli
    from lms.quizzes.cli import quizzes_cli
    from lms.reports.cli import reports_cli
    from lms.translate import translate_cli

    for group in (users_cli, courses_cli, cohorts_cli, demo_cli, translate_cli, quizzes_cli, certificates_cli,
                  reports_cli, dev_cli, jobs_cli, plans_cli):
        app.cli.add_command(group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def _register_error_handlers(app: Flask) -> None:
    from sqlalchemy.exc import DisconnectionError, OperationalError
    from werkzeug.exceptions import HTTPException

    from lms.core.views import handle_database_unavailable, handle_http_error

    app.register_error_handler(HTTPException, handle_http_error)
    # Database restarted or unreachable: 503 with Retry-After, not a 500 for every request.
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(DisconnectionError, handle_database_unavailable)


def _register_response_hooks(app: Flask) -> None:
    """The request log, security and cache headers, and the trusted proxies' headers."""
    _request_log(app)
    app.after_request(_security_headers)
    app.after_request(_private_pages)
    app.wsgi_app = TrustedProxies(app)  # type: ignore[method-assign]
    app.after_request(_static_cache)


def _register_template_helpers(app: Flask) -> None:
    """What every template may call: static_url, can, the language and its gettext, and the
    cross-package helpers wired here so that upstream packages need not import downstream ones."""
    from lms.accounts.forms import LOCALES
    from lms.auth import can
    from lms.surveys.queries import invitation
    from lms.util.static import static_url

    app.jinja_env.globals["static_url"] = static_url
    # The trainee's cohort evaluation on learning's pages, without learning importing surveys.
    app.jinja_env.globals["survey_invitation"] = lambda course, finished=None: invitation(current_user, course, finished)

    @app.context_processor
    def template_helpers() -> dict[str, Any]:
        from flask_babel import get_locale, get_translations

        return {
            "can": lambda action, obj=None: can(current_user, action, obj),
            "current_locale": str(get_locale()),
            "language_choices": LOCALES,  # the language form's choices (no form object per page)
            "request_path": request.full_path.rstrip("?") if request else "/",
            **_template_gettext(get_translations()),
        }
