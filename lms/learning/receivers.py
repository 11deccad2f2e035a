"""How learning follows the quizzes: receivers of lms.quizzes.signals, connected by create_app
(_connect_signals in lms/__init__.py). The caches of lms.learning.rollup are recounted in the
sender's transaction; the quiz pages get the trainee's next step and the post-test gate from here,
so that quizzes never import learning."""

from __future__ import annotations

from flask_babel import gettext as _

from lms.auth import can
from lms.learning import nextstep, rollup
from lms.learning.progress import modules_complete


def note_quiz_activity(attempt, when, **kwargs) -> None:
    """An attempt was started: her course's last quiz activity is now."""
    rollup.touch_quiz(attempt.user_id, attempt.quiz.course_id, when)


def recount_quiz(attempt, locked: bool = False, first_grade: bool = False, **kwargs) -> None:
    """An attempt was scored (submitted, graded by a person, regraded): recount her result of the
    quiz and her quizzes passed, in the same transaction (first_grade: graded on submit, so the
    rows follow from this attempt alone)."""
    if first_grade and attempt.state == "graded":
        rollup.record_graded(attempt.user_id, attempt.quiz_id, attempt.quiz.course_id, attempt, locked=locked)
        return
    rollup.refresh_quiz(attempt.user_id, attempt.quiz_id, attempt.quiz.course_id, locked=locked)


def posttest_gate(quiz, user, course, **kwargs) -> str | None:
    """The post-test opens once every module (its lessons and quiz) is complete; staff open it any time."""
    if (quiz.kind == "posttest" and not can(user, "view_course_as_staff", course)
            and not modules_complete(user, course)):
        return _("The post-test opens when you have finished all modules and their quizzes.")
    return None


def guidance(course, user, organizers: bool | None = None, **kwargs) -> dict:
    """The trainee's way through the course for a quiz page: her next step, the outline, her quiz
    statuses and (organizers True, or None and she is stuck) the organizers who can help."""
    mine = nextstep.journey(user, course)
    ask = organizers if organizers is not None else mine.step.kind == nextstep.STUCK
    return {"step": mine.step, "outline": mine.outline, "statuses": mine.statuses,
            "organizers": nextstep.organizers_for(user, course) if ask else []}

