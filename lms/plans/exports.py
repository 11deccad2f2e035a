"""Action plans and activities held, as files: the plan as an XLSX workbook (every word of it) and
the activities held as SIM TPBIS records them (one row per activity). The plan's one-page PDF is
lms/plans/pdf.py.

Every text cell is inert (never a formula, see lms.util.sheets.safe_cell); budgets and
participant counts are numbers, dates are dates, headers are in the page's language.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable, Sequence

from flask_babel import gettext as _
from sqlalchemy import select

from lms.accounts.models import User
from lms.cohorts.models import Cohort
from lms.content.models import Course
from lms.extensions import db
from lms.plans.followup_forms import AGE_LABELS, SEX_LABELS
from lms.plans.forms import SOURCE_LABELS, STATUS_LABELS, STRATEGY_LABELS
from lms.plans.models import (AGE_GROUPS, PARTICIPANT_FIELDS, SEXES, STRATEGIES, ActionPlan, FollowUp,
                              HeldActivity, HeldPhoto, PlanActivity, PlanReview, PlanVersion)
from lms.util.sheets import XLSX, LocalTime, safe_cell
from lms.util.timezones import abbreviation

RUPIAH = '"Rp" #,##0'
MONTH = "mmm yyyy"
DAY = "dd/mm/yyyy"
WIDE = 48  # characters: columns of long text wrap at this width


@dataclass(frozen=True)
class Typed:
    """A cell value with its number format (a budget in rupiah, a month)."""

    value: Any
    number_format: str


@dataclass
class Sheet:
    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[int] = ()  # characters per column; a width >= WIDE wraps its text


def workbook(sheets: list[Sheet]) -> bytes:
    """An XLSX file of several sheets: a bold, frozen header; numbers, dates and times typed;
    text never read as a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    book = Workbook(write_only=True)
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for spec in sheets:
        sheet = book.create_sheet(title=spec.title[:31])
        sheet.freeze_panes = "A2"
        from openpyxl.utils import get_column_letter

        for index, width in enumerate(spec.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        header = []
        for text in spec.header:
            cell = WriteOnlyCell(sheet, value=safe_cell(str(text)))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in spec.rows:
            cells = []
            for index, value in enumerate(row):
                cell = _cell(sheet, value)
                if cell.data_type == "s" and index < len(spec.widths) and spec.widths[index] >= WIDE:
                    cell.alignment = wrap
                cells.append(cell)
            sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(sheet, value: Any):
    from openpyxl.cell import WriteOnlyCell

    number_format = None
    if isinstance(value, Typed):
        value, number_format = value.value, value.number_format
    if isinstance(value, LocalTime):
        cell = WriteOnlyCell(sheet, value=value.local.replace(tzinfo=None))
        cell.number_format = f'dd/mm/yyyy hh:mm "{_zone_abbreviation(value.zone)}"'
        return cell
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        cell = WriteOnlyCell(sheet, value=value)
    elif isinstance(value, (date, datetime)):
        cell = WriteOnlyCell(sheet, value=value)
        number_format = number_format or DAY
    else:
        cell = WriteOnlyCell(sheet, value=safe_cell(str(value)))
        cell.data_type = "s"  # never a formula, whatever it starts with
    if number_format and value is not None:
        cell.number_format = number_format
    return cell


def _zone_abbreviation(zone: str) -> str:
    return abbreviation(zone)


def _label(labels: dict, key: str) -> str:
    return str(labels[key]) if key in labels else key


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")[:40] or "rtl"


# --- the plan as XLSX --------------------------------------------------------------------------------

def plan_file_stem(plan: ActionPlan, trainee: User) -> str:
    """rtl-perpustakaan-desa-sungai-harapan-ani-rahmawati (no extension)."""
    return f"rtl-{_slug(plan.library)}-{_slug(trainee.full_name)}"[:90]


def plan_xlsx(plan: ActionPlan) -> bytes:
    """The plan as it stands now, every text in full: Identity, Needs, Goals, Activities (budgets in
    rupiah as numbers), Reviews."""
    trainee = db.session.get(User, plan.user_id)
    cohort = db.session.get(Cohort, plan.cohort_id)
    course = db.session.get(Course, plan.course_id)
    month = lambda value: Typed(value, MONTH) if value else None  # noqa: E731
    when = lambda value: LocalTime(value, cohort.timezone) if value else None  # noqa: E731
    identity = [
        (_("Library"), plan.library), (_("Trainee"), trainee.full_name), (_("Institution"), trainee.institution or ""),
        (_("Regency/city"), trainee.regency or ""), (_("Course"), course.title), (_("Cohort"), cohort.name),
        (_("Team"), plan.team), (_("Period from"), month(plan.period_from)), (_("Period to"), month(plan.period_to)),
        (_("General goal"), plan.general_goal), (_("Risks and how to handle them"), plan.risks),
        (_("Status"), _label(STATUS_LABELS, plan.status)), (_("Versions submitted"), plan.version_count),
        (_("Submitted on"), when(plan.submitted_at)), (_("Approved on"), when(plan.approved_at)),
        (_("Total budget (Rp)"), Typed(sum(a.budget or 0 for a in plan.activities), RUPIAH)),
    ]
    needs = [(n, row.need, row.evidence) for n, row in enumerate(plan.needs, start=1)]
    goals = [(f"T{n}", row.text) for n, row in enumerate(plan.goals, start=1)]
    activities = [
        (n, a.title, ", ".join(_label(STRATEGY_LABELS, s) for s in a.strategy_list), a.target_group, a.partners,
         Typed(a.budget, RUPIAH) if a.budget is not None else None, _label(SOURCE_LABELS, a.budget_source),
         month(a.starts_on), month(a.ends_on), a.indicator, a.target)
        for n, a in enumerate(plan.activities, start=1)]
    return workbook([
        Sheet(_("Identity"), [_("Field"), _("Value")], identity, (28, 80)),
        Sheet(_("Needs"), [_("No."), _("Community need"), _("Evidence")], needs, (5, 60, 60)),
        Sheet(_("Goals"), [_("Code"), _("Specific goal")], goals, (7, 90)),
        Sheet(_("Activities"), [_("No."), _("Activity"), _("TPBIS strategy"), _("Target group"), _("Partners"),
                                _("Budget (Rp)"), _("Source of funds"), _("Starts"), _("Ends"), _("Indicator"),
                                _("Target")],
              activities, (5, 48, 24, 24, 48, 16, 24, 11, 11, 48, 24)),
        Sheet(_("Reviews"), [_("Version"), _("Reviewed on"), _("Reviewer"), _("Decision"), _("Criterion"),
                             _("Meets the criterion"), _("Comment")],
              _review_rows(plan, when), (8, 20, 28, 22, 32, 12, 60)),
    ])


def _review_rows(plan: ActionPlan, when) -> list[tuple]:
    rows = []
    reviews = db.session.execute(
        select(PlanReview, PlanVersion.number, User.full_name).join(PlanVersion, PlanVersion.id == PlanReview.version_id)
        .join(User, User.id == PlanReview.reviewer_id).where(PlanReview.plan_id == plan.id)
        .order_by(PlanReview.created_at, PlanReview.id)).all()
    for review, number, reviewer in reviews:
        head = (number, when(review.created_at), reviewer, _label(STATUS_LABELS, review.decision))
        rows.append((*head, _("Overall"), None, review.comment))
        for criterion in review.criteria.values():
            rows.append((*head, criterion.get("title", ""), _("Yes") if criterion.get("met") else _("No"),
                         criterion.get("comment", "")))
    return rows


# --- activities held, as SIM TPBIS records them -----------------------------------------------------

def held_header() -> list[str]:
    """Who reported (library, trainee, regency, cohort, follow-up month); then what SIM TPBIS
    records, in the order the domain notes give it (by strategy: the activity, participant
    counts, skills, story of change); then our own fields (partners, planned activity, photos).
    SIM's own labels are not public: the headers name our fields (README, Follow-ups)."""
    people = [_("%(sex)s, %(age)s", sex=SEX_LABELS[sex], age=AGE_LABELS[age]) for age in AGE_GROUPS for sex in SEXES]
    return [_("Library"), _("Trainee"), _("Regency/city"), _("Cohort"), _("Follow-up (month)"),
            _("TPBIS strategy"), _("Activity"), _("Date held"), *people, _("Total male (L)"), _("Total female (P)"),
            _("Total participants"), _("Skills practised"), _("Story of change"),
            _("Partners"), _("Planned activity"), _("Photos")]


HELD_WIDTHS = (32, 24, 22, 20, 10, 24, 48, 12, *[10] * len(PARTICIPANT_FIELDS), 10, 10, 10, 32, 60, 48, 40, 8)


def held_rows(cohort_ids: list[int], plan_id: int | None = None) -> list[list[Any]]:
    """One row per activity held in the sent follow-up reports of the cohorts (or of one plan):
    by trainee, then in the order of the strategies, then by date."""
    query = (select(HeldActivity, FollowUp, ActionPlan, User, Cohort)
             .join(FollowUp, FollowUp.id == HeldActivity.follow_up_id)
             .join(ActionPlan, ActionPlan.id == FollowUp.plan_id)
             .join(User, User.id == FollowUp.user_id).join(Cohort, Cohort.id == FollowUp.cohort_id)
             .where(FollowUp.status == "submitted"))
    query = query.where(FollowUp.plan_id == plan_id) if plan_id is not None else query.where(
        FollowUp.cohort_id.in_(cohort_ids))
    found = db.session.execute(query).all()
    planned_ids = {h.plan_activity_id for h, *_rest in found if h.plan_activity_id}
    planned = dict(db.session.execute(select(PlanActivity.id, PlanActivity.title).where(
        PlanActivity.id.in_(planned_ids))).all()) if planned_ids else {}
    held_ids = [h.id for h, *_rest in found]
    photos = dict(db.session.execute(select(HeldPhoto.activity_id, db.func.count()).where(
        HeldPhoto.activity_id.in_(held_ids)).group_by(HeldPhoto.activity_id)).all()) if held_ids else {}
    order = {s: n for n, s in enumerate(STRATEGIES)}
    found.sort(key=lambda r: (r[3].full_name.casefold(), r[3].id, order.get(r[0].strategy, len(order)),
                              r[0].held_on or date.max, r[1].round, r[0].position, r[0].id))
    rows = []
    for held, report, plan, trainee, cohort in found:
        counts = [getattr(held, f"{sex}_{age}") for age in AGE_GROUPS for sex in SEXES]
        male = sum(getattr(held, f"male_{age}") for age in AGE_GROUPS)
        female = sum(getattr(held, f"female_{age}") for age in AGE_GROUPS)
        rows.append([plan.library, trainee.full_name, trainee.regency or "", cohort.name, report.months,
                     _label(STRATEGY_LABELS, held.strategy) if held.strategy else "", held.title, held.held_on,
                     *counts, male, female, male + female, held.skills, held.story, held.partners,
                     planned.get(held.plan_activity_id, ""), photos.get(held.id, 0)])
    return rows


def held_xlsx(rows: list[list[Any]]) -> bytes:
    return workbook([Sheet(_("Activities held"), held_header(), rows, HELD_WIDTHS)])


__all__ = ["XLSX", "held_rows", "held_xlsx", "plan_file_stem", "plan_xlsx", "workbook"]
