"""Moodle XML, the format Moodle's question bank exports by default: a reader that reports every
problem with its line and a writer that Moodle 4.x imports.

Read (and written): multichoice (single and multiple), truefalse, shortanswer, numerical,
matching (a subquestion without text is a distractor), essay and description, with question,
answer and general feedback, fractions, penalty, default grade, idnumber, tags and category
switches (`<question type="category">`, context prefixes stripped). Other types (cloze, that is
multianswer; calculated; drag and drop; ...) are refused with their name and line. What Moodle
has and we do not grade with (units, hints, combined feedback, essay options, embedded files)
is reported as a warning and left out.

Parsed with defusedxml: no DTD, no entity expansion, no external references.
"""

from __future__ import annotations

import math
import re
from xml.etree.ElementTree import Element, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from lms.quizzes.gift import GiftResult, _key
from lms.quizzes.spec import QuestionSpec, category_path, check_question
from lms.quizzes.types import CATCH_ALL, QUESTION_TYPES

MAX_XML_BYTES = 10 * 1024 * 1024  # Moodle exports embed images; ours are refused anyway
MAX_QUESTIONS = 5000
MAX_TEXT = 100_000  # characters of one text

# Moodle's text format names <-> ours
FORMATS = {"html": "html", "moodle_auto_format": "moodle", "plain_text": "plain", "markdown": "markdown"}
MOODLE_FORMATS = {ours: theirs for theirs, ours in FORMATS.items()}
# Moodle's question type names, as the question types give them (QuestionType.moodle_xml), and
# which of ours each is read as (multichoice: single, or multiple when <single> is false).
OURS: dict[str, str] = {}
for _name, _type in QUESTION_TYPES.items():
    OURS.setdefault(_type.moodle_xml, _name)
SUPPORTED = tuple(OURS)  # multichoice, truefalse, shortanswer, numerical, matching, essay, description
REFUSED = {
    "cloze": "cloze (embedded answers)", "multianswer": "cloze (embedded answers)",
    "calculated": "calculated", "calculatedsimple": "simple calculated", "calculatedmulti": "calculated multichoice",
    "ddwtos": "drag and drop into text", "ddimageortext": "drag and drop onto image", "ddmarker": "drag and drop markers",
    "gapselect": "select missing words", "randomsamatch": "random short-answer matching", "random": "random",
    "ordering": "ordering",
}


class _LineTreeBuilder(TreeBuilder):
    """A TreeBuilder that notes the line each element starts on (from the expat parser)."""

    def __init__(self) -> None:
        super().__init__()
        self.parser: DefusedXMLParser | None = None
        self.lines: dict[int, int] = {}

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        if self.parser is not None:
            self.lines[id(element)] = self.parser.parser.CurrentLineNumber
        return element


class _Reader:
    def __init__(self, file: str, lines: dict[int, int], result: GiftResult) -> None:
        self.file, self.lines, self.result = file, lines, result
        self.problems = result.problems

    def line(self, element: Element | None) -> int | None:
        return self.lines.get(id(element)) if element is not None else None

    def text(self, element: Element | None, child: str = "text") -> str:
        """The <text> of an element (Moodle wraps every text so), stripped."""
        if element is None:
            return ""
        node = element.find(child) if child else element
        value = (node.text or "") if node is not None else ""
        if len(value) > MAX_TEXT:
            self.problems.error(self.file, self.line(node), f"a text longer than {MAX_TEXT:,} characters")
            return ""
        return value.strip()

    def fmt(self, element: Element | None, default: str) -> str:
        if element is None or "format" not in element.attrib:
            return default
        value = element.get("format", "")
        if value not in FORMATS:
            self.problems.error(self.file, self.line(element), f"unknown text format '{value}' "
                                                               f"(known: {', '.join(FORMATS)})")
            return default
        return FORMATS[value]

    def number(self, element: Element | None, what: str, default: float) -> float:
        if element is None:
            return default
        raw = (element.text or "").strip()
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            self.problems.error(self.file, self.line(element), f"{what} '{raw[:30]}' is not a number")
            return default
        return value

    def fraction(self, answer: Element) -> float:
        raw = answer.get("fraction", "0")
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and -100 <= value <= 100):
            self.problems.error(self.file, self.line(answer), f"fraction '{raw[:30]}' must be a percentage from -100 to 100")
            return 0.0
        return value / 100.0

    def flag(self, question: Element, child: str, default: bool) -> bool:
        node = question.find(child)
        if node is None:
            return default
        return (node.text or "").strip().lower() in ("true", "1")

    def warn(self, element: Element, message: str) -> None:
        self.problems.warning(self.file, self.line(element), message)


