"""Parse and validate a course folder without touching the database.

load_course(path) returns a CourseSpec and a list of problems; each problem names the
file and line it comes from. Nothing here writes anything. Quiz files and surveys are read
by the parts their packages register (lms.content.parts).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path


from lms.content.assets import IMAGE_TYPES, MAX_IMAGE_BYTES, image_problem
from lms.content.markdown import check_markdown, lines_outside_code
from lms.content.problems import Problem, Problems
from lms.content.parts import registered
from lms.content.yamlines import MAX_YAML_BYTES, LineDict, LineList, load_mapping

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Files that lessons offer for download (templates to fill in), linked as [text](files/x.xlsx).
# Stored as assets like images; served as attachments. XLSX and DOCX are zip containers.
DOWNLOAD_TYPES = {".xlsx": b"PK\x03\x04", ".docx": b"PK\x03\x04", ".pdf": b"%PDF"}
DOWNLOAD_CONTENT_TYPE = "application/octet-stream"  # the view names the real type from the suffix
MAX_DOWNLOAD_BYTES = 1024 * 1024
MAX_LESSON_BYTES = 512 * 1024
LANGUAGES = ("id", "en")
# A table wider than this does not fit a phone screen (360 px) without sideways scrolling.
MAX_TABLE_COLUMNS = 4
# Estimating the course's hours (JP) from its content: jp_basis in course.yml.
DEFAULT_MINUTES_PER_JP = 45
DEFAULT_MINUTES_PER_QUESTION = 1.5

COURSE_KEYS = {"slug": True, "title": True, "description": False, "jp_hours": False,
               "jp_basis": False, "language": False, "modules": True,
               "certificate": False, "action_plan": False}  # and the registered parts' keys
JP_BASIS_KEYS = {"minutes_per_jp", "minutes_per_question", "tasks"}
CERTIFICATE_KEYS = {"enabled", "title", "number_pattern", "min_posttest", "show_score"}
DEFAULT_NUMBER_PATTERN = "{seq:04d}/BIMTEK/{year}"
ACTION_PLAN_KEYS = {"required", "rubric", "follow_ups"}
# Follow-up reports after the training: months after a cohort's end (lms/plans/followups.py).
MAX_FOLLOW_UPS = 6
MAX_FOLLOW_UP_MONTHS = 36
RUBRIC_KEYS = {"key": True, "title": True, "description": False, "section": False}
# The sections of an action plan (lms/plans) a rubric criterion may point at.
PLAN_SECTIONS = ("identity", "needs", "goals", "activities", "risks")
MAX_RUBRIC_CRITERIA = 12
MODULE_KEYS = {"slug": True, "title": True, "description": False, "lessons": True}  # and the parts' keys
LESSON_KEYS = {"slug": True, "title": True, "minutes": False, "required": False}

# Markdown image references and raw <img src>, to check that each image exists. The bounded
# repeats keep each match attempt short, so a line of thousands of '![' stays linear.
IMAGE_REF_RE = re.compile(r"!\[[^\]]{0,1000}\]\(\s*<?([^)\s>]{1,1000})>?(?:\s+\"[^\"]{0,1000}\")?\s*\)")
IMG_TAG_RE = re.compile(r"<img\b[^>]{0,1000}?\bsrc\s*=\s*[\"']([^\"']{1,1000})[\"']", re.IGNORECASE)
# Markdown links (not images) to files in the course folder, to check downloads exist.
LINK_RE = re.compile(r"(?<!!)\[[^\]]{0,1000}\]\(\s*<?([^)\s>]{1,1000})>?(?:\s+\"[^\"]{0,1000}\")?\s*\)")
TABLE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$")


@dataclass
class LessonSpec:
    slug: str
    title: str
    minutes: int | None
    required: bool
    body: str
    source_path: str  # relative to the course folder
    body_first_line: int  # line of the file where the body starts
    sha256: str
    slug_line: int = 2


@dataclass
class ModuleSpec:
    slug: str
    title: str
    description: str
    folder: str
    lessons: list[LessonSpec] = field(default_factory=list)


@dataclass
class AssetSpec:
    path: str  # relative to the course folder, with forward slashes
    content_type: str
    data: bytes
    sha256: str


@dataclass
class CourseSpec:
    slug: str
    title: str
    description: str
    jp_hours: float | None
    language: str
    root: Path
    modules: list[ModuleSpec] = field(default_factory=list)
    assets: dict[str, AssetSpec] = field(default_factory=dict)
    # Filled by the quiz part (lms.quizzes.course_part): QuizSpec of lms.quizzes.spec
    quizzes: list = field(default_factory=list)
    certificate: dict = field(default_factory=dict)
    # course.yml `action_plan:` (empty: the course collects no plan)
    action_plan: dict = field(default_factory=dict)
    # The training evaluation: the course's survey and any cohort's own (SurveySpec of
    # lms.surveys.spec; filled by the survey part)
    surveys: list = field(default_factory=list)
    # GIFT files that quizzes draw from: path relative to the course folder -> questions
    # (QuestionSpec of lms.quizzes.spec; filled by the quiz part)
    gift_banks: dict[str, list] = field(default_factory=dict)
    # How jp_hours is checked against the content (course.yml jp_basis)
    minutes_per_jp: float = DEFAULT_MINUTES_PER_JP
    minutes_per_question: float = DEFAULT_MINUTES_PER_QUESTION
    task_minutes: int = 0

    def content_minutes(self) -> dict[str, float]:
        """Minutes of study the content holds: lessons, each registered part that takes time
        (quizzes: lms.quizzes.course_part), and tasks named in jp_basis."""
        lessons = sum(lesson.minutes or 0 for module in self.modules for lesson in module.lessons)
        parts = {part.name: part.minutes(self) for part in registered()}
        return {"lessons": lessons, **{name: m for name, m in parts.items() if m is not None},
                "tasks": self.task_minutes}

    def content_jp(self) -> float:
        """The hours (JP) the content holds, to the nearest half JP."""
        total = sum(self.content_minutes().values())
        return round(total / self.minutes_per_jp * 2) / 2


def _check_keys(doc: LineDict, allowed: dict[str, bool], file: str, problems: Problems) -> bool:
    ok = True
    for key in doc:
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            problems.error(file, doc.line(key), f"unknown key '{key}' (known keys: {known})")
            ok = False
    for key, required in allowed.items():
        if required and key not in doc:
            problems.error(file, doc.first_line, f"missing required key '{key}'")
            ok = False
    return ok


def _text(doc: LineDict, key: str, file: str, problems: Problems, *, max_len: int,
          default: str = "") -> str:
    value = doc.get(key, default)
    if value is None:
        value = default
    if not isinstance(value, str):
        problems.error(file, doc.line(key), f"'{key}' must be text")
        return default
    value = value.strip()
    if key in doc and not value and default == "" and key in ("title", "slug"):
        problems.error(file, doc.line(key), f"'{key}' must not be empty")
    if len(value) > max_len:
        problems.error(file, doc.line(key), f"'{key}' is longer than {max_len} characters")
    return value


def _slug(doc: LineDict, file: str, problems: Problems) -> str:
    slug = _text(doc, "slug", file, problems, max_len=100)
    if slug and not SLUG_RE.match(slug):
        problems.error(file, doc.line("slug"),
                       f"slug '{slug}' may contain only lowercase letters, digits and single hyphens")
    return slug


def _string_list(doc: LineDict, key: str, file: str, problems: Problems) -> list[tuple[str, int]]:
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        problems.error(file, doc.line(key), f"'{key}' must be a list")
        return []
    items = []
    for index, item in enumerate(value):
        line = value.line(index) if isinstance(value, LineList) else doc.line(key)
        if not isinstance(item, str) or not item.strip():
            problems.error(file, line, f"each entry of '{key}' must be a file or folder name")
            continue
        items.append((item.strip(), line))
    return items


def safe_child(root: Path, base: Path, name: str) -> Path | None:
    """base/name if it stays inside root, else None."""
    candidate = (base / name).resolve()
    try:
        candidate.relative_to(root.resolve())
    except ValueError:
        return None
    return candidate


def rel_path(root: Path, path: Path) -> str:
    """path relative to the course folder, with '/' separators."""
    return path.resolve().relative_to(root.resolve()).as_posix()


def read_text(path: Path, rel: str, problems: Problems, max_bytes: int = MAX_YAML_BYTES) -> str | None:
    """A course file as text: at most max_bytes, UTF-8 (a BOM is dropped); else a problem."""
    if path.stat().st_size > max_bytes:
        problems.error(rel, None, f"file is larger than {max_bytes // 1024} KB")
        return None
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        problems.error(rel, raw[: exc.start].count(b"\n") + 1, "not valid UTF-8 text")
        return None


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """Split '---' front matter from a Markdown body.

    Returns (front matter or None, body, line number where the body starts).
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None, text, 1
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1:]), index + 2
    return "", text, 1  # opened but never closed


