"""Writers: answering the survey (flush only; the request commits once)."""

from __future__ import annotations

import secrets
from typing import Mapping

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.cohorts.models import Cohort
from lms.extensions import db
from lms.surveys.models import Survey, SurveyAnswer, SurveyBallot, SurveySubmission
from lms.surveys.queries import Question, has_answered
from lms.util import utcnow
from lms.util.formatting import to_zone

# No aggregate shows a group smaller than this, and ballots reach the aggregates in batches of
# at least this many, so that two looks at a report never differ by fewer people.
MIN_GROUP = 5
MAX_COMMENT = 2000


class SurveyError(Exception):
    """The answers cannot be taken; errors maps a field name (or "") to its message."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


class AlreadyAnswered(SurveyError):
    """She answered this cohort's survey before: once per trainee."""


def check_answers(questions: list[Question], data: Mapping[str, str]) -> dict[int, int | str]:
    """The answers by slot (1-5 or a comment), or SurveyError naming each bad field."""
    answers: dict[int, int | str] = {}
    errors: dict[str, str] = {}
    for question in questions:
        raw = (data.get(question.field_name) or "").strip()
        if question.item.kind == "likert":
            if not raw:
                if question.item.required:
                    errors[question.field_name] = _("Choose one of the five answers.")
                continue
            if raw not in {"1", "2", "3", "4", "5"}:
                errors[question.field_name] = _("Choose one of the five answers.")
                continue
            answers[question.slot] = int(raw)
        else:
            if len(raw) > MAX_COMMENT:
                errors[question.field_name] = _("At most %(count)d characters.", count=MAX_COMMENT)
                continue
            if not raw:
                if question.item.required:
                    errors[question.field_name] = _("Please write an answer.")
                continue
            answers[question.slot] = raw
    if errors:
        raise SurveyError(_("Some answers are missing or invalid."), errors)
    return answers


def submit_survey(user: User, cohort: Cohort, survey: Survey, questions: list[Question],
                  data: Mapping[str, str]) -> None:
    """Record that she answered (SurveySubmission) and, apart and unlinked, what (a ballot);
    then release pending ballots once there are enough of them. Raises AlreadyAnswered or
    SurveyError."""
    # One submitter of the survey at a time (PostgreSQL: a row lock; SQLite: the write lock the
    # request already holds), so that a released batch is never smaller than MIN_GROUP.
    db.session.execute(select(Survey.id).where(Survey.id == survey.id).with_for_update())
    if has_answered(user.id, cohort.id):
        raise AlreadyAnswered(_("You have already filled in this evaluation. Thank you!"))
    answers = check_answers(questions, data)
    try:
        with db.session.begin_nested():
            db.session.add(SurveySubmission(survey_id=survey.id, cohort_id=cohort.id, user_id=user.id,
                                            submitted_on=to_zone(utcnow(), cohort.timezone).date()))
    except IntegrityError:  # answered at the same moment in another tab
        raise AlreadyAnswered(_("You have already filled in this evaluation. Thank you!")) from None
    ballot = SurveyBallot(id=secrets.token_hex(16), survey_id=survey.id, cohort_id=cohort.id, released=False)
    db.session.add(ballot)
    db.session.flush()
    for question in questions:
        if question.slot not in answers:
            continue
        value = answers[question.slot]
        db.session.add(SurveyAnswer(
            ballot_id=ballot.id, slot=question.slot, item_id=question.item.id,
            facilitator_id=question.facilitator.id if question.facilitator else None,
            value=value if isinstance(value, int) else None, text=value if isinstance(value, str) else None))
    db.session.flush()
    release_pending(survey.id, cohort.id)


def release_pending(survey_id: int, cohort_id: int) -> int:
    """Release the cohort's pending ballots to the aggregates when there are at least MIN_GROUP;
    returns how many were released. Rows are rewritten in the order of their random ids."""
    pending = db.session.scalars(select(SurveyBallot).where(
        SurveyBallot.survey_id == survey_id, SurveyBallot.cohort_id == cohort_id,
        SurveyBallot.released.is_(False)).order_by(SurveyBallot.id)).all()
    if len(pending) < MIN_GROUP:
        return 0
    for ballot in pending:
        ballot.released = True
    db.session.flush()
    return len(pending)
