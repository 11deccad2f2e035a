"""Question types: how each is prepared for storage, shown, answered and graded.

A registry keyed by type name (as CTFd does for challenge types): a new type is a class plus an
entry in QUESTION_TYPES. Stored data keeps the author's source text (for export) next to the
sanitized HTML (for pages). Nothing a type puts in public() reveals which answer is right.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from typing import Any, Mapping

from lms.content.markdown import render_text


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


class QuestionType:
    name = ""
    manual = False  # graded by a person
    scored = True  # counts toward the score

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


class MultipleResponse(ChoiceType):
    name = "multiple"
    multiple = True


class TrueFalse(QuestionType):
    name = "truefalse"

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


class Numeric(QuestionType):
    name = "numeric"

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
    manual = True

    def parse(self, data, layout, form, field):
        value = (form.get(field) or "").strip()
        return value[:20000] or None

    def grade(self, data, response):
        return None if response else 0.0  # an empty essay needs no grader


class Description(QuestionType):
    name = "description"
    scored = False

    def grade(self, data, response):
        return 0.0


QUESTION_TYPES: dict[str, QuestionType] = {
    t.name: t for t in (SingleChoice(), MultipleResponse(), TrueFalse(), ShortAnswer(), Numeric(),
                        Matching(), Essay(), Description())
}


def source_data(qtype: str, data: dict) -> dict:
    """Stored data (QuestionType.prepare's) back in source form: ids and rendered HTML dropped."""
    def keep(item: dict, derived: tuple[str, ...] = ("id", "html")) -> dict:
        return {k: v for k, v in item.items() if k not in derived and not k.endswith("_html")}

    if qtype in ("single", "multiple"):
        return {"options": [keep(o) for o in data["options"]]}
    if qtype == "short":
        return {"answers": [keep(a) for a in data["answers"]]}
    if qtype == "numeric":
        return {"answers": [keep(a) for a in data["answers"]],
                **{k: v for k, v in data.items() if k in ("wrong_feedback", "wrong_feedback_format")}}
    if qtype == "truefalse":
        return keep(data)
    if qtype == "matching":
        return {"pairs": [keep(p) for p in data["pairs"]]}
    return {}


def question_spec(question) -> "QuestionSpec":
    """A stored Question back in source form, for export (GIFT, Moodle XML)."""
    from lms.quizzes.spec import QuestionSpec

    return QuestionSpec(key=question.key, qtype=question.qtype, stem=question.stem,
                        data=source_data(question.qtype, question.data), text_format=question.text_format,
                        general_feedback=question.general_feedback, mark=question.mark, category=question.category,
                        name=question.name or question.key, idnumber=question.idnumber, tags=question.tags,
                        penalty=question.penalty, feedback_format=question.feedback_format)
