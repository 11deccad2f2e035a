"""Reading follow-ups (monev pasca pelatihan): when each cohort's rounds fall due, which reports a
trainee owes, what the staff queue shows, and the outcomes per cohort and round that reports
read. Nothing here writes (writers: lms/plans/followup_ops.py).

A cohort's follow-up rounds are months after its end date: its own setting
(Cohort.follow_up_months, "1,3"), else its course's (course.yml `action_plan: follow_ups`).
Round n falls due on ends_on + months[n-1], in the cohort's time zone. Trainees whose plan is
submitted or approved report at each round that has fallen due; a report not sent within
OVERDUE_AFTER_DAYS of its due date is overdue in the staff's queue.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select

from lms.accounts.models import User
from lms.cohorts.models import Cohort
from lms.content.models import Course
from lms.extensions import db
from lms.plans.models import (AGE_GROUPS, PARTICIPANT_FIELDS, PROGRESS, SEXES, STRATEGIES, ActionPlan, FollowUp,
                              FollowUpItem, FollowUpReminder, HeldActivity)
from lms.plans.rules import plan_settings
from lms.util import utcnow

# Plans whose trainees report at follow-ups.
REPORTING_STATES = ("submitted", "approved")
# A report not sent this many days after its due date is overdue.
OVERDUE_AFTER_DAYS = 14
# A reminder goes out only this many days after a round fell due at most (a cohort that ended long
# before follow-ups were switched on is not flooded with late reminders).
REMIND_WITHIN_DAYS = 30


@dataclass(frozen=True)
class Round:
    number: int  # 1-based
    months: int  # after the cohort's end
    due_on: date


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def cohort_months(cohort: Cohort, course: Course | None = None) -> list[int]:
    """The cohort's follow-up months: its own setting, else its course's."""
    if cohort.follow_up_months is not None:
        return [int(p) for p in cohort.follow_up_months.split(",") if p.isdigit()]
    course = course or db.session.get(Course, cohort.course_id)
    return list(plan_settings(course).get("follow_ups", []))


def rounds(cohort: Cohort, course: Course | None = None) -> list[Round]:
    """The cohort's follow-up rounds with their due dates (none without an end date)."""
    if cohort.ends_on is None:
        return []
    return [Round(number, months, add_months(cohort.ends_on, months))
            for number, months in enumerate(cohort_months(cohort, course), start=1)]


def local_today(zone: str) -> date:
    """Today's date in the zone (a cohort's)."""
    return utcnow().astimezone(ZoneInfo(zone)).date()


def due_rounds(cohort: Cohort, course: Course | None = None, today: date | None = None) -> list[Round]:
    today = today or local_today(cohort.timezone)
    return [r for r in rounds(cohort, course) if r.due_on <= today]


def round_of(cohort: Cohort, number: int, course: Course | None = None) -> Round | None:
    """The cohort's round `number`, if it exists and has fallen due."""
    return next((r for r in due_rounds(cohort, course) if r.number == number), None)


def followup_of(plan_id: int, number: int) -> FollowUp | None:
    return db.session.scalar(select(FollowUp).where(FollowUp.plan_id == plan_id, FollowUp.round == number))


# --- what a trainee owes --------------------------------------------------------------------------

@dataclass
class Owed:
    """A follow-up report a trainee should send now: its round, and the report if started."""

    course: Course
    cohort: Cohort
    plan: ActionPlan
    round: Round
    followup: FollowUp | None

    @property
    def overdue(self) -> bool:
        return self.round.due_on + timedelta(days=OVERDUE_AFTER_DAYS) < local_today(self.cohort.timezone)


@cache
def _owed_statement():
    """owed_followups' query, built once per process (the user bound per call)."""
    return (select(ActionPlan, Cohort, Course).join(Cohort, Cohort.id == ActionPlan.cohort_id)
            .join(Course, Course.id == ActionPlan.course_id)
            .where(ActionPlan.user_id == bindparam("user_id"), ActionPlan.status.in_(REPORTING_STATES),
                   Cohort.ends_on.is_not(None)))


def owed_followups(user_id: int) -> list[Owed]:
    """The trainee's follow-up reports that have fallen due and are not sent yet, oldest first."""
    rows = db.session.execute(_owed_statement(), {"user_id": user_id}).all()
    if not rows:
        return []
    existing = {(f.plan_id, f.round): f for f in db.session.scalars(
        select(FollowUp).where(FollowUp.plan_id.in_([plan.id for plan, _c, _k in rows])))}
    owed = []
    for plan, cohort, course in rows:
        for due in due_rounds(cohort, course):
            report = existing.get((plan.id, due.number))
            if report is None or report.status != "submitted":
                owed.append(Owed(course, cohort, plan, due, report))
    return sorted(owed, key=lambda o: (o.round.due_on, o.plan.id))


