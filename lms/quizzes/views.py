"""Taking quizzes (trainees) and reading results (facilitators, organizers)."""

from __future__ import annotations


from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from lms.accounts.models import User
from lms.auth import can, require
from lms.content.models import Course
from lms.extensions import db
from lms.offline import replays
from lms.quizzes import attempts as ops
from lms.util.db import begin_write, commit_keeping_state
from lms.quizzes.models import Answer, Attempt, Quiz
from lms.quizzes.review import is_final, modules_to_revisit, review_level, shows_answers, shows_questions
from lms.quizzes.signals import quiz_opening, trainee_guidance
from lms.quizzes.types import QUESTION_TYPES, TamperError

bp = Blueprint("quizzes", __name__)


def _course_and_quiz(course_slug: str, quiz_slug: str) -> tuple[Course, Quiz]:
    course = db.one_or_404(select(Course).where(Course.slug == course_slug))
    require(current_user, "study", course)
    quiz = db.one_or_404(select(Quiz).where(Quiz.course_id == course.id, Quiz.slug == quiz_slug,
                                            Quiz.archived_at.is_(None)))
    return course, quiz


def _my_attempt(attempt_id: int) -> Attempt:
    """The attempt, only if it is mine (404 otherwise: no hint that it exists)."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


def _closed_reason(course: Course, quiz: Quiz) -> str | None:
    """Why the quiz stays closed to me (the packages that follow my progress say: the post-test
    waits for the modules), else None."""
    return next((reason for _, reason in quiz_opening.send(quiz, user=current_user, course=course) if reason), None)


def trainee_way(course: Course, user: User, organizers: bool | None) -> dict:
    """The trainee's way through the course around a quiz page, from the packages that follow her
    progress (lms.learning.receivers): "step", "outline", "statuses", "organizers" (see
    lms.quizzes.signals.trainee_guidance); empty when none answers."""
    found: dict = {}
    for _receiver, part in trainee_guidance.send(course, user=user, organizers=organizers):
        found.update(part or {})
    return found


@bp.get("/courses/<course_slug>/quizzes/<quiz_slug>")
@login_required
def quiz(course_slug: str, quiz_slug: str) -> str:
    """A quiz's rules, my attempts, and the button to start or continue."""
    course, quiz = _course_and_quiz(course_slug, quiz_slug)
    mine = ops.attempts_of(current_user, quiz)
    closed = _closed_reason(course, quiz)
    status = ops.quiz_status(current_user, quiz)
    guide = {}
    if closed or status.out_of_attempts:  # say what to do instead: the next step, or whom to ask
        guide = trainee_way(course, current_user, organizers=status.out_of_attempts)
    return render_template(
        "quizzes/quiz.html", course=course, quiz=quiz, attempts=mine, status=status, step=guide.get("step"),
        counted=status.result, open_attempt=next((a for a in mine if a.state == "in_progress"), None),
        left=status.left, closed=closed, question_count=ops.question_count(quiz),
        organizers=guide.get("organizers", []),
    )


@bp.post("/courses/<course_slug>/quizzes/<quiz_slug>/start")
@login_required
def start(course_slug: str, quiz_slug: str) -> Response:
    """Start a new attempt, or go back to the open one."""
    course, quiz = _course_and_quiz(course_slug, quiz_slug)
    reason = _closed_reason(course, quiz)
    if reason:
        flash(reason, "error")
        return redirect(url_for("quizzes.quiz", course_slug=course.slug, quiz_slug=quiz.slug))
    begin_write()
    quiz = db.session.get(Quiz, quiz.id)
    try:
        attempt = ops.start_attempt(current_user, quiz)
    except ops.QuizError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("quizzes.quiz", course_slug=course.slug, quiz_slug=quiz.slug))
    db.session.commit()
    return redirect(url_for("quizzes.take", attempt_id=attempt.id))


def _page_questions(attempt: Attempt) -> list[dict]:
    """Questions of the attempt as the page shows them: stem, public options, my saved response."""
    saved = {a.question_id: a for a in db.session.scalars(select(Answer).where(Answer.attempt_id == attempt.id))}
    items = []
    for number, (question, layout) in enumerate(ops._questions_for(attempt), start=1):
        qtype = QUESTION_TYPES[question.qtype]
        answer = saved.get(question.id)
        items.append({
            "number": number, "id": question.id, "field": ops.field_name(question.id), "qtype": question.qtype,
            "stem_html": question.stem_html, "mark": question.mark, "public": qtype.public(question.data, layout),
            "response": answer.response if answer else None, "answer": answer, "question": question,
            "scored": qtype.scored,
        })
    return items


@bp.get("/attempts/<int:attempt_id>")
@login_required
def take(attempt_id: int) -> Response | str:
    """The quiz page: every question of the attempt on one page."""
    attempt = _my_attempt(attempt_id)
    if attempt.state == "in_progress" and ops.is_expired(attempt):
        begin_write()  # the page has read: its submission waits for the write lock (SQLite)
        issued = ops.submit_and_announce(attempt.id, current_user.id)[1]
        db.session.commit()
        flash(_("The time limit has passed; your attempt was submitted with the answers saved in time."), "info")
        if issued:
            flash(_("Congratulations! You have completed the course and your certificate has been issued."), "success")
    if attempt.state != "in_progress":
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    quiz = attempt.quiz
    course = db.session.get(Course, quiz.course_id)
    return render_template("quizzes/take.html", attempt=attempt, quiz=quiz, course=course,
                           questions=_page_questions(attempt))


