"""What the report pages show beside their tables, computed here so that templates only display:
bar rows (templates/_macros.html `bars`), shares in percent, and the labels built from several
parts (a follow-up round with its months, an age group by sex).

The bars are hidden from screen readers: the table next to them carries the same numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.plans.models import AGE_GROUPS, SEXES
from lms.util.charts import Bar, Share, count_bar, percent_bar, share
from lms.util.formatting import format_number

STAGE_LABELS = {"enrolled": _l("Enrolled"), "started": _l("Started"), "half": _l("Half done"),
                "lessons": _l("All lessons done"), "quizzes": _l("Quizzes passed"), "certified": _l("Certified")}


@dataclass
class CompletionCharts:
    """The completion page's funnel (stages with their share of the enrolled) and bars."""

    funnel: list[Share]
    funnel_bars: list[Bar]
    by_regency: list[Any]  # GroupRate
    regency_bars: list[Bar]
    module_bars: list[Bar]


def completion_charts(report: Any) -> CompletionCharts:
    """For lms.reports.queries.Report (Report.charts)."""
    counts = report.funnel()
    enrolled = counts[0][1]
    funnel = [Share(str(STAGE_LABELS[stage]), count, share(count, enrolled)) for stage, count in counts]
    by_regency = report.by("regency")
    return CompletionCharts(
        funnel=funnel, funnel_bars=[count_bar(s.label, s.count, enrolled) for s in funnel], by_regency=by_regency,
        regency_bars=[percent_bar(g.label, g.rate) for g in by_regency],
        module_bars=[percent_bar(m.module, m.lesson_rate) for m in report.modules])


def round_label(r: Any) -> str:
    """'Round 1 (month 3)', 'Round 2 (months 6, 12)': a follow-up round and its months."""
    if len(r.months) == 1:
        months = _("month %(num)s", num=r.months[0])
    else:
        months = _("months %(list)s", list=", ".join(str(m) for m in r.months))
    label = _("Round %(round)s", round=r.round)  # outside the f-string, where pybabel extract sees it
    return f"{label} ({months})"


@dataclass
class PeopleRow:
    label: str
    by_sex: list[int]
    total: int


@dataclass
class ChainCharts:
    """The chain page's bars and computed rows (lms.reports.chain.ChainReport)."""

    rating_bars: list[Bar]
    gain_bars: list[Bar]
    plans: list[Share]  # participants, then plans started, submitted, approved
    plan_bars: list[Bar]
    round_labels: dict[int, str]
    round_bars: list[Bar]
    people_bars: list[Bar] = field(default_factory=list)
    people_rows: list[PeopleRow] = field(default_factory=list)  # one per age group, then the total
    group_bars: dict[str, list[Bar]] = field(default_factory=dict)


def chain_charts(report: Any, sex_labels: dict[str, Any], age_labels: dict[str, Any]) -> ChainCharts:
    gain = report.gain
    gain_bars = ([percent_bar(_("Mean pre-test"), gain.mean_pre), percent_bar(_("Mean post-test"), gain.mean_post)]
                 if gain is not None and gain.paired else [])
    whole = report.participants
    plans = [Share(label, count, share(count, whole)) for label, count in (
        (_("Participants"), whole), (_("Plans started"), report.plans_started),
        (_("Plans submitted for review"), report.plans_submitted), (_("Plans approved"), report.plans_approved))]
    labels = {r.round: round_label(r) for r in report.rounds}
    charts = ChainCharts(
        rating_bars=report.survey.rating_bars(), gain_bars=gain_bars, plans=plans,
        plan_bars=[count_bar(p.label, p.count, whole) for p in plans[1:]], round_labels=labels,
        round_bars=[count_bar(labels[r.round], r.reports, r.expected, f"{r.reports}/{r.expected}")
                    for r in report.rounds],
        group_bars={key: [percent_bar(g.label, g.approved_rate) for g in groups[:30]]
                    for key, groups in report.groups.items()})
    if report.activities:
        people = report.people()
        charts.people_bars = [count_bar(f"{sex_labels[sex]}, {age_labels[age]}", people[sex][age],
                                        report.people_total, format_number(people[sex][age], 0))
                              for sex in SEXES for age in AGE_GROUPS]
        charts.people_rows = [PeopleRow(str(age_labels[age]), [people[sex][age] for sex in SEXES],
                                        sum(people[sex][age] for sex in SEXES)) for age in AGE_GROUPS]
        charts.people_rows.append(PeopleRow(_("Total"), [sum(people[sex].values()) for sex in SEXES],
                                            report.people_total))
    return charts
