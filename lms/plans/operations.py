"""Writing plans: start, save a draft, add and remove rows, submit, review. Functions flush;
the request (or CLI) commits once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from lms.accounts.models import User
from lms.content.models import Course
from lms.extensions import db
from lms.plans.forms import MAX_ROWS, PlanInput
from lms.plans.models import ActionPlan, PlanActivity, PlanGoal, PlanNeed, PlanReview, PlanVersion
from lms.plans.rules import Gap, missing_sections, plan_of, plan_settings, trainee_cohort
from lms.plans.signals import plan_approved
from lms.util import utcnow

ROW_MODELS = {"need": PlanNeed, "goal": PlanGoal, "activity": PlanActivity}
ROW_LISTS = {"need": "needs", "goal": "goals", "activity": "activities"}


class PlanError(Exception):
    """An action the plan does not allow now; the message is shown to the user."""


class PlanIncomplete(PlanError):
    """A submission that lacks sections; .gaps says which."""

    def __init__(self, gaps: list[Gap]) -> None:
        super().__init__("; ".join(str(g) for g in gaps))
        self.gaps = gaps


class ReviewError(PlanError):
    """A review that cannot be recorded; .errors by field name when the form is at fault."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


class UnknownAction(ValueError):
    """A button the form does not have (a hand-made request): the request is refused, nothing kept."""


def start_plan(user: User, course: Course) -> ActionPlan:
    """The trainee's plan for the course, created (with one empty row of each kind) if she has none."""
    existing = plan_of(user.id, course.id)
    if existing is not None:
        return existing
    if not plan_settings(course).get("rubric"):
        raise PlanError(_("This course does not collect an action plan."))
    cohort = trainee_cohort(user.id, course.id)
    if cohort is None:
        raise PlanError(_("Only trainees of a cohort of this course draft a plan in it."))
    plan = ActionPlan(user_id=user.id, cohort_id=cohort.id, course_id=course.id, status="draft",
                      library=(user.institution or "")[:200])
    plan.needs.append(PlanNeed(position=1))
    plan.goals.append(PlanGoal(position=1))
    plan.activities.append(PlanActivity(position=1))
    db.session.add(plan)
    db.session.flush()
    return plan


def _editable(plan: ActionPlan) -> None:
    if not plan.editable:
        raise PlanError(_("This plan has been submitted and cannot be changed now."))


def save_plan(plan: ActionPlan, data: PlanInput) -> None:
    """Store the valid values of a posted form (a draft may be incomplete)."""
    _editable(plan)
    for key, value in data.plan.items():
        setattr(plan, key, value)
    rows = {(kind, row.id): row for kind, attr in ROW_LISTS.items() for row in getattr(plan, attr)}
    for key, values in data.rows.items():
        row = rows.get(key)
        if row is None:
            continue
        for name, value in values.items():
            setattr(row, name, value)
    plan.updated_at = utcnow()
    db.session.flush()


def add_row(plan: ActionPlan, kind: str) -> Any:
    """Add an empty need, goal or activity at the end."""
    _editable(plan)
    rows = getattr(plan, ROW_LISTS[kind])
    if len(rows) >= MAX_ROWS[kind]:
        raise PlanError(_("A plan holds at most %(number)s of these.", number=MAX_ROWS[kind]))
    row = ROW_MODELS[kind](position=max((r.position for r in rows), default=0) + 1)
    rows.append(row)
    plan.updated_at = utcnow()
    db.session.flush()
    return row


def remove_row(plan: ActionPlan, kind: str, row_id: int) -> None:
    """Remove one of the plan's rows (ids of other plans are not found)."""
    _editable(plan)
    rows = getattr(plan, ROW_LISTS[kind])
    row = next((r for r in rows if r.id == row_id), None)
    if row is None:
        raise PlanError(_("That row is no longer in the plan."))
    rows.remove(row)
    plan.updated_at = utcnow()
    db.session.flush()


@dataclass
class FormSaved:
    """What a posted plan form did besides storing its values: the row added or the kind of row
    removed, the submission; or why its button's action was not done (.gaps, .refused)."""

    kind: str = ""
    added: Any = None
    removed: bool = False
    submitted: bool = False
    gaps: list[Gap] = field(default_factory=list)
    refused: str = ""


def _row_kind(kind: str) -> str:
    if kind not in ROW_MODELS:
        raise UnknownAction(kind)
    return kind


