"""Question types: how each is read from a course quiz file, checked, prepared for storage,
shown, answered, graded and written back, with what the editor and the exchange formats call it.

A registry keyed by type name (as CTFd does for challenge types): a new type is a class plus an
entry in QUESTION_TYPES. Stored data keeps the author's source text (for export) next to the
sanitized HTML (for pages). Nothing a type puts in public() reveals which answer is right.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from typing import TYPE_CHECKING, Any, Mapping

from flask_babel import lazy_gettext as _l

from lms.content.markdown import render_text
from lms.content.problems import Problems
from lms.content.yamlines import LineDict, LineList

if TYPE_CHECKING:
    from lms.quizzes.spec import QuestionSpec

TEXT_FORMATS = ("markdown", "html", "plain", "moodle")
CATCH_ALL = "*"  # Moodle: an answer '*' matches any response (short answer, numeric)
ANSWER_FORMAT_KEYS = ("format", "feedback_format")


class TamperError(ValueError):
    """A response names options or items that the question does not have."""


def option_id(text: str) -> str:
    return "o" + hashlib.sha1(text.encode()).hexdigest()[:10]


# Typed around an answer without changing it: a full stop at the end ("APBDes."), quotes.
_AROUND_ANSWER = " .,;:!?\"'\u201c\u201d\u2018\u2019"


def normalize_answer(text: str) -> str:
    """Case- and space-insensitive form of a short answer, without punctuation or quotes around it
    ("APBDes." is "apbdes"); an answer that is only punctuation stays as it is."""
    text = " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())
    return text.strip(_AROUND_ANSWER) or text


def parse_number(text: str) -> float | None:
    """A number as typed on an Indonesian phone: '3,5' or '3.5', '1.000' is one thousand."""
    text = (text or "").strip().replace(" ", "")
    if not text:
        return None
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", text):  # 1.000 or 1.000,5
        text = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text):  # 1,000.5
        text = text.replace(",", "")
    else:
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def text_value(value: Any) -> str | None:
    """A text of a course quiz file, stripped ('' when absent, a number as its text); None when
    it is neither text nor number."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else None


def fraction_of(value: Any) -> float | None:
    """A weight as a fraction: 100 -> 1.0, 50 -> 0.5, -25 -> -0.25."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not -100 <= value <= 100:
        return None
    return float(value) / 100.0


def formats_of(item: Any, keys: tuple[str, ...]) -> dict[str, str]:
    """The format keys an answer, option or pair gives (only those are stored)."""
    return {k: str(item[k]) for k in keys if isinstance(item, dict) and item.get(k)}


def _feedback_of(entry: Any) -> str:
    value = text_value(entry.get("feedback")) if isinstance(entry, dict) else ""
    return value or ""


def _weight(fraction: float) -> float:
    """A fraction as the weight a quiz file gives: 0.5 -> 50."""
    value = round(fraction * 100, 5)
    return int(value) if float(value).is_integer() else value


def _extras(entry: dict, keys: tuple[str, ...]) -> dict:
    return {k: entry[k] for k in keys if entry.get(k)}


def _source(item: dict, derived: tuple[str, ...] = ("id", "html")) -> dict:
    """Stored data back in source form: ids and rendered HTML dropped."""
    return {k: v for k, v in item.items() if k not in derived and not k.endswith("_html")}


class QuestionType:
    name = ""
    label = ""  # what the editor calls it
    moodle_xml = ""  # Moodle XML's <question type="...">
    # What the editor's form shows for this type beside text, feedback and mark.
    editor_fields: tuple[str, ...] = ()
    manual = False  # graded by a person
    scored = True  # counts toward the score

    def read_yaml(self, item: LineDict, file: str, line: int, problems: Problems) -> dict:
        """The type's data from a question of a course quiz file (errors reported)."""
        return {}

    def check(self, q, file: str, problems: Problems) -> None:
        """Checks of a QuestionSpec's data, from whichever source it was read."""

    def to_yaml(self, data: dict) -> dict:
        """The keys a course quiz file gives for this data; read_yaml reads them back equal."""
        return {}

    def source(self, data: dict) -> dict:
        """Stored data (prepare's) back in source form."""
        return {}

    def prepare(self, data: dict, fmt: str) -> dict:
        """Source data -> stored data (adds ids and sanitized HTML)."""
        return dict(data)

    def public(self, data: dict, layout: dict) -> dict:
        """What the page may show before submission."""
        return {}

    def parse(self, data: dict, layout: dict, form: Mapping[str, Any], field: str) -> Any:
        """Form values -> a response (None when unanswered); TamperError for foreign values."""
        return None

    def grade(self, data: dict, response: Any) -> float | None:
        """Fraction of the mark earned, 0..1; None when a person must grade it."""
        return 0.0

    def feedback(self, data: dict, response: Any) -> list[str]:
        """Feedback HTML for this response (per option or answer)."""
        return []

    def correct(self, data: dict) -> list[str]:
        """The right answer(s) as HTML, for the review when the quiz shows answers."""
        return []

    def layout(self, data: dict, rng, shuffle: bool) -> dict:
        """Per-attempt presentation (option order); stored with the attempt."""
        return {}


