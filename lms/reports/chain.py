"""The chain in one report (issue 17, item 4): reaction -> learning -> behaviour -> results, for
some cohorts of one course, in total and by regency/city and institution.

Each link reads the function that owns its rule; nothing here re-decides one:
- reaction: lms.surveys.aggregates.survey_report (released ballots, no cell under MIN_GROUP).
  Ballots carry no person and no place (docs/surveys.md), so ratings exist per cohort only; by
  group the report shows how many trainees answered, and only when EVERY group has at least
  MIN_GROUP answers (otherwise the whole breakdown is withheld);
- learning: lms.reports.queries.Report.gain / gain_by (the rules of lms.quizzes.stats.knowledge_gain);
- behaviour: plans submitted (at least one version sent for review) and approved
  (lms.plans.models states), follow-up reports sent per round;
- results: lms.plans.followups.cohort_outcomes per round (activities held by strategy, people
  reached by sex and age group, partners, stories, planned activities' progress); by group the
  same sums over sent reports.

Every number is a GROUP BY over records: the number of queries does not grow with participants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Mapping

from sqlalchemy import and_, bindparam, case, func, select

from lms.accounts.models import Role, User
from lms.cohorts.models import Cohort, Enrolment
from lms.cohorts.models import Cohort as CohortModel
from lms.extensions import db
from lms.plans.followups import REPORTING_STATES, cohort_outcomes, due_rounds, split_partners
from lms.plans.models import AGE_GROUPS, PARTICIPANT_FIELDS, PROGRESS, SEXES, STRATEGIES, ActionPlan, FollowUp, \
    HeldActivity
from lms.reports.queries import Report, cohort_report, regency_label
from lms.surveys.aggregates import SurveyReport, report_as_dict, survey_report
from lms.surveys.models import SurveySubmission
from lms.surveys.operations import MIN_GROUP

GROUP_KEYS = ("regency", "institution")
MAX_STORIES = 200  # stories listed on the page and in the API (the export has them all)


def _people() -> dict[str, dict[str, int]]:
    return {sex: {age: 0 for age in AGE_GROUPS} for sex in SEXES}


@dataclass
class RoundTotals:
    """One follow-up round over the cohorts: reports sent, and what they reported."""

    round: int
    months: list[int]  # the months after the end that the cohorts set for this round
    expected: int = 0  # trainees who report (plans submitted or approved)
    reports: int = 0
    activities: int = 0
    by_strategy: dict[str, int] = field(default_factory=lambda: {s: 0 for s in STRATEGIES})
    people: dict[str, dict[str, int]] = field(default_factory=_people)
    people_total: int = 0
    partners: list[str] = field(default_factory=list)
    stories: int = 0
    plan_activities: dict[str, int] = field(default_factory=lambda: {p: 0 for p in PROGRESS})

    @property
    def report_rate(self) -> float:
        return round(100 * self.reports / self.expected, 1) if self.expected else 0.0


@dataclass
class GroupChain:
    """The chain for one regency/city or institution."""

    key: str  # the regency code ("" when not on the list) or the institution as written
    label: str
    participants: int = 0
    answered: int = 0  # trainees who answered the survey (shown only when every group has MIN_GROUP)
    mean_pre: float | None = None
    mean_post: float | None = None
    gain: float | None = None
    paired: int = 0
    plans_submitted: int = 0
    plans_approved: int = 0
    reports: dict[int, int] = field(default_factory=dict)  # round -> reports sent
    activities: int = 0
    people: dict[str, dict[str, int]] = field(default_factory=_people)
    people_total: int = 0
    partners: int = 0  # distinct partners named
    stories: int = 0

    @property
    def submitted_rate(self) -> float:
        return round(100 * self.plans_submitted / self.participants, 1) if self.participants else 0.0

    @property
    def approved_rate(self) -> float:
        return round(100 * self.plans_approved / self.participants, 1) if self.participants else 0.0

    @property
    def people_by_sex(self) -> dict[str, int]:
        """People reached, by sex over the age groups."""
        return {sex: sum(self.people[sex].values()) for sex in SEXES}


@dataclass
class Story:
    cohort: str
    round: int
    months: int
    follow_up_id: int
    library: str
    regency: str
    activity: str
    story: str


@dataclass
class ChainReport:
    course: Any
    cohorts: list[Cohort]
    completion: Report
    survey: SurveyReport
    gain: Any  # GainSummary | None (the course has no pre-/post-test)
    participants: int
    plans_started: int
    plans_submitted: int
    plans_approved: int
    reporting: int  # plans submitted or approved: their trainees report at follow-ups
    rounds: list[RoundTotals]
    groups: dict[str, list[GroupChain]]
    survey_by_group_shown: dict[str, bool]
    stories: list[Story]

    @property
    def min_group(self) -> int:
        return MIN_GROUP

    @property
    def activities(self) -> int:
        return sum(r.activities for r in self.rounds)

    @property
    def people_total(self) -> int:
        return sum(r.people_total for r in self.rounds)

    def people(self) -> dict[str, dict[str, int]]:
        total = _people()
        for r in self.rounds:
            for sex in SEXES:
                for age in AGE_GROUPS:
                    total[sex][age] += r.people[sex][age]
        return total

    def partners(self) -> list[str]:
        seen: dict[str, str] = {}
        for r in self.rounds:
            for partner in r.partners:
                seen.setdefault(partner.casefold(), partner)
        return sorted(seen.values(), key=str.casefold)

    @property
    def story_count(self) -> int:
        return sum(r.stories for r in self.rounds)


def _label(key: str, value: str) -> str:
    if key == "regency":
        from flask_babel import gettext as _

        return regency_label(value) or _("Not on the list")
    return value or "-"


@lru_cache(maxsize=1)
def _statements() -> Mapping[str, Any]:
    """The chain's GROUP BY queries over the cohorts in :ids, built once per process (their cache
    keys with them): they hold no value of a request. The per-group ones group by regency/city
    code and institution together; _groups adds each row to its group under either key."""
    ids = bindparam("ids", expanding=True)
    trainee = User.role == Role.TRAINEE.value
    regency, institution = func.coalesce(User.regency_code, ""), func.coalesce(User.institution, "")
    submitted = func.sum(case((ActionPlan.version_count > 0, 1), else_=0))
    approved = func.sum(case((ActionPlan.status == "approved", 1), else_=0))
    sent = and_(FollowUp.cohort_id.in_(ids), FollowUp.status == "submitted", trainee)
    sums = [func.coalesce(func.sum(getattr(HeldActivity, name)), 0) for name in PARTICIPANT_FIELDS]
    stories = func.sum(case((func.length(func.trim(HeldActivity.story)) > 0, 1), else_=0))

    stories_sent = (select(CohortModel.name, FollowUp.round, FollowUp.months, FollowUp.id, ActionPlan.library,
                           User.institution, User.regency_code, User.regency, HeldActivity.title, HeldActivity.story)
                    .select_from(HeldActivity).join(FollowUp, FollowUp.id == HeldActivity.follow_up_id)
                    .join(ActionPlan, ActionPlan.id == FollowUp.plan_id).join(User, User.id == FollowUp.user_id)
                    .join(CohortModel, CohortModel.id == FollowUp.cohort_id)
                    .where(FollowUp.cohort_id.in_(ids), FollowUp.status == "submitted",
                           func.length(func.trim(HeldActivity.story)) > 0)
                    .order_by(FollowUp.round.desc(), FollowUp.id.desc(), HeldActivity.position))

    def by_group(*columns, table, person, where, more=()):
        return (select(regency, institution, *columns).select_from(table).join(User, User.id == person)
                .where(where).group_by(regency, institution, *more))

    return MappingProxyType({
        "plans": select(func.count(), submitted, approved,
                        func.sum(case((ActionPlan.status.in_(REPORTING_STATES), 1), else_=0)))
        .select_from(ActionPlan).where(ActionPlan.cohort_id.in_(ids)),
        "participants": by_group(func.count(), table=Enrolment, person=Enrolment.user_id,
                                 where=and_(Enrolment.cohort_id.in_(ids), trainee)),
        "answered": by_group(func.count(), table=SurveySubmission, person=SurveySubmission.user_id,
                             where=and_(SurveySubmission.cohort_id.in_(ids), trainee)),
        "plans_by_group": by_group(submitted, approved, table=ActionPlan, person=ActionPlan.user_id,
                                   where=and_(ActionPlan.cohort_id.in_(ids), trainee)),
        "reports": by_group(FollowUp.round, func.count(), table=FollowUp, person=FollowUp.user_id, where=sent,
                            more=(FollowUp.round,)),
        "activities": by_group(func.count(HeldActivity.id), stories, *sums, table=HeldActivity.__table__.join(
            FollowUp, FollowUp.id == HeldActivity.follow_up_id), person=FollowUp.user_id, where=sent),
        "partners": select(regency, institution, HeldActivity.partners).select_from(HeldActivity)
        .join(FollowUp, FollowUp.id == HeldActivity.follow_up_id).join(User, User.id == FollowUp.user_id)
        .where(sent, HeldActivity.partners != ""),
        "stories": stories_sent,  # _stories: every one, or the first :limit
        "first_stories": stories_sent.limit(bindparam("limit")),
    })


def chain_report(cohorts: list[Cohort], *, stories: int | None = MAX_STORIES) -> ChainReport:
    """The chain over the cohorts given (all of one course; the caller filters them by access)."""
    ids = [c.id for c in cohorts]
    completion = cohort_report(cohorts)

    # Behaviour: plans started, submitted, approved and reporting (submitted or approved), one query.
    started, plans_submitted, plans_approved, reporting = db.session.execute(
        _statements()["plans"], {"ids": ids}).one()

    # Results: cohort_outcomes per cohort and round, summed by round over the cohorts.
    by_round: dict[int, RoundTotals] = {}
    for cohort_rounds in cohort_outcomes(ids).values():
        for item in cohort_rounds:
            total = by_round.setdefault(item["round"], RoundTotals(item["round"], []))
            if item["months"] not in total.months:
                total.months.append(item["months"])
            total.reports += item["reports"]
            total.activities += item["activities"]
            total.people_total += item["people_total"]
            total.stories += len(item["stories"])
            for strategy, count in item["by_strategy"].items():
                total.by_strategy[strategy] = total.by_strategy.get(strategy, 0) + count
            for sex in SEXES:
                for age in AGE_GROUPS:
                    total.people[sex][age] += item["people"][sex][age]
            for progress, count in item["plan_activities"].items():
                total.plan_activities[progress] = total.plan_activities.get(progress, 0) + count
            known = {p.casefold() for p in total.partners}
            total.partners += [p for p in item["partners"] if p.casefold() not in known]
    # A round that has fallen due shows even when nobody has reported yet (0 of the expected).
    for cohort in cohorts:
        for due in due_rounds(cohort, completion.course):
            total = by_round.setdefault(due.number, RoundTotals(due.number, []))
            if due.months not in total.months:
                total.months.append(due.months)
    rounds = [by_round[n] for n in sorted(by_round)]
    for r in rounds:
        r.months.sort()
        r.expected = reporting or 0

    groups = _groups(completion, ids)
    shown = {key: bool(groups[key]) and all(g.answered >= MIN_GROUP for g in groups[key]) for key in GROUP_KEYS}
    for key in GROUP_KEYS:
        if not shown[key]:
            for g in groups[key]:
                g.answered = 0  # withheld: never leaves this function
    report = ChainReport(
        completion.course, cohorts, completion, survey_report(cohorts), completion.gain(),
        # The trainees enrolled (completion.enrolled counts the same rows, at the cost of its columns).
        sum(g.participants for g in groups["regency"]),
        int(started or 0), int(plans_submitted or 0), int(plans_approved or 0), int(reporting or 0), rounds, groups,
        shown, _stories(ids, stories))
    return report


def _group(found: dict[str, GroupChain], key: str, value: str | None) -> GroupChain:
    value = value or ""
    if value not in found:
        found[value] = GroupChain(value, _label(key, value))
    return found[value]


def _groups(completion: Report, ids: list[int]) -> dict[str, list[GroupChain]]:
    """Every link of the chain per regency/city code and per institution (trainees of the cohorts).
    Each query groups by both at once; a row adds to its regency's group and its institution's."""
    found: dict[str, dict[str, GroupChain]] = {key: {} for key in GROUP_KEYS}
    statements, params = _statements(), {"ids": ids}

    def both(regency: str, institution: str) -> tuple[GroupChain, GroupChain]:
        return _group(found["regency"], "regency", regency), _group(found["institution"], "institution", institution)

    for regency, institution, count in db.session.execute(statements["participants"], params):
        for g in both(regency, institution):
            g.participants += count
    for regency, institution, count in db.session.execute(statements["answered"], params):
        for g in both(regency, institution):
            g.answered += count
    for key in GROUP_KEYS:
        for value, summary in completion.gain_by(key).items():
            g = _group(found[key], key, value)
            g.mean_pre, g.mean_post, g.gain, g.paired = summary.mean_pre, summary.mean_post, \
                summary.normalized_gain, summary.paired
    for regency, institution, sent, approved in db.session.execute(statements["plans_by_group"], params):
        for g in both(regency, institution):
            g.plans_submitted += int(sent or 0)
            g.plans_approved += int(approved or 0)
    for regency, institution, number, count in db.session.execute(statements["reports"], params):
        for g in both(regency, institution):
            g.reports[number] = g.reports.get(number, 0) + count
    for regency, institution, count, with_story, *people in db.session.execute(statements["activities"], params):
        for g in both(regency, institution):
            g.activities += int(count)
            g.stories += int(with_story or 0)
            for name, number in zip(PARTICIPANT_FIELDS, people):
                sex, age = name.split("_")
                g.people[sex][age] += int(number)
                g.people_total += int(number)
    partners: dict[str, dict[str, set[str]]] = {key: {} for key in GROUP_KEYS}
    for regency, institution, text in db.session.execute(statements["partners"], params):
        named = {p.casefold() for p in split_partners(text)}
        for key, value in zip(GROUP_KEYS, (regency or "", institution or "")):
            partners[key].setdefault(value, set()).update(named)
    for key in GROUP_KEYS:
        for value, names in partners[key].items():
            _group(found[key], key, value).partners = len(names)
    return {key: sorted(found[key].values(), key=lambda g: (-g.participants, g.label.casefold()))
            for key in GROUP_KEYS}


def _stories(ids: list[int], limit: int | None) -> list[Story]:
    """Stories of change from sent reports, newest round first, with the library and its place."""
    statements = _statements()
    stmt, params = (statements["stories"], {"ids": ids}) if limit is None else \
        (statements["first_stories"], {"ids": ids, "limit": limit})
    return [Story(cohort, number, months, followup_id, library or institution or "", regency_label(code, typed),
                  title, story)
            for cohort, number, months, followup_id, library, institution, code, typed, title, story
            in db.session.execute(stmt, params)]


def chain_as_dict(report: ChainReport) -> dict[str, Any]:
    """The chain as JSON-ready data (the API). The survey part is survey_report's own (suppressed
    cells carry no numbers); answers by group only when every group has MIN_GROUP of them."""
    gain = report.gain

    def group_dict(key: str, g: GroupChain) -> dict[str, Any]:
        return {
            "key": g.key or None, "label": g.label, "participants": g.participants,
            "survey_answered": g.answered if report.survey_by_group_shown[key] else None,
            "learning": {"mean_pre": g.mean_pre, "mean_post": g.mean_post, "normalized_gain": g.gain,
                         "paired": g.paired},
            "behaviour": {"plans_submitted": g.plans_submitted, "plans_approved": g.plans_approved,
                          "reports_by_round": {str(n): c for n, c in sorted(g.reports.items())}},
            "results": {"activities": g.activities, "people": g.people, "people_total": g.people_total,
                        "partners": g.partners, "stories": g.stories},
        }

    return {
        "cohorts": [c.slug for c in report.cohorts],
        "participants": report.participants,
        "reaction": report_as_dict(report.survey),
        "learning": None if gain is None else {"mean_pre": gain.mean_pre, "mean_post": gain.mean_post,
                                                "normalized_gain": gain.normalized_gain, "paired": gain.paired},
        "behaviour": {"plans_started": report.plans_started, "plans_submitted": report.plans_submitted,
                      "plans_approved": report.plans_approved, "reporting": report.reporting,
                      "rounds": [{"round": r.round, "months": r.months, "expected": r.expected,
                                  "reports": r.reports, "plan_activities": r.plan_activities} for r in report.rounds]},
        "results": {"activities": report.activities, "people": report.people(),
                    "people_total": report.people_total, "partners": report.partners(),
                    "stories": report.story_count,
                    "rounds": [{"round": r.round, "months": r.months, "activities": r.activities,
                                "by_strategy": r.by_strategy, "people": r.people, "people_total": r.people_total,
                                "partners": r.partners, "stories": r.stories} for r in report.rounds],
                    "story_list": [{"cohort": s.cohort, "round": s.round, "months": s.months, "library": s.library,
                                    "regency": s.regency, "activity": s.activity, "story": s.story}
                                   for s in report.stories]},
        "survey_min_group": MIN_GROUP,
        "by_regency": [group_dict("regency", g) for g in report.groups["regency"]],
        "by_institution": [group_dict("institution", g) for g in report.groups["institution"]],
    }
