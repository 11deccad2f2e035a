"""Questions of a course quiz file edited one at a time, through a form instead of YAML.

A question is read from the quiz file into plain fields (QuestionFields) and written back into
the same file with ruamel.yaml's round trip: keys whose value did not change keep their node
(quoting, block style, comments), the rest of the file is untouched. The new text is then
checked by the importer like any other draft, so the form cannot save what `courses validate`
would refuse.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from dataclasses import asdict, dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from lms.authoring.structure import StructureError, _dump, _yaml, check_yaml
from lms.quizzes.types import QUESTION_TYPES

# What the form offers: every type the importer knows. "description" is a text block without a mark.
EDITABLE_TYPES = tuple(QUESTION_TYPES)


@dataclass
class QuestionFields:
    """One question as the form shows it (numbers as numbers, texts stripped)."""

    key: str
    qtype: str
    text: str = ""
    feedback: str = ""
    mark: float = 1.0
    options: list[dict] = field(default_factory=list)  # {text, correct, weight (None), feedback}
    answer: bool | None = None  # truefalse
    feedback_true: str = ""
    feedback_false: str = ""
    answers: list[dict] = field(default_factory=list)  # short: {text, weight, feedback}
    number: float | None = None  # numeric
    tolerance: float = 0.0
    feedback_wrong: str = ""
    pairs: list[dict] = field(default_factory=list)  # matching: {left, right}

    def digest(self) -> str:
        """Identifies this content, to tell whether someone changed the question meanwhile."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()


@dataclass
class QuestionRow:
    """A line of the question list on the quiz's edit page."""

    key: str
    qtype: str
    summary: str


def is_quiz_file(path: str) -> bool:
    return path.endswith((".yml", ".yaml")) and posixpath.basename(path) not in ("course.yml", "module.yml")


def _doc(text: str):
    check_yaml(text)
    try:
        doc = _yaml().load(text)
    except Exception as exc:  # ruamel raises several unrelated classes for broken YAML
        raise StructureError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    if not isinstance(doc, CommentedMap):
        raise StructureError("the file is not a mapping of quiz settings")
    return doc


def _questions(doc, create: bool = False) -> CommentedSeq:
    items = doc.get("questions")
    if items is None and create:
        doc["questions"] = items = CommentedSeq()
    if not isinstance(items, CommentedSeq):
        raise StructureError("the quiz has no 'questions' list")
    return items


def _find(items: CommentedSeq, key: str) -> int:
    for index, item in enumerate(items):
        if isinstance(item, CommentedMap) and str(item.get("id", "")).strip() == key:
            return index
    raise KeyError(key)


def list_questions(text: str) -> list[QuestionRow]:
    """The questions of a quiz file in order; StructureError when it has no editable list."""
    rows = []
    for item in _questions(_doc(text)):
        if not isinstance(item, CommentedMap):
            raise StructureError("a question is not a mapping")
        stem = " ".join(_str(item.get("text")).split())
        rows.append(QuestionRow(key=_str(item.get("id")), qtype=_str(item.get("type")),
                                summary=stem[:90] + ("…" if len(stem) > 90 else "")))
    return rows


