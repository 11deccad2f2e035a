"""Drafts, publishing, history and restore: the browser's door to a course's files.

Publishing writes the working tree (published files plus drafts) to a temporary folder and
runs the very loader and sync that `courses import` runs, so the browser can publish nothing
that the command line would refuse, and both leave the same rows and file versions.
"""

from __future__ import annotations

import difflib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import exists, select

from lms.authoring.models import CourseFileDraft
from lms.authoring.tree import drafts, working_tree
from lms.content.files import Tree, TreeError, clean_path, sha256, write_folder
from lms.content.importing import load_sources, sync_specs
from lms.content.markdown import render_text
from lms.content.models import Course, CourseFile, CourseFileVersion, Lesson, Module
from lms.content.problems import Problem
from lms.content.sync import SyncReport
from lms.extensions import db
from lms.learning.models import LessonProgress
from lms.quizzes.gift import parse_bank_file
from lms.quizzes.models import Question, QuestionBank, Quiz
from lms.quizzes.types import QUESTION_TYPES
from lms.util import utcnow

TEXT_SUFFIXES = (".md", ".yml", ".yaml", ".gift", ".txt", ".xml")


@dataclass
class Current:
    """What the editor shows for a file: the draft if there is one, else the published file."""

    path: str
    data: bytes | None
    sha256: str
    draft: CourseFileDraft | None
    published_sha256: str

    @property
    def text(self) -> str:
        return (self.data or b"").decode("utf-8", errors="replace")

    @property
    def stale(self) -> bool:
        """The draft was started from a published file that has changed since."""
        return self.draft is not None and self.draft.base_sha256 != self.published_sha256


def current(course_id: int, path: str) -> Current | None:
    published = db.session.scalar(select(CourseFile).where(CourseFile.course_id == course_id, CourseFile.path == path))
    draft = db.session.scalar(select(CourseFileDraft).where(CourseFileDraft.course_id == course_id,
                                                            CourseFileDraft.path == path))
    if published is None and draft is None:
        return None
    published_sha = published.sha256 if published else ""
    if draft is not None:
        return Current(path, draft.data, draft.sha256, draft, published_sha)
    return Current(path, published.data, published.sha256, None, published_sha)


@dataclass
class Conflict:
    """Someone saved this file after the editor loaded it: both texts, for the second editor."""

    path: str
    theirs: str
    theirs_sha256: str
    mine: str


def save_draft(course_id: int, path: str, data: bytes | None, *, loaded_sha256: str, author_id: int,
               rebase: bool = False) -> Conflict | None:
    """Save (data None: remove) a file as a draft, unless it changed since the editor loaded it.

    loaded_sha256 is the digest of the text the editor showed ('' for a new file). rebase=True
    takes the currently published file as the draft's new base (after a stale warning).
    """
    if clean_path(path) != path:
        raise ValueError(f"unsafe path {path!r}")
    now = current(course_id, path)
    now_sha = now.sha256 if now else ""
    new_sha = sha256(data) if data is not None else ""
    if now_sha != loaded_sha256 and now_sha != new_sha:
        return Conflict(path, now.text if now else "", now_sha, (data or b"").decode("utf-8", errors="replace"))
    published_sha = now.published_sha256 if now else ""
    draft = now.draft if now else None
    if draft is None:
        if new_sha == published_sha and data is not None:
            return None  # nothing changed
        draft = CourseFileDraft(course_id=course_id, path=path, base_sha256=published_sha)
        db.session.add(draft)
    elif rebase:
        draft.base_sha256 = published_sha
    draft.data, draft.sha256, draft.author_id, draft.updated_at = data, new_sha, author_id, utcnow()
    if draft.id is not None and data is not None and new_sha == published_sha and draft.base_sha256 == published_sha:
        db.session.delete(draft)  # edited back to what is published: no draft left
    db.session.flush()
    return None


def discard_draft(course_id: int, path: str) -> bool:
    draft = db.session.scalar(select(CourseFileDraft).where(CourseFileDraft.course_id == course_id,
                                                            CourseFileDraft.path == path))
    if draft is None:
        return False
    db.session.delete(draft)
    db.session.flush()
    return True


