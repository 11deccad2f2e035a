"""The one "next step": what a trainee should do next in a course, in reading order.

Lesson footers, /continue, the dashboard (through /continue) and the course page all ask
next_step(), so they cannot disagree. The order:

1. the pre-test, if the course has one and I have not taken it;
2. module by module: its required lessons not done, then its required quiz not passed;
3. the post-test, once every module is complete (again after a failed attempt, with the
   modules whose questions I got wrong to revisit first);
4. the certificate.

A quiz I cannot pass on my own (no attempt left) or that waits for a facilitator's grade does not
block the rest: the next step moves past it, and only when nothing else is left is the step
"stuck" (with the reason and what to do) or "waiting".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from lms.accounts.models import Role, User
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort, CohortStaff, Enrolment
from lms.content.models import Course, Lesson, Module
from lms.extensions import db
from lms.learning.progress import ModuleItem, Progress, course_outline, modules_complete
from lms.quizzes.attempts import quiz_statuses
from lms.quizzes.models import Attempt
from lms.quizzes.review import modules_to_revisit

# Step kinds
PRETEST, LESSON, QUIZ, POSTTEST, WAITING, STUCK, CERTIFICATE, DONE = (
    "pretest", "lesson", "quiz", "posttest", "waiting", "stuck", "certificate", "done")
# Why a trainee is stuck (the organizers' list uses the same words)
OUT_OF_ATTEMPTS = "out_of_attempts"


@dataclass(frozen=True)
class Step:
    kind: str
    lesson: Lesson | None = None
    module: Module | None = None
    status: Any = None  # the quiz's QuizStatus (lms.quizzes.attempts)
    started: bool = False  # a lesson I opened before, an attempt in progress
    reason: str = ""  # stuck: OUT_OF_ATTEMPTS
    revisit: tuple[Module, ...] = ()  # after a failed post-test: modules whose questions I got wrong
    certificate: Any = None
    blocked: tuple = field(default=())  # QuizStatus of required quizzes I have no attempt left at

    @property
    def quiz(self):
        return self.status.quiz if self.status is not None else None

    @property
    def retry(self) -> bool:
        """A quiz I took and did not pass, to take again."""
        return self.status is not None and self.status.taken and not self.status.passed


@dataclass
class Journey:
    """A course as it stands for one trainee: the outline, the quizzes, progress and the next step."""

    outline: list[ModuleItem]
    statuses: dict  # quiz id -> QuizStatus
    step: Step
    progress: Progress
    modules_done: bool

    def kind(self, kind: str):
        return next((s for s in self.statuses.values() if s.quiz.kind == kind), None)


def _posttest_ok(status, course: Course) -> bool:
    """Passed, and (if the course's certificate asks for a minimum post-test score) reached it."""
    if not status.passed:
        return False
    minimum = json.loads(course.certificate_json or "{}").get("min_posttest")
    return minimum is None or (status.result.percent or 0.0) + 1e-9 >= float(minimum)


def journey(user: User, course: Course) -> Journey:
    """Everything the course page and the next step need, in a fixed number of queries."""
    statuses = quiz_statuses(user, course)
    outline = course_outline(user, course, statuses)
    done = modules_complete(user, course, outline)
    lessons_done = sum(item.done for item in outline)
    lessons_total = sum(item.required for item in outline)
    counting = [s for s in statuses.values() if s.quiz.counts_toward_completion]
    progress = Progress(lessons_done + sum(s.passed for s in counting), lessons_total + len(counting))
    return Journey(outline, statuses, _next(user, course, outline, statuses, done), progress, done)


def next_step(user: User, course: Course) -> Step:
    """The next required thing for the trainee in the course (see the module's docstring)."""
    return journey(user, course).step


def _next(user: User, course: Course, outline: list[ModuleItem], statuses: dict, modules_done: bool) -> Step:
    pretest = next((s for s in statuses.values() if s.quiz.kind == "pretest"), None)
    if pretest is not None and not pretest.taken and (pretest.left != 0 or pretest.open_attempt):
        return Step(PRETEST, status=pretest, started=pretest.open_attempt is not None)
    blocked, waiting = [], []
    for item in outline:
        for entry in item.lessons:
            if entry.lesson.required and entry.status != "done":
                return Step(LESSON, lesson=entry.lesson, module=item.module, started=entry.status == "started")
        for status in item.quizzes or []:
            if not status.quiz.counts_toward_completion or status.passed:
                continue
            if status.open_attempt is None and status.out_of_attempts:
                blocked.append(status)
            elif status.open_attempt is None and status.waiting:
                waiting.append(status)
            else:
                return Step(QUIZ, module=item.module, status=status, started=status.open_attempt is not None)
    posttest = next((s for s in statuses.values() if s.quiz.kind == "posttest"), None)
    if posttest is not None and modules_done and not _posttest_ok(posttest, course):
        if posttest.open_attempt is not None:
            return Step(POSTTEST, status=posttest, started=True)
        if posttest.waiting:
            waiting.append(posttest)
        elif posttest.left == 0 and posttest.quiz.counts_toward_completion:
            blocked.append(posttest)
        elif posttest.quiz.counts_toward_completion or not posttest.taken:
            revisit: tuple[Module, ...] = ()
            if posttest.last_failed is not None:
                revisit = tuple(modules_to_revisit(db.session.get(Attempt, posttest.last_failed)))
            return Step(POSTTEST, status=posttest, revisit=revisit)
    if blocked:
        return Step(STUCK, status=blocked[0], reason=OUT_OF_ATTEMPTS, blocked=tuple(blocked))
    if waiting:
        return Step(WAITING, status=waiting[0])

    certificate = db.session.scalar(select(Certificate).where(
        Certificate.user_id == user.id, Certificate.course_id == course.id, Certificate.status == "valid")
        .order_by(Certificate.id.desc()).limit(1))
    if certificate is not None:
        return Step(CERTIFICATE, certificate=certificate)
    return Step(DONE)


def step_url(course: Course, step: Step) -> str:
    """Where the step's button goes: the lesson, the quiz (or my attempt in progress), else the
    course page's next-step box (waiting, stuck, certificate, done)."""
    from flask import url_for

    if step.kind == LESSON:
        return url_for("learning.lesson", course_slug=course.slug, lesson_slug=step.lesson.slug)
    if step.kind in (PRETEST, QUIZ, POSTTEST):
        if step.status.open_attempt is not None:
            return url_for("quizzes.take", attempt_id=step.status.open_attempt)
        return url_for("quizzes.quiz", course_slug=course.slug, quiz_slug=step.quiz.slug)
    return url_for("learning.course", course_slug=course.slug) + "#next-step"


def organizers_for(user: User, course: Course) -> list[User]:
    """The organizers of my cohorts of the course (who can grant another attempt), by name."""
    from sqlalchemy import or_

    mine = select(Enrolment.cohort_id).join(Cohort, Cohort.id == Enrolment.cohort_id).where(
        Enrolment.user_id == user.id, Cohort.course_id == course.id)
    staff = select(CohortStaff.user_id).where(CohortStaff.cohort_id.in_(mine), CohortStaff.role == "organizer")
    creators = select(Cohort.created_by_id).where(Cohort.id.in_(mine))
    return list(db.session.scalars(select(User).where(
        or_(User.id.in_(staff), User.id.in_(creators)), User.role == Role.ORGANIZER.value)
        .order_by(User.full_name).limit(5)))
