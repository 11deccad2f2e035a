"""The follow-up form: labels, field names and reading posted values (bounded).

Fields are named by row id, as in the plan form: `item-<id>-progress` for a planned activity,
`held-<id>-title`, `held-<id>-female_adult`, `held-<id>-photos` for an activity held. Reading
checks shape (lengths, dates, counts in Indonesian formats, photo files); what sending needs is
followup_ops.gaps().
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.plans.models import PARTICIPANT_FIELDS, PROGRESS, STRATEGIES, FollowUp
from lms.util.numbers import NumberError, parse_whole

PROGRESS_LABELS = {"done": _l("Done"), "partly": _l("Partly done"), "not_yet": _l("Not yet")}
AGE_LABELS = {"child": _l("Children"), "youth": _l("Teenagers"), "adult": _l("Adults"), "elderly": _l("Elderly")}
SEX_LABELS = {"male": _l("Male (L)"), "female": _l("Female (P)")}

SHORT = 200
LONG = 2000
STORY = 1500
MAX_HELD = 10  # activities held in one report
MAX_PHOTOS = 3  # per activity held
MAX_PHOTO_BYTES = 5 * 1024 * 1024  # a phone photo (default of LMS config MAX_PHOTO_BYTES); stored far smaller
MAX_PEOPLE = 100_000  # participants of one activity, per group: more is a typo
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
HELD_TEXT = {"title": LONG, "partners": LONG, "skills": SHORT, "story": STORY}
DMY_RE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


@dataclass
class Upload:
    """A photo posted for an activity held: its name and bytes (read bounded)."""

    activity_id: int
    filename: str
    data: bytes


@dataclass
class FollowUpInput:
    items: dict[int, dict[str, Any]] = field(default_factory=dict)  # item id -> values
    held: dict[int, dict[str, Any]] = field(default_factory=dict)  # held activity id -> values
    uploads: list[Upload] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def photo_limit() -> int:
    """Bytes one photo may have (config MAX_PHOTO_BYTES)."""
    from flask import current_app

    return int(current_app.config.get("MAX_PHOTO_BYTES", MAX_PHOTO_BYTES))


def count_hint(error: NumberError) -> str:
    if error.code == "words":
        if error.suggestion is not None:
            return _("Write the number in digits: %(number)s.", number=f"{error.suggestion:,}".replace(",", "."))
        return _("Write the number in digits, e.g. 25.")
    if error.code == "negative":
        return _("The number cannot be negative.")
    if error.code == "too_large":
        return _("This number is too large for one activity; check it.")
    return _("Write a whole number of people, e.g. 25 or 1.250.")


def parse_day(text: str) -> date:
    """'2026-09-14' (a date field) or '14/09/2026' (typed); ValueError otherwise."""
    text = text.strip()
    match = DMY_RE.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        parts = text.split("-")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise ValueError
        year, month, day = (int(p) for p in parts)
    if not 2000 <= year <= 2100:
        raise ValueError
    return date(year, month, day)


def _text(form: Any, name: str, limit: int, result: FollowUpInput) -> str | None:
    if name not in form:
        return None
    value = form.get(name, "").replace("\r\n", "\n").strip()
    if len(value) > limit:
        result.errors[name] = _("At most %(limit)s characters.", limit=limit)
        return None
    return value


def _held_values(form: Any, prefix: str, plan_activity_ids: set[int], today: date,
                 result: FollowUpInput) -> dict[str, Any]:
    """The values posted for one held activity (field names start with prefix); what is wrong goes
    to result.errors."""
    values: dict[str, Any] = {}
    for key, limit in HELD_TEXT.items():
        value = _text(form, prefix + key, limit, result)
        if value is not None:
            values[key] = value
    strategy = form.get(prefix + "strategy", "")
    if strategy in STRATEGIES or strategy == "":
        values["strategy"] = strategy
    else:
        result.errors[prefix + "strategy"] = _("Choose a strategy from the list.")
    planned = form.get(prefix + "plan_activity", "")
    if planned == "":
        values["plan_activity_id"] = None
    elif planned.isdigit() and int(planned) in plan_activity_ids:
        values["plan_activity_id"] = int(planned)
    else:
        result.errors[prefix + "plan_activity"] = _("Choose an activity of your plan, or none.")
    text = form.get(prefix + "held_on", "").strip()[:20]
    if not text:
        values["held_on"] = None
    else:
        try:
            day = parse_day(text)
            if day > today + timedelta(days=1):
                result.errors[prefix + "held_on"] = _("This date is still to come; report activities already held.")
            else:
                values["held_on"] = day
        except ValueError:
            result.errors[prefix + "held_on"] = _("Give the date as DD/MM/YYYY, e.g. 14/09/2026.")
    for name in PARTICIPANT_FIELDS:
        text = form.get(prefix + name, "")[:20]
        try:
            values[name] = parse_whole(text, maximum=MAX_PEOPLE) or 0
        except NumberError as exc:
            result.errors[prefix + name] = count_hint(exc)
    values["photo_consent"] = form.get(prefix + "consent") == "yes"
    return values


def read_followup_form(form: Any, files: Any, followup: FollowUp, today: date) -> FollowUpInput:
    """The values the posted form gives for the report's rows; photos read up to their limit."""
    result = FollowUpInput()
    for item in followup.items:
        name = f"item-{item.id}-progress"
        values: dict[str, Any] = {}
        if name in form:
            progress = form.get(name, "")
            if progress in PROGRESS or progress == "":
                values["progress"] = progress
            else:
                result.errors[name] = _("Choose one of the answers.")
        note = _text(form, f"item-{item.id}-note", LONG, result)
        if note is not None:
            values["note"] = note
        if values:
            result.items[item.id] = values
    plan_activity_ids = {item.plan_activity_id for item in followup.items}
    for held in followup.held:
        prefix = f"held-{held.id}-"
        if prefix + "title" not in form:
            continue
        values = _held_values(form, prefix, plan_activity_ids, today, result)
        result.held[held.id] = values
        for upload in (files.getlist(prefix + "photos") if files is not None else []):
            if not upload or not upload.filename:
                continue
            data = upload.stream.read(photo_limit() + 1)
            upload.close()  # a large upload is a temporary file: gone now, not at the end of the request
            result.uploads.append(Upload(held.id, upload.filename[:200], data))
    return result
