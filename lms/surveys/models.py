"""The survey, its items, and the answers, kept in two unlinked halves (docs/surveys.md):

- SurveySubmission says THAT a trainee answered (user, cohort, the date only): it enforces
  "once per trainee" and counts the response rate;
- SurveyBallot and its SurveyAnswer rows say WHAT was answered, with the cohort and survey only:
  no user, no time, no sequential id. A ballot's id is random, and on SQLite both tables are
  stored WITHOUT ROWID (ordered by that random id), so neither ids nor storage order follow the
  order of submission. Ballots are released to the aggregates in batches of at least five
  (released), so that two looks at a report never differ by one person's answers.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.util import utcnow
from lms.util.types import UTCDateTime


class Survey(db.Model):
    """A course's survey (scope "") or a cohort's own (scope = the cohort's slug), from its file."""

    __tablename__ = "survey"
    __table_args__ = (UniqueConstraint("course_id", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    scope: Mapped[str] = mapped_column(String(100), default="")
    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")
    required_for_certificate: Mapped[bool] = mapped_column(default=False)
    source_path: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SurveyItem(db.Model):
    """A question: a rating from 1 to 5 (likert) or an open comment; a rating of section
    'fasilitator' is asked once per facilitator of the cohort."""

    __tablename__ = "survey_item"
    __table_args__ = (UniqueConstraint("survey_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    section: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))  # likert | comment
    text: Mapped[str] = mapped_column(String(300))
    required: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SurveySubmission(db.Model):
    """That the trainee answered her cohort's survey (never what): once per trainee and cohort."""

    __tablename__ = "survey_submission"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    submitted_on: Mapped[date] = mapped_column(Date)  # the day only, in the cohort's zone


class SurveyBallot(db.Model):
    """One anonymous set of answers: survey and cohort only, a random id, no time."""

    __tablename__ = "survey_ballot"
    __table_args__ = (Index("ix_survey_ballot_group", "survey_id", "cohort_id", "released"),
                      {"sqlite_with_rowid": False})

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # secrets.token_hex(16)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    released: Mapped[bool] = mapped_column(default=False)  # counted in the aggregates


class SurveyAnswer(db.Model):
    """One answer of a ballot: a rating (value) or a comment (text); facilitator_id names the
    facilitator a rating is about (never the trainee who gave it)."""

    __tablename__ = "survey_answer"
    __table_args__ = ({"sqlite_with_rowid": False},)

    ballot_id: Mapped[str] = mapped_column(ForeignKey("survey_ballot.id"), primary_key=True)
    slot: Mapped[int] = mapped_column(primary_key=True)  # the question's place on the form
    item_id: Mapped[int] = mapped_column(ForeignKey("survey_item.id"), index=True)
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    value: Mapped[int | None]
    text: Mapped[str | None] = mapped_column(Text)
