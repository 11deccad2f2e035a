"""Readers: which survey a cohort answers, its questions, and where a trainee stands."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, exists, select

from lms.accounts.models import User
from lms.cohorts.models import Cohort, CohortStaff, Enrolment
from lms.content.models import Course
from lms.extensions import db
from lms.learning.progress import lesson_counts, quiz_counts
from lms.quizzes.models import Attempt, Quiz
from lms.surveys.models import Survey, SurveyItem, SurveySubmission
from lms.surveys.spec import FACILITATOR_PLACEHOLDER


@dataclass(frozen=True)
class Question:
    """One question on the form: an item, and for a facilitator item the facilitator it is about."""

    slot: int
    item: SurveyItem
    facilitator: User | None

    @property
    def text(self) -> str:
        if self.facilitator is None:
            return self.item.text
        return self.item.text.replace(FACILITATOR_PLACEHOLDER, self.facilitator.full_name)

    @property
    def field_name(self) -> str:
        return f"q{self.slot}"


def survey_of(cohort: Cohort) -> Survey | None:
    """The survey the cohort answers: its own (scope = its slug), else the course's."""
    surveys = {s.scope: s for s in db.session.scalars(select(Survey).where(
        Survey.course_id == cohort.course_id, Survey.scope.in_(["", cohort.slug]), Survey.archived_at.is_(None)))}
    return surveys.get(cohort.slug) or surveys.get("")


def facilitators_of(cohort_id: int) -> list[User]:
    """The cohort's facilitators, by name: each is rated by name on the form."""
    return list(db.session.scalars(select(User).join(CohortStaff, CohortStaff.user_id == User.id).where(
        CohortStaff.cohort_id == cohort_id, CohortStaff.role == "facilitator").order_by(User.full_name, User.id)))


def questions(survey: Survey, cohort: Cohort) -> list[Question]:
    """The form's questions in order; a facilitator item once per facilitator of the cohort."""
    items = db.session.scalars(select(SurveyItem).where(SurveyItem.survey_id == survey.id,
                                                        SurveyItem.archived_at.is_(None))
                               .order_by(SurveyItem.position, SurveyItem.id)).all()
    facilitators = None
    result: list[Question] = []
    for item in items:
        if item.section == "fasilitator" and item.kind == "likert":
            if facilitators is None:
                facilitators = facilitators_of(cohort.id)
            for person in facilitators:
                result.append(Question(len(result), item, person))
        else:
            result.append(Question(len(result), item, None))
    return result


def has_answered(user_id: int, cohort_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(SurveySubmission.user_id == user_id,
                                                        SurveySubmission.cohort_id == cohort_id))))


def finished_training(user: User, course: Course) -> bool:
    """The survey opens once she has done the post-test (a graded attempt); a course without a
    post-test opens it when every required lesson and quiz is done."""
    graded = exists().where(Attempt.quiz_id == Quiz.id, Attempt.user_id == user.id, Attempt.state == "graded")
    posttest = db.session.execute(select(Quiz.id, graded).where(
        Quiz.course_id == course.id, Quiz.kind == "posttest", Quiz.archived_at.is_(None)).limit(1)).first()
    if posttest is not None:
        return bool(posttest[1])  # a graded attempt: the one that counts exists

    lessons, quizzes = lesson_counts(user, [course.id])[course.id], quiz_counts(user, [course.id])[course.id]
    return lessons.total + quizzes.total > 0 and lessons.done >= lessons.total and quizzes.done >= quizzes.total


@dataclass(frozen=True)
class Invitation:
    """Where a trainee stands with her cohort's survey (for the dashboard and course page)."""

    cohort: Cohort
    survey: Survey
    open: bool  # she finished the post-test
    answered: bool

    @property
    def blocks_certificate(self) -> bool:
        return self.survey.required_for_certificate and not self.answered


def invitation(user: User, course: Course, finished: bool | None = None) -> Invitation | None:
    """The survey of the trainee's cohort of the course (the latest she joined), if it has one,
    in one query; finished: whether she finished the training, when the page knows already."""
    if not getattr(user, "is_authenticated", False):
        return None
    answered = exists().where(SurveySubmission.user_id == user.id, SurveySubmission.cohort_id == Cohort.id)
    row = db.session.execute(
        select(Cohort, Survey, answered).join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .join(Survey, (Survey.course_id == Cohort.course_id) & Survey.scope.in_(["", Cohort.slug])
              & Survey.archived_at.is_(None))
        .where(Enrolment.user_id == user.id, Cohort.course_id == course.id)
        .order_by(Enrolment.id.desc(), Survey.scope == "").limit(1)).first()
    if row is None:
        return None
    cohort, survey, done = row
    if done:
        return Invitation(cohort, survey, True, True)
    return Invitation(cohort, survey, finished_training(user, course) if finished is None else finished, False)


@cache
def _invitations_statement():
    """invitations' query, built once per process (values bound per call: user_id, course_ids)."""
    user_id = bindparam("user_id")
    answered = exists().where(SurveySubmission.user_id == user_id, SurveySubmission.cohort_id == Cohort.id)
    has_posttest = exists().where(Quiz.course_id == Cohort.course_id, Quiz.kind == "posttest",
                                  Quiz.archived_at.is_(None))
    posttest_graded = exists().where(Quiz.course_id == Cohort.course_id, Quiz.kind == "posttest",
                                     Quiz.archived_at.is_(None), Attempt.quiz_id == Quiz.id,
                                     Attempt.user_id == user_id, Attempt.state == "graded")
    return (select(Cohort, Survey, answered, has_posttest, posttest_graded)
            .join(Enrolment, Enrolment.cohort_id == Cohort.id)
            .join(Survey, (Survey.course_id == Cohort.course_id) & Survey.scope.in_(["", Cohort.slug])
                  & Survey.archived_at.is_(None))
            .where(Enrolment.user_id == user_id, Cohort.course_id.in_(bindparam("course_ids", expanding=True)))
            .order_by(Cohort.course_id, Enrolment.id.desc(), Survey.scope == ""))


def invitations(user: User, courses: dict[int, bool]) -> dict[int, Invitation]:
    """invitation() for several courses in one query (the dashboard); courses: course id ->
    whether every required lesson and quiz is done (finished_training's rule for a course
    without a post-test). Courses without a survey for me are left out."""
    if not courses:
        return {}
    rows = db.session.execute(_invitations_statement(), {"user_id": user.id, "course_ids": list(courses)})
    found: dict[int, Invitation] = {}
    for cohort, survey, done, posttest, graded in rows:
        if cohort.course_id in found:
            continue
        finished = True if done else (bool(graded) if posttest else courses[cohort.course_id])
        found[cohort.course_id] = Invitation(cohort, survey, finished, bool(done))
    return found


def certificate_waits_for_survey(user_id: int, cohort_id: int) -> Survey | None:
    """Public, for lms.certificates: the survey the trainee must answer before she downloads her
    certificate of the cohort (the course requires it and she has not answered), else None."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        return None
    survey = survey_of(cohort)
    if survey is None or not survey.required_for_certificate or has_answered(user_id, cohort_id):
        return None
    return survey
