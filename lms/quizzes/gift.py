"""Moodle GIFT and Aiken question formats: a parser that reports every error with its line,
and a GIFT writer, so banks travel between Moodle and Bimtek LMS.

Follows Moodle's documented GIFT format and the behaviour of its qformat_gift importer:
questions are separated by blank lines; `//` lines are comments; `$CATEGORY: a/b` switches
category; `::name::` names a question; `[markdown]`, `[html]`, `[plain]`, `[moodle]` set the
text format; `{...}` holds the answers (text after it makes a missing-word question, no block
makes a description, `{}` an essay); `=` right, `~` wrong, `%50%` weights, `#` feedback,
`####` general feedback; `->` pairs for matching; `{#...}` numeric with `value:tolerance` or
`min..max`; `{T}`/`{FALSE#wrong#right}` true/false; `\\` escapes `~ = # { } :` and `\\n`.

As Moodle reads it (question/format/gift/format.php): a matching pair with an empty left side
(`= -> Chat`) is a distractor; `*` is an answer that matches any response in short-answer and
numeric questions; `// [id:...] [tag:...]` comment lines of a question give its idnumber and
tags; `$course$/`, `$system$/`, `$module$/`, `$coursecategory$/` and `top/` are stripped off a
category; every answer and feedback may carry its own `[format]`. write_gift puts all of them back.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from lms.content.problems import Problems
from lms.quizzes.spec import QuestionSpec, category_path, check_question

# Escaped characters become private-use placeholders while parsing.
_ESCAPES = {"\\:": "\ue001", "\\#": "\ue002", "\\=": "\ue003", "\\{": "\ue004", "\\}": "\ue005",
            "\\~": "\ue006", "\\n": "\ue007"}
_RESTORE = {"\ue001": ":", "\ue002": "#", "\ue003": "=", "\ue004": "{", "\ue005": "}",
            "\ue006": "~", "\ue007": "\n", "\ue000": "\\"}
_WEIGHT_RE = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_FORMATS = {"markdown", "html", "plain", "moodle"}
_ID_RE = re.compile(r"\[id:((?:\\\]|[^\]\x00-\x1f])+)\]")
_TAG_RE = re.compile(r"\[tag:((?:\\\]|[^\]<>`\x00-\x1f])+)\]")


@dataclass
class GiftResult:
    questions: list[QuestionSpec] = field(default_factory=list)
    problems: Problems = field(default_factory=Problems)


def _escape_pre(text: str) -> str:
    text = text.replace("\\\\", "\ue000")
    for seq, placeholder in _ESCAPES.items():
        text = text.replace(seq, placeholder)
    return text


def _restore(text: str) -> str:
    for placeholder, char in _RESTORE.items():
        text = text.replace(placeholder, char)
    return text


def _with_format(text: str, default: str) -> tuple[str, str]:
    """Split a leading [format] marker off a text; returns (text, format)."""
    text = text.strip()
    match = re.match(r"^\[(\w+)\]", text)
    if match and match.group(1) in _FORMATS:
        return _restore(text[match.end():]).strip(), match.group(1)
    return _restore(text).strip(), default


def _comment(answer: str, default: str) -> tuple[str, str]:
    """'answer#feedback' -> (answer, feedback)."""
    text, feedback, _ = _comment_formats(answer, default)
    return text, feedback


def _comment_formats(answer: str, default: str) -> tuple[str, str, dict[str, str]]:
    """'[html]answer#[plain]feedback' -> (answer, feedback, formats that differ from default),
    formats as {'format': ..., 'feedback_format': ...}."""
    parts = answer.split("#", 1)
    text, text_format = _with_format(parts[0], default)
    feedback, feedback_format = _with_format(parts[1], default) if len(parts) > 1 else ("", default)
    return text, feedback, _formats(default, format=text_format, feedback_format=feedback_format)


def _formats(default: str, **formats: str) -> dict[str, str]:
    """The formats that differ from the question's (only those are stored)."""
    return {key: value for key, value in formats.items() if value != default}


def idnumber_and_tags(comments: str) -> tuple[str, list[str]]:
    """Moodle's `[id:...]` and `[tag:...]` markers in a question's comment lines (`\\]` escapes ])."""
    match = _ID_RE.search(comments)
    idnumber = match.group(1).replace("\\]", "]").strip() if match else ""
    tags = []
    for raw in _TAG_RE.findall(comments):
        tag = raw.replace("\\]", "]").strip()
        if tag and tag not in tags:
            tags.append(tag)
    return idnumber, tags


