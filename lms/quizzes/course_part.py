"""Quiz files and question banks as a part of a course folder (lms.content.parts).

course.yml names the pre-test and post-test (`pretest:`, `posttest:`), a module.yml its quiz
(`quiz:`); a quiz file may draw from a question file (GIFT or Moodle XML). The content loader
calls this part while it reads the folder, the content sync when it writes the course.
"""

from __future__ import annotations

from pathlib import Path

from lms.content import parts
from lms.content.loader import (MAX_LESSON_BYTES, SLUG_RE, CourseSpec, ModuleSpec, read_text, rel_path,
                                safe_child)
from lms.content.problems import Problems
from lms.content.yamlines import LineDict, load_mapping
from lms.quizzes.gift import parse_bank_file
from lms.quizzes.spec import QuizSpec, quiz_from_yaml
from lms.quizzes.sync import sync_quizzes


class QuizPart(parts.CoursePart):
    name = "quizzes"
    course_keys = ("pretest", "posttest")
    module_keys = ("quiz",)

    def load_module(self, course: CourseSpec, module: ModuleSpec, module_dir: Path, mdoc: LineDict,
                    rel_module: str, problems: Problems) -> None:
        if mdoc.get("quiz") is not None:
            load_quiz(course, module_dir, mdoc, "quiz", rel_module, "module", problems, module.slug)

    def load_course(self, course: CourseSpec, doc: LineDict, problems: Problems) -> None:
        for kind in ("pretest", "posttest"):
            if doc.get(kind) is not None:
                load_quiz(course, course.root, doc, kind, "course.yml", kind, problems, None)
        quiz_slugs: dict[str, str] = {}
        for quiz in course.quizzes:
            if quiz.slug in quiz_slugs:
                problems.error(quiz.source_path, None,
                               f"duplicate quiz slug '{quiz.slug}' (also in {quiz_slugs[quiz.slug]})")
            quiz_slugs[quiz.slug] = quiz.source_path

    def minutes(self, course: CourseSpec) -> float:
        """A quiz takes its time limit, or minutes_per_question for each question it asks
        (its draw, else all the questions of its bank)."""
        total = 0.0
        for quiz in course.quizzes:
            if quiz.time_limit:
                total += quiz.time_limit
                continue
            pool = course.gift_banks.get(quiz.gift, []) if quiz.gift else quiz.questions
            if quiz.category:
                pool = [q for q in pool if q.category == quiz.category
                        or q.category.startswith(quiz.category + "/")]
            asked = [q for q in pool if q.qtype != "description"]
            count = min(quiz.draw, len(asked)) if quiz.draw else len(asked)
            total += count * course.minutes_per_question
        return total

    def sync(self, row, spec: CourseSpec, report) -> None:
        sync_quizzes(row, spec.quizzes, spec.gift_banks, report)


def register() -> None:
    """Make quiz files a part of course folders (create_app calls this)."""
    parts.register(QuizPart())


def load_quiz(course: CourseSpec, base: Path, doc: LineDict, key: str, ref_file: str, kind: str,
              problems: Problems, module_slug: str | None) -> None:
    """Read the quiz file that course.yml (pretest/posttest) or module.yml (quiz) names."""
    root = course.root
    name = doc.get(key)
    line = doc.line(key)
    if not isinstance(name, str) or not name.endswith((".yml", ".yaml")):
        problems.error(ref_file, line, f"'{key}' must name a quiz file ending in .yml")
        return
    path = safe_child(root, base, name)
    if path is None:
        problems.error(ref_file, line, f"quiz file '{name}' points outside the course folder")
        return
    if not path.is_file():
        problems.error(ref_file, line, f"quiz file '{rel_path(root, path) if path.exists() else name}' does not exist")
        return
    rel = rel_path(root, path)
    text = read_text(path, rel, problems)
    qdoc = load_mapping(text, rel, problems) if text is not None else None
    if qdoc is None:
        return
    quiz = quiz_from_yaml(qdoc, rel, kind, problems, module_slug)
    if quiz.slug and not SLUG_RE.match(quiz.slug):
        problems.error(rel, qdoc.line("slug"), f"slug '{quiz.slug}' may contain only lowercase letters, digits and single hyphens")
    if quiz.gift:
        _load_bank(course, path, qdoc, quiz, rel, problems)
    course.quizzes.append(quiz)


def _load_bank(course: CourseSpec, path: Path, qdoc: LineDict, quiz: QuizSpec, rel: str,
               problems: Problems) -> None:
    """The question file (GIFT or Moodle XML) a quiz draws from, read once per course."""
    gift_path = safe_child(course.root, path.parent, quiz.gift)
    if gift_path is None or not gift_path.is_file():
        problems.error(rel, qdoc.line("gift"), f"question file '{quiz.gift}' (GIFT or Moodle XML) does not exist in the course folder")
        quiz.gift = None
        return
    quiz.gift = rel_path(course.root, gift_path)
    if quiz.gift in course.gift_banks:
        return
    if gift_path.stat().st_size > MAX_LESSON_BYTES:
        problems.error(quiz.gift, None, f"file is larger than {MAX_LESSON_BYTES // 1024} KB")
        course.gift_banks[quiz.gift] = []
    else:
        parsed = parse_bank_file(gift_path.read_bytes(), quiz.gift)
        problems.extend(parsed.problems)
        course.gift_banks[quiz.gift] = parsed.questions
