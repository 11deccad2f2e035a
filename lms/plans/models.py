"""Action plans (rencana kegiatan / RTL): the plan a trainee drafts for her library, the
versions she submits, and the facilitators' reviews of them.

A plan belongs to one trainee in one cohort. Its parts (needs, goals, activities) are rows with
stable ids: saving the form updates them in place, so later records (follow-up reports of what
the library did) can point at a PlanActivity. Submitting freezes the whole plan as a
PlanVersion (JSON snapshot); reviews refer to the version they judged.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.util import utcnow
from lms.util.types import UTCDateTime

# draft -> submitted -> changes_requested (-> submitted ...) | approved
STATES = ("draft", "submitted", "changes_requested", "approved")
EDITABLE_STATES = ("draft", "changes_requested")
# The three TPBIS strategies, as stored (labels in lms/plans/forms.py).
STRATEGIES = ("information", "engagement", "advocacy")
# Where an activity's money comes from (labels in lms/plans/forms.py).
BUDGET_SOURCES = ("apbdes", "csr", "swadaya", "apbd", "other")


class ActionPlan(db.Model):
    __tablename__ = "action_plan"
    __table_args__ = (UniqueConstraint("user_id", "cohort_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    # Identity: the library, who drafted the plan with whom, and the period it covers.
    library: Mapped[str] = mapped_column(String(200), default="")
    team: Mapped[str] = mapped_column(Text, default="")
    period_from: Mapped[date | None]
    period_to: Mapped[date | None]
    general_goal: Mapped[str] = mapped_column(Text, default="")
    risks: Mapped[str] = mapped_column(Text, default="")
    version_count: Mapped[int] = mapped_column(default=0)  # versions submitted so far
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    needs: Mapped[list[PlanNeed]] = relationship(order_by="PlanNeed.position", cascade="all, delete-orphan")
    goals: Mapped[list[PlanGoal]] = relationship(order_by="PlanGoal.position", cascade="all, delete-orphan")
    activities: Mapped[list[PlanActivity]] = relationship(order_by="PlanActivity.position",
                                                          cascade="all, delete-orphan")

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE_STATES


class PlanNeed(db.Model):
    """A community need the library found, and the evidence for it."""

    __tablename__ = "plan_need"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    need: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")


class PlanGoal(db.Model):
    """A specific goal (tujuan khusus) of the plan, numbered T1, T2, ... by position."""

    __tablename__ = "plan_goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text, default="")


class PlanActivity(db.Model):
    """One planned activity: strategy, who for, with whom, money, when, and how success shows."""

    __tablename__ = "plan_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(Text, default="")
    strategies: Mapped[str] = mapped_column(String(60), default="")  # comma-separated STRATEGIES
    target_group: Mapped[str] = mapped_column(Text, default="")
    partners: Mapped[str] = mapped_column(Text, default="")
    budget: Mapped[int | None] = mapped_column(BigInteger)  # rupiah
    budget_source: Mapped[str] = mapped_column(String(20), default="")  # one of BUDGET_SOURCES
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    indicator: Mapped[str] = mapped_column(Text, default="")
    target: Mapped[str] = mapped_column(Text, default="")

    @property
    def strategy_list(self) -> list[str]:
        return [s for s in self.strategies.split(",") if s]


class PlanVersion(db.Model):
    """A submitted version of a plan, frozen: what the reviewer read."""

    __tablename__ = "plan_version"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id"), index=True)
    number: Mapped[int]
    snapshot_json: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def snapshot(self) -> dict[str, Any]:
        return json.loads(self.snapshot_json)


class PlanReview(db.Model):
    """A facilitator's decision on a submitted version, with a rating and comment per criterion."""

    __tablename__ = "plan_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    decision: Mapped[str] = mapped_column(String(20))  # changes_requested | approved
    comment: Mapped[str] = mapped_column(Text, default="")
    # {criterion key: {"met": bool, "comment": str}}, for the course's rubric at review time
    criteria_json: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    version: Mapped[PlanVersion] = relationship()

    @property
    def criteria(self) -> dict[str, dict[str, Any]]:
        return json.loads(self.criteria_json)


# --- follow-up (monev pasca pelatihan): what the library did after the training ------------------