def _weight(answer: str) -> tuple[float | None, str, bool]:
    """Leading %n% weight -> (fraction or None, rest, well_formed)."""
    if not answer.startswith("%"):
        return None, answer, True
    match = _WEIGHT_RE.match(answer)
    if not match:
        return None, answer, False
    value = float(match.group(1))
    return value / 100.0, answer[match.end():], -100 <= value <= 100


def _blocks(text: str) -> list[tuple[int, str, str]]:
    """Split into (first line number, block text, its comment lines) at blank lines, comment
    lines blanked in the text."""
    blocks: list[tuple[int, str, str]] = []
    current: list[str] = []
    comments: list[str] = []
    start = 1
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        if line.strip().startswith("//"):
            comments.append(line.strip())
            if current:
                current.append("")
            continue
        if not line.strip():
            if current and any(part.strip() for part in current):
                blocks.append((start, "\n".join(current), "\n".join(comments)))
            current, comments = [], []
            continue
        if not current:
            start = number
        current.append(line)
    if current and any(part.strip() for part in current):
        blocks.append((start, "\n".join(current), "\n".join(comments)))
    return blocks


def _key(name: str, stem: str, seen: dict[str, int]) -> str:
    base = name.strip() or "q-" + hashlib.sha1(stem.encode()).hexdigest()[:10]
    count = seen.get(base, 0) + 1
    seen[base] = count
    return base if count == 1 else f"{base}-{count}"


def parse_gift(text: str, file: str = "<gift>") -> GiftResult:
    """Parse GIFT text into question specs; every problem is reported with its line."""
    result = GiftResult()
    problems = result.problems
    category = ""
    seen: dict[str, int] = {}
    text = text.lstrip("\ufeff")
    for start, block, comments in _blocks(text):
        raw = _escape_pre(block.strip())
        if raw.startswith("$CATEGORY:"):
            category = _restore(raw[len("$CATEGORY:"):]).strip()
            if "\n" in category:
                category, rest = category.split("\n", 1)
                problems.error(file, start + 1, "a $CATEGORY line must be followed by a blank line")
            category = category_path(category)
            continue
        idnumber, tags = idnumber_and_tags(comments)
        name = ""
        body = raw
        if body.startswith("::"):
            end = body.find("::", 2)
            if end == -1:
                problems.error(file, start, "question name opened with '::' is never closed")
                continue
            name = _restore(body[2:end]).strip()
            body = body[end + 2:].strip()
        body_offset_line = start + raw[: raw.find(body[:20])].count("\n") if body else start
        q = _question(body, body_offset_line, file, problems, seen,
                      category=category, name=name, line=start, idnumber=idnumber, tags=tags)
        if q is None:
            continue
        before = len(problems)
        check_question(q, file, problems)
        if len(problems) == before:
            result.questions.append(q)
    return result


def _question(body: str, body_line: int, file: str, problems: Problems, seen: dict[str, int],
              **fields: Any) -> QuestionSpec | None:
    """The question of one block's body (after its name), or None with its problem reported.
    fields: category, name, line, idnumber and tags of the spec."""
    open_at, close_at = body.find("{"), body.find("}")
    if open_at == -1 and close_at == -1:
        stem, text_format = _with_format(body, "moodle")
        return QuestionSpec(key=_key(fields["name"], stem, seen), qtype="description", stem=stem, data={},
                            text_format=text_format, mark=0.0, **fields)
    answer_line = body_line + body[: open_at if open_at != -1 else close_at].count("\n")
    if open_at == -1 or close_at == -1 or close_at < open_at:
        problems.error(file, answer_line, "unbalanced braces: an answer block needs both '{' and '}' "
                                          "(write \\{ or \\} for a literal brace)")
        return None
    if body.find("{", open_at + 1) != -1 and body.find("{", open_at + 1) < len(body):
        second = body.find("{", open_at + 1)
        problems.error(file, body_line + body[:second].count("\n"),
                       "only one answer block per question (escape a literal brace as \\{)")
        return None
    answer_text = body[open_at + 1: close_at].strip()
    after = body[close_at + 1:]
    if after.strip():
        stem_raw = body[:open_at] + "_____" + after  # missing-word question
    else:
        stem_raw = body[:open_at]
    general = ""
    gf_at = answer_text.rfind("####")
    if gf_at != -1:
        general = answer_text[gf_at + 4:]
        answer_text = answer_text[:gf_at].strip()
    stem, text_format = _with_format(stem_raw, "moodle")
    general_feedback, feedback_format = _with_format(general, text_format) if general else ("", text_format)
    q = QuestionSpec(key=_key(fields["name"], stem, seen), qtype="", stem=stem, data={}, text_format=text_format,
                     general_feedback=general_feedback,
                     feedback_format="" if feedback_format == text_format else feedback_format, **fields)
    error = _parse_answers(q, answer_text, text_format)
    if error:
        problems.error(file, answer_line, error)
        return None
    return q


