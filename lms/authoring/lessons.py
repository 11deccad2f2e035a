"""A lesson file seen as fields: front matter keys the form edits, and the Markdown body.

Saving changes only the front-matter lines of the keys that changed, so comments and other
keys a facilitator wrote in the file stay as they were.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lms.content import yamlines
from lms.content.loader import split_front_matter


@dataclass
class LessonFields:
    title: str
    minutes: int | None
    required: bool
    body: str


def read_lesson(text: str) -> LessonFields:
    front, body, _ = split_front_matter(text)
    try:
        meta = yamlines.safe_load(front or "") or {}
    except (yamlines.YAMLError, ValueError):
        meta = {}
    if not isinstance(meta, dict):
        meta = {}
    minutes = meta.get("minutes")
    return LessonFields(str(meta.get("title") or ""), minutes if isinstance(minutes, int) else None,
                        meta.get("required", True) is not False, body)


def _scalar(value: object) -> str:
    return yamlines.dump_scalar(value)


def write_lesson(original: str, fields: LessonFields) -> str:
    """The lesson file with the given fields and body, keeping the rest of the front matter."""
    front, _, _ = split_front_matter(original)
    lines = (front or "").splitlines()
    old = read_lesson(original)
    wanted = {"title": fields.title, "minutes": fields.minutes, "required": fields.required}
    current = {"title": old.title, "minutes": old.minutes, "required": old.required}
    for key, value in wanted.items():
        if value == current[key] and any(re.match(rf"^{key}\s*:", line) for line in lines):
            continue
        pattern = re.compile(rf"^{key}\s*:")
        index = next((i for i, line in enumerate(lines) if pattern.match(line)), None)
        if value is None or (key == "required" and value is True and index is None):
            if index is not None:
                del lines[index]
            continue
        new_line = f"{key}: {_scalar(value)}"
        if index is None:
            lines.append(new_line)
        else:
            lines[index] = new_line
    body = fields.body.replace("\r\n", "\n")
    if not body.endswith("\n"):
        body += "\n"
    return "---\n" + "\n".join(lines) + "\n---\n" + body


def file_title(path: str, data: bytes | None) -> str:
    """What a course file is called where people read it: a lesson's, module's, quiz's or the
    course's title ('' for a question bank, an image, or a file whose title cannot be read)."""
    if not data:
        return ""
    if path.endswith(".md"):
        return read_lesson(data.decode("utf-8", errors="replace")).title.strip()
    if not path.endswith((".yml", ".yaml")):
        return ""
    try:
        doc = yamlines.safe_load(data.decode("utf-8", errors="replace"))
    except (yamlines.YAMLError, ValueError):
        return ""
    title = doc.get("title") if isinstance(doc, dict) else None
    return str(title).strip()[:300] if isinstance(title, (str, int, float)) else ""