def load_tree(tree: Tree, shown: str):
    """The loader's specs and problems for a tree (written to a temporary folder, as it reads folders)."""
    with tempfile.TemporaryDirectory(prefix="lms-tree-") as tmp:
        try:
            write_folder(tree, Path(tmp))
        except TreeError as exc:  # e.g. a file and a folder of the same name among the drafts
            return [], [Problem(shown.rstrip("/"), None, str(exc))]
        return load_sources([(Path(tmp), shown)])


@dataclass
class PublishResult:
    """What publishing did, or why it did not: problems (file:line), stale drafts, or lessons
    with learners' records that would be removed (asks for confirmation)."""

    report: SyncReport | None = None
    problems: list[Problem] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    removes_completed: list[tuple[str, int]] = field(default_factory=list)  # lesson title, learners
    files: list[str] = field(default_factory=list)
    titles: dict[str, dict] = field(default_factory=dict)  # kind -> {slug or (bank, key): title}, from the files

    @property
    def published(self) -> bool:
        return self.report is not None


def publish(course: Course, author_id: int, *, confirm_removals: bool = False, dry_run: bool = False,
            tree: Tree | None = None, origin: str = "browser") -> PublishResult:
    """Make the working tree (or the given tree, e.g. an uploaded zip) live in one transaction.

    Flushes only; the caller commits when result.published and not dry_run. A dry run (the
    preview of an upload) rolls its changes back and returns the report of what would change.
    """
    from_drafts = tree is None
    pending = drafts(course.id) if from_drafts else {}
    result = PublishResult(files=sorted(pending))
    if from_drafts:
        published = {f.path: f.sha256 for f in db.session.scalars(
            select(CourseFile).where(CourseFile.course_id == course.id))}
        result.stale = [p for p, d in pending.items() if d.base_sha256 != published.get(p, "")]
        if result.stale:
            return result
        tree = working_tree(course.id)
    specs, problems = load_tree(tree, f"{course.slug}/")
    result.problems = problems
    if any(p.severity == "error" for p in problems) or not specs:
        return result
    if specs[0][0].slug != course.slug:
        result.problems.append(Problem(f"{course.slug}/course.yml", None, f"the course slug must stay '{course.slug}'"))
        return result
    result.titles = spec_titles(specs[0][0])
    savepoint = db.session.begin_nested()
    reports, result.problems = sync_specs(specs, problems, lambda spec: tree, origin=origin, author_id=author_id)
    if not reports:
        savepoint.rollback()
        return result
    report = reports[0]
    result.removes_completed = _completed_lessons_removed(course.id, report)
    if dry_run or (result.removes_completed and not confirm_removals):
        savepoint.rollback()
        result.report = report if dry_run else None
        return result
    savepoint.commit()
    for draft in pending.values():
        db.session.delete(draft)
    db.session.flush()
    result.report = report
    return result


def import_new(tree: Tree, shown: str, author_id: int, *, dry_run: bool = False) -> PublishResult:
    """Create a course from an uploaded folder: the checks and import of `courses import`."""
    result = PublishResult()
    specs, problems = load_tree(tree, f"{shown}/")
    result.problems = problems
    if any(p.severity == "error" for p in problems) or not specs:
        return result
    slug = specs[0][0].slug
    if db.session.scalar(select(Course.id).where(Course.slug == slug)) is not None:
        result.problems.append(Problem(f"{shown}/course.yml", None, f"a course with the slug '{slug}' exists "
                                       "already; upload the zip on that course's page to update it"))
        return result
    savepoint = db.session.begin_nested()
    reports, result.problems = sync_specs(specs, problems, lambda spec: tree, origin="files", author_id=author_id)
    if not reports or dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    result.report = reports[0] if reports else None
    return result


