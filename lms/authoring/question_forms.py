"""The question form of the editor: its values as QuestionFields and back, blank rows to fill
in, and the usual slips said in the editor's language (plain functions, no request)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.authoring import questions
from lms.authoring.forms import QuestionForm


QUESTION_TYPE_LABELS = {
    "single": _l("Single choice"), "multiple": _l("Multiple response"), "truefalse": _l("True or false"),
    "short": _l("Short answer"), "numeric": _l("Number"), "matching": _l("Matching"),
    "essay": _l("Essay (graded by a facilitator)"), "description": _l("Text only (no answer)"),
}


_ROWS = {"options": (4, 2), "answers": (3, 2), "pairs": (4, 2)}  # at least n rows, and k blank ones to add


def question_fields(form: QuestionForm, key: str, qtype: str) -> questions.QuestionFields:
    """The form's values; blank rows of options, answers and pairs are left out."""

    def clean(value: str | None) -> str:
        return (value or "").replace("\r\n", "\n").strip()

    fields = questions.QuestionFields(key=key, qtype=qtype, text=clean(form.text.data),
                                      feedback=clean(form.feedback.data),
                                      mark=1.0 if form.mark.data is None else float(form.mark.data))
    if qtype in ("single", "multiple"):
        fields.options = [{"text": clean(o.form.text.data), "weight": o.form.weight.data,
                           "correct": bool(o.form.correct.data) or (o.form.weight.data or 0) > 0,
                           "feedback": clean(o.form.feedback.data)} for o in form.options if clean(o.form.text.data)]
    elif qtype == "truefalse":
        fields.answer = form.answer.data == "true"
        fields.feedback_true, fields.feedback_false = clean(form.feedback_true.data), clean(form.feedback_false.data)
    elif qtype == "short":
        fields.answers = [{"text": clean(a.form.text.data),
                           "weight": 100.0 if a.form.weight.data is None else float(a.form.weight.data),
                           "feedback": clean(a.form.feedback.data)} for a in form.answers if clean(a.form.text.data)]
    elif qtype == "numeric":
        fields.number, fields.tolerance = form.number.data, float(form.tolerance.data or 0)
        fields.feedback_wrong = clean(form.feedback_wrong.data)
    elif qtype == "matching":
        fields.pairs = [{"left": clean(p.form.left.data), "right": clean(p.form.right.data)}
                        for p in form.pairs if clean(p.form.left.data) or clean(p.form.right.data)]
    return fields


def fill_question_form(form: QuestionForm, fields: questions.QuestionFields) -> None:
    form.key.data, form.text.data, form.feedback.data, form.mark.data = (
        fields.key, fields.text, fields.feedback, fields.mark)
    for option in fields.options:
        form.options.append_entry(option)
    form.answer.data = "true" if fields.answer else "false" if fields.answer is False else None
    form.feedback_true.data, form.feedback_false.data = fields.feedback_true, fields.feedback_false
    for answer in fields.answers:
        form.answers.append_entry(answer)
    form.number.data, form.tolerance.data, form.feedback_wrong.data = fields.number, fields.tolerance, fields.feedback_wrong
    for pair in fields.pairs:
        form.pairs.append_entry(pair)


def pad_rows(form: QuestionForm) -> None:
    """Blank rows to fill in: the form works without JavaScript."""
    for name, (least, blank) in _ROWS.items():
        rows = getattr(form, name)
        filled = sum(1 for row in rows if any((f.data not in (None, "", False)) and f.name.split("-")[-1] != "weight"
                                              for f in row.form))
        while len(rows) < max(least, filled + blank):
            rows.append_entry()


def question_mistakes(fields: questions.QuestionFields) -> list[str]:
    """The usual slips, said in the editor's language before the importer's own checks run."""
    mistakes = []
    if not fields.text and fields.qtype != "description":
        mistakes.append(_("Write the question text."))
    if fields.qtype in ("single", "multiple"):
        correct = [o for o in fields.options if o["correct"]]
        full = [o for o in correct if o["weight"] is None or o["weight"] >= 100]
        if len(fields.options) < 2:
            mistakes.append(_("Give at least two options."))
        if fields.qtype == "single" and not full:
            mistakes.append(_("Tick the correct option (with no weight, or weight 100)."))
        if fields.qtype == "multiple" and not correct:
            mistakes.append(_("Tick at least one correct option."))
        if len({o["text"] for o in fields.options}) != len(fields.options):
            mistakes.append(_("Two options have the same text."))
    elif fields.qtype == "short" and not any(a["weight"] > 0 for a in fields.answers):
        mistakes.append(_("Give at least one accepted answer."))
    elif fields.qtype == "numeric" and fields.number is None:
        mistakes.append(_("Give the correct number."))
    elif fields.qtype == "matching":
        if len(fields.pairs) < 2:
            mistakes.append(_("Give at least two pairs."))
        if any(not p["left"] or not p["right"] for p in fields.pairs):
            mistakes.append(_("Each pair needs text on both sides."))
    return mistakes