def _split(answer_text: str, marks: str) -> list[str]:
    """Split an answer block before each of the marker characters."""
    parts: list[str] = []
    current = ""
    for char in answer_text:
        if char in marks and current.strip():
            parts.append(current.strip())
            current = ""
        current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def _parse_answers(q: QuestionSpec, answer_text: str, fmt: str) -> str | None:
    """Fill q.qtype and q.data from the answer block, whose syntax tells the type; returns an
    error message or None."""
    if answer_text == "":
        q.qtype = "essay"
        return None
    if answer_text.startswith("#"):
        return _numeric(q, answer_text[1:], fmt)
    if "~" in answer_text:
        return _choices(q, answer_text, fmt)
    if "=" in answer_text and "->" in answer_text:
        return _matching(q, answer_text, fmt)
    head = answer_text.split("#", 1)[0].strip()
    if head in ("T", "TRUE", "F", "FALSE"):
        return _truefalse(q, answer_text, head in ("T", "TRUE"), fmt)
    return _short(q, answer_text, fmt)


def _numeric(q: QuestionSpec, body: str, fmt: str) -> str | None:
    """{#=value:tolerance =min..max =%50%value ~wrong-feedback}"""
    q.qtype = "numeric"
    wrong, wrong_format = "", {}
    if "~" in body:
        body, wrong = body.split("~", 1)
        _, wrong, formats = _comment_formats(wrong, fmt)
        if "feedback_format" in formats:
            wrong_format = {"wrong_feedback_format": formats["feedback_format"]}
    parts = [p[1:].strip() if p.startswith("=") else p.strip() for p in _split(body, "=")]
    answers = []
    for part in parts:
        answer = _numeric_answer(part, fmt)
        if isinstance(answer, str):
            return answer
        answers.append(answer)
    if not answers:
        return "a numeric question needs at least one answer"
    q.data = {"answers": answers, "wrong_feedback": wrong, **wrong_format}
    return None


def _numeric_answer(part: str, fmt: str) -> dict | str:
    """One answer of a numeric block, or what is wrong with it."""
    weight, part, ok = _weight(part)
    if not ok:
        return f"bad weight in '{_restore(part)[:30]}': write %50% or %-25%"
    value_text, feedback, formats = _comment_formats(part, fmt)
    formats.pop("format", None)  # a number has no text format
    if value_text == "*":  # any other number (Moodle's catch-all)
        return {"value": "*", "tolerance": 0.0, "fraction": 0.0 if weight is None else weight,
                "feedback": feedback, **formats}
    try:
        if ".." in value_text:
            low, high = (float(v) for v in value_text.split("..", 1))
            if low > high:
                return f"numeric range '{value_text}' runs backwards"
            value, tolerance = (low + high) / 2, (high - low) / 2
        elif ":" in value_text:
            value_part, tol_part = value_text.split(":", 1)
            value, tolerance = float(value_part), float(tol_part)
        else:
            value, tolerance = float(value_text), 0.0
    except ValueError:
        return f"numeric answer '{value_text}' is not a number, number:tolerance or min..max"
    return {"value": value, "tolerance": abs(tolerance),
            "fraction": 1.0 if weight is None else weight, "feedback": feedback, **formats}


def _choices(q: QuestionSpec, answer_text: str, fmt: str) -> str | None:
    """{=right ~wrong} is single choice; {~%50%half ~%50%half ~wrong} multiple response."""
    single = "=" in answer_text
    q.qtype = "single" if single else "multiple"
    options = []
    for part in _split(answer_text, "~="):
        if part.startswith("="):
            weight, rest, ok = _weight(part[1:].strip())
            fraction = 1.0 if weight is None else weight
        else:
            weight, rest, ok = _weight(part[1:].strip() if part.startswith("~") else part)
            fraction = 0.0 if weight is None else weight
        if not ok:
            return f"bad weight in '{_restore(part)[:30]}': write %50% or %-25%"
        text, feedback, formats = _comment_formats(rest, fmt)
        options.append({"text": text, "fraction": fraction, "feedback": feedback, **formats})
    q.data = {"options": options}
    return None