def parse_moodle_xml(data: bytes | str, file: str = "<xml>") -> GiftResult:
    """Parse a Moodle XML question file into question specs; every problem has its line."""
    result = GiftResult()
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_XML_BYTES:
        result.problems.error(file, None, f"the file is larger than {MAX_XML_BYTES // (1024 * 1024)} MB")
        return result
    builder = _LineTreeBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    builder.parser = parser
    try:
        parser.feed(raw)
        root = parser.close()
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        message = re.sub(r": line \d+, column \d+$", "", str(exc))
        result.problems.error(file, line, f"not well-formed XML: {message}")
        return result
    except DefusedXmlException as exc:
        line = parser.parser.CurrentLineNumber
        result.problems.error(file, line, "the file declares a DTD or entities, which are refused "
                                          f"(Moodle never writes them): {type(exc).__name__}")
        return result
    reader = _Reader(file, builder.lines, result)
    if root.tag != "quiz":
        result.problems.error(file, reader.line(root), f"the root element is <{root.tag}>, not Moodle's <quiz>")
        return result
    questions = root.findall("question")
    if len(questions) > MAX_QUESTIONS:
        result.problems.error(file, reader.line(questions[MAX_QUESTIONS]), f"more than {MAX_QUESTIONS} questions")
        return result
    category = ""
    seen: dict[str, int] = {}
    for element in root:
        if element.tag != "question":
            reader.warn(element, f"<{element.tag}> is not a question; left out")
            continue
        qtype = element.get("type", "")
        line = reader.line(element)
        if qtype == "category":
            category = category_path(reader.text(element.find("category")))
            continue
        name = reader.text(element.find("name"))
        if qtype not in SUPPORTED:
            kind = REFUSED.get(qtype, qtype or "without a type")
            result.problems.error(file, line, f"question '{name}': Moodle's {kind} questions are not supported "
                                              f"(supported: {', '.join(SUPPORTED)})")
            continue
        before = _errors(result)
        q = _question(reader, element, qtype, name, category, seen)
        if q is None:
            continue
        check_question(q, file, result.problems)
        if _errors(result) == before:
            result.questions.append(q)
    return result


def _errors(result: GiftResult) -> int:
    return sum(1 for p in result.problems if p.severity == "error")


def _question(r: _Reader, element: Element, qtype: str, name: str, category: str,
              seen: dict[str, int]) -> QuestionSpec | None:
    """One supported <question>: what every type has, then its type's answers (_READERS)."""
    stem_node = element.find("questiontext")
    text_format = r.fmt(stem_node, "html")
    stem = r.text(stem_node)
    feedback_node = element.find("generalfeedback")
    feedback_format = r.fmt(feedback_node, text_format)
    tags = [r.text(tag) for tag in element.findall("tags/tag")]
    q = QuestionSpec(
        key=_key(name, stem, seen), qtype=OURS[qtype], stem=stem, data={}, text_format=text_format,
        general_feedback=r.text(feedback_node), feedback_format="" if feedback_format == text_format else feedback_format,
        mark=r.number(element.find("defaultgrade"), "defaultgrade", 0.0 if qtype == "description" else 1.0),
        category=category, name=name, line=r.line(element), idnumber=r.text(element.find("idnumber"), child=""),
        tags=[t for i, t in enumerate(tags) if t and t not in tags[:i]],
        penalty=r.number(element.find("penalty"), "penalty", 0.3333333),
    )
    _warn_left_out(r, element, name)
    _READERS[qtype](r, element, q, name, text_format)
    return q