def _load_lesson(root: Path, path: Path, ref_file: str, ref_line: int,
                 problems: Problems, assets: dict[str, AssetSpec]) -> LessonSpec | None:
    rel = rel_path(root, path)
    if path.suffix.lower() != ".md":
        problems.error(ref_file, ref_line, f"lesson '{rel}' must be a Markdown file ending in .md")
        return None
    if not path.is_file():
        problems.error(ref_file, ref_line, f"lesson file '{rel}' does not exist")
        return None
    raw = path.read_bytes()
    if len(raw) > MAX_LESSON_BYTES:
        problems.error(rel, None, f"file is larger than {MAX_LESSON_BYTES // 1024} KB")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.error(rel, line, "not valid UTF-8 text")
        return None
    text = text.lstrip("\ufeff")
    front, body, body_line = split_front_matter(text)
    if front is None:
        problems.error(rel, 1, "missing front matter: start the file with '---', "
                               "the lesson's slug and title, then '---'")
        return None
    if front == "" and body_line == 1:
        problems.error(rel, 1, "front matter opened with '---' is never closed with '---'")
        return None
    doc = load_mapping(front, rel, problems, line_offset=1)
    if doc is None:
        return None
    _check_keys(doc, LESSON_KEYS, rel, problems)
    slug = _slug(doc, rel, problems)
    title = _text(doc, "title", rel, problems, max_len=200)
    minutes = doc.get("minutes")
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int)
                                or not 1 <= minutes <= 600):
        problems.error(rel, doc.line("minutes"), "'minutes' must be a whole number from 1 to 600")
        minutes = None
    required = doc.get("required", True)
    if not isinstance(required, bool):
        problems.error(rel, doc.line("required"), "'required' must be true or false")
        required = True
    if not body.strip():
        problems.warning(rel, body_line, "lesson has no text")
    refused = check_markdown(body)
    if refused is not None:
        problems.error(rel, body_line + refused.line - 1 if refused.line else None,
                       f"{refused.message}; the lesson cannot be shown")
        return None
    _check_images(root, path, body, body_line, rel, problems, assets)
    _check_downloads(root, path, body, body_line, rel, problems, assets)
    _check_tables(body, body_line, rel, problems)
    return LessonSpec(
        slug=slug, title=title, minutes=minutes, required=required, body=body,
        source_path=rel, body_first_line=body_line,
        sha256=hashlib.sha256(raw).hexdigest(), slug_line=doc.line("slug"),
    )


