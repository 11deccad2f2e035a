"""The survey's aggregates: means and distributions per item, and open comments, never a group
smaller than MIN_GROUP. Public: reports (the chain report), the API and exports read these.

The rule, applied to every cell (an item, or an item about one facilitator):
- a cell counts released ballots only (they reach the aggregates in batches of MIN_GROUP);
- in a report over several cohorts, a cohort's cell adds to the total only if it would be shown
  on its own (n >= MIN_GROUP), so that no total minus the shown parts reveals a hidden group;
- a cell with n < MIN_GROUP shows no numbers ("too few answers to show");
- open comments show only when the group of ballots is MIN_GROUP or more, in random order.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import bindparam, func, select

from lms.accounts.models import User
from lms.cohorts.models import Cohort, Enrolment
from lms.extensions import db
from lms.surveys.models import Survey, SurveyAnswer, SurveyBallot, SurveyItem, SurveySubmission
from lms.surveys.operations import MIN_GROUP
from lms.surveys.queries import facilitators_of
from lms.surveys.spec import FACILITATOR_PLACEHOLDER
from lms.util.charts import Bar, rating_bar

SCALE = (1, 2, 3, 4, 5)
_shuffle = random.SystemRandom().shuffle


@dataclass
class ItemAggregate:
    """One cell: an item (about one facilitator, for facilitator items)."""

    key: str
    section: str
    text: str
    facilitator: str  # the facilitator's name, or ""
    n: int = 0
    counts: tuple[int, ...] = (0, 0, 0, 0, 0)

    @property
    def suppressed(self) -> bool:
        return self.n < MIN_GROUP

    @property
    def mean(self) -> float | None:
        if self.suppressed:
            return None
        return sum(v * c for v, c in zip(SCALE, self.counts)) / self.n

    def shown_counts(self) -> tuple[int, ...] | None:
        return None if self.suppressed else self.counts


@dataclass
class CommentGroup:
    key: str
    text: str
    comments: list[str] = field(default_factory=list)


@dataclass
class CohortCount:
    cohort: Cohort
    enrolled: int
    answered: int  # trainees who submitted (SurveySubmission)
    in_aggregates: int  # released ballots

    @property
    def counted(self) -> int:
        """Ballots of this cohort in a report's summaries: none unless at least MIN_GROUP."""
        return self.in_aggregates if self.in_aggregates >= MIN_GROUP else 0


@dataclass
class SurveyReport:
    cohorts: list[Cohort]
    title: str
    items: list[ItemAggregate]
    comment_groups: list[CommentGroup]
    per_cohort: list[CohortCount]

    @property
    def enrolled(self) -> int:
        return sum(c.enrolled for c in self.per_cohort)

    @property
    def answered(self) -> int:
        return sum(c.answered for c in self.per_cohort)

    @property
    def in_aggregates(self) -> int:
        """Ballots counted: from cohorts with at least MIN_GROUP released ballots."""
        return sum(c.counted for c in self.per_cohort)

    @property
    def comments_shown(self) -> bool:
        return self.in_aggregates >= MIN_GROUP

    @property
    def has_survey(self) -> bool:
        return bool(self.items or self.comment_groups)

    def rating_bars(self) -> list[Bar]:
        """The mean of each item shown (suppressed ones have none)."""
        return [rating_bar(a.text, a.mean) for a in self.items if not a.suppressed]


def _items_of(course_ids: set[int]) -> dict[str, SurveyItem]:
    """Each item key's row: the course survey's first, then a cohort's own."""
    rows = db.session.execute(select(SurveyItem, Survey.scope).join(Survey, Survey.id == SurveyItem.survey_id)
                              .where(Survey.course_id.in_(course_ids))
                              .order_by(SurveyItem.archived_at.is_not(None), Survey.scope != "",
                                        SurveyItem.position, SurveyItem.id)).all()
    items: dict[str, SurveyItem] = {}
    for item, _scope in rows:
        items.setdefault(item.key, item)
    return items


@lru_cache(maxsize=1)
def _counts_statement():
    """_cohort_counts' query, built once per process (its cache key with it): per cohort in :ids,
    enrolled, answered and released ballots."""

    def count(column, *where):
        return select(func.count()).where(column == Cohort.id, *where).correlate(Cohort).scalar_subquery()

    return select(Cohort.id, count(Enrolment.cohort_id), count(SurveySubmission.cohort_id),
                  count(SurveyBallot.cohort_id, SurveyBallot.released.is_(True))).where(
        Cohort.id.in_(bindparam("ids", expanding=True)))


def _cohort_counts(cohorts: list[Cohort]) -> list[CohortCount]:
    """Per cohort: enrolled, answered, and released ballots (those in the aggregates), one query."""
    ids = [c.id for c in cohorts]
    if not ids:
        return []
    counts = {cohort_id: (enrolled, answered, released) for cohort_id, enrolled, answered, released
              in db.session.execute(_counts_statement(), {"ids": ids})}
    return [CohortCount(c, *counts.get(c.id, (0, 0, 0))) for c in cohorts]


def _rating_cells(ids: list[int]) -> dict[tuple[str, int | None], dict[int, list[int]]]:
    """Counts per (item key, facilitator), cohort and value 1-5; released ballots only."""
    cells: dict[tuple[str, int | None], dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0] * 5))
    if not ids:
        return cells
    rows = db.session.execute(
        select(SurveyBallot.cohort_id, SurveyItem.key, SurveyAnswer.facilitator_id, SurveyAnswer.value,
               func.count())
        .select_from(SurveyAnswer).join(SurveyBallot, SurveyBallot.id == SurveyAnswer.ballot_id)
        .join(SurveyItem, SurveyItem.id == SurveyAnswer.item_id)
        .where(SurveyBallot.cohort_id.in_(ids), SurveyBallot.released.is_(True), SurveyAnswer.value.is_not(None))
        .group_by(SurveyBallot.cohort_id, SurveyItem.key, SurveyAnswer.facilitator_id, SurveyAnswer.value))
    for cohort_id, key, facilitator_id, value, count in rows:
        if 1 <= value <= 5:
            cells[(key, facilitator_id)][cohort_id][value - 1] += count
    return cells