def _warn_left_out(r: _Reader, element: Element, name: str) -> None:
    """What Moodle has around any question and we do not show: files, combined feedback, hints."""
    for node in element.iter("file"):
        r.warn(node, f"question '{name}': embedded file '{node.get('name', '')}' left out "
                     "(put images in the course folder)")
    for child in ("correctfeedback", "partiallycorrectfeedback", "incorrectfeedback"):
        if r.text(element.find(child)):
            r.warn(element.find(child), f"question '{name}': <{child}> is not shown here; left out")
    for hint in element.findall("hint"):
        r.warn(hint, f"question '{name}': hints are for Moodle's interactive mode; left out")


def _read_multichoice(r: _Reader, element: Element, q: QuestionSpec, name: str, text_format: str) -> None:
    q.qtype = "single" if r.flag(element, "single", True) else "multiple"
    options = []
    for answer in element.findall("answer"):
        option = {"text": r.text(answer), "fraction": r.fraction(answer), "feedback": r.text(answer.find("feedback"))}
        option.update(_formats(r, text_format, format=answer, feedback_format=answer.find("feedback")))
        options.append(option)
    q.data = {"options": options}


def _read_truefalse(r: _Reader, element: Element, q: QuestionSpec, name: str, text_format: str) -> None:
    data: dict = {"answer": None, "feedback_true": "", "feedback_false": ""}
    for answer in element.findall("answer"):
        value = r.text(answer).lower()
        if value not in ("true", "false"):
            r.problems.error(r.file, r.line(answer), f"question '{name}': a true/false answer must be "
                                                     f"'true' or 'false', not '{value[:30]}'")
            continue
        data[f"feedback_{value}"] = r.text(answer.find("feedback"))
        data.update(_formats(r, text_format, **{f"feedback_{value}_format": answer.find("feedback")}))
        if r.fraction(answer) > 0:
            data["answer"] = value == "true"
    q.data = data


def _read_shortanswer(r: _Reader, element: Element, q: QuestionSpec, name: str, text_format: str) -> None:
    if r.flag(element, "usecase", False):
        r.warn(element.find("usecase"), f"question '{name}': answers are compared ignoring case here")
    q.data = {"answers": [{"text": r.text(answer), "fraction": r.fraction(answer),
                           "feedback": r.text(answer.find("feedback")),
                           **_formats(r, text_format, feedback_format=answer.find("feedback"))}
                          for answer in element.findall("answer")]}


def _read_numerical(r: _Reader, element: Element, q: QuestionSpec, name: str, text_format: str) -> None:
    parsed = []
    for answer in element.findall("answer"):
        value_text = r.text(answer)
        item = {"value": CATCH_ALL, "tolerance": 0.0, "fraction": r.fraction(answer),
                "feedback": r.text(answer.find("feedback")),
                **_formats(r, text_format, feedback_format=answer.find("feedback"))}
        if value_text != CATCH_ALL:
            item["value"] = r.number(answer.find("text"), f"question '{name}': answer", 0.0)
            item["tolerance"] = abs(r.number(answer.find("tolerance"), "tolerance", 0.0))
        parsed.append(item)
    q.data = {"answers": parsed, "wrong_feedback": ""}
    units = [r.text(unit, "unit_name") for unit in element.findall("units/unit")]
    if any(units):
        r.warn(element.find("units"), f"question '{name}': units ({', '.join(u for u in units if u)}) are left "
                                      "out; answers are graded as plain numbers")


