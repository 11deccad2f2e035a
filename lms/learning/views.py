"""Trainee pages: dashboard, course outline, lesson reader, marking lessons done."""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from lms.accounts.forms import JoinForm
from lms.auth import can, enrolled_clause, note_enrolment, require
from lms.certificates.rules import issue_if_eligible
from lms.cohorts.operations import EnrolmentError, cohort_for_key, enrol
from lms.content.models import Course, Lesson
from lms.extensions import db, limiter
from lms.learning import nextstep, progress
from lms.learning.dashboard import my_courses
from lms.offline import datasaver, replays
from lms.util.db import begin_write

bp = Blueprint("learning", __name__)


def _get_course(course_slug: str) -> Course:
    """The course, if I may study it; my enrolment is read in the same query."""
    row = db.session.execute(select(Course, enrolled_clause(current_user.id, Course.id))
                             .where(Course.slug == course_slug)).first()
    if row is None:
        abort(404)
    course, enrolled = row
    note_enrolment(current_user, course, bool(enrolled))
    require(current_user, "study", course)
    return course


def _failed(response: Response) -> bool:
    return response.status_code != 302


@bp.get("/dashboard")
@login_required
def dashboard() -> str:
    """My courses with a progress bar each; staff land on their overview (lms.core.home)."""
    if current_user.is_staff:
        from lms.core.home import LAGGING_DAYS, staff_overview

        from lms.plans import followups
        from lms.plans import rules as plans

        all_queues = plans.review_queue(current_user) if can(current_user, "plan_queue") else []
        overdue = followups.overdue_counts([q.cohort for q in all_queues]) if all_queues else {}
        return render_template("core/staff_home.html", overview=staff_overview(current_user),
                               lagging_days=LAGGING_DAYS, plan_queues=[q for q in all_queues if q.waiting],
                               followups_owed=[],
                               followups_overdue=[(q.cohort, overdue[q.cohort.id]) for q in all_queues
                                                  if q.cohort.id in overdue])
    from lms.plans import rules as plans

    if can(current_user, "view_course_as_staff"):
        courses = db.session.scalars(select(Course).order_by(Course.title)).all()
        unique = [(None, course) for course in courses]
        by_course = progress.progress_by_course(current_user, [course.id for course in courses])
        from lms.certificates.models import Certificate

        certificates = {c.course_id: c for c in db.session.scalars(select(Certificate).where(
            Certificate.user_id == current_user.id, Certificate.status == "valid"))}
        plan_status = plans.plan_statuses(current_user.id, [c.id for c in courses if plans.has_plan(c)])
    else:  # a trainee: her courses, progress, certificates and plans in one query
        mine = my_courses(current_user)
        unique = [(row.cohort, row.course) for row in mine]
        by_course = {row.course.id: row.progress for row in mine}
        certificates = {row.course.id: row.certificate for row in mine if row.certificate is not None}
        plan_status = {row.course.id: row.plan_status for row in mine if row.plan_status is not None}
    plan_courses = {course.id for _, course in unique if plans.has_plan(course)}
    from lms.plans import followups

    all_queues = plans.review_queue(current_user) if can(current_user, "plan_queue") else []
    queues = [q for q in all_queues if q.waiting]
    overdue = followups.overdue_counts([q.cohort for q in all_queues]) if all_queues else {}
    from lms.surveys.queries import invitations

    surveys = invitations(current_user, {course.id: by_course[course.id].complete
                                         for cohort, course in unique if cohort is not None})
    return render_template("learning/dashboard.html", items=unique, progress=by_course, join_form=JoinForm(),
                           invitations=surveys, certificates=certificates, plan_courses=plan_courses,
                           plan_status=plan_status,
                           plan_queues=queues, followups_owed=followups.owed_followups(current_user.id),
                           followups_overdue=[(q.cohort, overdue[q.cohort.id]) for q in all_queues
                                              if q.cohort.id in overdue])


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
    return db.one_or_404(select(Lesson).where(
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
        toc=json.loads(lesson.toc_json), done=record is not None and record.completed_at is not None,
        previous=ordered[index - 1] if index > 0 else None,
        following=ordered[index + 1] if index + 1 < len(ordered) else None,
        body=datasaver.lesson_body(lesson.body_html, datasaver.data_saver_on()),
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
    progress.set_completed(current_user, lesson, done)
    issued = issue_if_eligible(current_user, course) if done else []
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