def drafts_digest(course_id: int) -> str:
    """One digest of the course's drafts (paths and contents): the summary a facilitator confirmed
    is the one published, or publishing shows the new summary instead."""
    import hashlib

    pending = drafts(course_id)
    text = "\n".join(f"{path}:{d.sha256 or '-'}" for path, d in sorted(pending.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _excerpt(text: str, limit: int = 90) -> str:
    import re

    plain = " ".join(re.sub(r"<[^>]+>|[*_`#>\[\]{}]", " ", text or "").split())
    return plain if len(plain) <= limit else plain[:limit - 1].rstrip() + "…"


def spec_titles(spec) -> dict[str, dict]:
    """Titles of what the files define: lessons, modules and quizzes by slug, each question bank
    by the title of its quiz, questions by (bank, key) with the start of their text."""
    titles: dict[str, dict] = {"course": {spec.slug: spec.title}, "module": {}, "lesson": {}, "quiz": {},
                               "bank": {}, "question": {}}
    for module in spec.modules:
        titles["module"][module.slug] = module.title
        for lesson in module.lessons:
            titles["lesson"][lesson.slug] = lesson.title
    for quiz in spec.quizzes:
        titles["quiz"][quiz.slug] = quiz.title
        titles["bank"].setdefault(quiz.bank_name, quiz.title)
        for question in quiz.questions or spec.gift_banks.get(quiz.gift or "", []):
            titles["question"][(quiz.bank_name, question.key)] = _excerpt(question.stem)
    return titles


@dataclass
class Change:
    """One line of the publish summary: what, how it is called, and its slug, key or path."""

    action: str  # added | changed | removed
    title: str
    detail: str
    note: str = ""


SUMMARY_KINDS = ("lesson", "question", "quiz", "module", "image", "course")


def summarize(course_id: int, report: SyncReport, titles: dict[str, dict]) -> dict[str, list[Change]]:
    """The dry run's report as people read it, by kind (lessons, questions, quizzes, modules,
    images, the course's settings) in the order added, changed, removed: titles from the files,
    or from the database for what the files no longer have."""
    stored = {
        "lesson": dict(db.session.execute(select(Lesson.slug, Lesson.title).where(Lesson.course_id == course_id)).all()),
        "module": dict(db.session.execute(select(Module.slug, Module.title).where(Module.course_id == course_id)).all()),
        "quiz": dict(db.session.execute(select(Quiz.slug, Quiz.title).where(Quiz.course_id == course_id)).all()),
    }
    summary: dict[str, list[Change]] = {kind: [] for kind in SUMMARY_KINDS}
    for action in ("added", "changed", "removed"):
        for item in getattr(report, action):
            kind, _, rest = item.partition(" ")
            if kind not in summary:
                continue
            if kind == "question":
                bank, _, keyed = rest.partition("#")
                key, _, note = keyed.partition(" ")
                title = titles.get("question", {}).get((bank, key))
                if title is None:
                    stem = db.session.scalar(select(Question.stem).join(QuestionBank, QuestionBank.id == Question.bank_id)
                                             .where(QuestionBank.course_id == course_id, QuestionBank.name == bank,
                                                    Question.key == key))
                    title = _excerpt(stem or "")
                quiz = titles.get("bank", {}).get(bank) or bank.removeprefix("file:")
                summary[kind].append(Change(action, title or key, f"{quiz} · {key}",
                                            "new_version" if "new version" in note else ""))
            elif kind == "image":
                summary[kind].append(Change(action, posixpath_name(rest), rest))
            else:
                title = titles.get(kind, {}).get(rest) or stored.get(kind, {}).get(rest) or rest
                summary[kind].append(Change(action, title, rest))
    return {kind: changes for kind, changes in summary.items() if changes}


def posixpath_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _completed_lessons_removed(course_id: int, report: SyncReport) -> list[tuple[str, int]]:
    slugs = [item.split(" ", 1)[1] for item in report.removed if item.startswith("lesson ")]
    if not slugs:
        return []
    rows = db.session.execute(
        select(Lesson.title, db.func.count(LessonProgress.id))
        .join(LessonProgress, LessonProgress.lesson_id == Lesson.id)
        .where(Lesson.course_id == course_id, Lesson.slug.in_(slugs), LessonProgress.completed_at.is_not(None))
        .group_by(Lesson.id, Lesson.title).order_by(Lesson.title)).all()
    return [(title, count) for title, count in rows]


def has_files(course_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(CourseFile.course_id == course_id))))


