"""Questions and quizzes as read from files, before they reach the database (pure, no I/O
beyond reading the file it is given)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from lms.content.markdown import check_markdown
from lms.content.problems import Problems
from lms.content.yamlines import LineDict, LineList
from lms.quizzes import types
from lms.quizzes.types import TEXT_FORMATS
from lms.quizzes.types import text_value as _text

QUESTION_TYPES = tuple(types.QUESTION_TYPES)  # single, multiple, truefalse, short, numeric, matching, essay, description
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
    """Checks shared by every source (course YAML, GIFT, Moodle XML), then the type's own."""
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
    types.QUESTION_TYPES[q.qtype].check(q, file, problems)


def question_from_yaml(item: Any, file: str, line: int, index: int, problems: Problems,
                       default_category: str = "") -> QuestionSpec | None:
    """One question of a course quiz file: the keys every question has here, its type's data
    from the type (types.QuestionType.read_yaml), then the checks every source shares."""
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
    data = types.QUESTION_TYPES[qtype].read_yaml(item, file, line, problems)
    tags, penalty = _tags_and_penalty(item, file, problems)
    q = QuestionSpec(key=key, qtype=qtype, stem=stem or "", data=data, text_format=item.get("format", "markdown"),
                     general_feedback=_text(item.get("feedback")) or "", mark=item.get("mark", 1),
                     category=str(category_path(str(item.get("category", default_category) or "")) or ""),
                     line=line, key_lines=dict(item.key_lines),
                     name=_text(item.get("name")) or "", idnumber=_text(item.get("idnumber")) or "",
                     tags=tags, penalty=penalty, feedback_format=str(item.get("feedback_format") or ""))
    _check_data_formats(data, file, line, problems)
    check_question(q, file, problems)
    return q


def _tags_and_penalty(item: LineDict, file: str, problems: Problems) -> tuple[list[str], float]:
    """A question's Moodle tags and penalty, as given or the defaults (errors reported)."""
    tags = item.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        problems.error(file, item.line("tags"), "'tags' must be a list of texts")
        tags = []
    penalty = item.get("penalty", DEFAULT_PENALTY)
    if isinstance(penalty, bool) or not isinstance(penalty, (int, float)):
        problems.error(file, item.line("penalty"), "'penalty' must be a number from 0 to 1")
        penalty = DEFAULT_PENALTY
    return [t.strip() for t in tags], float(penalty)


def _check_data_formats(data: dict, file: str, line: int, problems: Problems) -> None:
    """Every format a question's options, answers, pairs or feedback give is one we know."""
    for where in [data.get("options", []), data.get("answers", []), data.get("pairs", []), [data]]:
        for entry in where:
            for key_name, value in entry.items():
                if key_name.endswith("format") and value not in TEXT_FORMATS:
                    problems.error(file, line, f"unknown text format '{value}' (known: {', '.join(TEXT_FORMATS)})")


def question_to_yaml(q: QuestionSpec) -> dict[str, Any]:
    """One question as a mapping of a course quiz file; question_from_yaml reads it back equal."""
    item: dict[str, Any] = {"id": q.key, "type": q.qtype, "text": q.stem, "format": q.text_format}
    for key, value, default in (("name", q.name, ""), ("category", q.category, ""), ("idnumber", q.idnumber, ""),
                                ("tags", q.tags, []), ("feedback", q.general_feedback, ""),
                                ("feedback_format", q.feedback_format, ""), ("mark", q.mark, 1.0),
                                ("penalty", q.penalty, DEFAULT_PENALTY)):
        if value != default:
            item[key] = value
    item.update(types.QUESTION_TYPES[q.qtype].to_yaml(q.data))
    return item


def _number(doc: LineDict, file: str, problems: Problems, key: str, low: float, high: float, default: Any,
            integer: bool = False) -> Any:
    """A quiz setting that is a number from low to high (a whole one if integer); default when absent
    or wrong (then a problem)."""
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


def _flag(doc: LineDict, file: str, problems: Problems, key: str, default: bool) -> bool:
    value = doc.get(key, default)
    if not isinstance(value, bool):
        problems.error(file, doc.line(key), f"'{key}' must be true or false")
        return default
    return value


def _choice(doc: LineDict, file: str, problems: Problems, key: str, allowed: tuple[str, ...], default: str) -> str:
    value = doc.get(key, default)
    if value not in allowed:
        problems.error(file, doc.line(key), f"'{key}' must be one of: {', '.join(allowed)}")
        return default
    return value


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

    number, flag, choice = (partial(read, doc, file, problems) for read in (_number, _flag, _choice))
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
            quiz.questions = _inline_questions(questions, file, problems)
    return quiz


def _inline_questions(questions: LineList, file: str, problems: Problems) -> list[QuestionSpec]:
    """The questions a quiz file lists itself; ids must differ."""
    found: list[QuestionSpec] = []
    keys: dict[str, int] = {}
    for index, item in enumerate(questions):
        q = question_from_yaml(item, file, questions.line(index), index, problems)
        if q is None:
            continue
        if q.key in keys:
            problems.error(file, q.line, f"duplicate question id '{q.key}' (also on line {keys[q.key]})")
        keys[q.key] = q.line or 0
        found.append(q)
    return found
