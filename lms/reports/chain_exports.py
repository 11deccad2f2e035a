"""The chain report's tables as CSV or XLSX, through lms.util.sheets (formula-safe cells,
numbers as numbers, headers in the page language)."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.plans.followup_forms import AGE_LABELS, PROGRESS_LABELS, SEX_LABELS
from lms.plans.forms import STRATEGY_LABELS
from lms.plans.models import AGE_GROUPS, PROGRESS, SEXES, STRATEGIES
from lms.reports.chain import ChainReport
from lms.surveys.exports import survey_table
from lms.util.sheets import XLSX, to_csv, to_xlsx

TABLES = ("summary", "regency", "institution", "rounds", "stories", "survey")
LINK_LABELS = {"reaction": _l("Reaction"), "learning": _l("Learning"), "behaviour": _l("Behaviour"),
               "results": _l("Results")}


def _people_header() -> list[str]:
    return [f"{SEX_LABELS[sex]}, {AGE_LABELS[age]}" for sex in SEXES for age in AGE_GROUPS]


def _people_cells(people: dict[str, dict[str, int]]) -> list[int]:
    return [people[sex][age] for sex in SEXES for age in AGE_GROUPS]


def summary_rows(report: ChainReport) -> list[tuple[str, str, Any]]:
    """(link, measure, value): the chain's headline numbers, as the page's summary shows them."""
    rows: list[tuple[str, str, Any]] = []
    reaction, learning, behaviour, results = (str(LINK_LABELS[k]) for k in LINK_LABELS)
    survey = report.survey
    rows += [(reaction, _("Trainees who answered the evaluation"), survey.answered),
             (reaction, _("Answers in the summaries"), survey.in_aggregates)]
    shown = [a for a in survey.items if not a.suppressed]
    if shown:
        rows.append((reaction, _("Mean of the ratings (1-5)"),
                     round(sum(a.mean * a.n for a in shown) / sum(a.n for a in shown), 2)))
    gain = report.gain
    if gain is not None and gain.paired:
        rows += [(learning, _("Mean pre-test (%)"), gain.mean_pre), (learning, _("Mean post-test (%)"), gain.mean_post),
                 (learning, _("Normalized gain"), gain.normalized_gain),
                 (learning, _("Trainees with both tests"), gain.paired)]
    rows += [(behaviour, _("Participants"), report.participants),
             (behaviour, _("Plans started"), report.plans_started),
             (behaviour, _("Plans submitted for review"), report.plans_submitted),
             (behaviour, _("Plans approved"), report.plans_approved)]
    for r in report.rounds:
        rows.append((behaviour, _("Follow-up reports sent, round %(round)s (month %(months)s)", round=r.round,
                                  months=", ".join(str(m) for m in r.months)), r.reports))
    rows += [(results, _("Activities held"), report.activities),
             (results, _("People reached"), report.people_total)]
    people = report.people()
    rows += [(results, label, value) for label, value in zip(_people_header(), _people_cells(people))]
    rows += [(results, _("Partners named"), len(report.partners())), (results, _("Stories of change"),
                                                                      report.story_count)]
    return rows


def chain_table(report: ChainReport, name: str) -> tuple[list[str], Iterable[Sequence[Any]]]:
    """(header, rows) of one table of the chain report, in the current language."""
    if name == "summary":
        return [_("Link"), _("Measure"), _("Value")], summary_rows(report)
    if name in ("regency", "institution"):
        numbers = sorted({n for g in report.groups[name] for n in g.reports} | {r.round for r in report.rounds})
        shown = report.survey_by_group_shown[name]
        header = [_("Regency/city") if name == "regency" else _("Institution"), _("Participants"),
                  _("Answered the evaluation"), _("Mean pre-test (%)"), _("Mean post-test (%)"), _("Normalized gain"),
                  _("Trainees with both tests"), _("Plans submitted for review"), _("Plans approved")]
        header += [_("Reports sent, round %(round)s", round=n) for n in numbers]
        header += [_("Activities held"), _("People reached"), *_people_header(), _("Partners named"),
                   _("Stories of change")]
        too_few = _("Too few answers to show")
        rows = [[g.label, g.participants, g.answered if shown else too_few, g.mean_pre, g.mean_post, g.gain, g.paired,
                 g.plans_submitted, g.plans_approved, *[g.reports.get(n, 0) for n in numbers], g.activities,
                 g.people_total, *_people_cells(g.people), g.partners, g.stories] for g in report.groups[name]]
        return header, rows
    if name == "rounds":
        header = [_("Round"), _("Months after the end"), _("Trainees who report"), _("Reports sent"),
                  _("Reports sent (%)")]
        header += [str(PROGRESS_LABELS[p]) for p in PROGRESS]
        header += [_("Activities held"), *[str(STRATEGY_LABELS[s]) for s in STRATEGIES], _("People reached"),
                   *_people_header(), _("Partners named"), _("Stories of change")]
        rows = [[r.round, ", ".join(str(m) for m in r.months), r.expected, r.reports, r.report_rate,
                 *[r.plan_activities.get(p, 0) for p in PROGRESS], r.activities,
                 *[r.by_strategy.get(s, 0) for s in STRATEGIES], r.people_total, *_people_cells(r.people),
                 len(r.partners), r.stories] for r in report.rounds]
        return header, rows
    if name == "stories":
        return ([_("Cohort"), _("Round"), _("Months after the end"), _("Library"), _("Regency/city"), _("Activity"),
                 _("Story of change")],
                [(s.cohort, s.round, s.months, s.library, s.regency, s.activity, s.story) for s in report.stories])

    return survey_table(report.survey, "items")


def export_chain(report: ChainReport, name: str, fmt: str, slug: str) -> tuple[bytes, str, str]:
    """(data, file name, content type) of one table as CSV or XLSX."""
    header, rows = chain_table(report, name)
    if fmt == "csv":
        return to_csv(header, rows), f"{slug}-rantai-{name}.csv", "text/csv"
    return to_xlsx(header, rows, name), f"{slug}-rantai-{name}.xlsx", XLSX