def sent_followups(plan_id: int) -> list[FollowUp]:
    return list(db.session.scalars(select(FollowUp).where(FollowUp.plan_id == plan_id, FollowUp.status == "submitted")
                                   .order_by(FollowUp.round)))


# --- the staff's queue ------------------------------------------------------------------------------

@dataclass
class CohortFollowUps:
    """One cohort's follow-ups: per round that has fallen due, reports expected and sent, and
    the trainees whose report is overdue."""

    cohort: Cohort
    rounds: list[Round]
    expected: int = 0  # trainees who report (plans submitted or approved)
    sent: dict[int, int] = field(default_factory=dict)  # round -> reports sent
    overdue: list[tuple[Any, Round]] = field(default_factory=list)  # (trainee, round), oldest first

    @property
    def overdue_count(self) -> int:
        return len(self.overdue)


def followup_queue(cohorts: list[Cohort]) -> list[CohortFollowUps]:
    """Per cohort (those with rounds that have fallen due): reports sent per round, and overdue ones."""
    result = []
    for cohort in cohorts:
        due = due_rounds(cohort)
        if not due:
            continue
        entry = CohortFollowUps(cohort, due)
        plans = db.session.execute(select(ActionPlan.id, User).join(User, User.id == ActionPlan.user_id).where(
            ActionPlan.cohort_id == cohort.id, ActionPlan.status.in_(REPORTING_STATES))
            .order_by(User.full_name, User.id)).all()
        entry.expected = len(plans)
        sent = {tuple(row) for row in db.session.execute(select(FollowUp.plan_id, FollowUp.round).where(
            FollowUp.cohort_id == cohort.id, FollowUp.status == "submitted"))}
        today = local_today(cohort.timezone)
        for r in due:
            entry.sent[r.number] = sum(1 for plan_id, _u in plans if (plan_id, r.number) in sent)
            if r.due_on + timedelta(days=OVERDUE_AFTER_DAYS) < today:
                entry.overdue += [(user, r) for plan_id, user in plans if (plan_id, r.number) not in sent]
        result.append(entry)
    return result


def overdue_counts(cohorts: list[Cohort]) -> dict[int, int]:
    """cohort id -> follow-up reports overdue (for the dashboard's card)."""
    return {q.cohort.id: q.overdue_count for q in followup_queue(cohorts) if q.overdue_count}


# --- outcomes, for the chain report -------------------------------------------------------------------

