"""Reading plans: the course's plan settings, whose plan is whose, and what is still missing.
Nothing here writes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import exists, func, select

from lms.accounts.models import User
from lms.auth import cohort_scope
from lms.cohorts.models import Cohort, Enrolment
from lms.content.models import Course
from lms.extensions import db
from lms.plans.models import ActionPlan


def plan_settings(course: Course) -> dict[str, Any]:
    """course.yml `action_plan:` as imported ({} when the course collects no plan)."""
    return json.loads(course.action_plan_json or "{}")


def has_plan(course: Course) -> bool:
    return bool(plan_settings(course).get("rubric"))


def plan_required(course: Course) -> bool:
    return bool(plan_settings(course).get("required"))


def approved_plan_exists(user_id: int, course_id: int) -> bool:
    """Public for certificates: the trainee has an approved plan in a cohort of the course."""
    return bool(db.session.scalar(select(exists().where(
        ActionPlan.user_id == user_id, ActionPlan.course_id == course_id, ActionPlan.status == "approved"))))


def trainee_cohort(user_id: int, course_id: int) -> Cohort | None:
    """The cohort of the course the trainee joined last (her plan belongs to it)."""
    return db.session.scalar(select(Cohort).join(Enrolment, Enrolment.cohort_id == Cohort.id)
                             .where(Enrolment.user_id == user_id, Cohort.course_id == course_id)
                             .order_by(Enrolment.enrolled_at.desc(), Enrolment.id.desc()).limit(1))


def plan_of(user_id: int, course_id: int) -> ActionPlan | None:
    """The trainee's plan in the course (her latest cohort's, else any)."""
    return db.session.scalar(select(ActionPlan).where(ActionPlan.user_id == user_id,
                                                      ActionPlan.course_id == course_id)
                             .order_by(ActionPlan.created_at.desc(), ActionPlan.id.desc()).limit(1))


def plan_statuses(user_id: int, course_ids: list[int]) -> dict[int, str]:
    """course id -> status of the trainee's plan, for the dashboard."""
    if not course_ids:
        return {}
    rows = db.session.execute(select(ActionPlan.course_id, ActionPlan.status).where(
        ActionPlan.user_id == user_id, ActionPlan.course_id.in_(course_ids)).order_by(ActionPlan.id))
    return {course_id: status for course_id, status in rows}


@dataclass
class Gap:
    """Something a plan needs before it can be submitted: the section, and what to do."""

    section: str  # identity | needs | goals | activities
    message: str

    def __str__(self) -> str:
        return self.message


def _blank(*values: Any) -> bool:
    return all(value in (None, "") or (isinstance(value, str) and not value.strip()) for value in values)


def missing_sections(plan: ActionPlan) -> list[Gap]:
    """What the plan lacks for submission, section by section, in the order of the form."""
    gaps: list[Gap] = []
    if _blank(plan.library):
        gaps.append(Gap("identity", _("Identity: write the name of your library.")))
    if _blank(plan.team):
        gaps.append(Gap("identity", _("Identity: write who drafted the plan with you.")))
    if plan.period_from is None or plan.period_to is None:
        gaps.append(Gap("identity", _("Identity: give the first and the last month of the plan.")))
    needs = [n for n in plan.needs if not _blank(n.need, n.evidence)]
    if not needs:
        gaps.append(Gap("needs", _("Community needs: write at least one need and its evidence.")))
    for number, need in enumerate(plan.needs, start=1):
        if need in needs and _blank(need.need):
            gaps.append(Gap("needs", _("Need %(number)s: write the need.", number=number)))
        elif need in needs and _blank(need.evidence):
            gaps.append(Gap("needs", _("Need %(number)s: write the evidence (where you found it).", number=number)))
    if _blank(plan.general_goal):
        gaps.append(Gap("goals", _("Goals: write the general goal.")))
    if not [g for g in plan.goals if not _blank(g.text)]:
        gaps.append(Gap("goals", _("Goals: write at least one specific goal.")))
    activities = [a for a in plan.activities if not _blank(a.title, a.target_group, a.partners, a.indicator,
                                                           a.target, a.budget, a.strategies, a.starts_on)]
    if not activities:
        gaps.append(Gap("activities", _("Activities: describe at least one activity.")))
    for number, activity in enumerate(plan.activities, start=1):
        if activity not in activities:
            continue
        missing = []
        if _blank(activity.title):
            missing.append(_("what you will do"))
        if not activity.strategy_list:
            missing.append(_("its TPBIS strategy"))
        if _blank(activity.target_group):
            missing.append(_("the target group"))
        if activity.starts_on is None:
            missing.append(_("when it starts"))
        if activity.budget and not activity.budget_source:
            missing.append(_("where the money comes from"))
        if _blank(activity.indicator):
            missing.append(_("an indicator"))
        if _blank(activity.target):
            missing.append(_("its target"))
        if missing:
            gaps.append(Gap("activities", _("Activity %(number)s: give %(missing)s.", number=number,
                                             missing=", ".join(missing))))
    return gaps


def waiting_counts(cohort_ids: list[int]) -> dict[int, int]:
    """cohort id -> plans submitted and waiting for a review."""
    if not cohort_ids:
        return {}
    rows = db.session.execute(select(ActionPlan.cohort_id, func.count()).where(
        ActionPlan.cohort_id.in_(cohort_ids), ActionPlan.status == "submitted").group_by(ActionPlan.cohort_id))
    return dict(rows.all())


@dataclass
class CohortQueue:
    cohort: Cohort
    course: Course
    counts: dict[str, int]  # status -> plans
    waiting: list[tuple[ActionPlan, Any]]  # (plan, trainee), oldest submission first


def review_queue(user: Any, cohort_id: int | None = None) -> list[CohortQueue]:
    """Per cohort whose plans the user may read: plans by status, and those waiting for review."""
    query = (select(Cohort, Course).join(Course, Course.id == Cohort.course_id)
             .where(cohort_scope(user, "read_plans"), Course.action_plan_json != "{}")
             .order_by(Cohort.id.desc()))
    if cohort_id is not None:
        query = query.where(Cohort.id == cohort_id)
    cohorts = db.session.execute(query).all()
    ids = [cohort.id for cohort, _course in cohorts]
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    waiting: dict[int, list] = {i: [] for i in ids}
    if ids:
        for cohort, status, number in db.session.execute(
                select(ActionPlan.cohort_id, ActionPlan.status, func.count())
                .where(ActionPlan.cohort_id.in_(ids)).group_by(ActionPlan.cohort_id, ActionPlan.status)):
            counts[cohort][status] = number
        for plan, trainee in db.session.execute(
                select(ActionPlan, User).join(User, User.id == ActionPlan.user_id)
                .where(ActionPlan.cohort_id.in_(ids), ActionPlan.status == "submitted")
                .order_by(ActionPlan.submitted_at, ActionPlan.id)):
            waiting[plan.cohort_id].append((plan, trainee))
    return [CohortQueue(cohort, course, counts[cohort.id], waiting[cohort.id]) for cohort, course in cohorts]


def cohort_plans(cohort: Cohort) -> list[tuple[Any, ActionPlan | None]]:
    """Every trainee of the cohort with her plan (or None), by name."""
    rows = db.session.execute(
        select(User, ActionPlan).join(Enrolment, Enrolment.user_id == User.id)
        .outerjoin(ActionPlan, (ActionPlan.user_id == User.id) & (ActionPlan.cohort_id == cohort.id))
        .where(Enrolment.cohort_id == cohort.id).order_by(User.full_name, User.id))
    return [(user, plan) for user, plan in rows]
