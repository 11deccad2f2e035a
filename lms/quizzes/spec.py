"""Questions and quizzes as read from files, before they reach the database (pure, no I/O
beyond reading the file it is given)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from lms.content.markdown import check_markdown
from lms.content.problems import Problems
from lms.content.yamlines import LineDict, LineList

QUESTION_TYPES = ("single", "multiple", "truefalse", "short", "numeric", "matching", "essay", "description")
TEXT_FORMATS = ("markdown", "html", "plain", "moodle")
REVIEW_LEVELS = ("score", "wrong", "answers")  # lms.quizzes.review
# The older single key, read as review options: (after an attempt while more may follow, once
# the trainee passed or has no attempt left).
SHOW_ANSWERS = {"after_attempt": ("answers", "answers"), "after_pass": ("score", "answers"),
                "never": ("score", "score")}
GRADING = ("highest", "last")
DEFAULT_PENALTY = 0.3333333  # Moodle's default
MAX_IDNUMBER = 100  # Moodle's question idnumber length
MAX_TAGS, MAX_TAG_LENGTH = 50, 100
MAX_NAME = 200  # Question.key and Question.name
CATCH_ALL = "*"  # Moodle: an answer '*' matches any response (short answer, numeric)


@dataclass
class QuestionSpec:
    """One question in source form. data holds the type's answers (see types.py)."""

    key: str  # stable identifier within its bank
    qtype: str
    stem: str
    data: dict[str, Any]
    text_format: str = "markdown"
    general_feedback: str = ""
    mark: float = 1.0
    category: str = ""
    name: str = ""
    # Kept from Moodle (GIFT comments `// [id:..] [tag:..]`, Moodle XML): not used for grading.
    idnumber: str = ""
    tags: list[str] = field(default_factory=list)
    penalty: float = DEFAULT_PENALTY  # Moodle's penalty per extra try (we offer no retries)
    feedback_format: str = ""  # format of the general feedback when it differs from text_format
    line: int | None = None
    key_lines: dict[str, int] = field(default_factory=dict)  # where each key of the question is

    def line_of(self, key: str) -> int | None:
        return self.key_lines.get(key, self.line)


@dataclass
class QuizSpec:
    slug: str
    title: str
    kind: str  # module | pretest | posttest
    source_path: str
    description: str = ""
    module_slug: str | None = None
    required: bool = True
    pass_mark: float = 70.0
    attempts: int = 0  # 0 = unlimited
    grading: str = "highest"
    shuffle_questions: bool = False
    shuffle_options: bool = True
    time_limit: int | None = None  # minutes
    review_attempt: str = "wrong"  # after an attempt, while the trainee may try again
    review_final: str = "answers"  # once she passed or has no attempt left
    draw: int | None = None
    category: str | None = None
    bank: str | None = None  # a bank imported with `quizzes import-gift`
    gift: str | None = None  # a GIFT file in the course folder (relative path)
    questions: list[QuestionSpec] = field(default_factory=list)

    @property
    def bank_name(self) -> str:
        """The bank this quiz draws from: its own, a GIFT file's, or a named one."""
        if self.bank:
            return self.bank
        if self.gift:
            return f"file:{self.gift}"
        return f"quiz:{self.slug}"


QUIZ_KEYS = {"slug", "title", "description", "required", "pass_mark", "attempts", "grading",
             "shuffle_questions", "shuffle_options", "time_limit", "review_attempt", "review_final", "show_answers", "draw", "category",
             "bank", "gift", "questions"}
QUESTION_KEYS = {"id", "type", "text", "format", "feedback", "mark", "category",
                 "options", "answer", "answers", "tolerance", "range", "pairs",
                 "feedback_true", "feedback_false", "feedback_wrong",
                 # kept from Moodle (GIFT, Moodle XML); see docs/question-formats.md
                 "name", "idnumber", "tags", "penalty", "feedback_format", "feedback_true_format",
                 "feedback_false_format", "feedback_wrong_format"}