def cohort_outcomes(cohort_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Per cohort, per follow-up round (sent reports only): reports sent, activities held (by
    strategy), people reached by sex and age group, partners, stories of change, and how far the
    planned activities got. Public: the chain report (issue 17, item 4) reads it.

    {cohort_id: [{"round": 1, "months": 1, "reports": 3, "activities": 5,
                  "by_strategy": {"information": 2, "engagement": 3, "advocacy": 0},
                  "people": {"male": {"child": .., "youth": .., "adult": .., "elderly": ..},
                             "female": {...}},
                  "people_total": 84, "people_by_sex": {"male": 30, "female": 54}, "partners": ["PKK", ...],
                  "stories": [{"follow_up_id": 7, "user_id": 3, "activity": "...", "story": "..."}],
                  "plan_activities": {"done": 2, "partly": 1, "not_yet": 0}}, ...]}
    Rounds are those with at least one sent report, in order; cohorts without any map to [].
    """
    result: dict[int, list[dict[str, Any]]] = {cohort_id: [] for cohort_id in cohort_ids}
    if not cohort_ids:
        return result
    rounds_of: dict[tuple[int, int], dict[str, Any]] = {}

    def entry(cohort_id: int, number: int, months: int) -> dict[str, Any]:
        key = (cohort_id, number)
        if key not in rounds_of:
            rounds_of[key] = {"round": number, "months": months, "reports": 0, "activities": 0,
                              "by_strategy": {s: 0 for s in STRATEGIES},
                              "people": {sex: {age: 0 for age in AGE_GROUPS} for sex in SEXES},
                              "people_total": 0, "partners": [], "stories": [],
                              "plan_activities": {p: 0 for p in PROGRESS}}
        return rounds_of[key]

    statements, params = _outcome_statements(), {"ids": list(cohort_ids)}
    for cohort_id, number, months, reports in db.session.execute(statements["reports"], params):
        entry(cohort_id, number, months)["reports"] = reports
    _add_activities(db.session.execute(statements["activities"], params), entry)
    for cohort_id, number, months, progress, count in db.session.execute(statements["progress"], params):
        entry(cohort_id, number, months)["plan_activities"][progress] += count
    _add_partners_and_stories(db.session.execute(statements["partners"], params), entry)
    for (cohort_id, _number), item in sorted(rounds_of.items()):
        item["people_by_sex"] = {sex: sum(item["people"][sex].values()) for sex in SEXES}
        result[cohort_id].append(item)
    return result


@lru_cache(maxsize=1)
def _outcome_statements() -> Mapping[str, Any]:
    """cohort_outcomes' queries over the sent reports of the cohorts in :ids, built once per
    process (their cache keys with them)."""
    sent = (FollowUp.cohort_id.in_(bindparam("ids", expanding=True)), FollowUp.status == "submitted")
    sums = [func.coalesce(func.sum(getattr(HeldActivity, name)), 0) for name in PARTICIPANT_FIELDS]
    return MappingProxyType({
        "reports": select(FollowUp.cohort_id, FollowUp.round, func.max(FollowUp.months), func.count())
        .where(*sent).group_by(FollowUp.cohort_id, FollowUp.round),
        "activities": select(FollowUp.cohort_id, FollowUp.round, func.max(FollowUp.months), HeldActivity.strategy,
                             func.count(HeldActivity.id), *sums)
        .join(HeldActivity, HeldActivity.follow_up_id == FollowUp.id)
        .where(*sent)
        .group_by(FollowUp.cohort_id, FollowUp.round, HeldActivity.strategy),
        "progress": select(FollowUp.cohort_id, FollowUp.round, func.max(FollowUp.months), FollowUpItem.progress,
                           func.count())
        .join(FollowUpItem, FollowUpItem.follow_up_id == FollowUp.id)
        .where(*sent, FollowUpItem.progress.in_(PROGRESS))
        .group_by(FollowUp.cohort_id, FollowUp.round, FollowUpItem.progress),
        "partners": select(FollowUp.cohort_id, FollowUp.round, FollowUp.months, FollowUp.id, FollowUp.user_id,
                           HeldActivity.title, HeldActivity.partners, HeldActivity.story)
        .join(HeldActivity, HeldActivity.follow_up_id == FollowUp.id)
        .where(*sent)
        .order_by(FollowUp.cohort_id, FollowUp.round, FollowUp.id, HeldActivity.position),
    })


def _add_activities(rows, entry: Callable[[int, int, int], dict[str, Any]]) -> None:
    """Count the held activities of the sent reports (_outcome_statements' rows) into their rounds:
    by strategy, and the people reached by sex and age group."""
    for cohort_id, number, months, strategy, count, *people in rows:
        item = entry(cohort_id, number, months)
        item["activities"] += count
        if strategy in item["by_strategy"]:
            item["by_strategy"][strategy] += count
        for name, value in zip(PARTICIPANT_FIELDS, people):
            sex, age = name.split("_")
            item["people"][sex][age] += int(value)
            item["people_total"] += int(value)


def _add_partners_and_stories(rows, entry: Callable[[int, int, int], dict[str, Any]]) -> None:
    """The partners (once each, ignoring case) and stories of change of the sent reports' activities
    (_outcome_statements' rows), in report and activity order."""
    for cohort_id, number, months, followup_id, user_id, title, partners, story in rows:
        item = entry(cohort_id, number, months)
        for partner in split_partners(partners):
            if partner.casefold() not in {p.casefold() for p in item["partners"]}:
                item["partners"].append(partner)
        if story.strip():
            item["stories"].append({"follow_up_id": followup_id, "user_id": user_id, "activity": title,
                                    "story": story})


def split_partners(text: str) -> list[str]:
    """'PKK, Karang Taruna; SD Negeri 1' -> ['PKK', 'Karang Taruna', 'SD Negeri 1']."""
    parts = [p.strip(" .") for chunk in (text or "").replace(";", ",").splitlines() for p in chunk.split(",")]
    return [p for p in parts if p][:20]


def reminder_candidates(cohorts: list[Cohort]) -> list[tuple[ActionPlan, Cohort, Course, Round]]:
    """Trainees to remind now: per plan, the latest round that has fallen due within
    REMIND_WITHIN_DAYS, whose report is not sent and for which no reminder was sent (a round
    superseded by a later one is not reminded). Whom today's mail already reached is the
    sender's check (FollowUpReminder's unique (user, day))."""
    found = []
    for cohort in cohorts:
        course = db.session.get(Course, cohort.course_id)
        today = local_today(cohort.timezone)
        due = due_rounds(cohort, course, today)
        if not due or (today - due[-1].due_on).days > REMIND_WITHIN_DAYS:
            continue
        latest = due[-1]
        plans = db.session.scalars(select(ActionPlan).where(
            ActionPlan.cohort_id == cohort.id, ActionPlan.status.in_(REPORTING_STATES)).order_by(ActionPlan.id)).all()
        if not plans:
            continue
        ids = [p.id for p in plans]
        sent = set(db.session.scalars(select(FollowUp.plan_id).where(
            FollowUp.plan_id.in_(ids), FollowUp.round == latest.number, FollowUp.status == "submitted")))
        reminded = set(db.session.scalars(select(FollowUpReminder.plan_id).where(
            FollowUpReminder.plan_id.in_(ids), FollowUpReminder.round == latest.number)))
        found += [(plan, cohort, course, latest) for plan in plans if plan.id not in sent | reminded]
    return found
