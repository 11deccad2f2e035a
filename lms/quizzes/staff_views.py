"""Staff pages of the quizzes: results of a course and a quiz, the grading queue, a trainee's
grade trail and attempt record, extra attempts (same blueprint as lms.quizzes.views)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from lms.accounts.models import User
from lms.auth import can, course_cohorts, require, trainee_scope
from lms.cohorts.models import Cohort, Enrolment
from lms.content.models import Course
from lms.extensions import db
from lms.quizzes import attempts as ops
from lms.quizzes import stats
from lms.util.db import begin_write
from lms.util.params import int_arg
from lms.quizzes.models import Answer, Attempt, Question, Quiz
from lms.quizzes.views import bp, trainee_way


def _staff_course(course_slug: str) -> Course:
    course = db.one_or_404(select(Course).where(Course.slug == course_slug))
    require(current_user, "view_results", course)
    return course


def _cohort_filter(course: Course):
    """My cohorts of the course and the one chosen with ?cohort= (None: the trainees of all of them)."""
    cohorts = course_cohorts(current_user, "view_results", course)
    chosen = None
    wanted = int_arg("cohort", low=1, high=2**31 - 1)
    if wanted is not None:
        chosen = next((c for c in cohorts if c.id == wanted), None)
        if chosen is None:
            abort(404)
    if chosen is not None:
        user_ids = stats.cohort_user_ids(chosen.id)
    else:
        user_ids = list(db.session.scalars(select(Enrolment.user_id).where(
            Enrolment.cohort_id.in_([c.id for c in cohorts] or [-1])).distinct()))
    return cohorts, chosen, user_ids


@bp.get("/courses/<course_slug>/results")
@login_required
def course_results(course_slug: str) -> str:
    """Per cohort: mean pre-test, mean post-test and normalized gain; the course's quizzes."""
    course = _staff_course(course_slug)
    cohorts, chosen, user_ids = _cohort_filter(course)
    quizzes = list(db.session.scalars(select(Quiz).where(Quiz.course_id == course.id, Quiz.archived_at.is_(None))
                                      .order_by(Quiz.kind, Quiz.title)))
    pending = db.session.scalar(
        select(db.func.count(Answer.id)).join(Attempt, Attempt.id == Answer.attempt_id)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(Quiz.course_id == course.id, Attempt.state == "submitted", Answer.fraction.is_(None),
               trainee_scope(current_user, "grade", Attempt.user_id, Quiz.course_id)))
    return render_template("quizzes/course_results.html", course=course, cohorts=cohorts, chosen=chosen,
                           gain=stats.knowledge_gain(course, user_ids), quizzes=quizzes, pending=pending)


@bp.get("/courses/<course_slug>/quizzes/<quiz_slug>/results")
@login_required
def quiz_results(course_slug: str, quiz_slug: str) -> str:
    """A quiz's attempts in a cohort and its item analysis."""
    course = _staff_course(course_slug)
    quiz = db.one_or_404(select(Quiz).where(Quiz.course_id == course.id, Quiz.slug == quiz_slug))
    cohorts, chosen, user_ids = _cohort_filter(course)
    rows = db.session.execute(
        select(Attempt, User).join(User, User.id == Attempt.user_id)
        .where(Attempt.quiz_id == quiz.id, Attempt.user_id.in_(user_ids or [-1]))
        .order_by(User.full_name, Attempt.number)).all()
    items, counted = stats.item_analysis(quiz, user_ids)
    return render_template("quizzes/quiz_results.html", course=course, quiz=quiz, cohorts=cohorts, chosen=chosen,
                           rows=rows, items=items, counted=counted)


@bp.get("/grading")
@login_required
def grading() -> str:
    """Essay answers waiting for a grade, oldest first: those of the trainees of my cohorts."""
    require(current_user, "grade")
    rows = db.session.execute(
        select(Answer, Attempt, Question, Quiz, User)
        .join(Attempt, Attempt.id == Answer.attempt_id).join(Question, Question.id == Answer.question_id)
        .join(Quiz, Quiz.id == Attempt.quiz_id).join(User, User.id == Attempt.user_id)
        .where(Attempt.state == "submitted", Answer.fraction.is_(None),
               trainee_scope(current_user, "grade", Attempt.user_id, Quiz.course_id))
        .order_by(Attempt.submitted_at).limit(50)).all()
    return render_template("quizzes/grading.html", rows=rows)