ANSWER_FORMAT_KEYS = ("format", "feedback_format")


_CONTEXTS = ("$system$", "$coursecategory$", "$course$", "$module$")


def category_path(text: str) -> str:
    """A Moodle category as its path: '$course$/top/Bimtek/Modul 1' -> 'Bimtek/Modul 1'."""
    path = text.strip()
    for context in _CONTEXTS:
        if path == context or path.startswith(context + "/"):
            path = path[len(context):].lstrip("/")
            break
    if path == "top" or path.startswith("top/"):
        path = path[3:].lstrip("/")
    return "/".join(part.strip() for part in path.split("/") if part.strip())


def _fraction(value: Any) -> float | None:
    """A weight as a fraction: 100 -> 1.0, 50 -> 0.5, -25 -> -0.25."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not -100 <= value <= 100:
        return None
    return float(value) / 100.0


def _strings(value: Any):
    """Every text inside a question's data (options, answers, pairs, feedback)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def check_question(q: QuestionSpec, file: str, problems: Problems) -> None:
    """Type-specific checks shared by every source (course YAML, GIFT, Aiken)."""
    line = q.line
    if q.text_format == "markdown":  # the same bounds as a lesson, before anything is rendered
        for text in (q.stem, q.general_feedback, *_strings(q.data)):
            refused = check_markdown(text)
            if refused is not None:
                problems.error(file, line, f"question text: {refused.message}")
                return
    if q.qtype not in QUESTION_TYPES:
        problems.error(file, line, f"unknown question type '{q.qtype}' (known: {', '.join(QUESTION_TYPES)})")
        return
    if not q.stem.strip() and q.qtype != "description":
        problems.error(file, line, "question has no text")
    if q.text_format not in TEXT_FORMATS:
        problems.error(file, line, f"unknown text format '{q.text_format}'")
    if not (isinstance(q.mark, (int, float)) and not isinstance(q.mark, bool) and 0 <= q.mark <= 100):
        problems.error(file, line, "'mark' must be a number from 0 to 100")
    if len(q.key) > MAX_NAME or len(q.name) > MAX_NAME:
        problems.error(file, line, f"the question name is longer than {MAX_NAME} characters")
    if len(q.idnumber) > MAX_IDNUMBER:
        problems.error(file, line, f"the question idnumber is longer than {MAX_IDNUMBER} characters")
    if len(q.tags) > MAX_TAGS or any(len(tag) > MAX_TAG_LENGTH for tag in q.tags):
        problems.error(file, line, f"at most {MAX_TAGS} tags of at most {MAX_TAG_LENGTH} characters each")
    if not 0 <= q.penalty <= 1:
        problems.error(file, line, "the penalty must be from 0 to 1")
    if q.feedback_format and q.feedback_format not in TEXT_FORMATS:
        problems.error(file, line, f"unknown text format '{q.feedback_format}'")
    data = q.data
    if q.qtype in ("single", "multiple"):
        line = q.line_of("options")
        options = data.get("options", [])
        if len(options) < 2:
            problems.error(file, line, "a choice question needs at least two options")
            return
        texts = [o["text"] for o in options]
        if len(set(texts)) != len(texts):
            problems.error(file, line, "two options have the same text")
        positive = [o["fraction"] for o in options if o["fraction"] > 0]
        if q.qtype == "single":
            if not any(math.isclose(o["fraction"], 1.0) for o in options):
                problems.error(file, line, "a single-choice question needs one fully correct option")
        else:
            if not positive:
                problems.error(file, line, "a multiple-response question needs at least one correct option")
            elif not math.isclose(sum(positive), 1.0, abs_tol=0.011):
                problems.error(file, line, f"the weights of the correct options add up to "
                                           f"{round(sum(positive) * 100, 2)}%, not 100%")
    elif q.qtype == "truefalse":
        line = q.line_of("answer")
        if not isinstance(data.get("answer"), bool):
            problems.error(file, line, "a true/false question needs 'answer: true' or 'answer: false'")
    elif q.qtype == "short":
        line = q.line_of("answers")
        answers = data.get("answers", [])
        if not answers or not any(a["fraction"] > 0 for a in answers):
            problems.error(file, line, "a short-answer question needs at least one accepted answer")
        if any(not str(a["text"]).strip() for a in answers):
            problems.error(file, line, "an accepted answer is empty")
    elif q.qtype == "numeric":
        answers = data.get("answers", [])
        if not answers:
            problems.error(file, line, "a numeric question needs an answer")
        for a in answers:
            if a.get("value") == CATCH_ALL:
                continue
            if not all(isinstance(a.get(k), (int, float)) and math.isfinite(a[k]) for k in ("value", "tolerance")):
                problems.error(file, line, "numeric answers must be numbers")
            elif a["tolerance"] < 0:
                problems.error(file, line, "a tolerance cannot be negative")
    elif q.qtype == "matching":
        line = q.line_of("pairs")
        pairs = data.get("pairs", [])
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