def _outside_fences(body: str, body_line: int):
    """(line number in the file, text) of each body line that is not fenced code."""
    for number, line_text, in_code in lines_outside_code(body):
        if not in_code:
            yield body_line + number - 1, line_text


def _check_tables(body: str, body_line: int, rel: str, problems: Problems) -> None:
    for line, text in _outside_fences(body, body_line):
        if TABLE_RULE_RE.match(text):
            columns = len(text.strip().strip("|").split("|"))
            if columns > MAX_TABLE_COLUMNS:
                problems.warning(rel, line, f"table has {columns} columns; at most {MAX_TABLE_COLUMNS} fit "
                                            "on a phone screen: split it, turn it into a list, "
                                            "or offer it as a file to download")


def _check_downloads(root: Path, path: Path, body: str, body_line: int, rel: str,
                     problems: Problems, assets: dict[str, AssetSpec]) -> None:
    """Links to files of the course folder that lessons offer for download."""
    for line, text in _outside_fences(body, body_line):
        for match in LINK_RE.finditer(text):
            src = match.group(1).split("#", 1)[0]
            suffix = Path(src).suffix.lower()
            if suffix not in DOWNLOAD_TYPES or re.match(r"^[a-z][a-z0-9+.-]*:|^/", src, re.IGNORECASE):
                continue
            target = safe_child(root, path.parent, src)
            if target is None:
                problems.error(rel, line, f"file '{src}' points outside the course folder")
                continue
            if not target.is_file():
                problems.error(rel, line, f"file '{src}' does not exist")
                continue
            size = target.stat().st_size
            if size > MAX_DOWNLOAD_BYTES:
                problems.error(rel, line, f"file '{src}' is {size // 1024} KB; "
                                          f"the limit is {MAX_DOWNLOAD_BYTES // 1024} KB")
                continue
            data = target.read_bytes()
            if not data.startswith(DOWNLOAD_TYPES[suffix]):
                problems.error(rel, line, f"file '{src}' is not a {suffix[1:].upper()} file")
                continue
            asset_path = rel_path(root, target)
            if asset_path not in assets:
                assets[asset_path] = AssetSpec(asset_path, DOWNLOAD_CONTENT_TYPE, data,
                                               hashlib.sha256(data).hexdigest())