class ChoiceType(QuestionType):
    multiple = False
    moodle_xml = "multichoice"
    editor_fields = ("options",)

    def read_yaml(self, item, file, line, problems):
        options = item.get("options")
        if not isinstance(options, LineList):
            problems.error(file, item.line("options"), "'options' must be a list")
            options = LineList()
            options.item_lines = []
        correct_count = sum(1 for o in options if isinstance(o, dict) and o.get("correct") is True)
        parsed = [self._read_option(option, options.line(i), correct_count, file, problems)
                  for i, option in enumerate(options)]
        return {"options": [option for option in parsed if option is not None]}

    def _read_option(self, option: Any, line: int, correct_count: int, file: str, problems: Problems) -> dict | None:
        if isinstance(option, str):
            option = {"text": option}
        if not isinstance(option, dict):
            problems.error(file, line, "an option must be text or a mapping with 'text'")
            return None
        unknown = sorted(set(option) - {"text", "correct", "weight", "feedback", *ANSWER_FORMAT_KEYS})
        if unknown:
            where = option.line(unknown[0]) if isinstance(option, LineDict) else line
            problems.error(file, where, f"unknown option key '{unknown[0]}' "
                                        "(known keys: correct, feedback, feedback_format, format, text, weight)")
        text = text_value(option.get("text"))
        if not text:
            problems.error(file, line, "option needs 'text'")
            return None
        if "weight" in option:
            fraction = fraction_of(option["weight"])
            if fraction is None:
                problems.error(file, line, "'weight' must be a percentage from -100 to 100")
                fraction = 0.0
        elif option.get("correct") is True:
            fraction = 1.0 / max(correct_count, 1) if self.multiple else 1.0
        else:
            fraction = 0.0
        if "correct" in option and not isinstance(option["correct"], bool):
            problems.error(file, line, "'correct' must be true or false")
        return {"text": text, "fraction": fraction, "feedback": _feedback_of(option),
                **formats_of(option, ANSWER_FORMAT_KEYS)}

    def check(self, q, file, problems):
        line = q.line_of("options")
        options = q.data.get("options", [])
        if len(options) < 2:
            problems.error(file, line, "a choice question needs at least two options")
            return
        texts = [o["text"] for o in options]
        if len(set(texts)) != len(texts):
            problems.error(file, line, "two options have the same text")
        positive = [o["fraction"] for o in options if o["fraction"] > 0]
        if not self.multiple:
            if not any(math.isclose(o["fraction"], 1.0) for o in options):
                problems.error(file, line, "a single-choice question needs one fully correct option")
        elif not positive:
            problems.error(file, line, "a multiple-response question needs at least one correct option")
        elif not math.isclose(sum(positive), 1.0, abs_tol=0.011):
            problems.error(file, line, f"the weights of the correct options add up to "
                                       f"{round(sum(positive) * 100, 2)}%, not 100%")

    def to_yaml(self, data):
        return {"options": [{"text": o["text"], "weight": _weight(o["fraction"]), **_extras(o, ("feedback",)),
                             **_extras(o, ANSWER_FORMAT_KEYS)} for o in data["options"]]}

    def source(self, data):
        return {"options": [_source(o) for o in data["options"]]}

    def prepare(self, data: dict, fmt: str) -> dict:
        options = []
        for option in data["options"]:
            options.append({**option, "id": option_id(option["text"]),
                            "html": render_text(option["text"], option.get("format", fmt), inline=True),
                            "feedback_html": render_text(option.get("feedback", ""),
                                                         option.get("feedback_format", fmt))})
        return {"options": options}

    def layout(self, data: dict, rng, shuffle: bool) -> dict:
        ids = [o["id"] for o in data["options"]]
        if shuffle:
            rng.shuffle(ids)
        return {"options": ids}

    def _options(self, data: dict, layout: dict) -> list[dict]:
        by_id = {o["id"]: o for o in data["options"]}
        order = layout.get("options") or list(by_id)
        return [by_id[i] for i in order if i in by_id]

    def public(self, data: dict, layout: dict) -> dict:
        return {"options": [{"id": o["id"], "html": o["html"]} for o in self._options(data, layout)],
                "multiple": self.multiple}

    def parse(self, data: dict, layout: dict, form: Mapping[str, Any], field: str) -> Any:
        known = {o["id"] for o in data["options"]}
        chosen = form.getlist(field) if hasattr(form, "getlist") else form.get(field, [])
        if isinstance(chosen, str):
            chosen = [chosen]
        chosen = [c for c in chosen if c]
        if any(c not in known for c in chosen):
            raise TamperError("option of another question")
        if not chosen:
            return None
        if not self.multiple and len(chosen) > 1:
            raise TamperError("several options for a single-choice question")
        return sorted(set(chosen)) if self.multiple else chosen[0]

    def grade(self, data: dict, response: Any) -> float:
        if response is None:
            return 0.0
        fractions = {o["id"]: o["fraction"] for o in data["options"]}
        if not self.multiple:
            return max(0.0, min(1.0, fractions.get(response, 0.0)))
        chosen = set(response)
        if any(f < 0 for f in fractions.values()):
            total = sum(fractions[c] for c in chosen if c in fractions)
        else:
            # Authors gave wrong options no penalty: each wrong tick cancels one right one,
            # so ticking everything never earns full credit.
            right = [i for i, f in fractions.items() if f > 0]
            wrong_ticked = sum(1 for c in chosen if fractions.get(c, 0) <= 0)
            total = sum(fractions[c] for c in chosen if fractions.get(c, 0) > 0) - wrong_ticked / max(len(right), 1)
        return max(0.0, min(1.0, round(total, 6)))

    def feedback(self, data: dict, response: Any) -> list[str]:
        chosen = set(response if isinstance(response, list) else [response] if response else [])
        return [o["feedback_html"] for o in data["options"] if o["id"] in chosen and o.get("feedback_html")]

    def correct(self, data: dict) -> list[str]:
        return [o["html"] for o in data["options"] if o["fraction"] > 0]


