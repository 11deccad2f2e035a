"""Modules and lessons added, moved, renamed and removed, as edits of course.yml and module.yml.

The YAML is changed with ruamel.yaml's round trip, so the author's comments, quoting and order
survive; the results are drafts like any other edit, published through the same checks.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from lms.authoring import publish as authoring
from lms.authoring.lessons import _scalar, read_lesson
from lms.authoring.tree import working_tree
from lms.content.files import Tree
from lms.content import yamlines


class StructureError(ValueError):
    """An operation that cannot be done on the files as they are (message for the editor)."""


def check_yaml(text: str, path: str = "") -> None:
    """Refuse, before ruamel.yaml reads it, a text beyond the bounds of yamlines (size, anchors
    and aliases, depth): StructureError with the line."""
    problem = yamlines.yaml_problem(text)
    if problem is not None:
        line, message = problem
        where = f"{path}:{line}" if path and line else path or (f"line {line}" if line else "")
        raise StructureError(f"{where}: {message}" if where else message)


_yaml = yamlines.round_trip


def _load(tree: Tree, path: str):
    try:
        text = tree[path].decode("utf-8")
        check_yaml(text, path)
        doc = _yaml().load(text)
    except (KeyError, UnicodeDecodeError, yamlines.YAMLError) as exc:
        raise StructureError(f"{path}: {exc}") from None
    if not hasattr(doc, "get"):
        raise StructureError(f"{path}: not a mapping")
    return doc


def _dump(doc) -> bytes:
    return yamlines.dump(doc).encode("utf-8")


def _list(doc, key: str, path: str) -> list:
    items = doc.get(key)
    if items is None:
        doc[key] = items = []
    if not isinstance(items, list):
        raise StructureError(f"{path}: '{key}' is not a list")
    return items


def _save(course_id: int, tree: Tree, changes: dict[str, bytes | None], author_id: int) -> None:
    """Save several files as drafts, each checked against what the tree had."""
    for path, data in changes.items():
        now = authoring.current(course_id, path)
        conflict = authoring.save_draft(course_id, path, data, loaded_sha256=now.sha256 if now else "",
                                        author_id=author_id)
        if conflict is not None:  # cannot happen within one transaction; never overwrite silently
            raise StructureError(f"{path} changed meanwhile")


def _next_name(existing: list[str], slug: str, suffix: str = "") -> str:
    numbers = [int(m.group(1)) for name in existing if (m := re.match(r"(\d+)-", name))]
    return f"{max(numbers, default=0) + 1:02d}-{slug}{suffix}"


def _front_matter(slug: str, title: str) -> str:
    return f"---\nslug: {slug}\ntitle: {_scalar(title)}\n---\n## Tujuan pembelajaran\n\n"


def add_lesson(course_id: int, module_folder: str, slug: str, title: str, author_id: int) -> str:
    """A new lesson file at the end of the module; returns its path."""
    tree = working_tree(course_id)
    module_path = f"{module_folder}/module.yml"
    doc = _load(tree, module_path)
    lessons = _list(doc, "lessons", module_path)
    name = _next_name([str(x) for x in lessons], slug, ".md")
    path = f"{module_folder}/{name}"
    if path in tree:
        raise StructureError(f"{path} already exists")
    lessons.append(name)
    _save(course_id, tree, {module_path: _dump(doc), path: _front_matter(slug, title).encode("utf-8")}, author_id)
    return path


def add_module(course_id: int, slug: str, title: str, author_id: int) -> str:
    """A new module folder (module.yml with no lessons yet) at the end of the course."""
    tree = working_tree(course_id)
    doc = _load(tree, "course.yml")
    modules = _list(doc, "modules", "course.yml")
    folder = _next_name([str(x) for x in modules], slug)
    if any(p.startswith(folder + "/") for p in tree):
        raise StructureError(f"{folder} already exists")
    modules.append(folder)
    module_yml = f"slug: {slug}\ntitle: {_scalar(title)}\nlessons: []\n"
    _save(course_id, tree, {"course.yml": _dump(doc), f"{folder}/module.yml": module_yml.encode("utf-8")}, author_id)
    return folder


def add_quiz(course_id: int, module_folder: str, slug: str, title: str, author_id: int) -> str:
    """A module quiz with no questions yet (quiz.yml next to module.yml); returns its path.
    It cannot be published until it has questions: the importer asks for them."""
    tree = working_tree(course_id)
    module_yml = f"{module_folder}/module.yml"
    doc = _load(tree, module_yml)
    if doc.get("quiz"):
        raise StructureError(f"{module_yml} has a quiz already: {doc.get('quiz')}")
    name = "quiz.yml" if f"{module_folder}/quiz.yml" not in tree else f"quiz-{slug}.yml"
    doc["quiz"] = name
    quiz = (f"slug: {slug}\ntitle: {_scalar(title)}\nrequired: true\npass_mark: 70\nattempts: 3\n"
            f"grading: highest\nreview_attempt: wrong\nreview_final: answers\nquestions: []\n")
    path = f"{module_folder}/{name}"
    _save(course_id, tree, {module_yml: _dump(doc), path: quiz.encode("utf-8")}, author_id)
    return path


def move(course_id: int, list_file: str, item: str, delta: int, author_id: int) -> None:
    """Move a module (in course.yml) or a lesson (in its module.yml) up (-1) or down (+1)."""
    tree = working_tree(course_id)
    doc = _load(tree, list_file)
    items = _list(doc, "modules" if list_file == "course.yml" else "lessons", list_file)
    names = [str(x) for x in items]
    if item not in names:
        raise StructureError(f"{list_file}: '{item}' is not listed")
    index = names.index(item)
    target = index + delta
    if not 0 <= target < len(items):
        return
    items[index], items[target] = items[target], items[index]
    _save(course_id, tree, {list_file: _dump(doc)}, author_id)


def remove_lesson(course_id: int, lesson_path: str, author_id: int) -> None:
    """Take a lesson out of its module.yml and remove its file (its learners' records stay)."""
    tree = working_tree(course_id)
    folder, name = posixpath.split(lesson_path)
    module_path = f"{folder}/module.yml"
    doc = _load(tree, module_path)
    lessons = _list(doc, "lessons", module_path)
    names = [str(x) for x in lessons]
    if name not in names:
        raise StructureError(f"{module_path}: '{name}' is not listed")
    del lessons[names.index(name)]
    _save(course_id, tree, {module_path: _dump(doc), lesson_path: None}, author_id)


def rename_module(course_id: int, module_folder: str, title: str, author_id: int) -> None:
    tree = working_tree(course_id)
    path = f"{module_folder}/module.yml"
    doc = _load(tree, path)
    doc["title"] = title
    _save(course_id, tree, {path: _dump(doc)}, author_id)


@dataclass
class OutlineLesson:
    path: str
    name: str
    title: str
    slug: str
    exists: bool


@dataclass
class OutlineModule:
    folder: str
    title: str
    slug: str
    lessons: list[OutlineLesson] = field(default_factory=list)
    quiz: str | None = None  # path of the module's quiz file
    quiz_title: str = ""


def outline(tree: Tree) -> tuple[list[OutlineModule], str | None]:
    """Modules and lessons as the working files list them (drafts included), or why not."""
    def load(path: str) -> dict:
        try:
            doc = yamlines.safe_load(tree[path].decode("utf-8"))
        except (KeyError, UnicodeDecodeError, yamlines.YAMLError, ValueError) as exc:
            raise StructureError(f"{path}: {exc}") from None
        return doc if isinstance(doc, dict) else {}

    modules = []
    try:
        for folder in load("course.yml").get("modules") or []:
            folder = str(folder)
            mdoc = load(f"{folder}/module.yml")
            module = OutlineModule(folder, str(mdoc.get("title", folder)), str(mdoc.get("slug", "")))
            if isinstance(mdoc.get("quiz"), str):
                module.quiz = posixpath.normpath(f"{folder}/{mdoc['quiz']}")
                if module.quiz in tree:
                    try:
                        module.quiz_title = str(load(module.quiz).get("title") or "")
                    except StructureError:
                        pass
            for name in mdoc.get("lessons") or []:
                path = f"{folder}/{name}"
                text = tree.get(path)
                title = read_lesson(text.decode("utf-8", errors="replace")).title if text else ""
                slug = ""
                if text:
                    match = re.search(r"^slug:\s*(\S+)", text.decode("utf-8", errors="replace"), re.M)
                    slug = match.group(1) if match else ""
                module.lessons.append(OutlineLesson(path, str(name), title or str(name), slug, text is not None))
            modules.append(module)
    except StructureError as exc:
        return modules, str(exc)
    return modules, None


def course_tests(tree: Tree) -> list[tuple[str, str, str]]:
    """The pre-test and post-test that course.yml names: (kind, path, title)."""
    try:
        doc = yamlines.safe_load(tree["course.yml"].decode("utf-8")) or {}
    except (KeyError, UnicodeDecodeError, yamlines.YAMLError, ValueError):
        return []
    tests = []
    for kind in ("pretest", "posttest"):
        path = doc.get(kind) if isinstance(doc, dict) else None
        if isinstance(path, str) and path in tree:
            try:
                title = (yamlines.safe_load(tree[path].decode("utf-8")) or {}).get("title") or path
            except (UnicodeDecodeError, yamlines.YAMLError, ValueError, AttributeError):
                title = path
            tests.append((kind, path, str(title)))
    return tests
