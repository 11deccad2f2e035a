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

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
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