def _matching(q: QuestionSpec, answer_text: str, fmt: str) -> str | None:
    """{=left -> right =left -> right}; an empty left side is a distractor."""
    q.qtype = "matching"
    pairs = []
    for part in _split(answer_text, "="):
        part = part[1:] if part.startswith("=") else part
        if "->" not in part:
            return f"matching answer '{_restore(part)[:30]}' has no '->'"
        left, right = part.split("->", 1)
        left_text, left_format = _with_format(left, fmt)
        pair = {"left": left_text, "right": _restore(right).strip()}
        if left_text:  # an empty left side makes a distractor
            pair.update(_formats(fmt, format=left_format))
        pairs.append(pair)
    q.data = {"pairs": pairs}
    return None


def _truefalse(q: QuestionSpec, answer_text: str, answer: bool, fmt: str) -> str | None:
    """{TRUE#feedback if wrong#feedback if right}"""
    q.qtype = "truefalse"
    parts = answer_text.split("#", 2)
    wrong, wrong_format = _with_format(parts[1], fmt) if len(parts) > 1 else ("", fmt)
    right, right_format = _with_format(parts[2], fmt) if len(parts) > 2 else ("", fmt)
    q.data = {"answer": answer,
              "feedback_true": right if answer else wrong,
              "feedback_false": wrong if answer else right,
              **_formats(fmt, feedback_true_format=right_format if answer else wrong_format,
                         feedback_false_format=wrong_format if answer else right_format)}
    return None


def _short(q: QuestionSpec, answer_text: str, fmt: str) -> str | None:
    """{=answer =%50%half right}"""
    q.qtype = "short"
    answers = []
    for part in _split(answer_text, "="):
        part = part[1:].strip() if part.startswith("=") else part.strip()
        weight, part, ok = _weight(part)
        if not ok:
            return f"bad weight in '{_restore(part)[:30]}': write %50%"
        text, feedback, formats = _comment_formats(part, fmt)
        formats.pop("format", None)  # a typed answer is compared as text
        answers.append({"text": text, "fraction": 1.0 if weight is None else weight, "feedback": feedback, **formats})
    q.data = {"answers": answers}
    return None


def parse_bank_file(data: bytes, file: str) -> GiftResult:
    """A question file of a course folder: Moodle XML when its name ends in .xml, else GIFT."""
    if file.lower().endswith(".xml"):
        # imported here: moodlexml builds on this module (GiftResult, _key), a cycle at import time
        from lms.quizzes.moodlexml import parse_moodle_xml

        return parse_moodle_xml(data, file)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        result = GiftResult()
        result.problems.error(file, data[: exc.start].count(b"\n") + 1, "not UTF-8 text (save the file as UTF-8)")
        return result
    return parse_gift(text, file)


def parse_aiken(text: str, file: str = "<aiken>") -> GiftResult:
    """Aiken: a question line, options 'A. text' or 'A) text', then 'ANSWER: B'."""
    result = GiftResult()
    seen: dict[str, int] = {}
    lines = text.lstrip("\ufeff").splitlines()
    stem_lines: list[str] = []
    options: list[tuple[str, str]] = []
    start = None
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if start is None:
            start = number
        option = re.match(r"^([A-Z])[.)]\s+(.*)$", line)
        answer = re.match(r"^ANSWER:\s*([A-Z])\s*$", line)
        if answer:
            letters = [letter for letter, _ in options]
            if len(options) < 2:
                result.problems.error(file, number, "an Aiken question needs at least two options before ANSWER")
            elif answer.group(1) not in letters:
                result.problems.error(file, number, f"ANSWER {answer.group(1)} is not one of the options {', '.join(letters)}")
            else:
                stem = "\n".join(stem_lines).strip()
                q = QuestionSpec(key=_key("", stem, seen), qtype="single", stem=stem, text_format="plain",
                                 data={"options": [{"text": t, "fraction": 1.0 if letter == answer.group(1) else 0.0,
                                                    "feedback": ""} for letter, t in options]}, line=start)
                check_question(q, file, result.problems)
                result.questions.append(q)
            stem_lines, options, start = [], [], None
        elif option and stem_lines:
            options.append((option.group(1), option.group(2).strip()))
        elif options:
            result.problems.error(file, number, "expected another option (A. ...) or 'ANSWER: X' here")
        else:
            stem_lines.append(line)
    if stem_lines or options:
        result.problems.error(file, start, "question has no 'ANSWER: X' line")
    return result


# --- writing ---------------------------------------------------------------------------------

def _esc(text: str) -> str:
    """Escape GIFT's reserved characters (as Moodle's exporter does)."""
    for char, escaped in (("\\", "\\\\"), ("#", "\\#"), ("=", "\\="), ("~", "\\~"), ("{", "\\{"),
                          ("}", "\\}"), (":", "\\:"), ("\n", "\\n"), ("\r", "")):
        text = text.replace(char, escaped)
    return text