# How far a planned activity got, as the trainee reports it at a follow-up.
PROGRESS = ("done", "partly", "not_yet")
# Participants of an activity held, by sex (L/P, as SIM TPBIS and Indonesian attendance lists
# count them) and age group; one column per pair, named f"{sex}_{age}".
SEXES = ("male", "female")
AGE_GROUPS = ("child", "youth", "adult", "elderly")  # anak, remaja, dewasa, lansia
PARTICIPANT_FIELDS = tuple(f"{sex}_{age}" for sex in SEXES for age in AGE_GROUPS)


class FollowUp(db.Model):
    """A trainee's report at one follow-up round of her cohort (e.g. round 1 = one month after the
    cohort's end), about her approved (or submitted) plan: an open draft until she sends it."""

    __tablename__ = "follow_up"
    __table_args__ = (UniqueConstraint("plan_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    round: Mapped[int]  # 1, 2, ... in the order of the cohort's follow-up months
    months: Mapped[int]  # months after the cohort's end, as set when the report was started
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)  # draft | submitted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    items: Mapped[list[FollowUpItem]] = relationship(order_by="FollowUpItem.id", cascade="all, delete-orphan")
    held: Mapped[list[HeldActivity]] = relationship(order_by="HeldActivity.position",
                                                    cascade="all, delete-orphan")

    @property
    def editable(self) -> bool:
        return self.status == "draft"


class FollowUpItem(db.Model):
    """How far one planned activity got by this follow-up: done, partly or not yet, with a note."""

    __tablename__ = "follow_up_item"
    __table_args__ = (UniqueConstraint("follow_up_id", "plan_activity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_up.id"), index=True)
    # A plan sent back for changes may lose an activity: its progress rows go with it.
    plan_activity_id: Mapped[int] = mapped_column(ForeignKey("plan_activity.id", ondelete="CASCADE"), index=True)
    progress: Mapped[str] = mapped_column(String(10), default="")  # one of PROGRESS, "" while unanswered
    note: Mapped[str] = mapped_column(Text, default="")


class HeldActivity(db.Model):
    """An activity the library held, as SIM TPBIS records it: date, strategy, participants by sex
    and age group, partners, skills, and a short story of change; with up to three photos."""

    __tablename__ = "held_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_up.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    held_on: Mapped[date | None]
    title: Mapped[str] = mapped_column(Text, default="")
    strategy: Mapped[str] = mapped_column(String(20), default="")  # one of STRATEGIES
    # The planned activity it carried out, if any (a plan_activity of the same plan).
    plan_activity_id: Mapped[int | None] = mapped_column(ForeignKey("plan_activity.id", ondelete="SET NULL"))
    male_child: Mapped[int] = mapped_column(default=0)
    female_child: Mapped[int] = mapped_column(default=0)
    male_youth: Mapped[int] = mapped_column(default=0)
    female_youth: Mapped[int] = mapped_column(default=0)
    male_adult: Mapped[int] = mapped_column(default=0)
    female_adult: Mapped[int] = mapped_column(default=0)
    male_elderly: Mapped[int] = mapped_column(default=0)
    female_elderly: Mapped[int] = mapped_column(default=0)
    partners: Mapped[str] = mapped_column(Text, default="")
    skills: Mapped[str] = mapped_column(Text, default="")
    story: Mapped[str] = mapped_column(Text, default="")
    # The trainee confirmed that the people in the photos agreed to be photographed and shown.
    photo_consent: Mapped[bool] = mapped_column(default=False)

    photos: Mapped[list[HeldPhoto]] = relationship(order_by="HeldPhoto.id", cascade="all, delete-orphan")

    @property
    def participants(self) -> int:
        return sum(getattr(self, name) for name in PARTICIPANT_FIELDS)


class HeldPhoto(db.Model):
    """A photo of an activity held, re-encoded as JPEG (no EXIF, at most 1600 px a side) and
    stored in the database like course images, so any app server can serve it."""

    __tablename__ = "held_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("held_activity.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(50))
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int]
    height: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FollowUpReminder(db.Model):
    """A follow-up reminder sent to a trainee. The unique constraints are the de-duplication:
    one reminder per plan and round, and one per trainee per day (the cohort's local date)."""

    __tablename__ = "follow_up_reminder"
    __table_args__ = (UniqueConstraint("plan_id", "round"), UniqueConstraint("user_id", "sent_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    round: Mapped[int]
    sent_on: Mapped[date]
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