def _read_matching(r: _Reader, element: Element, q: QuestionSpec, name: str, text_format: str) -> None:
    pairs = []
    for sub in element.findall("subquestion"):
        left = r.text(sub)
        pair = {"left": left, "right": r.text(sub.find("answer"))}
        if left:
            pair.update(_formats(r, text_format, format=sub))
        pairs.append(pair)
    q.data = {"pairs": pairs}


def _read_essay(r: _Reader, element: Element, q: QuestionSpec, name: str, text_format: str) -> None:
    if r.text(element.find("graderinfo")) or r.text(element.find("responsetemplate")):
        r.warn(element, f"question '{name}': grader information and response template are left out")


def _read_description(r: _Reader, element: Element, q: QuestionSpec, name: str, text_format: str) -> None:
    q.mark = 0.0


_READERS = {"multichoice": _read_multichoice, "truefalse": _read_truefalse, "shortanswer": _read_shortanswer,
            "numerical": _read_numerical, "matching": _read_matching, "essay": _read_essay,
            "description": _read_description}
assert set(_READERS) == set(SUPPORTED)


def _formats(r: _Reader, default: str, **nodes: Element | None) -> dict[str, str]:
    """Formats given on these nodes that differ from the question's (only those are stored)."""
    found = {}
    for key, node in nodes.items():
        value = r.fmt(node, default) if node is not None else default
        if value != default:
            found[key] = value
    return found


# --- writing ---------------------------------------------------------------------------------

def _cdata(text: str) -> str:
    """Text as Moodle writes it: in CDATA when it holds markup characters."""
    if not re.search(r"[<>&]", text):
        return text
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _text(tag: str, text: str, fmt: str | None = None, indent: str = "    ") -> str:
    attribute = f' format="{MOODLE_FORMATS[fmt]}"' if fmt else ""
    return f"{indent}<{tag}{attribute}>\n{indent}  <text>{_cdata(text)}</text>\n{indent}</{tag}>\n"


def _number(value: float) -> str:
    text = f"{value:.7f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _answer(fraction: float, text: str, fmt: str, feedback: str, feedback_format: str, extra: str = "") -> str:
    return (f'    <answer fraction="{_number(fraction * 100)}" format="{MOODLE_FORMATS[fmt]}">\n'
            f"      <text>{_cdata(text)}</text>\n"
            + _text("feedback", feedback, feedback_format, indent="      ") + extra + "    </answer>\n")


def _category(category: str) -> str:
    path = "$course$/top" + (f"/{category}" if category else "")
    return (f'<!-- question: 0  -->\n  <question type="category">\n    <category>\n'
            f"      <text>{_cdata(path)}</text>\n    </category>\n"
            '    <info format="moodle_auto_format">\n      <text></text>\n    </info>\n'
            "    <idnumber></idnumber>\n  </question>\n\n")


def _write_multichoice(q: QuestionSpec, fmt: str) -> list[str]:
    body = [f"    <single>{'true' if q.qtype == 'single' else 'false'}</single>\n"
            "    <shuffleanswers>true</shuffleanswers>\n    <answernumbering>abc</answernumbering>\n"
            "    <showstandardinstruction>0</showstandardinstruction>\n"]
    for option in q.data["options"]:
        body.append(_answer(option["fraction"], option["text"], option.get("format", fmt),
                            option.get("feedback", ""), option.get("feedback_format", fmt)))
    return body


def _write_truefalse(q: QuestionSpec, fmt: str) -> list[str]:
    body = []
    for value in (True, False):
        key = "feedback_true" if value else "feedback_false"
        body.append(_answer(1.0 if q.data["answer"] is value else 0.0, "true" if value else "false", "moodle",
                            q.data.get(key, ""), q.data.get(key + "_format", fmt)))
    return body


