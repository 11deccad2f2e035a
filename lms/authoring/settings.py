"""Settings of course.yml, a module.yml or a quiz file edited as form fields.

Only the keys whose value the form changes are written (ruamel.yaml round trip): the author's
comments, quoting and every key the form does not show stay as they are.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap

from lms.authoring.questions import _doc, _put, is_quiz_file
from lms.authoring.structure import _dump
from lms.content.loader import DEFAULT_NUMBER_PATTERN
from lms.quizzes.spec import SHOW_ANSWERS


@dataclass(frozen=True)
class Setting:
    key: str  # "certificate.title": a key of a mapping inside the file
    kind: str  # text | textarea | number | integer | flag | choice
    default: Any = None

    @property
    def name(self) -> str:
        """The form field's name."""
        return self.key.replace(".", "_")


COURSE = (
    Setting("title", "text"), Setting("description", "textarea"), Setting("jp_hours", "number"),
    Setting("certificate.enabled", "flag", True), Setting("certificate.title", "text"),
    Setting("certificate.number_pattern", "text", DEFAULT_NUMBER_PATTERN),
    Setting("certificate.min_posttest", "number"), Setting("certificate.show_score", "flag", False),
)
MODULE = (Setting("title", "text"), Setting("description", "textarea"))


def quiz_settings(kind: str) -> tuple[Setting, ...]:
    """A quiz file's settings with the defaults the importer gives a quiz of this kind."""
    test = kind in ("pretest", "posttest")
    return (
        Setting("title", "text"), Setting("description", "textarea"),
        Setting("required", "flag", kind != "pretest"), Setting("pass_mark", "number", 70),
        Setting("attempts", "integer", 1 if test else 0), Setting("grading", "choice", "highest"),
        Setting("shuffle_questions", "flag", False), Setting("shuffle_options", "flag", True),
        Setting("time_limit", "integer"),
        Setting("review_attempt", "choice", "score" if kind == "pretest" else "wrong"),
        Setting("review_final", "choice", "score" if kind == "pretest" else "answers"),
    )


def kind_of(path: str, course_yml: str) -> str | None:
    """course | module | pretest | posttest | quiz, or None for a file without settings."""
    if path == "course.yml":
        return "course"
    if posixpath.basename(path) == "module.yml":
        return "module"
    if not is_quiz_file(path):
        return None
    try:
        course = _doc(course_yml)
    except ValueError:
        course = {}
    for kind in ("pretest", "posttest"):
        if course.get(kind) == path:
            return kind
    return "quiz"


def settings_of(kind: str) -> tuple[Setting, ...]:
    return COURSE if kind == "course" else MODULE if kind == "module" else quiz_settings(kind)


def _node(doc: CommentedMap, key: str, create: bool = False) -> tuple[CommentedMap | None, str]:
    """The mapping that holds a dotted key, and the last part of the key."""
    *parents, last = key.split(".")
    node = doc
    for part in parents:
        child = node.get(part)
        if not isinstance(child, CommentedMap):
            if not create:
                return None, last
            node[part] = child = CommentedMap()
        node = child
    return node, last


def _value(setting: Setting, raw: Any) -> Any:
    if raw is None:
        return setting.default
    if setting.kind in ("number", "integer"):
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            return setting.default
        return float(raw)
    if setting.kind == "flag":
        return raw if isinstance(raw, bool) else setting.default
    return str(raw).strip()


def read_settings(text: str, settings: tuple[Setting, ...]) -> dict[str, Any]:
    """What each setting is now (the default when the file leaves it out)."""
    doc = _doc(text)
    values = {}
    for setting in settings:
        node, last = _node(doc, setting.key)
        raw = node.get(last) if node is not None else None
        if raw is None and setting.key in ("review_attempt", "review_final") and doc.get("show_answers") in SHOW_ANSWERS:
            # an older file: the review options its show_answers stands for (as the importer reads it)
            raw = SHOW_ANSWERS[doc["show_answers"]][setting.key == "review_final"]
        values[setting.name] = _value(setting, raw)
    return values


def digest(values: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def write_settings(text: str, settings: tuple[Setting, ...], values: dict[str, Any]) -> str:
    """The file with the settings whose value differs from what it says now written in; a
    setting emptied is removed (the importer's default applies)."""
    before = read_settings(text, settings)
    doc = _doc(text)
    for setting in settings:
        new = values.get(setting.name)
        if setting.kind in ("number", "integer") and new is not None:
            new = float(new)
        if new == before[setting.name] or (new in (None, "") and before[setting.name] in (None, "")):
            continue
        node, last = _node(doc, setting.key, create=new not in (None, ""))
        if node is None:
            continue
        if new in (None, ""):
            node.pop(last, None)
        else:
            _put(node, last, new)
    return _dump(doc).decode("utf-8")
