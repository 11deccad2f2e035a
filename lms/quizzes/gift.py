"""Moodle GIFT and Aiken question formats: a parser that reports every error with its line,
and a GIFT writer, so banks travel between Moodle and Bimtek LMS.

Follows Moodle's documented GIFT format and the behaviour of its qformat_gift importer:
questions are separated by blank lines; `//` lines are comments; `$CATEGORY: a/b` switches
category; `::name::` names a question; `[markdown]`, `[html]`, `[plain]`, `[moodle]` set the
text format; `{...}` holds the answers (text after it makes a missing-word question, no block
makes a description, `{}` an essay); `=` right, `~` wrong, `%50%` weights, `#` feedback,
`####` general feedback; `->` pairs for matching; `{#...}` numeric with `value:tolerance` or
`min..max`; `{T}`/`{FALSE#wrong#right}` true/false; `\\` escapes `~ = # { } :` and `\\n`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from lms.content.problems import Problems
from lms.quizzes.spec import QuestionSpec, check_question

# Escaped characters become private-use placeholders while parsing.
_ESCAPES = {"\\:": "\ue001", "\\#": "\ue002", "\\=": "\ue003", "\\{": "\ue004", "\\}": "\ue005",
            "\\~": "\ue006", "\\n": "\ue007"}
_RESTORE = {"\ue001": ":", "\ue002": "#", "\ue003": "=", "\ue004": "{", "\ue005": "}",
            "\ue006": "~", "\ue007": "\n", "\ue000": "\\"}
_WEIGHT_RE = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_FORMATS = {"markdown", "html", "plain", "moodle"}


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
    parts = answer.split("#", 1)
    text, _ = _with_format(parts[0], default)
    feedback = _with_format(parts[1], default)[0] if len(parts) > 1 else ""
    return text, feedback


def _weight(answer: str) -> tuple[float | None, str, bool]:
    """Leading %n% weight -> (fraction or None, rest, well_formed)."""
    if not answer.startswith("%"):
        return None, answer, True
    match = _WEIGHT_RE.match(answer)
    if not match:
        return None, answer, False
    value = float(match.group(1))
    return value / 100.0, answer[match.end():], -100 <= value <= 100


def _blocks(text: str) -> list[tuple[int, str]]:
    """Split into (first line number, block text) at blank lines, comment lines blanked."""
    blocks: list[tuple[int, str]] = []
    current: list[str] = []
    start = 1
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        if line.strip().startswith("//"):
            line = ""
            if current:
                current.append(line)
            continue
        if not line.strip():
            if current and any(part.strip() for part in current):
                blocks.append((start, "\n".join(current)))
            current = []
            continue
        if not current:
            start = number
        current.append(line)
    if current and any(part.strip() for part in current):
        blocks.append((start, "\n".join(current)))
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
    for start, block in _blocks(text):
        raw = _escape_pre(block.strip())
        if raw.startswith("$CATEGORY:"):
            category = _restore(raw[len("$CATEGORY:"):]).strip()
            if "\n" in category:
                category, rest = category.split("\n", 1)
                problems.error(file, start + 1, "a $CATEGORY line must be followed by a blank line")
            continue
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
        open_at, close_at = body.find("{"), body.find("}")
        if open_at == -1 and close_at == -1:
            stem, text_format = _with_format(body, "moodle")
            q = QuestionSpec(key=_key(name, stem, seen), qtype="description", stem=stem, data={},
                             text_format=text_format, mark=0.0, category=category, name=name, line=start)
            result.questions.append(q)
            continue
        answer_line = body_offset_line + body[: open_at if open_at != -1 else close_at].count("\n")
        if open_at == -1 or close_at == -1 or close_at < open_at:
            problems.error(file, answer_line, "unbalanced braces: an answer block needs both '{' and '}' "
                                              "(write \\{ or \\} for a literal brace)")
            continue
        if body.find("{", open_at + 1) != -1 and body.find("{", open_at + 1) < len(body):
            second = body.find("{", open_at + 1)
            problems.error(file, body_offset_line + body[:second].count("\n"),
                           "only one answer block per question (escape a literal brace as \\{)")
            continue
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
        general_feedback = _with_format(general, text_format)[0] if general else ""
        q = QuestionSpec(key=_key(name, stem, seen), qtype="", stem=stem, data={}, text_format=text_format,
                         general_feedback=general_feedback, category=category, name=name, line=start)
        error = _parse_answers(q, answer_text, text_format)
        if error:
            problems.error(file, answer_line, error)
            continue
        before = len(problems)
        check_question(q, file, problems)
        if len(problems) == before:
            result.questions.append(q)
    return result


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
    """Fill q.qtype and q.data from the answer block; returns an error message or None."""
    if answer_text == "":
        q.qtype = "essay"
        return None
    if answer_text.startswith("#"):
        q.qtype = "numeric"
        body = answer_text[1:]
        wrong = ""
        if "~" in body:
            body, wrong = body.split("~", 1)
            wrong = _comment(wrong, fmt)[1]
        parts = [p[1:].strip() if p.startswith("=") else p.strip() for p in _split(body, "=")]
        answers = []
        for part in parts:
            weight, part, ok = _weight(part)
            if not ok:
                return f"bad weight in '{_restore(part)[:30]}': write %50% or %-25%"
            value_text, feedback = _comment(part, fmt)
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
            answers.append({"value": value, "tolerance": abs(tolerance),
                            "fraction": 1.0 if weight is None else weight, "feedback": feedback})
        if not answers:
            return "a numeric question needs at least one answer"
        q.data = {"answers": answers, "wrong_feedback": wrong}
        return None
    if "~" in answer_text:
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
            text, feedback = _comment(rest, fmt)
            options.append({"text": text, "fraction": fraction, "feedback": feedback})
        q.data = {"options": options}
        return None
    if "=" in answer_text and "->" in answer_text:
        q.qtype = "matching"
        pairs = []
        for part in _split(answer_text, "="):
            part = part[1:] if part.startswith("=") else part
            if "->" not in part:
                return f"matching answer '{_restore(part)[:30]}' has no '->'"
            left, right = part.split("->", 1)
            pairs.append({"left": _with_format(left, fmt)[0], "right": _restore(right).strip()})
        q.data = {"pairs": pairs}
        return None
    head = answer_text.split("#", 1)[0].strip()
    if head in ("T", "TRUE", "F", "FALSE"):
        q.qtype = "truefalse"
        parts = answer_text.split("#", 2)
        wrong = _with_format(parts[1], fmt)[0] if len(parts) > 1 else ""
        right = _with_format(parts[2], fmt)[0] if len(parts) > 2 else ""
        answer = head in ("T", "TRUE")
        q.data = {"answer": answer,
                  "feedback_true": right if answer else wrong,
                  "feedback_false": wrong if answer else right}
        return None
    q.qtype = "short"
    answers = []
    for part in _split(answer_text, "="):
        part = part[1:].strip() if part.startswith("=") else part.strip()
        weight, part, ok = _weight(part)
        if not ok:
            return f"bad weight in '{_restore(part)[:30]}': write %50%"
        text, feedback = _comment(part, fmt)
        answers.append({"text": text, "fraction": 1.0 if weight is None else weight, "feedback": feedback})
    q.data = {"answers": answers}
    return None


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


def write_gift(questions: list[QuestionSpec]) -> str:
    """GIFT text for the questions, categories included; parse_gift reads it back equivalent."""
    out: list[str] = []
    category = None
    for q in questions:
        if q.category != category and (q.category or category is not None):
            category = q.category
            out.append(f"$CATEGORY: {q.category}\n")
        fmt = "" if q.text_format == "moodle" else f"[{q.text_format}]"
        head = f"::{_esc(q.name or q.key)}::{fmt}{_esc(q.stem)}"
        general = f"####{_esc(q.general_feedback)}" if q.general_feedback else ""
        data = q.data
        if q.qtype == "description":
            out.append(head + "\n")
            continue
        if q.qtype == "essay":
            out.append(head + "{" + general + "}\n")
            continue
        lines = []
        if q.qtype in ("single", "multiple"):
            for option in data["options"]:
                if q.qtype == "single" and option["fraction"] == 1.0:
                    mark = "="
                elif option["fraction"] == 0:
                    mark = "~"
                else:
                    mark = f"~%{_pct(option['fraction'])}%"
                feedback = f"#{_esc(option['feedback'])}" if option.get("feedback") else ""
                lines.append(f"\t{mark}{_esc(option['text'])}{feedback}")
        elif q.qtype == "truefalse":
            answer = data["answer"]
            wrong = data["feedback_false"] if answer else data["feedback_true"]
            right = data["feedback_true"] if answer else data["feedback_false"]
            block = "TRUE" if answer else "FALSE"
            if wrong or right:
                block += f"#{_esc(wrong)}"
            if right:
                block += f"#{_esc(right)}"
            out.append(head + "{" + block + general + "}\n")
            continue
        elif q.qtype == "short":
            for answer in data["answers"]:
                feedback = f"#{_esc(answer['feedback'])}" if answer.get("feedback") else ""
                lines.append(f"\t=%{_pct(answer['fraction'])}%{_esc(answer['text'])}{feedback}")
        elif q.qtype == "numeric":
            for answer in data["answers"]:
                feedback = f"#{_esc(answer['feedback'])}" if answer.get("feedback") else ""
                lines.append(f"\t=%{_pct(answer['fraction'])}%{answer['value']:g}:{answer['tolerance']:g}{feedback}")
            if data.get("wrong_feedback"):
                lines.append(f"\t~#{_esc(data['wrong_feedback'])}")
            out.append(head + "{#\n" + "\n".join(lines) + ("\n\t" + general if general else "") + "\n}\n")
            continue
        elif q.qtype == "matching":
            for pair in data["pairs"]:
                lines.append(f"\t={_esc(pair['left'])} -> {_esc(pair['right'])}")
        out.append(head + "{\n" + "\n".join(lines) + ("\n\t" + general if general else "") + "\n}\n")
    return "\n".join(out)