def _write_shortanswer(q: QuestionSpec, fmt: str) -> list[str]:
    return ["    <usecase>0</usecase>\n"] + [
        _answer(answer["fraction"], answer["text"], "moodle", answer.get("feedback", ""),
                answer.get("feedback_format", fmt)) for answer in q.data["answers"]]


def _write_numerical(q: QuestionSpec, fmt: str) -> list[str]:
    data = q.data
    answers = list(data["answers"])
    if data.get("wrong_feedback"):  # ours; Moodle's way is a '*' answer worth nothing
        answers.append({"value": CATCH_ALL, "tolerance": 0.0, "fraction": 0.0, "feedback": data["wrong_feedback"],
                        **({"feedback_format": data["wrong_feedback_format"]}
                           if data.get("wrong_feedback_format") else {})})
    body = []
    for answer in answers:
        value = CATCH_ALL if answer["value"] == CATCH_ALL else _number(answer["value"])
        body.append(_answer(answer["fraction"], value, "moodle", answer.get("feedback", ""),
                            answer.get("feedback_format", fmt),
                            f"      <tolerance>{_number(answer['tolerance'])}</tolerance>\n"))
    body.append("    <unitgradingtype>0</unitgradingtype>\n    <unitpenalty>0.1000000</unitpenalty>\n"
                "    <showunits>3</showunits>\n    <unitsleft>0</unitsleft>\n")
    return body


def _write_matching(q: QuestionSpec, fmt: str) -> list[str]:
    return ["    <shuffleanswers>true</shuffleanswers>\n"] + [
        f'    <subquestion format="{MOODLE_FORMATS[pair.get("format", fmt)]}">\n'
        f"      <text>{_cdata(pair['left'])}</text>\n"
        f"      <answer>\n        <text>{_cdata(pair['right'])}</text>\n      </answer>\n"
        "    </subquestion>\n" for pair in q.data["pairs"]]


def _write_essay(q: QuestionSpec, fmt: str) -> list[str]:
    return ["    <responseformat>editor</responseformat>\n    <responserequired>1</responserequired>\n"
            "    <responsefieldlines>10</responsefieldlines>\n    <attachments>0</attachments>\n"
            "    <attachmentsrequired>0</attachmentsrequired>\n"]


_WRITERS = {"multichoice": _write_multichoice, "truefalse": _write_truefalse, "shortanswer": _write_shortanswer,
            "numerical": _write_numerical, "matching": _write_matching, "essay": _write_essay,
            "description": lambda q, fmt: []}
assert set(_WRITERS) == set(SUPPORTED)


def _write_question(number: int, q: QuestionSpec) -> str:
    fmt = q.text_format
    moodle_type = QUESTION_TYPES[q.qtype].moodle_xml
    body = [f"<!-- question: {number}  -->\n", f'  <question type="{moodle_type}">\n',
            _text("name", q.name or q.key), _text("questiontext", q.stem, fmt),
            _text("generalfeedback", q.general_feedback, q.feedback_format or fmt),
            f"    <defaultgrade>{q.mark:.7f}</defaultgrade>\n", f"    <penalty>{q.penalty:.7f}</penalty>\n",
            "    <hidden>0</hidden>\n", f"    <idnumber>{_cdata(q.idnumber)}</idnumber>\n"]
    body += _WRITERS[moodle_type](q, fmt)
    if q.tags:
        body.append("    <tags>\n" + "".join(f"      <tag><text>{_cdata(tag)}</text>\n      </tag>\n"
                                              for tag in q.tags) + "    </tags>\n")
    body.append("  </question>\n\n")
    return "".join(body)


def write_moodle_xml(questions: list[QuestionSpec]) -> str:
    """Moodle XML for the questions, categories included; parse_moodle_xml reads it back equal."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n']
    category = None
    for number, q in enumerate(questions, start=1):
        if q.category != category and (q.category or category is not None):
            category = q.category
            out.append(_category(q.category))
        out.append(_write_question(number, q))
    out.append("</quiz>\n")
    return "".join(out)
