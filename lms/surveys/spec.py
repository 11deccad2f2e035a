"""Surveys as read from files (pure: no database). course.yml names the survey file:

    survey: evaluasi.yml                      # or, with settings:
    survey:
      file: evaluasi.yml
      required_for_certificate: true         # the certificate downloads only after answering
      cohorts:                               # optional: another file for some cohorts (by slug)
        kalsel-2026-1: evaluasi-kalsel.yml
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lms.content.problems import Problems
from lms.content.yamlines import LineDict, LineList, load_mapping

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SECTIONS = ("materi", "fasilitator", "penyelenggaraan", "platform", "umum")
KINDS = ("likert", "comment")
FACILITATOR_PLACEHOLDER = "{fasilitator}"
SETTING_KEYS = {"file", "required_for_certificate", "cohorts"}
SURVEY_KEYS = {"title": True, "intro": False, "items": True}
ITEM_KEYS = {"key", "text", "section", "type", "required"}
MAX_ITEMS = 40
MAX_TEXT = 300
MAX_FILE_BYTES = 64 * 1024
MAX_COHORT_OVERRIDES = 50


@dataclass
class SurveyItemSpec:
    key: str
    text: str
    section: str
    kind: str  # likert | comment
    required: bool
    line: int | None = None


@dataclass
class SurveySpec:
    """One survey file: the course's (scope "") or a cohort's (scope = the cohort's slug)."""

    scope: str
    title: str
    intro: str
    source_path: str
    required_for_certificate: bool = False
    items: list[SurveyItemSpec] = field(default_factory=list)


def _safe_file(root: Path, name: str) -> Path | None:
    candidate = (root / name).resolve()
    try:
        candidate.relative_to(root.resolve())
    except ValueError:
        return None
    return candidate


def load_surveys(root: Path, doc: LineDict, problems: Problems) -> list[SurveySpec]:
    """Read the survey files course.yml's `survey:` names; problems carry file and line."""
    raw = doc.get("survey")
    if raw is None:
        return []
    line = doc.line("survey")
    if isinstance(raw, str):
        raw_settings: dict = {"file": raw}
        lines = {"file": line}
    elif isinstance(raw, LineDict):
        raw_settings, lines = raw, raw.key_lines
        for key in raw:
            if key not in SETTING_KEYS:
                problems.error("course.yml", raw.line(key),
                               f"unknown survey key '{key}' (known keys: {', '.join(sorted(SETTING_KEYS))})")
    else:
        problems.error("course.yml", line, "'survey' must name a survey file (survey: evaluasi.yml) "
                                           "or be a mapping with 'file'")
        return []
    required = raw_settings.get("required_for_certificate", False)
    if not isinstance(required, bool):
        problems.error("course.yml", lines.get("required_for_certificate", line),
                       "'required_for_certificate' must be true or false")
        required = False
    files: list[tuple[str, object, int]] = []
    if "file" not in raw_settings:
        problems.error("course.yml", line, "missing survey key 'file' (the survey file, e.g. evaluasi.yml)")
    else:
        files.append(("", raw_settings["file"], lines.get("file", line)))
    cohorts = raw_settings.get("cohorts")
    if cohorts is not None:
        if not isinstance(cohorts, LineDict):
            problems.error("course.yml", lines.get("cohorts", line),
                           "'cohorts' must map cohort slugs to survey files")
        elif len(cohorts) > MAX_COHORT_OVERRIDES:
            problems.error("course.yml", cohorts.first_line,
                           f"at most {MAX_COHORT_OVERRIDES} cohorts may have a survey of their own")
        else:
            for slug, name in cohorts.items():
                if not SLUG_RE.match(slug):
                    problems.error("course.yml", cohorts.line(slug), f"'{slug}' is not a cohort slug")
                    continue
                files.append((slug, name, cohorts.line(slug)))
    surveys = []
    for scope, name, ref_line in files:
        spec = _load_file(root, scope, name, ref_line, problems)
        if spec is not None:
            spec.required_for_certificate = required
            surveys.append(spec)
    return surveys


def _load_file(root: Path, scope: str, name: object, ref_line: int, problems: Problems) -> SurveySpec | None:
    if not isinstance(name, str) or not name.endswith((".yml", ".yaml")):
        problems.error("course.yml", ref_line, "a survey must be a file ending in .yml")
        return None
    path = _safe_file(root, name)
    if path is None:
        problems.error("course.yml", ref_line, f"survey file '{name}' points outside the course folder")
        return None
    if not path.is_file():
        problems.error("course.yml", ref_line, f"survey file '{name}' does not exist")
        return None
    rel = path.resolve().relative_to(root.resolve()).as_posix()
    raw = path.read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        problems.error(rel, None, f"file is larger than {MAX_FILE_BYTES // 1024} KB")
        return None
    try:
        text = raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        problems.error(rel, raw[: exc.start].count(b"\n") + 1, "not valid UTF-8 text")
        return None
    doc = load_mapping(text, rel, problems)
    if doc is None:
        return None
    return survey_from_yaml(doc, rel, scope, problems)


def _text(value: object, rel: str, line: int, what: str, problems: Problems, *, required: bool = True,
          max_len: int = MAX_TEXT) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        problems.error(rel, line, f"'{what}' must be text")
        return ""
    value = value.strip()
    if len(value) > max_len:
        problems.error(rel, line, f"'{what}' is longer than {max_len} characters")
        return value[:max_len]
    return value


def survey_from_yaml(doc: LineDict, rel: str, scope: str, problems: Problems) -> SurveySpec:
    """Check a parsed survey file and build its spec."""
    for key in doc:
        if key not in SURVEY_KEYS:
            problems.error(rel, doc.line(key), f"unknown key '{key}' (known keys: {', '.join(sorted(SURVEY_KEYS))})")
    for key, required in SURVEY_KEYS.items():
        if required and key not in doc:
            problems.error(rel, doc.first_line, f"missing required key '{key}'")
    spec = SurveySpec(scope=scope, title=_text(doc.get("title"), rel, doc.line("title"), "title", problems, max_len=200),
                      intro=_text(doc.get("intro"), rel, doc.line("intro"), "intro", problems, required=False,
                                  max_len=2000),
                      source_path=rel)
    items = doc.get("items")
    if items is None:
        return spec
    if not isinstance(items, LineList) or not items:
        problems.error(rel, doc.line("items"), "'items' must be a list of questions")
        return spec
    if len(items) > MAX_ITEMS:
        problems.error(rel, doc.line("items"), f"a survey has at most {MAX_ITEMS} items (this one has {len(items)})")
        return spec
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        checked = _item_spec(item, items.line(index), rel, seen, problems)
        if checked is not None:
            spec.items.append(checked)
    if not any(i.kind == "likert" for i in spec.items) and not problems.has_errors:
        problems.error(rel, doc.line("items"), "a survey needs at least one rating (likert) item")
    return spec


def _item_spec(item: object, line: int, rel: str, seen: dict[str, int],
               problems: Problems) -> SurveyItemSpec | None:
    """One checked item of the survey, or None with its problem reported; seen: item key -> line."""
    if not isinstance(item, LineDict):
        problems.error(rel, line, "each item must be a mapping with 'key', 'text' and 'section'")
        return None
    for key in item:
        if key not in ITEM_KEYS:
            problems.error(rel, item.line(key),
                           f"unknown item key '{key}' (known keys: {', '.join(sorted(ITEM_KEYS))})")
    key = item.get("key")
    if not isinstance(key, str) or not SLUG_RE.match(key) or len(key) > 100:
        problems.error(rel, item.line("key"), "each item needs a 'key' of lowercase letters, digits and "
                                              "single hyphens (at most 100 characters)")
        return None
    if key in seen:
        problems.error(rel, item.line("key"), f"duplicate item key '{key}' (also on line {seen[key]})")
        return None
    seen[key] = item.line("key")
    kind = item.get("type", "likert")
    if kind not in KINDS:
        problems.error(rel, item.line("type"), f"'type' must be one of: {', '.join(KINDS)}")
        return None
    section = item.get("section", "umum")
    if section not in SECTIONS:
        problems.error(rel, item.line("section"), f"'section' must be one of: {', '.join(SECTIONS)}")
        return None
    text = _text(item.get("text"), rel, item.line("text"), "text", problems)
    if not text:
        return None
    if section == "fasilitator" and kind == "likert" and FACILITATOR_PLACEHOLDER not in text:
        problems.error(rel, item.line("text"), "a facilitator item is asked once per facilitator of the "
                                               f"cohort: put {FACILITATOR_PLACEHOLDER} where the name goes")
        return None
    if FACILITATOR_PLACEHOLDER in text and (section != "fasilitator" or kind != "likert"):
        problems.error(rel, item.line("text"), f"{FACILITATOR_PLACEHOLDER} belongs only in rating items "
                                               "of section 'fasilitator'")
        return None
    required = item.get("required", kind == "likert")
    if not isinstance(required, bool):
        problems.error(rel, item.line("required"), "'required' must be true or false")
        required = kind == "likert"
    return SurveyItemSpec(key=key, text=text, section=section, kind=kind, required=required, line=line)