def _check_images(root: Path, path: Path, body: str, body_line: int, rel: str,
                  problems: Problems, assets: dict[str, AssetSpec]) -> None:
    for line, line_text in _outside_fences(body, body_line):
        for match in [*IMAGE_REF_RE.finditer(line_text), *IMG_TAG_RE.finditer(line_text)]:
            src = match.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.IGNORECASE) or src.startswith("//"):
                problems.error(rel, line, f"image '{src}' must be a file in the course folder, "
                                          "not a link to another site")
                continue
            if src.startswith("/"):
                problems.error(rel, line, f"image '{src}' must be a path relative to the lesson file")
                continue
            target = safe_child(root, path.parent, src)
            if target is None:
                problems.error(rel, line, f"image '{src}' points outside the course folder")
                continue
            content_type = IMAGE_TYPES.get(target.suffix.lower())
            if content_type is None:
                allowed = ", ".join(sorted(IMAGE_TYPES))
                problems.error(rel, line, f"image '{src}' has an unsupported type (allowed: {allowed})")
                continue
            if not target.is_file():
                problems.error(rel, line, f"image '{src}' does not exist")
                continue
            size = target.stat().st_size
            if size > MAX_IMAGE_BYTES:
                problems.error(rel, line, f"image '{src}' is {size // 1024} KB; "
                                          f"the limit is {MAX_IMAGE_BYTES // 1024} KB")
                continue
            asset_path = rel_path(root, target)
            if asset_path not in assets:
                data = target.read_bytes()
                refused = image_problem(data, target.suffix)  # the editor's upload runs the same check
                if refused is not None:
                    problems.error(rel, line, f"image '{src}': {refused.message}")
                    continue
                assets[asset_path] = AssetSpec(asset_path, content_type, data,
                                               hashlib.sha256(data).hexdigest())


