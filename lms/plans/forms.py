"""The plan form and the review form: field names, labels and reading posted values (bounded).

The plan form has rows (needs, goals, activities) whose fields are named by the row's id,
e.g. `activity-12-budget`, so a saved page and its autosave always name the same rows. Reading
checks shape only (length, numbers, months); what a submission needs is lms/plans/rules.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.plans.models import BUDGET_SOURCES, STRATEGIES, ActionPlan
from lms.util.numbers import NumberError, group, parse_rupiah

STRATEGY_LABELS = {"information": _l("Information services"), "engagement": _l("Community engagement"),
                   "advocacy": _l("Advocacy")}
SOURCE_LABELS = {"apbdes": _l("Village budget (APB Desa, incl. Dana Desa)"), "csr": _l("Company CSR"),
                 "swadaya": _l("Self-help (swadaya)"), "apbd": _l("Regency budget (APBD)"), "other": _l("Other")}
SECTION_LABELS = {"identity": _l("Identity"), "needs": _l("Community needs"), "goals": _l("Goals"),
                  "activities": _l("Activities"), "risks": _l("Risks")}
STATUS_LABELS = {"draft": _l("Draft"), "submitted": _l("Waiting for review"),
                 "changes_requested": _l("Changes requested"), "approved": _l("Approved")}

SHORT = 200
LONG = 2000
MAX_ROWS = {"need": 10, "goal": 10, "activity": 20}
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")

PLAN_FIELDS = {"library": SHORT, "team": LONG, "general_goal": LONG, "risks": LONG}
NEED_FIELDS = {"need": LONG, "evidence": LONG}
GOAL_FIELDS = {"text": LONG}
ACTIVITY_TEXT = {"title": LONG, "target_group": SHORT, "partners": LONG, "indicator": LONG, "target": SHORT}


@dataclass
class PlanInput:
    """What a posted plan form changes: valid values to store, and errors by field name."""

    plan: dict[str, Any] = field(default_factory=dict)
    rows: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)  # (kind, id) -> values
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)  # what was typed in fields with errors


def month_value(value: date | None) -> str:
    """A date as the month input shows it (YYYY-MM)."""
    return value.strftime("%Y-%m") if value else ""


def budget_value(value: int | None) -> str:
    return group(value) if value is not None else ""


def month_label(value: date | str | None) -> str:
    """'2026-03-01' -> 'Maret 2026' in the page language."""
    from flask_babel import format_date

    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return format_date(value, "MMMM yyyy")


def number_hint(error: NumberError) -> str:
    if error.code == "words":
        if error.suggestion is not None:
            return _("Write the amount in digits: %(amount)s.", amount=group(error.suggestion))
        return _("Write the amount in digits, e.g. 1.500.000.")
    if error.code == "decimals":
        return _("Write whole rupiah with dots between thousands, e.g. 1.500.000.")
    if error.code == "negative":
        return _("The amount cannot be negative.")
    if error.code == "too_large":
        return _("This amount is too large for a plan; check the number of zeros.")
    return _("Write the amount in digits with dots between thousands, e.g. 1.500.000.")


def _month(text: str) -> date:
    match = MONTH_RE.match(text.strip())
    if not match:
        raise ValueError
    year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3) or 1)
    if not 2000 <= year <= 2100:
        raise ValueError
    return date(year, month, day)


def _text(form: Mapping[str, str], name: str, limit: int, result: PlanInput) -> str | None:
    if name not in form:
        return None
    value = form.get(name, "").replace("\r\n", "\n").strip()
    if len(value) > limit:
        result.errors[name] = _("At most %(limit)s characters.", limit=limit)
        result.raw[name] = value[:limit * 2]
        return None
    return value


def _read_month(form: Mapping[str, str], name: str, result: PlanInput, target: dict, key: str) -> None:
    if name not in form:
        return
    text = form.get(name, "").strip()[:20]
    if not text:
        target[key] = None
        return
    try:
        target[key] = _month(text)
    except ValueError:
        result.errors[name] = _("Give a month as YYYY-MM, e.g. 2026-03.")
        result.raw[name] = text


def read_plan_form(form: Any, plan: ActionPlan) -> PlanInput:
    """The values a posted form gives for the plan and its rows (fields not posted: unchanged)."""
    result = PlanInput()
    for name, limit in PLAN_FIELDS.items():
        value = _text(form, name, limit, result)
        if value is not None:
            result.plan[name] = value
    for name in ("period_from", "period_to"):
        _read_month(form, name, result, result.plan, name)
    for need in plan.needs:
        values: dict[str, Any] = {}
        for key, limit in NEED_FIELDS.items():
            value = _text(form, f"need-{need.id}-{key}", limit, result)
            if value is not None:
                values[key] = value
        if values:
            result.rows[("need", need.id)] = values
    for goal in plan.goals:
        value = _text(form, f"goal-{goal.id}-text", LONG, result)
        if value is not None:
            result.rows[("goal", goal.id)] = {"text": value}
    for activity in plan.activities:
        prefix = f"activity-{activity.id}-"
        if prefix + "title" not in form:
            continue
        values = {}
        for key, limit in ACTIVITY_TEXT.items():
            value = _text(form, prefix + key, limit, result)
            if value is not None:
                values[key] = value
        chosen = form.getlist(prefix + "strategy") if hasattr(form, "getlist") else []
        values["strategies"] = ",".join(s for s in STRATEGIES if s in chosen)
        source = form.get(prefix + "budget_source", "")
        if source in BUDGET_SOURCES or source == "":
            values["budget_source"] = source
        else:
            result.errors[prefix + "budget_source"] = _("Choose a source from the list.")
        if prefix + "budget" in form:
            text = form.get(prefix + "budget", "")[:40]
            try:
                values["budget"] = parse_rupiah(text)
            except NumberError as exc:
                result.errors[prefix + "budget"] = number_hint(exc)
                result.raw[prefix + "budget"] = text
        _read_month(form, prefix + "starts_on", result, values, "starts_on")
        _read_month(form, prefix + "ends_on", result, values, "ends_on")
        result.rows[("activity", activity.id)] = values
    return result


def read_review_form(form: Any, rubric: list[dict]) -> tuple[str | None, str, dict, dict[str, str]]:
    """(decision, overall comment, {key: {title, met, comment}}, errors by field name)."""
    errors: dict[str, str] = {}
    decision = form.get("decision")
    if decision not in ("approve", "changes"):
        decision = None
    comment = form.get("comment", "").strip()
    if len(comment) > LONG:
        errors["comment"] = _("At most %(limit)s characters.", limit=LONG)
    criteria = {}
    for criterion in rubric:
        key = criterion["key"]
        met = form.get(f"criterion-{key}-met")
        note = form.get(f"criterion-{key}-comment", "").strip()
        if met not in ("yes", "no"):
            errors[f"criterion-{key}-met"] = _("Say whether the plan meets this criterion.")
        if len(note) > LONG:
            errors[f"criterion-{key}-comment"] = _("At most %(limit)s characters.", limit=LONG)
        criteria[key] = {"title": criterion["title"], "met": met == "yes", "comment": note[:LONG]}
    return decision, comment[:LONG], criteria, errors