def _text(value: Any) -> str | None:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else None


def question_from_yaml(item: Any, file: str, line: int, index: int, problems: Problems,
                       default_category: str = "") -> QuestionSpec | None:
    """One question of a course quiz file."""
    if not isinstance(item, LineDict):
        problems.error(file, line, "each question must be a mapping (id:, type:, text:, ...)")
        return None
    for key in item:
        if key not in QUESTION_KEYS:
            problems.error(file, item.line(key), f"unknown question key '{key}' (known keys: "
                                                 f"{', '.join(sorted(QUESTION_KEYS))})")
    key = _text(item.get("id"))
    if not key:
        problems.error(file, line, "question needs an 'id' (a short name that never changes)")
        key = f"q{index + 1}"
    qtype = item.get("type")
    if qtype not in QUESTION_TYPES:
        problems.error(file, item.line("type"), f"'type' must be one of: {', '.join(QUESTION_TYPES)}")
        return None
    stem = _text(item.get("text"))
    if stem is None:
        problems.error(file, item.line("text"), "'text' must be text")
        stem = ""
    data: dict[str, Any] = {}

    def feedback_of(d: Any) -> str:
        value = _text(d.get("feedback")) if isinstance(d, dict) else ""
        return value or ""

    if qtype in ("single", "multiple"):
        options = item.get("options")
        if not isinstance(options, LineList):
            problems.error(file, item.line("options"), "'options' must be a list")
            options = LineList()
            options.item_lines = []
        parsed = []
        correct_count = sum(1 for o in options if isinstance(o, dict) and o.get("correct") is True)
        for i, option in enumerate(options):
            oline = options.line(i)
            if isinstance(option, str):
                option = {"text": option}
            if not isinstance(option, dict):
                problems.error(file, oline, "an option must be text or a mapping with 'text'")
                continue
            unknown = sorted(set(option) - {"text", "correct", "weight", "feedback", *ANSWER_FORMAT_KEYS})
            if unknown:
                where = option.line(unknown[0]) if isinstance(option, LineDict) else oline
                problems.error(file, where, f"unknown option key '{unknown[0]}' "
                                            "(known keys: correct, feedback, feedback_format, format, text, weight)")
            text = _text(option.get("text"))
            if not text:
                problems.error(file, oline, "option needs 'text'")
                continue
            if "weight" in option:
                fraction = _fraction(option["weight"])
                if fraction is None:
                    problems.error(file, oline, "'weight' must be a percentage from -100 to 100")
                    fraction = 0.0
            elif option.get("correct") is True:
                fraction = 1.0 if qtype == "single" else 1.0 / max(correct_count, 1)
            else:
                fraction = 0.0
            if "correct" in option and not isinstance(option["correct"], bool):
                problems.error(file, oline, "'correct' must be true or false")
            parsed.append({"text": text, "fraction": fraction, "feedback": feedback_of(option),
                           **formats_of(option, ANSWER_FORMAT_KEYS)})
        data["options"] = parsed
    elif qtype == "truefalse":
        data["answer"] = item.get("answer")
        data["feedback_true"] = _text(item.get("feedback_true")) or ""
        data["feedback_false"] = _text(item.get("feedback_false")) or ""
        data.update(formats_of(item, ("feedback_true_format", "feedback_false_format")))
    elif qtype == "short":
        answers = item.get("answers")
        if not isinstance(answers, list):
            problems.error(file, item.line("answers"), "'answers' must be a list of accepted answers")
            answers = []
        parsed = []
        for a in answers:
            if isinstance(a, (str, int, float)) and not isinstance(a, bool):
                parsed.append({"text": str(a).strip(), "fraction": 1.0, "feedback": ""})
            elif isinstance(a, dict):
                fraction = _fraction(a.get("weight", 100))
                parsed.append({"text": (_text(a.get("text")) or ""), "fraction": fraction if fraction is not None else 1.0,
                               "feedback": feedback_of(a), **formats_of(a, ("feedback_format",))})
            else:
                problems.error(file, item.line("answers"), "each accepted answer must be text")
        data["answers"] = parsed
    elif qtype == "numeric":
        answer = item.get("answer")
        answers = []
        if "range" in item:
            rng = item["range"]
            if (isinstance(rng, list) and len(rng) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in rng)
                    and rng[0] <= rng[1]):
                answers.append({"value": (rng[0] + rng[1]) / 2, "tolerance": (rng[1] - rng[0]) / 2,
                                "fraction": 1.0, "feedback": ""})
            else:
                problems.error(file, item.line("range"), "'range' must be [lowest, highest]")
        elif isinstance(item.get("answers"), list):  # several answers, each with weight and feedback ('*': any other)
            for a in item["answers"]:
                value, tolerance = (a.get("value"), a.get("tolerance", 0)) if isinstance(a, dict) else (None, None)
                numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (value, tolerance))
                fraction = _fraction(a.get("weight", 100)) if isinstance(a, dict) else None
                if not (numbers or value == CATCH_ALL) or fraction is None:
                    problems.error(file, item.line("answers"), "each numeric answer is a mapping with 'value' (a "
                                                               "number or '*'), 'tolerance', 'weight' and 'feedback'")
                    continue
                answers.append({"value": CATCH_ALL if value == CATCH_ALL else float(value),
                                "tolerance": 0.0 if value == CATCH_ALL else float(tolerance), "fraction": fraction,
                                "feedback": feedback_of(a), **formats_of(a, ("feedback_format",))})
        elif isinstance(answer, (int, float)) and not isinstance(answer, bool):
            tolerance = item.get("tolerance", 0)
            if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)):
                problems.error(file, item.line("tolerance"), "'tolerance' must be a number")
                tolerance = 0
            answers.append({"value": float(answer), "tolerance": float(tolerance), "fraction": 1.0, "feedback": ""})
        else:
            problems.error(file, item.line("answer"), "a numeric question needs 'answer: <number>' or 'range: [a, b]'")
        data["answers"] = answers
        data["wrong_feedback"] = _text(item.get("feedback_wrong")) or ""
        if item.get("feedback_wrong_format"):
            data["wrong_feedback_format"] = str(item["feedback_wrong_format"])
    elif qtype == "matching":
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
            parsed.append({"left": _text(pair.get("left")) or "", "right": _text(pair.get("right")) or "",
                           **formats_of(pair, ("format",))})
        data["pairs"] = parsed
    mark = item.get("mark", 1)
    text_format = item.get("format", "markdown")
    category = category_path(str(item.get("category", default_category) or ""))
    tags = item.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        problems.error(file, item.line("tags"), "'tags' must be a list of texts")
        tags = []
    penalty = item.get("penalty", DEFAULT_PENALTY)
    if isinstance(penalty, bool) or not isinstance(penalty, (int, float)):
        problems.error(file, item.line("penalty"), "'penalty' must be a number from 0 to 1")
        penalty = DEFAULT_PENALTY
    q = QuestionSpec(key=key, qtype=qtype, stem=stem or "", data=data, text_format=text_format,
                     general_feedback=_text(item.get("feedback")) or "", mark=mark,
                     category=str(category or ""), line=line, key_lines=dict(item.key_lines),
                     name=_text(item.get("name")) or "", idnumber=_text(item.get("idnumber")) or "",
                     tags=[t.strip() for t in tags], penalty=float(penalty),
                     feedback_format=str(item.get("feedback_format") or ""))
    for where in [data.get("options", []), data.get("answers", []), data.get("pairs", []), [data]]:
        for entry in where:
            for key_name, value in entry.items():
                if key_name.endswith("format") and value not in TEXT_FORMATS:
                    problems.error(file, line, f"unknown text format '{value}' (known: {', '.join(TEXT_FORMATS)})")
    check_question(q, file, problems)
    return q