def load_course(path: str | Path) -> tuple[CourseSpec | None, list[Problem]]:
    """Read and check a course folder. Returns (spec or None, problems).

    The parts other packages own (quiz files, surveys: lms.content.parts) are read by their
    registered hooks: each module's after its lessons, the course's after the modules.
    """
    root = Path(path)
    problems = Problems()
    doc = _course_file(root, problems)
    if doc is None:
        return None, list(problems)
    parts = registered()
    _check_keys(doc, course_keys(parts), "course.yml", problems)
    course = _course_header(root, doc, problems)
    _load_modules(course, doc, parts, problems)
    course.certificate = _certificate_settings(doc, problems)
    course.action_plan = _action_plan_settings(doc, problems)
    _jp_basis(doc, course, problems)
    for part in parts:
        part.load_course(course, doc, problems)
    _check_claimed_hours(course, doc, problems)
    return course, list(problems)


def course_keys(parts=None) -> dict[str, bool]:
    """The keys course.yml may hold (True: required): content's and the registered parts'."""
    return {**COURSE_KEYS, **{key: False for part in (registered() if parts is None else parts)
                              for key in part.course_keys}}


def _course_file(root: Path, problems: Problems) -> LineDict | None:
    """course.yml of the folder as a mapping with lines, or None (with a problem)."""
    if not root.is_dir():
        problems.error(str(root), None, "course folder does not exist")
        return None
    course_file = root / "course.yml"
    if not course_file.is_file():
        problems.error("course.yml", None, f"missing: every course folder needs a course.yml "
                                           f"(looked in {root})")
        return None
    text = read_text(course_file, "course.yml", problems)
    return load_mapping(text, "course.yml", problems) if text is not None else None


def _course_header(root: Path, doc: LineDict, problems: Problems) -> CourseSpec:
    """The course's own settings from course.yml: slug, title, description, hours, language."""
    jp_hours = doc.get("jp_hours")
    if jp_hours is not None and (isinstance(jp_hours, bool) or not isinstance(jp_hours, (int, float))
                                 or not 0 < jp_hours <= 1000):
        problems.error("course.yml", doc.line("jp_hours"), "'jp_hours' must be a number above 0")
        jp_hours = None
    language = doc.get("language", "id")
    if language not in LANGUAGES:
        problems.error("course.yml", doc.line("language"),
                       f"'language' must be one of: {', '.join(LANGUAGES)}")
        language = "id"
    return CourseSpec(
        slug=_slug(doc, "course.yml", problems),
        title=_text(doc, "title", "course.yml", problems, max_len=200),
        description=_text(doc, "description", "course.yml", problems, max_len=5000),
        jp_hours=float(jp_hours) if jp_hours is not None else None,
        language=language,
        root=root,
    )


@dataclass
class _Seen:
    """Slugs and folders met so far in a course, to report duplicates with where they were."""

    folders: set[str] = field(default_factory=set)
    modules: dict[str, str] = field(default_factory=dict)  # slug -> module.yml
    lessons: dict[str, str] = field(default_factory=dict)  # slug -> lesson file


def _load_modules(course: CourseSpec, doc: LineDict, parts, problems: Problems) -> None:
    """Each module folder course.yml lists, in order, with its lessons and parts."""
    root = course.root
    seen = _Seen()
    for folder, line in _string_list(doc, "modules", "course.yml", problems):
        if folder in seen.folders:
            problems.error("course.yml", line, f"module folder '{folder}' is listed twice")
            continue
        seen.folders.add(folder)
        module_dir = safe_child(root, root, folder)
        if module_dir is None or module_dir.parent != root.resolve():
            problems.error("course.yml", line, f"module '{folder}' must be a folder directly in the course folder")
            continue
        if not module_dir.is_dir():
            problems.error("course.yml", line, f"module folder '{folder}' does not exist")
            continue
        module = _load_module(course, folder, module_dir, parts, seen, problems)
        if module is not None:
            course.modules.append(module)


