"""How certificates follow lessons, grades and plans: receivers of the learning, quizzes and
plans packages' signals, connected by create_app (_connect_signals in lms/__init__.py). They run
in the sender's transaction and flush only."""

from __future__ import annotations

from lms.accounts.models import User
from lms.certificates.rules import issue_if_eligible, reevaluate
from lms.content.models import Course
from lms.extensions import db
from lms.quizzes.models import Quiz


def _trainee_and_course(attempt) -> tuple[User, Course]:
    user = db.session.get(User, attempt.user_id)
    course = db.session.get(Course, db.session.get(Quiz, attempt.quiz_id).course_id)
    return user, course


def issue_when_eligible(attempt, **kwargs) -> list:
    """A passed quiz may complete the course: issue the trainee's certificates then."""
    if attempt.state != "graded":
        return []
    return issue_if_eligible(*_trainee_and_course(attempt))


def reevaluate_after_grade_change(attempt, **kwargs) -> list:
    """A changed grade may complete the course (issue), or leave a valid certificate without its
    basis (flag it for the organizer; never revoked here)."""
    if attempt.state != "graded":  # an essay still waits: nothing is decided yet
        return []
    return reevaluate(*_trainee_and_course(attempt))


def issue_when_course_complete(lesson, user, course, **kwargs) -> list:
    """A lesson marked done may complete the course: issue the trainee's certificates then."""
    return issue_if_eligible(user, course)


def issue_when_plan_approved(plan, **kwargs) -> list:
    """An approved plan may be the last thing the trainee's certificate waited for."""
    return issue_if_eligible(db.session.get(User, plan.user_id), db.session.get(Course, plan.course_id))