def _str(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return ""
    return str(value).strip()


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def read_question(text: str, key: str) -> QuestionFields:
    """The question with this id as form fields; KeyError when there is none."""
    items = _questions(_doc(text))
    item = items[_find(items, key)]
    qtype = _str(item.get("type"))
    mark = _num(item.get("mark"))
    fields = QuestionFields(key=key, qtype=qtype, text=_str(item.get("text")), feedback=_str(item.get("feedback")),
                            mark=1.0 if mark is None else mark)
    section = _section(qtype)
    if section is not None:
        section[0](item, fields)
    return fields


def _options_from(item: CommentedMap, fields: QuestionFields) -> None:
    for option in item.get("options") or []:
        if not isinstance(option, dict):
            option = {"text": option}
        weight = _num(option.get("weight"))
        fields.options.append({"text": _str(option.get("text")), "weight": weight,
                               "correct": option.get("correct") is True or (weight or 0) > 0,
                               "feedback": _str(option.get("feedback"))})


def _truefalse_from(item: CommentedMap, fields: QuestionFields) -> None:
    answer = item.get("answer")
    fields.answer = answer if isinstance(answer, bool) else None
    fields.feedback_true, fields.feedback_false = _str(item.get("feedback_true")), _str(item.get("feedback_false"))


def _answers_from(item: CommentedMap, fields: QuestionFields) -> None:
    for answer in item.get("answers") or []:
        if isinstance(answer, dict):
            weight = _num(answer.get("weight"))
            fields.answers.append({"text": _str(answer.get("text")), "weight": 100.0 if weight is None else weight,
                                   "feedback": _str(answer.get("feedback"))})
        else:
            fields.answers.append({"text": _str(answer), "weight": 100.0, "feedback": ""})


def _number_from(item: CommentedMap, fields: QuestionFields) -> None:
    if item.get("answers") is not None:
        raise StructureError("the number question has a list of answers (several, or '*' for any "
                             "other number), which the form does not show")
    rng = item.get("range")
    if isinstance(rng, list) and len(rng) == 2 and all(_num(v) is not None for v in rng):
        fields.number, fields.tolerance = (rng[0] + rng[1]) / 2, abs(rng[1] - rng[0]) / 2
    else:
        fields.number, fields.tolerance = _num(item.get("answer")), _num(item.get("tolerance")) or 0.0
    fields.feedback_wrong = _str(item.get("feedback_wrong"))


def _pairs_from(item: CommentedMap, fields: QuestionFields) -> None:
    for pair in item.get("pairs") or []:
        if isinstance(pair, dict):
            fields.pairs.append({"left": _str(pair.get("left")), "right": _str(pair.get("right"))})


def _text_node(value: str):
    value = value.replace("\r\n", "\n").strip()
    return LiteralScalarString(value) if "\n" in value else value


def _number_node(value: float):
    return int(value) if float(value).is_integer() else value


def _plain(node: Any) -> Any:
    """A ruamel node as plain Python data, for comparing."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return node.strip()
    if isinstance(node, float) and node.is_integer():
        return int(node)
    return node


def _put(item: CommentedMap, key: str, value: Any, *, default: Any = None) -> None:
    """Set item[key] to value unless it already means that; drop the key when value is empty or
    the default."""
    if isinstance(value, str):
        value = _text_node(value)
    elif isinstance(value, float):
        value = _number_node(value)
    if value is None or value == "" or (default is not None and value == default):
        item.pop(key, None)
        return
    if key in item and type(_plain(item[key])) is type(_plain(value)) and _plain(item[key]) == _plain(value):
        return
    item[key] = value


def _option_into(node: CommentedMap, option: dict) -> None:
    _put(node, "text", option["text"])
    if option.get("weight") is not None:
        node.pop("correct", None)
        _put(node, "weight", float(option["weight"]))
    else:
        node.pop("weight", None)
        _put(node, "correct", True if option.get("correct") else None)
    _put(node, "feedback", option.get("feedback", ""))


def _answer_into(node: CommentedMap, answer: dict) -> None:
    _put(node, "text", answer["text"])
    _put(node, "weight", float(answer.get("weight", 100)))
    _put(node, "feedback", answer.get("feedback", ""))


def _pair_into(node: CommentedMap, pair: dict) -> None:
    _put(node, "left", pair["left"])
    _put(node, "right", pair["right"])


def _put_list(item: CommentedMap, key: str, values: list[dict], fill, *, plain_text: bool = False) -> None:
    """Write a list of mappings in place: entry i keeps its node (and the style of its unchanged
    keys); entries added are new nodes, entries gone are dropped. plain_text: an entry that is
    only a text at full weight is written as a bare string (short answers)."""
    seq = item.get(key)
    if not isinstance(seq, CommentedSeq):
        item[key] = seq = CommentedSeq()
    for index, value in enumerate(values):
        node = seq[index] if index < len(seq) else None
        bare = plain_text and float(value.get("weight", 100)) == 100 and not value.get("feedback")
        if bare:
            if not (isinstance(node, str) and node.strip() == value["text"].strip()):
                node = _text_node(value["text"])
        else:
            if not isinstance(node, CommentedMap):
                node = CommentedMap({"text": node} if isinstance(node, str) else {})
            fill(node, value)
        if index < len(seq):
            seq[index] = node
        else:
            seq.append(node)
    del seq[len(values):]


def _options_into(item: CommentedMap, fields: QuestionFields, old: QuestionFields | None) -> None:
    if old is None or old.options != fields.options:
        _put_list(item, "options", fields.options, _option_into)


def _truefalse_into(item: CommentedMap, fields: QuestionFields, old: QuestionFields | None) -> None:
    item["answer"] = bool(fields.answer)
    _put(item, "feedback_true", fields.feedback_true)
    _put(item, "feedback_false", fields.feedback_false)


def _answers_into(item: CommentedMap, fields: QuestionFields, old: QuestionFields | None) -> None:
    if old is None or old.answers != fields.answers:
        _put_list(item, "answers", fields.answers, _answer_into, plain_text=True)


def _number_into(item: CommentedMap, fields: QuestionFields, old: QuestionFields | None) -> None:
    if old is None or (old.number, old.tolerance) != (fields.number, fields.tolerance):
        item.pop("range", None)
        item["answer"] = _number_node(float(fields.number or 0))
        item["tolerance"] = _number_node(float(fields.tolerance or 0))
    _put(item, "feedback_wrong", fields.feedback_wrong)


def _pairs_into(item: CommentedMap, fields: QuestionFields, old: QuestionFields | None) -> None:
    if old is None or old.pairs != fields.pairs:
        _put_list(item, "pairs", fields.pairs, _pair_into)


# The form's sections, named by the first of the fields a question type shows
# (QuestionType.editor_fields): how each is read from a question's mapping and written into it.
_SECTIONS = {"options": (_options_from, _options_into), "answer": (_truefalse_from, _truefalse_into),
             "answers": (_answers_from, _answers_into), "number": (_number_from, _number_into),
             "pairs": (_pairs_from, _pairs_into)}


def _section(qtype: str):
    """(reader, writer) of the section a question type shows beside text, feedback and mark."""
    qt = QUESTION_TYPES.get(qtype)
    return _SECTIONS[qt.editor_fields[0]] if qt is not None and qt.editor_fields else None


def _fill(item: CommentedMap, fields: QuestionFields, old: QuestionFields | None) -> None:
    """Write the fields into the question's mapping, keeping the nodes of what did not change."""
    _put(item, "type", fields.qtype)
    _put(item, "text", fields.text)
    section = _section(fields.qtype)
    if section is not None:
        section[1](item, fields, old)
    _put(item, "feedback", fields.feedback)
    qt = QUESTION_TYPES.get(fields.qtype)
    if qt is not None and not qt.scored:  # a text block has no mark
        item.pop("mark", None)
    else:
        _put(item, "mark", float(fields.mark), default=1)


def write_question(text: str, fields: QuestionFields, *, new: bool) -> str:
    """The quiz file's text with this question changed (or added at the end when new)."""
    doc = _doc(text)
    items = _questions(doc, create=new)
    if new:
        try:
            _find(items, fields.key)
        except KeyError:
            pass
        else:
            raise StructureError(f"a question with the id '{fields.key}' exists already in this file")
        item = CommentedMap()
        item["id"] = fields.key
        item["type"] = fields.qtype
        _fill(item, fields, None)
        items.append(item)
    else:
        index = _find(items, fields.key)
        old = read_question(text, fields.key)
        if old.qtype != fields.qtype:
            raise StructureError("the type of a question cannot change; add a new question instead")
        _fill(items[index], fields, old)
    return _dump(doc).decode("utf-8")


def move_question(text: str, key: str, delta: int) -> str:
    doc = _doc(text)
    items = _questions(doc)
    index = _find(items, key)
    target = index + delta
    if not 0 <= target < len(items):
        return text
    items.insert(target, items.pop(index))
    return _dump(doc).decode("utf-8")


def remove_question(text: str, key: str) -> str:
    doc = _doc(text)
    items = _questions(doc)
    del items[_find(items, key)]
    return _dump(doc).decode("utf-8")