def history(course_id: int, path: str) -> list[CourseFileVersion]:
    return list(db.session.scalars(select(CourseFileVersion).where(
        CourseFileVersion.course_id == course_id, CourseFileVersion.path == path)
        .order_by(CourseFileVersion.id.desc())))


def previous_version(version: CourseFileVersion) -> CourseFileVersion | None:
    return db.session.scalar(select(CourseFileVersion).where(
        CourseFileVersion.course_id == version.course_id, CourseFileVersion.path == version.path,
        CourseFileVersion.id < version.id).order_by(CourseFileVersion.id.desc()).limit(1))


@dataclass
class DiffLine:
    kind: str  # same | added | removed | skip
    old: int | None
    new: int | None
    text: str


def diff_lines(old: str, new: str, context: int = 3) -> list[DiffLine]:
    """A readable line diff: changed lines with a few lines of context around them."""
    a, b = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        if lines:
            lines.append(DiffLine("skip", None, None, "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("same", i1 + k + 1, j1 + k + 1, a[i1 + k]) for k in range(i2 - i1)]
                continue
            lines += [DiffLine("removed", i + 1, None, a[i]) for i in range(i1, i2)]
            lines += [DiffLine("added", None, j + 1, b[j]) for j in range(j1, j2)]
    return lines


def restore(version: CourseFileVersion, author_id: int) -> None:
    """Put an earlier version of a file back as a draft, to be reviewed and published."""
    now = current(version.course_id, version.path)
    conflict = save_draft(version.course_id, version.path, version.data, loaded_sha256=now.sha256 if now else "",
                          author_id=author_id, rebase=True)
    assert conflict is None  # loaded_sha256 is what is there now


def file_problems(course: Course, path: str, data: bytes) -> list[Problem]:
    """The importer's errors (file:line) if this file of the course had this text."""
    tree = working_tree(course.id)
    tree[path] = data
    return [p for p in load_tree(tree, f"{course.slug}/")[1] if p.severity == "error"]


@dataclass
class QuestionPreview:
    """The questions of an edited quiz or GIFT file as trainees will see them, or its problems."""

    questions: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    title: str = ""


def preview_questions(course: Course, path: str, data: bytes) -> QuestionPreview:
    """Load the course with this file's new text (the importer's own checks, with file:line)
    and lay out the questions of the quiz or GIFT bank in it, unshuffled, with no answers shown."""
    import random

    tree = working_tree(course.id)
    tree[path] = data
    specs, problems = load_tree(tree, f"{course.slug}/")
    result = QuestionPreview(problems=[p for p in problems if p.file == f"{course.slug}/{path}"
                                       or p.severity == "error"])
    questions = specs[0][0].gift_banks.get(path) if specs else None
    if questions is None and path.endswith((".gift", ".xml")):  # a bank no quiz uses yet: parse it on its own
        parsed = parse_bank_file(data, path)
        result.problems = [Problem(f"{course.slug}/{p.file}", p.line, p.message, p.severity) for p in parsed.problems]
        questions = parsed.questions
    elif not specs:
        return result
    spec = specs[0][0] if specs else None
    for quiz in spec.quizzes if spec else []:
        if quiz.source_path == path:
            result.title = quiz.title
            questions = quiz.questions or spec.gift_banks.get(quiz.gift or "", [])
    number = 0
    for question in questions or []:
        qtype = QUESTION_TYPES[question.qtype]
        prepared = qtype.prepare(question.data, question.text_format)
        layout = qtype.layout(prepared, random.Random(0), False)
        number += 1
        result.questions.append({
            "number": number, "id": number, "key": question.key, "field": f"preview{number}", "qtype": question.qtype,
            "stem_html": render_text(question.stem, question.text_format), "mark": question.mark,
            "public": qtype.public(prepared, layout), "response": None, "answer": None, "question": None,
            "scored": qtype.scored,
        })
    return result