class SingleChoice(ChoiceType):
    name = "single"
    label = _l("Single choice")


class MultipleResponse(ChoiceType):
    name = "multiple"
    label = _l("Multiple response")
    multiple = True


class TrueFalse(QuestionType):
    name = "truefalse"
    label = _l("True or false")
    moodle_xml = "truefalse"
    editor_fields = ("answer", "feedback_true", "feedback_false")

    def read_yaml(self, item, file, line, problems):
        return {"answer": item.get("answer"), "feedback_true": text_value(item.get("feedback_true")) or "",
                "feedback_false": text_value(item.get("feedback_false")) or "",
                **formats_of(item, ("feedback_true_format", "feedback_false_format"))}

    def check(self, q, file, problems):
        if not isinstance(q.data.get("answer"), bool):
            problems.error(file, q.line_of("answer"), "a true/false question needs 'answer: true' or 'answer: false'")

    def to_yaml(self, data):
        return {"answer": data["answer"],
                **_extras(data, ("feedback_true", "feedback_false", "feedback_true_format", "feedback_false_format"))}

    def source(self, data):
        return _source(data)

    def prepare(self, data: dict, fmt: str) -> dict:
        return {**data,
                "feedback_true_html": render_text(data.get("feedback_true", ""), data.get("feedback_true_format", fmt)),
                "feedback_false_html": render_text(data.get("feedback_false", ""),
                                                   data.get("feedback_false_format", fmt))}

    def public(self, data: dict, layout: dict) -> dict:
        return {"options": [{"id": "true", "label": "true"}, {"id": "false", "label": "false"}]}

    def parse(self, data, layout, form, field):
        value = form.get(field)
        if value in (None, ""):
            return None
        if value not in ("true", "false"):
            raise TamperError("true/false answer is neither")
        return value == "true"

    def grade(self, data, response):
        return 1.0 if response is not None and response == data["answer"] else 0.0

    def feedback(self, data, response):
        if response is None:
            return []
        html = data["feedback_true_html"] if response else data["feedback_false_html"]
        return [html] if html else []

    def correct(self, data):
        return ["true" if data["answer"] else "false"]