def save_form(plan: ActionPlan, data: PlanInput, action: str | None) -> FormSaved:
    """Store the form's valid values (a draft may be incomplete); then, when the form has no
    errors, do what its button asked: "add:<kind>", "remove:<kind>:<row id>", "submit" (anything
    else, or None: just save). An action the plan refuses leaves the draft stored, and the
    outcome says why; UnknownAction: a kind of row the plan does not have."""
    save_plan(plan, data)
    if action is None or data.errors:
        return FormSaved()
    try:
        if action.startswith("add:"):
            kind = _row_kind(action[4:])
            return FormSaved(kind=kind, added=add_row(plan, kind))
        if action.startswith("remove:"):
            kind, _sep, row_id = action[7:].partition(":")
            remove_row(plan, _row_kind(kind),
                       int(row_id) if row_id.isascii() and row_id.isdigit() and len(row_id) < 10 else 0)
            return FormSaved(kind=kind, removed=True)
        if action == "submit":
            submit_plan(plan)
            return FormSaved(submitted=True)
    except PlanIncomplete as exc:
        return FormSaved(gaps=exc.gaps)
    except PlanError as exc:
        return FormSaved(refused=str(exc))
    return FormSaved()


def snapshot(plan: ActionPlan) -> dict[str, Any]:
    """The plan's content as plain data (frozen in a PlanVersion)."""
    month = lambda value: value.isoformat() if value else None  # noqa: E731
    return {
        "library": plan.library, "team": plan.team, "period_from": month(plan.period_from),
        "period_to": month(plan.period_to), "general_goal": plan.general_goal, "risks": plan.risks,
        "needs": [{"id": n.id, "need": n.need, "evidence": n.evidence} for n in plan.needs],
        "goals": [{"id": g.id, "text": g.text} for g in plan.goals],
        "activities": [{
            "id": a.id, "title": a.title, "strategies": a.strategy_list, "target_group": a.target_group,
            "partners": a.partners, "budget": a.budget, "budget_source": a.budget_source,
            "starts_on": month(a.starts_on), "ends_on": month(a.ends_on), "indicator": a.indicator,
            "target": a.target} for a in plan.activities],
    }


def submit_plan(plan: ActionPlan) -> PlanVersion:
    """Freeze the plan as a new version and send it for review; PlanIncomplete names what is missing."""
    _editable(plan)
    gaps = missing_sections(plan)
    if gaps:
        raise PlanIncomplete(gaps)
    plan.version_count += 1
    now = utcnow()
    version = PlanVersion(plan_id=plan.id, number=plan.version_count, submitted_at=now,
                          snapshot_json=json.dumps(snapshot(plan), ensure_ascii=False))
    db.session.add(version)
    plan.status = "submitted"
    plan.submitted_at = now
    plan.updated_at = now
    db.session.flush()
    return version


def latest_version(plan: ActionPlan) -> PlanVersion | None:
    from sqlalchemy import select

    return db.session.scalar(select(PlanVersion).where(PlanVersion.plan_id == plan.id)
                             .order_by(PlanVersion.number.desc()).limit(1))


def review_plan(plan: ActionPlan, reviewer: User, decision: str | None, comment: str,
                criteria: dict[str, dict], errors: dict[str, str] | None = None) -> PlanReview:
    """Record the reviewer's decision on the submitted version. Approval announces plan_approved
    (which may issue the certificate); a request for changes opens the plan for revision."""
    if plan.status != "submitted":
        raise ReviewError(_("This plan is not waiting for a review."))
    errors = dict(errors or {})
    if decision is None:
        raise ReviewError(_("Choose whether to approve the plan or to ask for changes."), errors)
    if errors:
        raise ReviewError(_("Rate every criterion of the rubric."), errors)
    unmet = [c["title"] for c in criteria.values() if not c["met"]]
    if decision == "approve" and unmet:
        raise ReviewError(_("A plan that does not meet every criterion cannot be approved (not met: %(criteria)s).",
                            criteria=", ".join(unmet)))
    if decision == "changes" and not unmet and not comment and not any(c["comment"] for c in criteria.values()):
        raise ReviewError(_("Say what should change: mark a criterion as not met or write a comment."))
    version = latest_version(plan)
    review = PlanReview(plan_id=plan.id, version_id=version.id, reviewer_id=reviewer.id,
                        decision="approved" if decision == "approve" else "changes_requested",
                        comment=comment, criteria_json=json.dumps(criteria, ensure_ascii=False))
    db.session.add(review)
    now = utcnow()
    plan.status = review.decision
    plan.updated_at = now
    if review.decision == "approved":
        plan.approved_at = now
    db.session.flush()
    if review.decision == "approved":
        plan_approved.send(plan)
    return review