def _load_module(course: CourseSpec, folder: str, module_dir: Path, parts, seen: _Seen,
                 problems: Problems) -> ModuleSpec | None:
    """One module folder: its module.yml, the lessons it lists, then the parts it names."""
    rel_module = f"{folder}/module.yml"
    module_file = module_dir / "module.yml"
    if not module_file.is_file():
        problems.error(rel_module, None, "missing: every module folder needs a module.yml")
        return None
    text = read_text(module_file, rel_module, problems)
    mdoc = load_mapping(text, rel_module, problems) if text is not None else None
    if mdoc is None:
        return None
    _check_keys(mdoc, {**MODULE_KEYS, **{key: False for part in parts for key in part.module_keys}},
                rel_module, problems)
    module = ModuleSpec(
        slug=_slug(mdoc, rel_module, problems),
        title=_text(mdoc, "title", rel_module, problems, max_len=200),
        description=_text(mdoc, "description", rel_module, problems, max_len=5000),
        folder=folder,
    )
    if module.slug:
        if module.slug in seen.modules:
            problems.error(rel_module, mdoc.line("slug"),
                           f"duplicate module slug '{module.slug}' (also in {seen.modules[module.slug]})")
        else:
            seen.modules[module.slug] = rel_module
    listed = _load_module_lessons(course, module, module_dir, mdoc, rel_module, seen, problems)
    for part in parts:
        part.load_module(course, module, module_dir, mdoc, rel_module, problems)
    for extra in sorted(module_dir.glob("*.md")):
        if extra.name not in listed and extra.name.lower() != "readme.md":
            problems.warning(f"{folder}/{extra.name}", None,
                             f"not listed under 'lessons' in {rel_module}, so it is not imported")
    return module


def _load_module_lessons(course: CourseSpec, module: ModuleSpec, module_dir: Path, mdoc: LineDict,
                         rel_module: str, seen: _Seen, problems: Problems) -> set[str]:
    """The lessons module.yml lists, added to the module; returns the listed file names."""
    listed: set[str] = set()
    for name, item_line in _string_list(mdoc, "lessons", rel_module, problems):
        lesson_path = safe_child(course.root, module_dir, name)
        if lesson_path is None:
            problems.error(rel_module, item_line, f"lesson '{name}' points outside the course folder")
            continue
        if name in listed:
            problems.error(rel_module, item_line, f"lesson '{name}' is listed twice")
            continue
        listed.add(name)
        lesson = _load_lesson(course.root, lesson_path, rel_module, item_line, problems, course.assets)
        if lesson is None:
            continue
        if lesson.slug:
            if lesson.slug in seen.lessons:
                problems.error(lesson.source_path, lesson.slug_line,
                               f"duplicate lesson slug '{lesson.slug}' (also in {seen.lessons[lesson.slug]}); "
                               "lesson slugs must be unique within the course")
            else:
                seen.lessons[lesson.slug] = lesson.source_path
        module.lessons.append(lesson)
    return listed


def _check_claimed_hours(course: CourseSpec, doc: LineDict, problems: Problems) -> None:
    """Warn when course.yml claims more hours (jp_hours) than the content holds."""
    if course.jp_hours is None:
        return
    derived = course.content_jp()
    if course.jp_hours > derived:
        minutes = course.content_minutes()
        parts = "".join(f", {value:g} of {name}" for name, value in minutes.items()
                        if name not in ("lessons", "tasks"))
        problems.warning("course.yml", doc.line("jp_hours"),
                         f"jp_hours is {course.jp_hours:g} but the content holds {derived:g} JP "
                         f"({minutes['lessons']:g} minutes of lessons{parts}, "
                         f"{minutes['tasks']:g} of tasks, at {course.minutes_per_jp:g} minutes a JP): "
                         "claim no more hours than the content holds, or add the missing minutes")