def _answers_html(answers: list[dict], fmt: str) -> list[dict]:
    return [{**a, "feedback_html": render_text(a.get("feedback", ""), a.get("feedback_format", fmt))} for a in answers]


def _first_match(answers: list[dict], exact, wildcard) -> dict | None:
    """Moodle's choice among matching answers: the best plain match; failing that, the first
    answer with a wildcard ('*' alone is the catch-all), in the author's order."""
    best = None
    for answer in answers:
        if not _is_wildcard(answer) and exact(answer) and (best is None or answer["fraction"] > best["fraction"]):
            best = answer
    if best is not None:
        return best
    return next((answer for answer in answers if _is_wildcard(answer) and wildcard(answer)), None)


def _is_wildcard(answer: dict) -> bool:
    value = answer.get("text", answer.get("value"))
    return isinstance(value, str) and "*" in value


def wildcard_match(pattern: str, response: str) -> bool:
    """Moodle's short-answer comparison with '*' standing for any characters (case-insensitive)."""
    regex = ".*".join(re.escape(part) for part in normalize_answer(pattern).split("*"))
    return re.fullmatch(regex, normalize_answer(response), flags=re.DOTALL) is not None


class ShortAnswer(QuestionType):
    name = "short"
    label = _l("Short answer")
    moodle_xml = "shortanswer"
    editor_fields = ("answers",)

    def read_yaml(self, item, file, line, problems):
        answers = item.get("answers")
        if not isinstance(answers, list):
            problems.error(file, item.line("answers"), "'answers' must be a list of accepted answers")
            answers = []
        parsed = []
        for a in answers:
            if isinstance(a, (str, int, float)) and not isinstance(a, bool):
                parsed.append({"text": str(a).strip(), "fraction": 1.0, "feedback": ""})
            elif isinstance(a, dict):
                fraction = fraction_of(a.get("weight", 100))
                parsed.append({"text": (text_value(a.get("text")) or ""),
                               "fraction": fraction if fraction is not None else 1.0,
                               "feedback": _feedback_of(a), **formats_of(a, ("feedback_format",))})
            else:
                problems.error(file, item.line("answers"), "each accepted answer must be text")
        return {"answers": parsed}

    def check(self, q, file, problems):
        line = q.line_of("answers")
        answers = q.data.get("answers", [])
        if not answers or not any(a["fraction"] > 0 for a in answers):
            problems.error(file, line, "a short-answer question needs at least one accepted answer")
        if any(not str(a["text"]).strip() for a in answers):
            problems.error(file, line, "an accepted answer is empty")

    def to_yaml(self, data):
        return {"answers": [{"text": a["text"], "weight": _weight(a["fraction"]),
                             **_extras(a, ("feedback", "feedback_format"))} for a in data["answers"]]}

    def source(self, data):
        return {"answers": [_source(a) for a in data["answers"]]}

    def prepare(self, data, fmt):
        return {"answers": _answers_html(data["answers"], fmt)}

    def parse(self, data, layout, form, field):
        value = (form.get(field) or "").strip()
        return value[:500] or None

    def _match(self, data, response):
        given = normalize_answer(response or "")
        return _first_match(data["answers"], lambda a: normalize_answer(a["text"]) == given,
                            lambda a: wildcard_match(a["text"], response or ""))

    def grade(self, data, response):
        match = self._match(data, response) if response else None
        return max(0.0, min(1.0, match["fraction"])) if match else 0.0

    def feedback(self, data, response):
        match = self._match(data, response) if response else None
        return [match["feedback_html"]] if match and match.get("feedback_html") else []

    def correct(self, data):
        import html

        shown = [a for a in data["answers"] if a["text"] != "*"]
        return [html.escape(a["text"]) for a in shown if a["fraction"] >= 1.0] or \
            [html.escape(a["text"]) for a in shown if a["fraction"] > 0]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Numeric(QuestionType):
    name = "numeric"
    label = _l("Number")
    moodle_xml = "numerical"
    editor_fields = ("number", "tolerance", "feedback_wrong")

    def read_yaml(self, item, file, line, problems):
        if "range" in item:
            answers = self._range(item, file, problems)
        elif isinstance(item.get("answers"), list):  # several answers, each with weight and feedback ('*': any other)
            answers = self._answers(item, file, problems)
        elif _is_number(item.get("answer")):
            tolerance = item.get("tolerance", 0)
            if not _is_number(tolerance):
                problems.error(file, item.line("tolerance"), "'tolerance' must be a number")
                tolerance = 0
            answers = [{"value": float(item["answer"]), "tolerance": float(tolerance), "fraction": 1.0, "feedback": ""}]
        else:
            problems.error(file, item.line("answer"), "a numeric question needs 'answer: <number>' or 'range: [a, b]'")
            answers = []
        data = {"answers": answers, "wrong_feedback": text_value(item.get("feedback_wrong")) or ""}
        if item.get("feedback_wrong_format"):
            data["wrong_feedback_format"] = str(item["feedback_wrong_format"])
        return data

    @staticmethod
    def _range(item: LineDict, file: str, problems: Problems) -> list[dict]:
        rng = item["range"]
        if isinstance(rng, list) and len(rng) == 2 and all(_is_number(v) for v in rng) and rng[0] <= rng[1]:
            return [{"value": (rng[0] + rng[1]) / 2, "tolerance": (rng[1] - rng[0]) / 2, "fraction": 1.0, "feedback": ""}]
        problems.error(file, item.line("range"), "'range' must be [lowest, highest]")
        return []

    @staticmethod
    def _answers(item: LineDict, file: str, problems: Problems) -> list[dict]:
        answers = []
        for a in item["answers"]:
            value, tolerance = (a.get("value"), a.get("tolerance", 0)) if isinstance(a, dict) else (None, None)
            numbers = all(_is_number(v) for v in (value, tolerance))
            fraction = fraction_of(a.get("weight", 100)) if isinstance(a, dict) else None
            if not (numbers or value == CATCH_ALL) or fraction is None:
                problems.error(file, item.line("answers"), "each numeric answer is a mapping with 'value' (a "
                                                           "number or '*'), 'tolerance', 'weight' and 'feedback'")
                continue
            answers.append({"value": CATCH_ALL if value == CATCH_ALL else float(value),
                            "tolerance": 0.0 if value == CATCH_ALL else float(tolerance), "fraction": fraction,
                            "feedback": _feedback_of(a), **formats_of(a, ("feedback_format",))})
        return answers

    def check(self, q, file, problems):
        line = q.line
        answers = q.data.get("answers", [])
        if not answers:
            problems.error(file, line, "a numeric question needs an answer")
        for a in answers:
            if a.get("value") == CATCH_ALL:
                continue
            if not all(isinstance(a.get(k), (int, float)) and math.isfinite(a[k]) for k in ("value", "tolerance")):
                problems.error(file, line, "numeric answers must be numbers")
            elif a["tolerance"] < 0:
                problems.error(file, line, "a tolerance cannot be negative")

    def to_yaml(self, data):
        item: dict[str, Any] = {"answers": [{"value": a["value"], "tolerance": a["tolerance"],
                                             "weight": _weight(a["fraction"]),
                                             **_extras(a, ("feedback", "feedback_format"))} for a in data["answers"]]}
        if data.get("wrong_feedback"):
            item["feedback_wrong"] = data["wrong_feedback"]
        if data.get("wrong_feedback_format"):
            item["feedback_wrong_format"] = data["wrong_feedback_format"]
        return item

    def source(self, data):
        return {"answers": [_source(a) for a in data["answers"]],
                **{k: v for k, v in data.items() if k in ("wrong_feedback", "wrong_feedback_format")}}

    def prepare(self, data, fmt):
        prepared = {"answers": _answers_html(data["answers"], fmt), "wrong_feedback": data.get("wrong_feedback", ""),
                    "wrong_feedback_html": render_text(data.get("wrong_feedback", ""),
                                                       data.get("wrong_feedback_format", fmt))}
        if data.get("wrong_feedback_format"):
            prepared["wrong_feedback_format"] = data["wrong_feedback_format"]
        return prepared

    def parse(self, data, layout, form, field):
        raw = (form.get(field) or "").strip()
        if not raw:
            return None
        return raw[:50]

    def _match(self, data, response):
        value = parse_number(response) if response else None
        if value is None:
            return None
        return _first_match(data["answers"], lambda a: abs(value - a["value"]) <= a["tolerance"] + 1e-9 * max(
            1.0, abs(a["value"])), lambda a: True)

    def grade(self, data, response):
        match = self._match(data, response)
        return max(0.0, min(1.0, match["fraction"])) if match else 0.0

    def feedback(self, data, response):
        if response is None:
            return []
        match = self._match(data, response)
        if match:
            return [match["feedback_html"]] if match.get("feedback_html") else []
        return [data["wrong_feedback_html"]] if data.get("wrong_feedback_html") else []

    def correct(self, data):
        best = max((a for a in data["answers"] if a["value"] != "*"), key=lambda a: a["fraction"], default=None)
        if best is None:
            return []
        if best["tolerance"]:
            return [f"{best['value'] - best['tolerance']:g} – {best['value'] + best['tolerance']:g}"]
        return [f"{best['value']:g}"]