@bp.post("/attempts/<int:attempt_id>/save")
@login_required
def save(attempt_id: int) -> Response | tuple[Response, int]:
    """Save my answers (the whole form); JSON for the page's autosave, a redirect otherwise."""
    attempt = _my_attempt(attempt_id)
    wants_json = request.headers.get("X-Requested-With") == "fetch"
    try:
        client_id = replays.parse_client_id(request.form.get("client_id"))
    except replays.BadClientId:
        abort(400)
    if client_id and not replays.claim(current_user.id, client_id, "quiz_save"):
        # A replay from an offline queue (or a retry): saved the first time, nothing changes now.
        db.session.rollback()
        if wants_json:
            return jsonify(ok=True, duplicate=True)
        return redirect(url_for("quizzes.take", attempt_id=attempt.id))
    try:
        answered = ops.save_answers(attempt, request.form)
    except TamperError as exc:
        db.session.rollback()
        ops.log_tamper(current_user, attempt, exc)
        if wants_json:
            return jsonify(ok=False, error="rejected", reason="rejected",
                           message=_("These answers do not belong to this attempt.")), 400
        abort(400)
    except ops.QuizError as exc:
        db.session.rollback()
        if wants_json:
            return jsonify(ok=False, error=str(exc), reason=exc.reason, message=str(exc)), 409
        flash(str(exc), "error")
        return redirect(url_for("quizzes.result", attempt_id=attempt.id) if attempt.state != "in_progress"
                        else url_for("quizzes.take", attempt_id=attempt.id))
    commit_keeping_state()  # the answers were written by Core statements; nothing is read again
    if wants_json:
        return jsonify(ok=True, answered=answered)
    if request.form.get("action") == "review":
        return redirect(url_for("quizzes.confirm", attempt_id=attempt.id))
    flash(_("Your answers have been saved."), "success")
    return redirect(url_for("quizzes.take", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>/submit")
@login_required
def confirm(attempt_id: int) -> Response | str:
    """Before submitting: how many questions are answered, and a last chance to go back."""
    attempt = _my_attempt(attempt_id)
    if attempt.state != "in_progress":
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    questions = [q for q in _page_questions(attempt) if q["scored"]]
    answered = sum(1 for q in questions if q["response"] not in (None, "", [], {}))
    return render_template("quizzes/confirm.html", attempt=attempt, quiz=attempt.quiz,
                           total=len(questions), answered=answered)


@bp.post("/attempts/<int:attempt_id>/submit")
@login_required
def submit(attempt_id: int) -> Response:
    """Submit and grade, once; a second submit just shows the result."""
    # submit_attempt reads the attempt only if it is mine (None otherwise: 404, no hint that it
    # exists); its state change is the request's first write.
    attempt, issued = ops.submit_and_announce(attempt_id, current_user.id)
    if attempt is None:
        db.session.rollback()
        abort(404)
    commit_keeping_state()  # only a redirect follows: nothing is read again
    if issued:
        flash(_("Congratulations! You have completed the course and your certificate has been issued."), "success")
    return redirect(url_for("quizzes.result", attempt_id=attempt_id))


@bp.get("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int) -> Response | str:
    """Score, and the feedback and correct answers that the quiz allows."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or not can(current_user, "view_attempt", attempt):
        abort(404)  # no hint that another trainee's attempt exists
    if attempt.state == "in_progress":
        return redirect(url_for("quizzes.take", attempt_id=attempt.id))
    quiz = attempt.quiz
    course = db.session.get(Course, quiz.course_id)
    trainee = db.session.get(User, attempt.user_id)
    status = ops.quiz_status(trainee, quiz)
    # Another's attempt is viewed only by those who review it (view_attempt): asked once, above.
    staff = attempt.user_id != current_user.id
    if staff or can(current_user, "review_attempt", attempt):
        level = "answers"  # staff of the trainee's cohort; an author trying her own course
    else:
        level = review_level(quiz, attempt, status)
    # Only what the level allows leaves the server: no correct answers, no feedback below "answers",
    # no questions at all at "score".
    questions = _page_questions(attempt) if shows_questions(level) else []
    for item in questions:
        qtype = QUESTION_TYPES[item["qtype"]]
        data = item["question"].data
        item["feedback"] = qtype.feedback(data, item["response"]) if shows_answers(level) else []
        item["correct"] = qtype.correct(data) if shows_answers(level) else []
        item["general"] = item["question"].general_feedback_html if shows_answers(level) else ""
    guide = trainee_way(course, current_user, organizers=None) if attempt.user_id == current_user.id else {}
    step = guide.get("step")
    later = (level != "answers" and not is_final(status) and quiz.review_final == "answers"
             and attempt.user_id == current_user.id)
    return render_template("quizzes/result.html", attempt=attempt, quiz=quiz, course=course,
                           questions=questions, review=bool(questions), level=level, status=status,
                           left=status.left, step=step, outline=guide.get("outline", []), answers_later=later,
                           organizers=guide.get("organizers", []),
                           revisit=_revisit(attempt, quiz, status) if step is not None else [])


def _revisit(attempt: Attempt, quiz: Quiz, status) -> list:
    """After a failed post-test: the modules whose questions this attempt got wrong."""
    if quiz.kind != "posttest" or attempt.state != "graded" or attempt.passed:
        return []
    return modules_to_revisit(attempt)


# --- Facilitators and organizers --------------------------------------------------------------


from lms.quizzes import staff_views  # noqa: E402,F401  (the staff pages register on bp)