def formats_of(item: Any, keys: tuple[str, ...]) -> dict[str, str]:
    """The format keys an answer, option or pair gives (only those are stored)."""
    return {k: str(item[k]) for k in keys if isinstance(item, dict) and item.get(k)}


def question_to_yaml(q: QuestionSpec) -> dict[str, Any]:
    """One question as a mapping of a course quiz file; question_from_yaml reads it back equal."""
    item: dict[str, Any] = {"id": q.key, "type": q.qtype, "text": q.stem, "format": q.text_format}
    for key, value, default in (("name", q.name, ""), ("category", q.category, ""), ("idnumber", q.idnumber, ""),
                                ("tags", q.tags, []), ("feedback", q.general_feedback, ""),
                                ("feedback_format", q.feedback_format, ""), ("mark", q.mark, 1.0),
                                ("penalty", q.penalty, DEFAULT_PENALTY)):
        if value != default:
            item[key] = value
    data = q.data

    def weight(fraction: float) -> float:
        value = round(fraction * 100, 5)
        return int(value) if float(value).is_integer() else value

    def extras(entry: dict, keys: tuple[str, ...]) -> dict:
        return {k: entry[k] for k in keys if entry.get(k)}

    if q.qtype in ("single", "multiple"):
        item["options"] = [{"text": o["text"], "weight": weight(o["fraction"]), **extras(o, ("feedback",)),
                            **extras(o, ANSWER_FORMAT_KEYS)} for o in data["options"]]
    elif q.qtype == "truefalse":
        item["answer"] = data["answer"]
        item.update(extras(data, ("feedback_true", "feedback_false", "feedback_true_format", "feedback_false_format")))
    elif q.qtype == "short":
        item["answers"] = [{"text": a["text"], "weight": weight(a["fraction"]), **extras(a, ("feedback", "feedback_format"))}
                           for a in data["answers"]]
    elif q.qtype == "numeric":
        item["answers"] = [{"value": a["value"], "tolerance": a["tolerance"], "weight": weight(a["fraction"]),
                            **extras(a, ("feedback", "feedback_format"))} for a in data["answers"]]
        if data.get("wrong_feedback"):
            item["feedback_wrong"] = data["wrong_feedback"]
        if data.get("wrong_feedback_format"):
            item["feedback_wrong_format"] = data["wrong_feedback_format"]
    elif q.qtype == "matching":
        item["pairs"] = [{"left": p["left"], "right": p["right"], **extras(p, ("format",))} for p in data["pairs"]]
    return item


