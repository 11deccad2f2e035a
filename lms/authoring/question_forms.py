"""The question form of the editor: its values as QuestionFields and back, blank rows to fill
in, and the usual slips said in the editor's language (plain functions, no request)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.authoring import questions
from lms.authoring.forms import QuestionForm
from lms.quizzes.types import QUESTION_TYPES


_ROWS = {"options": (4, 2), "answers": (3, 2), "pairs": (4, 2)}  # at least n rows, and k blank ones to add


def _clean(value: str | None) -> str:
    return (value or "").replace("\r\n", "\n").strip()


def _options_of(form: QuestionForm, fields: questions.QuestionFields) -> None:
    fields.options = [{"text": _clean(o.form.text.data), "weight": o.form.weight.data,
                       "correct": bool(o.form.correct.data) or (o.form.weight.data or 0) > 0,
                       "feedback": _clean(o.form.feedback.data)} for o in form.options if _clean(o.form.text.data)]


def _truefalse_of(form: QuestionForm, fields: questions.QuestionFields) -> None:
    fields.answer = form.answer.data == "true"
    fields.feedback_true, fields.feedback_false = _clean(form.feedback_true.data), _clean(form.feedback_false.data)


def _answers_of(form: QuestionForm, fields: questions.QuestionFields) -> None:
    fields.answers = [{"text": _clean(a.form.text.data),
                       "weight": 100.0 if a.form.weight.data is None else float(a.form.weight.data),
                       "feedback": _clean(a.form.feedback.data)} for a in form.answers if _clean(a.form.text.data)]


def _number_of(form: QuestionForm, fields: questions.QuestionFields) -> None:
    fields.number, fields.tolerance = form.number.data, float(form.tolerance.data or 0)
    fields.feedback_wrong = _clean(form.feedback_wrong.data)


def _pairs_of(form: QuestionForm, fields: questions.QuestionFields) -> None:
    fields.pairs = [{"left": _clean(p.form.left.data), "right": _clean(p.form.right.data)}
                    for p in form.pairs if _clean(p.form.left.data) or _clean(p.form.right.data)]


# The form section each question type shows (QuestionType.editor_fields[0]) and how it is read.
_FORM_SECTIONS = {"options": _options_of, "answer": _truefalse_of, "answers": _answers_of, "number": _number_of,
                  "pairs": _pairs_of}


def editor_section(qtype: str) -> str:
    """The section of the question form for this type ("" for none: essay, text only)."""
    qt = QUESTION_TYPES.get(qtype)
    return qt.editor_fields[0] if qt is not None and qt.editor_fields else ""


def question_fields(form: QuestionForm, key: str, qtype: str) -> questions.QuestionFields:
    """The form's values; blank rows of options, answers and pairs are left out."""
    fields = questions.QuestionFields(key=key, qtype=qtype, text=_clean(form.text.data),
                                      feedback=_clean(form.feedback.data),
                                      mark=1.0 if form.mark.data is None else float(form.mark.data))
    section = editor_section(qtype)
    if section:
        _FORM_SECTIONS[section](form, fields)
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