@bp.post("/answers/<int:answer_id>/grade")
@login_required
def grade_answer(answer_id: int) -> Response:
    """Give an essay answer its points, or override an answer's grade with a reason; the
    attempt's score is final when none is left."""
    answer = db.get_or_404(Answer, answer_id)
    require(current_user, "grade", answer)
    question = db.session.get(Question, answer.question_id)
    back = request.form.get("next") == "result"
    target = url_for("quizzes.result", attempt_id=answer.attempt_id) if back else url_for("quizzes.grading")
    try:
        points = float(request.form.get("points", "").replace(",", ".")[:20])
    except ValueError:
        points = -1.0
    if not 0 <= points <= question.mark:
        flash(_("Give between 0 and %(max)s points.", max=question.mark), "error")
        return redirect(target)
    begin_write()
    answer = db.session.get(Answer, answer_id)
    try:
        ops.grade_manually(answer, current_user, points / question.mark if question.mark else 0.0,
                           request.form.get("comment", "")[:2000], reason=request.form.get("reason", "")[:1000],
                           override=request.form.get("override") == "1")
    except ops.QuizError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(target)
    db.session.commit()
    flash(_("Grade saved."), "success")
    return redirect(target)


@bp.get("/organizer/cohorts/<int:cohort_id>/participants/<int:user_id>/grades")
@login_required
def grade_trail(cohort_id: int, user_id: int) -> str:
    """Every change of a trainee's grades in the cohort's course: who, when, before, after, why."""
    cohort = db.get_or_404(Cohort, cohort_id)
    require(current_user, "manage_cohort", cohort)
    trainee = db.one_or_404(select(User).join(Enrolment, Enrolment.user_id == User.id)
                            .where(Enrolment.cohort_id == cohort.id, User.id == user_id))
    return render_template("quizzes/grade_trail.html", cohort=cohort, trainee=trainee,
                           changes=ops.grade_changes(trainee.id, cohort.course_id))


def _cohort_trainee(cohort_id: int, user_id: int, action: str):
    cohort = db.get_or_404(Cohort, cohort_id)
    require(current_user, action, cohort)
    trainee = db.one_or_404(select(User).join(Enrolment, Enrolment.user_id == User.id)
                            .where(Enrolment.cohort_id == cohort.id, User.id == user_id))
    return cohort, trainee


@bp.get("/organizer/cohorts/<int:cohort_id>/participants/<int:user_id>/attempts")
@login_required
def attempt_record(cohort_id: int, user_id: int) -> str:
    """A trainee's quizzes: attempts used and allowed, extra attempts granted (who, when, why),
    where she is stuck; the cohort's organizers grant another attempt here."""
    cohort, trainee = _cohort_trainee(cohort_id, user_id, "manage_cohort")
    course = db.session.get(Course, cohort.course_id)
    mine = trainee_way(course, trainee, organizers=False)
    order = {"pretest": 0, "module": 1, "posttest": 2}
    statuses = sorted(mine.get("statuses", {}).values(), key=lambda s: (order.get(s.quiz.kind, 1), s.quiz.module_id or 0, s.quiz.id))
    return render_template("quizzes/attempt_record.html", cohort=cohort, trainee=trainee, course=course,
                           statuses=statuses, step=mine.get("step"), grants=ops.attempt_grants(trainee.id, course.id),
                           may_grant=can(current_user, "grant_attempt", cohort))


@bp.post("/organizer/cohorts/<int:cohort_id>/participants/<int:user_id>/grant")
@login_required
def grant_attempt(cohort_id: int, user_id: int) -> Response:
    """Give the trainee one more attempt at a quiz (or at each required quiz she has no attempt
    left at, when none is named), with the reason; logged for her record."""
    cohort, trainee = _cohort_trainee(cohort_id, user_id, "grant_attempt")
    course = db.session.get(Course, cohort.course_id)
    back = (url_for("reports.cohort_report", cohort_id=cohort.id, status="stuck_attempts")
            if request.form.get("next") == "report"
            else url_for("quizzes.attempt_record", cohort_id=cohort.id, user_id=trainee.id))
    raw = request.form.get("quiz_id", "")[:12]
    statuses = ops.quiz_statuses(trainee, course)
    if raw.isdigit():
        chosen = [statuses[int(raw)]] if int(raw) in statuses else []
        if not chosen:
            abort(404)
    else:
        chosen = [s for s in statuses.values() if s.quiz.counts_toward_completion and s.out_of_attempts]
        if not chosen:
            flash(_("%(name)s has attempts left at every quiz; nothing was granted.", name=trainee.full_name), "info")
            return redirect(back)
    try:
        for status in chosen:
            ops.grant_attempt(status.quiz, trainee, cohort, current_user, request.form.get("reason", "")[:2000])
    except ops.QuizError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(back)
    db.session.commit()
    flash(_("%(name)s has one more attempt at %(quizzes)s.", name=trainee.full_name,
            quizzes=", ".join(s.quiz.title for s in chosen)), "success")
    return redirect(back)