class Matching(QuestionType):
    name = "matching"
    label = _l("Matching")
    moodle_xml = "matching"
    editor_fields = ("pairs",)

    def read_yaml(self, item, file, line, problems):
        pairs = item.get("pairs")
        parsed = []
        if not isinstance(pairs, list):
            problems.error(file, item.line("pairs"), "'pairs' must be a list of {left, right}")
            pairs = []
        for i, pair in enumerate(pairs):
            pline = pairs.line(i) if isinstance(pairs, LineList) else line
            if not isinstance(pair, dict) or set(pair) - {"left", "right", "format"}:
                problems.error(file, pline, "each pair is a mapping with 'left' and 'right' (and 'format')")
                continue
            parsed.append({"left": text_value(pair.get("left")) or "", "right": text_value(pair.get("right")) or "",
                           **formats_of(pair, ("format",))})
        return {"pairs": parsed}

    def check(self, q, file, problems):
        line = q.line_of("pairs")
        pairs = q.data.get("pairs", [])
        # A pair with an empty left side is a distractor: one more choice that matches no item.
        items = [p for p in pairs if str(p.get("left", "")).strip()]
        if len(items) < 2:
            problems.error(file, line, "a matching question needs at least two pairs")
        for pair in pairs:
            if not str(pair.get("right", "")).strip():
                problems.error(file, line, "each matching pair needs text on its right side")
                break
        lefts = [p.get("left") for p in items]
        if len(set(lefts)) != len(lefts):
            problems.error(file, line, "two matching items have the same text")

    def to_yaml(self, data):
        return {"pairs": [{"left": p["left"], "right": p["right"], **_extras(p, ("format",))} for p in data["pairs"]]}

    def source(self, data):
        return {"pairs": [_source(p) for p in data["pairs"]]}

    def prepare(self, data, fmt):
        # A pair without a left side is a distractor: a choice that matches no item.
        pairs = [{**p, "id": option_id("left:" + p["left"]), "html": render_text(p["left"], p.get("format", fmt), inline=True)}
                 if p["left"] else {**p} for p in data["pairs"]]
        rights = []
        for p in pairs:
            if p["right"] not in rights:
                rights.append(p["right"])
        choices = [{"id": option_id("right:" + r), "text": r} for r in rights]
        return {"pairs": pairs, "choices": choices}

    def layout(self, data, rng, shuffle):
        items = [p["id"] for p in data["pairs"] if p["left"]]
        choices = [c["id"] for c in data["choices"]]
        rng.shuffle(choices)  # choices are always shuffled, or their order would give pairs away
        if shuffle:
            rng.shuffle(items)
        return {"items": items, "choices": choices}

    def public(self, data, layout):
        pairs = {p["id"]: p for p in data["pairs"] if p["left"]}
        choices = {c["id"]: c for c in data["choices"]}
        return {"items": [{"id": i, "html": pairs[i]["html"]} for i in layout.get("items", pairs) if i in pairs],
                "choices": [{"id": c, "text": choices[c]["text"]} for c in layout.get("choices", choices) if c in choices]}

    def parse(self, data, layout, form, field):
        choices = {c["id"] for c in data["choices"]}
        response = {}
        items = [p for p in data["pairs"] if p["left"]]
        for pair in items:
            value = form.get(f"{field}-{pair['id']}")
            if not value:
                continue
            if value not in choices:
                raise TamperError("choice of another question")
            response[pair["id"]] = value
        extra = [k for k in form.keys() if k.startswith(field + "-") and k[len(field) + 1:] not in
                 {p["id"] for p in items}]
        if extra:
            raise TamperError("item of another question")
        return response or None

    def grade(self, data, response):
        if not response:
            return 0.0
        right = {p["id"]: option_id("right:" + p["right"]) for p in data["pairs"] if p["left"]}
        hits = sum(1 for item, choice in response.items() if right.get(item) == choice)
        return hits / len(right)

    def correct(self, data):
        import html

        return [f"{p['html']} → {html.escape(p['right'])}" for p in data["pairs"] if p["left"]]


