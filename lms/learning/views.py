"""Trainee pages: joining a cohort, course outline, lesson reader, marking lessons done (the
dashboard, which also shows plans and certificates, is lms.core.views.dashboard)."""

from __future__ import annotations

from functools import cache

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import bindparam, select
from werkzeug.wrappers import Response

from lms.accounts.forms import JoinForm
from lms.auth import enrolled_clause, note_enrolment, require
from lms.cohorts.operations import EnrolmentError, cohort_for_key, enrol
from lms.content.models import Course, Lesson
from lms.extensions import db, limiter
from lms.learning import fragments, nextstep, progress
from lms.offline import datasaver, replays
from lms.util.db import begin_write

bp = Blueprint("learning", __name__)


@cache
def _course_statement():
    """The course by its slug with whether I am enrolled, built once per process (values bound per call)."""
    return select(Course, enrolled_clause(bindparam("user_id"), Course.id)).where(Course.slug == bindparam("slug"))


def _get_course(course_slug: str) -> Course:
    """The course, if I may study it; my enrolment is read in the same query."""
    row = db.session.execute(_course_statement(), {"user_id": current_user.id, "slug": course_slug}).first()
    if row is None:
        abort(404)
    course, enrolled = row
    note_enrolment(current_user, course, bool(enrolled))
    require(current_user, "study", course)
    return course


def _failed(response: Response) -> bool:
    return response.status_code != 302


@bp.post("/join")
@login_required
@limiter.limit(lambda: current_app.config["ENROL_RATE_LIMIT"], deduct_when=_failed)
def join() -> Response | tuple[str, int]:
    """Join another cohort with its enrolment key."""
    form = JoinForm()
    if form.validate_on_submit():
        try:
            cohort = cohort_for_key(form.enrolment_key.data)
        except EnrolmentError as exc:
            form.enrolment_key.errors.append(str(exc))
        else:
            enrol(current_user, cohort)
            db.session.commit()
            flash(_("You have joined %(cohort)s.", cohort=cohort.name), "success")
            return redirect(url_for("learning.course", course_slug=cohort.course.slug))
    return render_template("learning/join.html", join_form=form), 400


@bp.app_template_global()
def step_url(course: Course, step) -> str:
    return nextstep.step_url(course, step)


bp.add_app_template_global(fragments.lesson_item, "lesson_item")
bp.add_app_template_global(fragments.quiz_item, "quiz_item")
bp.add_app_template_global(fragments.lesson_article, "lesson_article")


@bp.get("/courses/<course_slug>")
@login_required
def course(course_slug: str) -> str:
    """The course for a phone: title, progress and the next step first, then the modules (the
    current one open), the pre-test box only until it is taken, the certificate once issued."""
    course = _get_course(course_slug)
    mine = nextstep.journey(current_user, course)
    step = mine.step
    return render_template(
        "learning/course.html", course=course, journey=mine, outline=mine.outline, step=step,
        pretest=mine.kind("pretest"), posttest=mine.kind("posttest"), modules_done=mine.modules_done,
        progress=mine.progress, organizers=nextstep.organizers_for(current_user, course)
        if step.kind == nextstep.STUCK else [],
        current_module=_current_module(mine), data_saver=datasaver.data_saver_on(),
    )


def _current_module(mine) -> int | None:
    """The module to show open: the next step's, else the first one not complete."""
    if mine.step.module is not None:
        return mine.step.module.id
    return next((item.module.id for item in mine.outline if not item.complete and (item.lessons or item.quizzes)),
                None)


@bp.get("/courses/<course_slug>/continue")
@login_required
def resume(course_slug: str) -> Response:
    """Go to the next step: a lesson, a quiz, or the course page that says what is left."""
    course = _get_course(course_slug)
    return redirect(nextstep.step_url(course, nextstep.next_step(current_user, course)))


def _get_lesson(course: Course, lesson_slug: str) -> Lesson:
    """The lesson, without its text (marking it done reads none)."""
    return db.one_or_404(select(Lesson).options(*progress.WITHOUT_BODY).where(
        Lesson.course_id == course.id, Lesson.slug == lesson_slug, Lesson.archived_at.is_(None)))


@bp.get("/courses/<course_slug>/lessons/<lesson_slug>")
@login_required
def lesson(course_slug: str, lesson_slug: str) -> str:
    """Read a lesson; opening it is recorded for 'continue where I left off'.

    The page is rendered from reads first; the visit is written after, unless this lesson is
    already the one I opened last, less than a minute ago (a reload stays a pure read).
    """
    found = progress.lesson_page(current_user, course_slug, lesson_slug)
    if found is None:
        abort(404)
    course, enrolled, lesson, module, record, cached, passed = found
    note_enrolment(current_user, course, enrolled)
    require(current_user, "study", course)
    if lesson is None:
        abort(404)
    shape = progress.course_shape(course)
    mine = progress.my_course(current_user, course, shape, cached, passed)
    ordered = shape.reading_order
    index = next(i for i, item in enumerate(ordered) if item.id == lesson.id)
    page = render_template(
        "learning/lesson.html", course=course, lesson=lesson, module=module,
        done=record is not None and record.completed_at is not None,
        previous=ordered[index - 1] if index > 0 else None,
        following=ordered[index + 1] if index + 1 < len(ordered) else None,
        position=index + 1, count=len(ordered), progress=mine.progress,
    )
    if progress.view_needs_recording(record, mine.last_activity):
        begin_write()
        progress.record_view(current_user, lesson)
        db.session.commit()
    return page


@bp.post("/courses/<course_slug>/lessons/<lesson_slug>/complete")
@login_required
def complete(course_slug: str, lesson_slug: str) -> Response:
    """Mark a lesson done, or not done again; with a client id (an offline queue's item), once."""
    try:
        client_id = replays.parse_client_id(request.form.get("client_id"))
    except replays.BadClientId:
        abort(400)
    course = _get_course(course_slug)
    lesson = _get_lesson(course, lesson_slug)
    done = request.form.get("done", "1") == "1"
    wants_json = request.headers.get("X-Requested-With") == "fetch"
    if client_id and not replays.claim(current_user.id, client_id, "complete"):
        # A replay from an offline queue (or a retry): recorded the first time, nothing changes now.
        db.session.rollback()
        if wants_json:
            return jsonify(ok=True, duplicate=True)
        return redirect(url_for("learning.lesson", course_slug=course.slug, lesson_slug=lesson.slug))
    issued = progress.mark_lesson(current_user, course, lesson, done)  # certificates follow a completion
    db.session.commit()
    if wants_json:
        return jsonify(ok=True, duplicate=False, done=done)
    if issued:
        flash(_("Congratulations! You have completed the course and your certificate has been issued."), "success")
    if done:
        flash(_("Lesson marked as done."), "success")
        if request.form.get("then") == "next":
            return redirect(nextstep.step_url(course, nextstep.next_step(current_user, course)))
    else:
        flash(_("Lesson marked as not done."), "info")
    return redirect(url_for("learning.lesson", course_slug=course.slug, lesson_slug=lesson.slug))