def quiz_from_yaml(doc: LineDict, file: str, kind: str, problems: Problems,
                   module_slug: str | None = None) -> QuizSpec:
    """Settings and inline questions of a course quiz file (pretest.yml, module quiz.yml, ...)."""
    for key in doc:
        if key not in QUIZ_KEYS:
            problems.error(file, doc.line(key), f"unknown key '{key}' (known keys: {', '.join(sorted(QUIZ_KEYS))})")
    for key in ("slug", "title"):
        if not isinstance(doc.get(key), str) or not doc.get(key).strip():
            problems.error(file, doc.line(key), f"missing required key '{key}'")
    quiz = QuizSpec(slug=str(doc.get("slug") or "").strip(), title=str(doc.get("title") or "").strip(),
                    kind=kind, source_path=file, module_slug=module_slug,
                    description=str(doc.get("description") or "").strip())

    def number(key: str, low: float, high: float, default: Any, integer: bool = False) -> Any:
        value = doc.get(key, default)
        if value is None:
            return default
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high
        if integer:
            ok = ok and float(value).is_integer()
        if not ok:
            kind_text = "a whole number" if integer else "a number"
            problems.error(file, doc.line(key), f"'{key}' must be {kind_text} from {low:g} to {high:g}")
            return default
        return int(value) if integer else float(value)

    def flag(key: str, default: bool) -> bool:
        value = doc.get(key, default)
        if not isinstance(value, bool):
            problems.error(file, doc.line(key), f"'{key}' must be true or false")
            return default
        return value

    def choice(key: str, allowed: tuple[str, ...], default: str) -> str:
        value = doc.get(key, default)
        if value not in allowed:
            problems.error(file, doc.line(key), f"'{key}' must be one of: {', '.join(allowed)}")
            return default
        return value

    quiz.required = flag("required", kind != "pretest")
    quiz.pass_mark = number("pass_mark", 0, 100, 70.0)
    quiz.attempts = number("attempts", 0, 100, 1 if kind in ("pretest", "posttest") else 0, integer=True)
    quiz.grading = choice("grading", GRADING, "highest")
    quiz.shuffle_questions = flag("shuffle_questions", False)
    quiz.shuffle_options = flag("shuffle_options", True)
    quiz.time_limit = number("time_limit", 1, 600, None, integer=True)
    # A pre-test shares its questions with the post-test: by default it shows the score only.
    during, final = ("score", "score") if kind == "pretest" else ("wrong", "answers")
    if doc.get("show_answers") is not None:  # the older key gives the defaults; the new keys win
        during, final = SHOW_ANSWERS[choice("show_answers", tuple(SHOW_ANSWERS), "after_attempt")]
    quiz.review_attempt = choice("review_attempt", REVIEW_LEVELS, during)
    quiz.review_final = choice("review_final", REVIEW_LEVELS, final)
    quiz.draw = number("draw", 1, 1000, None, integer=True)
    quiz.category = (category_path(str(doc["category"])) or None) if doc.get("category") is not None else None
    if kind == "pretest" and quiz.required:
        problems.error(file, doc.line("required"), "a pre-test never counts toward completion; remove 'required'")
    sources = [k for k in ("questions", "gift", "bank") if doc.get(k)]
    if len(sources) != 1:
        problems.error(file, doc.first_line,
                       "give the questions in exactly one way: 'questions' (a list here), "
                       "'gift' (a GIFT file in the course folder) or 'bank' (an imported bank)")
    quiz.gift = doc.get("gift") if isinstance(doc.get("gift"), str) else None
    quiz.bank = doc.get("bank") if isinstance(doc.get("bank"), str) else None
    questions = doc.get("questions")
    if questions is not None:
        if not isinstance(questions, LineList):
            problems.error(file, doc.line("questions"), "'questions' must be a list")
        else:
            keys: dict[str, int] = {}
            for index, item in enumerate(questions):
                q = question_from_yaml(item, file, questions.line(index), index, problems)
                if q is None:
                    continue
                if q.key in keys:
                    problems.error(file, q.line, f"duplicate question id '{q.key}' (also on line {keys[q.key]})")
                keys[q.key] = q.line or 0
                quiz.questions.append(q)
    return quiz