def _rated_items(cells, items: dict[str, SurveyItem], single_cohort: bool) -> list[ItemAggregate]:
    """An aggregate per rated (item, facilitator): the counts of the cohorts big enough to show."""
    names = dict(db.session.execute(select(User.id, User.full_name).where(
        User.id.in_({f for _, f in cells if f is not None}))).all()) if cells else {}
    aggregates = []
    for (key, facilitator_id), by_cohort in cells.items():
        item = items.get(key)
        if item is None:
            continue
        total = [0] * 5
        for counts in by_cohort.values():
            if sum(counts) >= MIN_GROUP or single_cohort:  # a hidden cohort cell never adds to a total
                total = [a + b for a, b in zip(total, counts)]
        name = names.get(facilitator_id, "") if facilitator_id else ""
        text = item.text.replace(FACILITATOR_PLACEHOLDER, name) if name else item.text
        aggregates.append(ItemAggregate(key, item.section, text, name, sum(total), tuple(total)))
    return aggregates


def _unrated_items(items: dict[str, SurveyItem], aggregates: list[ItemAggregate],
                   cohorts: list[Cohort]) -> list[ItemAggregate]:
    """Items nobody rated yet still show, as too few answers (per facilitator where they name one)."""
    rated = {(a.key, a.facilitator) for a in aggregates}
    people = None
    unrated = []
    for key, item in items.items():
        if item.kind != "likert" or item.archived_at is not None:
            continue
        if FACILITATOR_PLACEHOLDER in item.text:
            if people is None:
                people = sorted({p.full_name for c in cohorts for p in facilitators_of(c.id)})
            for name in people:
                if (key, name) not in rated:
                    unrated.append(ItemAggregate(key, item.section, item.text.replace(FACILITATOR_PLACEHOLDER, name),
                                                 name))
        elif (key, "") not in rated:
            unrated.append(ItemAggregate(key, item.section, item.text, ""))
    return unrated


def _comment_groups(items: dict[str, SurveyItem], per_cohort: list[CohortCount]) -> list[CommentGroup]:
    """The comments per question, only from cohorts big enough to show, in no stable order."""
    shown_cohorts = [c.cohort.id for c in per_cohort if c.in_aggregates >= MIN_GROUP]
    comment_items = [item for item in items.values() if item.kind == "comment" and item.archived_at is None]
    by_key = {item.key: CommentGroup(item.key, item.text) for item in comment_items}
    if shown_cohorts and sum(c.in_aggregates for c in per_cohort if c.cohort.id in shown_cohorts) >= MIN_GROUP:
        for key, text in db.session.execute(
                select(SurveyItem.key, SurveyAnswer.text).select_from(SurveyAnswer)
                .join(SurveyBallot, SurveyBallot.id == SurveyAnswer.ballot_id)
                .join(SurveyItem, SurveyItem.id == SurveyAnswer.item_id)
                .where(SurveyBallot.cohort_id.in_(shown_cohorts), SurveyBallot.released.is_(True),
                       SurveyAnswer.text.is_not(None))):
            if key in by_key:
                by_key[key].comments.append(text)
        for group in by_key.values():
            _shuffle(group.comments)  # never in the order given, nor in a stable order
    return list(by_key.values())


def survey_report(cohorts: list[Cohort]) -> SurveyReport:
    """The aggregates over the cohorts given (the caller filters them by access)."""
    course_ids = {c.course_id for c in cohorts}
    items = _items_of(course_ids) if cohorts else {}
    title = db.session.scalar(select(Survey.title).where(Survey.course_id.in_(course_ids), Survey.scope == "")
                              .limit(1)) if cohorts else None
    per_cohort = _cohort_counts(cohorts)
    aggregates = _rated_items(_rating_cells([c.id for c in cohorts]), items, len(cohorts) == 1)
    aggregates += _unrated_items(items, aggregates, cohorts)
    order = {key: index for index, key in enumerate(items)}
    aggregates.sort(key=lambda a: (order.get(a.key, len(order)), a.facilitator))
    return SurveyReport(cohorts, title or "", aggregates, _comment_groups(items, per_cohort), per_cohort)


def report_as_dict(report: SurveyReport) -> dict:
    """The aggregates as JSON-ready data (the API): suppressed cells carry no numbers."""
    return {
        "title": report.title, "min_group": MIN_GROUP, "enrolled": report.enrolled,
        "answered": report.answered, "in_aggregates": report.in_aggregates,
        "cohorts": [{"slug": c.cohort.slug, "enrolled": c.enrolled, "answered": c.answered,
                     "in_aggregates": c.in_aggregates} for c in report.per_cohort],
        "items": [{"key": a.key, "section": a.section, "text": a.text, "facilitator": a.facilitator or None,
                   "suppressed": a.suppressed, "n": None if a.suppressed else a.n,
                   "mean": round(a.mean, 2) if a.mean is not None else None,
                   "distribution": dict(zip(("1", "2", "3", "4", "5"), a.counts)) if not a.suppressed else None}
                  for a in report.items],
        "comments": [{"key": g.key, "text": g.text, "suppressed": not report.comments_shown,
                      "comments": g.comments if report.comments_shown else []} for g in report.comment_groups],
    }
