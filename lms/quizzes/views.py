"""Taking quizzes (trainees) and reading results (facilitators, organizers)."""

from __future__ import annotations


from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from lms.accounts.models import User
from lms.auth import can, course_cohorts, require, trainee_scope
from lms.content.models import Course
from lms.extensions import db
from lms.offline import replays
from lms.quizzes import attempts as ops
from lms.quizzes import stats
from lms.quizzes.counting import counted_attempt_of
from lms.util.db import begin_write
from lms.util.params import int_arg
from lms.quizzes.models import Answer, Attempt, Question, Quiz
from lms.quizzes.review import is_final, modules_to_revisit, review_level, shows_answers, shows_questions
from lms.quizzes.signals import attempt_graded, quiz_opening, trainee_guidance
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


def _guidance(course: Course, user: User, organizers: bool | None) -> dict:
    """The trainee's way through the course around a quiz page, from the packages that follow her
    progress (lms.learning.receivers): "step", "outline", "statuses", "organizers" (see
    lms.quizzes.signals.trainee_guidance); empty when none answers."""
    found: dict = {}
    for _, part in trainee_guidance.send(course, user=user, organizers=organizers):
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
        guide = _guidance(course, current_user, organizers=status.out_of_attempts)
    return render_template(
        "quizzes/quiz.html", course=course, quiz=quiz, attempts=mine, status=status, step=guide.get("step"),
        counted=counted_attempt_of(current_user.id, quiz), open_attempt=next((a for a in mine if a.state == "in_progress"), None),
        left=status.left, closed=closed, question_count=quiz.draw_count or len(ops.quiz_questions(quiz)),
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
        db.session.commit()
        ops.submit_attempt(attempt.id, current_user.id)
        db.session.commit()
        flash(_("The time limit has passed; your attempt was submitted with the answers saved in time."), "info")
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
    db.session.commit()
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
    attempt = ops.submit_attempt(attempt_id, current_user.id)
    if attempt is None:
        db.session.rollback()
        abort(404)
    issued = _reactions(attempt_graded.send(attempt)) if attempt.state == "graded" else []
    db.session.commit()
    if issued:
        flash(_("Congratulations! You have completed the course and your certificate has been issued."), "success")
    return redirect(url_for("quizzes.result", attempt_id=attempt_id))


def _reactions(results: list) -> list:
    """What the receivers of a signal returned (e.g. certificates issued), as one list."""
    return [item for _, found in results for item in (found or [])]


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
    staff = attempt.user_id != current_user.id and can(current_user, "review_attempt", attempt)
    if staff or (attempt.user_id == current_user.id and can(current_user, "review_attempt", attempt)):
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
    guide = _guidance(course, current_user, organizers=None) if attempt.user_id == current_user.id else {}
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

def _staff_course(course_slug: str) -> Course:
    course = db.one_or_404(select(Course).where(Course.slug == course_slug))
    require(current_user, "view_results", course)
    return course


def _cohort_filter(course: Course):
    """My cohorts of the course and the one chosen with ?cohort= (None: the trainees of all of them)."""
    from lms.cohorts.models import Enrolment

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
    from lms.cohorts.models import Cohort, Enrolment

    cohort = db.get_or_404(Cohort, cohort_id)
    require(current_user, "manage_cohort", cohort)
    trainee = db.one_or_404(select(User).join(Enrolment, Enrolment.user_id == User.id)
                            .where(Enrolment.cohort_id == cohort.id, User.id == user_id))
    return render_template("quizzes/grade_trail.html", cohort=cohort, trainee=trainee,
                           changes=ops.grade_changes(trainee.id, cohort.course_id))


def _cohort_trainee(cohort_id: int, user_id: int, action: str):
    from lms.cohorts.models import Cohort, Enrolment

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
    mine = _guidance(course, trainee, organizers=False)
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