def _jp_basis(doc: LineDict, course: CourseSpec, problems: Problems) -> None:
    """course.yml `jp_basis:`: minutes per JP, minutes per quiz question, tasks outside lessons."""
    raw = doc.get("jp_basis")
    if raw is None:
        return
    if not isinstance(raw, LineDict):
        problems.error("course.yml", doc.line("jp_basis"), "'jp_basis' must be a mapping of settings")
        return
    for key in raw:
        if key not in JP_BASIS_KEYS:
            problems.error("course.yml", raw.line(key),
                           f"unknown jp_basis key '{key}' (known keys: {', '.join(sorted(JP_BASIS_KEYS))})")
    for key, low, high in (("minutes_per_jp", 1, 120), ("minutes_per_question", 0, 60)):
        if key in raw:
            value = raw[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                problems.error("course.yml", raw.line(key), f"'{key}' must be a number from {low} to {high}")
            else:
                setattr(course, key, float(value))
    tasks = raw.get("tasks")
    if tasks is None:
        return
    if not isinstance(tasks, list):
        problems.error("course.yml", raw.line("tasks"), "'tasks' must be a list of {title, minutes}")
        return
    for index, task in enumerate(tasks):
        line = tasks.line(index) if isinstance(tasks, LineList) else raw.line("tasks")
        minutes = task.get("minutes") if isinstance(task, dict) else None
        if (not isinstance(task, dict) or not isinstance(task.get("title"), str) or not task["title"].strip()
                or isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 6000):
            problems.error("course.yml", line, "each task needs a 'title' and whole 'minutes' from 1 to 6000")
            continue
        course.task_minutes += minutes


def _certificate_settings(doc: LineDict, problems: Problems) -> dict:
    """course.yml `certificate:`: who gets one, how it is numbered, what it prints."""
    raw = doc.get("certificate")
    settings = {"enabled": True, "title": None, "number_pattern": DEFAULT_NUMBER_PATTERN,
                "min_posttest": None, "show_score": False}
    if raw is None:
        return settings
    if not isinstance(raw, LineDict):
        problems.error("course.yml", doc.line("certificate"), "'certificate' must be a mapping of settings")
        return settings
    for key in raw:
        if key not in CERTIFICATE_KEYS:
            problems.error("course.yml", raw.line(key),
                           f"unknown certificate key '{key}' (known keys: {', '.join(sorted(CERTIFICATE_KEYS))})")
    for key in ("enabled", "show_score"):
        if key in raw:
            if not isinstance(raw[key], bool):
                problems.error("course.yml", raw.line(key), f"'{key}' must be true or false")
            else:
                settings[key] = raw[key]
    if "title" in raw:
        if not isinstance(raw["title"], str) or not raw["title"].strip():
            problems.error("course.yml", raw.line("title"), "'title' must be text")
        else:
            settings["title"] = raw["title"].strip()
    if "min_posttest" in raw:
        value = raw["min_posttest"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
            problems.error("course.yml", raw.line("min_posttest"), "'min_posttest' must be a percentage from 0 to 100")
        else:
            settings["min_posttest"] = float(value)
    if "number_pattern" in raw:
        pattern = raw["number_pattern"]
        try:
            if not isinstance(pattern, str) or "{seq" not in pattern:
                raise ValueError("it must contain {seq}, e.g. {seq:04d}/BIMTEK/{year}")
            pattern.format(seq=1, year=2026, month=1, course="x", cohort="x")
        except (ValueError, KeyError, IndexError) as exc:
            problems.error("course.yml", raw.line("number_pattern"),
                           f"bad 'number_pattern': {exc}; placeholders: {{seq}}, {{year}}, {{month}}, {{course}}, {{cohort}}")
        else:
            settings["number_pattern"] = pattern
    return settings


def follow_up_months(value: object) -> list[int] | str:
    """The months after a cohort's end at which trainees report (e.g. [1, 3]), or why the value
    is not such a list (English). Also used for a cohort's own setting."""
    if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
        return "give a list of whole months after the cohort's end, e.g. [1, 3]"
    if len(value) > MAX_FOLLOW_UPS:
        return f"at most {MAX_FOLLOW_UPS} follow-ups"
    if any(not 1 <= v <= MAX_FOLLOW_UP_MONTHS for v in value):
        return f"each month must be between 1 and {MAX_FOLLOW_UP_MONTHS}"
    if sorted(set(value)) != list(value):
        return "the months must increase, each once, e.g. [1, 3]"
    return list(value)


def parse_follow_up_months(text: str) -> list[int] | str:
    """A cohort's setting as typed: '1, 3' -> [1, 3]; '0' or '-' -> [] (no follow-ups); else
    why not (English)."""
    cleaned = (text or "").replace(";", ",").replace(" ", "")
    if cleaned in ("0", "-"):
        return []
    parts = [p for p in cleaned.split(",") if p]
    if not parts or not all(p.isdigit() and len(p) <= 3 for p in parts):
        return "give whole months separated by commas, e.g. 1, 3"
    return follow_up_months([int(p) for p in parts])


def _action_plan_settings(doc: LineDict, problems: Problems) -> dict:
    """course.yml `action_plan:`: whether the certificate needs an approved plan, and the rubric
    facilitators review plans with. Absent: the course collects no action plan."""
    raw = doc.get("action_plan")
    if raw is None:
        return {}
    if not isinstance(raw, LineDict):
        problems.error("course.yml", doc.line("action_plan"), "'action_plan' must be a mapping of settings")
        return {}
    for key in raw:
        if key not in ACTION_PLAN_KEYS:
            problems.error("course.yml", raw.line(key),
                           f"unknown action_plan key '{key}' (known keys: {', '.join(sorted(ACTION_PLAN_KEYS))})")
    settings: dict = {"required": False, "rubric": []}
    if "follow_ups" in raw:
        months = follow_up_months(raw["follow_ups"])
        if isinstance(months, str):
            problems.error("course.yml", raw.line("follow_ups"), f"'follow_ups': {months}")
        else:
            settings["follow_ups"] = months
    if "required" in raw:
        if not isinstance(raw["required"], bool):
            problems.error("course.yml", raw.line("required"), "'required' must be true or false")
        else:
            settings["required"] = raw["required"]
    rubric = raw.get("rubric")
    if rubric is None:
        problems.error("course.yml", raw.first_line,
                       "missing required key 'rubric' (the criteria facilitators review plans with)")
        return settings
    settings["rubric"] = _rubric(raw, rubric, problems)
    return settings


def _rubric(raw: LineDict, rubric: object, problems: Problems) -> list[dict]:
    """action_plan's `rubric:`: the criteria (key, title, description, section) facilitators
    review plans with; a criterion with a problem is left out."""
    criteria: list[dict] = []
    if not isinstance(rubric, list) or not rubric:
        problems.error("course.yml", raw.line("rubric"), "'rubric' must be a list of criteria, each with key and title")
        return []
    if len(rubric) > MAX_RUBRIC_CRITERIA:
        problems.error("course.yml", raw.line("rubric"), f"'rubric' has {len(rubric)} criteria; "
                                                         f"at most {MAX_RUBRIC_CRITERIA} keep a review short")
        return []
    seen: set[str] = set()
    for index, item in enumerate(rubric):
        line = rubric.line(index) if isinstance(rubric, LineList) else raw.line("rubric")
        if not isinstance(item, LineDict):
            problems.error("course.yml", line, "each rubric criterion must be a mapping with key and title")
            continue
        if not _check_keys(item, RUBRIC_KEYS, "course.yml", problems):
            continue
        key = item["key"]
        if not isinstance(key, str) or not SLUG_RE.match(key) or len(key) > 40:
            problems.error("course.yml", item.line("key"),
                           "a criterion's 'key' may contain only lowercase letters, digits and single hyphens "
                           "(at most 40)")
            continue
        if key in seen:
            problems.error("course.yml", item.line("key"), f"criterion key '{key}' is used twice")
            continue
        seen.add(key)
        title = _text(item, "title", "course.yml", problems, max_len=200)
        description = _text(item, "description", "course.yml", problems, max_len=1000)
        section = item.get("section")
        if section is not None and section not in PLAN_SECTIONS:
            problems.error("course.yml", item.line("section"),
                           f"'section' must be one of: {', '.join(PLAN_SECTIONS)}")
            section = None
        if title:
            criteria.append({"key": key, "title": title, "description": description, "section": section})
    return criteria