def _pct(fraction: float) -> str:
    value = round(fraction * 100, 5)
    return f"{value:g}"


def _fmt(text: str, fmt: str, default: str) -> str:
    """Text escaped, with its [format] marker when it differs from the question's."""
    return ("" if fmt == default else f"[{fmt}]") + _esc(text)


def _feedback(item: dict, default: str, key: str = "feedback", format_key: str = "feedback_format") -> str:
    if not item.get(key):
        return ""
    return "#" + _fmt(item[key], item.get(format_key, default), default)


def _id_and_tags(q: QuestionSpec) -> str:
    bits = [f"[id:{q.idnumber.replace(']', chr(92) + ']')}]"] if q.idnumber else []
    bits += [f"[tag:{tag.replace(']', chr(92) + ']')}]" for tag in q.tags]
    return f"// {' '.join(bits)}\n" if bits else ""


def write_gift(questions: list[QuestionSpec]) -> str:
    """GIFT text for the questions, categories included; parse_gift reads it back equal."""
    out: list[str] = []
    category = None
    for q in questions:
        if q.category != category and (q.category or category is not None):
            category = q.category
            out.append(f"$CATEGORY: $course$/top{'/' if q.category else ''}{q.category}\n")
        fmt = q.text_format
        marker = "" if fmt == "moodle" else f"[{fmt}]"
        head = f"{_id_and_tags(q)}::{_esc(q.name or q.key)}::{marker}{_esc(q.stem)}"
        general = ("####" + _fmt(q.general_feedback, q.feedback_format or fmt, fmt)) if q.general_feedback else ""
        out.append(head + _ANSWER_BLOCKS[q.qtype](q, fmt, general))
    return "\n".join(out)


def _block(lines: list[str], general: str, opening: str = "{") -> str:
    return opening + "\n" + "\n".join(lines) + ("\n\t" + general if general else "") + "\n}\n"


def _write_choices(q: QuestionSpec, fmt: str, general: str) -> str:
    lines = []
    for option in q.data["options"]:
        if q.qtype == "single" and option["fraction"] == 1.0:
            mark = "="
        elif option["fraction"] == 0:
            mark = "~"
        else:
            mark = f"~%{_pct(option['fraction'])}%"
        lines.append(f"\t{mark}{_fmt(option['text'], option.get('format', fmt), fmt)}{_feedback(option, fmt)}")
    return _block(lines, general)


def _write_truefalse(q: QuestionSpec, fmt: str, general: str) -> str:
    data = q.data
    answer = data["answer"]
    right_key, wrong_key = ("feedback_true", "feedback_false") if answer else ("feedback_false", "feedback_true")
    wrong = _fmt(data[wrong_key], data.get(wrong_key + "_format", fmt), fmt) if data[wrong_key] else ""
    right = _fmt(data[right_key], data.get(right_key + "_format", fmt), fmt) if data[right_key] else ""
    block = "TRUE" if answer else "FALSE"
    if wrong or right:
        block += f"#{wrong}"
    if right:
        block += f"#{right}"
    return "{" + block + general + "}\n"


def _write_short(q: QuestionSpec, fmt: str, general: str) -> str:
    return _block([f"\t=%{_pct(answer['fraction'])}%{_esc(answer['text'])}{_feedback(answer, fmt)}"
                   for answer in q.data["answers"]], general)


def _write_numeric(q: QuestionSpec, fmt: str, general: str) -> str:
    lines = []
    for answer in q.data["answers"]:
        value = "*" if answer["value"] == "*" else f"{answer['value']:g}:{answer['tolerance']:g}"
        lines.append(f"\t=%{_pct(answer['fraction'])}%{value}{_feedback(answer, fmt)}")
    if q.data.get("wrong_feedback"):
        lines.append(f"\t~{_feedback(q.data, fmt, 'wrong_feedback', 'wrong_feedback_format')}")
    return _block(lines, general, "{#")


def _write_matching(q: QuestionSpec, fmt: str, general: str) -> str:
    lines = []
    for pair in q.data["pairs"]:
        left = _fmt(pair["left"], pair.get("format", fmt), fmt) if pair["left"] else ""
        lines.append(f"\t={left} -> {_esc(pair['right'])}")
    return _block(lines, general)


# The answer block GIFT writes for each of our question types (its syntax tells the type back).
_ANSWER_BLOCKS = {"single": _write_choices, "multiple": _write_choices, "truefalse": _write_truefalse,
                  "short": _write_short, "numeric": _write_numeric, "matching": _write_matching,
                  "essay": lambda q, fmt, general: "{" + general + "}\n",
                  "description": lambda q, fmt, general: "\n"}