class Essay(QuestionType):
    name = "essay"
    label = _l("Essay (graded by a facilitator)")
    moodle_xml = "essay"
    manual = True

    def parse(self, data, layout, form, field):
        value = (form.get(field) or "").strip()
        return value[:20000] or None

    def grade(self, data, response):
        return None if response else 0.0  # an empty essay needs no grader


class Description(QuestionType):
    name = "description"
    label = _l("Text only (no answer)")
    moodle_xml = "description"
    scored = False

    def grade(self, data, response):
        return 0.0


QUESTION_TYPES: dict[str, QuestionType] = {
    t.name: t for t in (SingleChoice(), MultipleResponse(), TrueFalse(), ShortAnswer(), Numeric(),
                        Matching(), Essay(), Description())
}


def type_labels() -> dict[str, str]:
    """Type name -> what the editor calls it, in the registry's order."""
    return {name: t.label for name, t in QUESTION_TYPES.items()}


def source_data(qtype: str, data: dict) -> dict:
    """Stored data (QuestionType.prepare's) back in source form: ids and rendered HTML dropped."""
    return QUESTION_TYPES[qtype].source(data) if qtype in QUESTION_TYPES else {}


def question_spec(question) -> QuestionSpec:
    """A stored Question back in source form, for export (GIFT, Moodle XML)."""
    # imported here: spec builds on this module (the type registry), a cycle at import time
    from lms.quizzes.spec import QuestionSpec

    return QuestionSpec(key=question.key, qtype=question.qtype, stem=question.stem,
                        data=source_data(question.qtype, question.data), text_format=question.text_format,
                        general_feedback=question.general_feedback, mark=question.mark, category=question.category,
                        name=question.name or question.key, idnumber=question.idnumber, tags=question.tags,
                        penalty=question.penalty, feedback_format=question.feedback_format)
