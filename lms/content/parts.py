"""Parts of a course folder that other packages own, beside content's lessons and images.

content reads a course folder and writes courses, modules, lessons and images; it does not
know what a quiz or a survey is. A package whose files sit in course folders (lms.quizzes:
quiz files and question banks; lms.surveys: the training evaluation) registers a CoursePart.
The loader calls each registered part at fixed points while it reads the folder, and the sync
calls each part's `sync` in the course's transaction, in the order the parts were registered.

Registration is explicit: create_app calls lms.register_course_parts (quizzes, then surveys).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # within content: no import of the packages that register parts
    from lms.content.loader import CourseSpec, ModuleSpec
    from lms.content.models import Course
    from lms.content.problems import Problems
    from lms.content.sync import SyncReport


class CoursePart:
    """The hooks of one part; each does nothing unless the part overrides it.

    Hooks add what they read to the CourseSpec and report problems with file and line.
    """

    name: str = ""
    course_keys: tuple[str, ...] = ()  # optional keys of course.yml the part reads
    module_keys: tuple[str, ...] = ()  # optional keys of module.yml the part reads

    def load_module(self, course: CourseSpec, module: ModuleSpec, module_dir: Path, mdoc: Any,
                    rel_module: str, problems: Problems) -> None:
        """Read what module.yml (mdoc, the file rel_module in module_dir) names for this part."""

    def load_course(self, course: CourseSpec, doc: Any, problems: Problems) -> None:
        """Read what course.yml (doc) names for this part, after the modules."""

    def minutes(self, course: CourseSpec) -> float | None:
        """Minutes of study the part adds to the course's hours (JP), or None if it adds none."""
        return None

    def sync(self, row: Course, spec: CourseSpec, report: SyncReport) -> None:
        """Write the part's rows for the course (flush only); raise SyncError with file and line."""


_parts: list[CoursePart] = []


def register(part: CoursePart) -> None:
    """Add a part (or replace the part of the same name: registering twice changes nothing)."""
    for index, known in enumerate(_parts):
        if known.name == part.name:
            _parts[index] = part
            return
    _parts.append(part)


def registered() -> tuple[CoursePart, ...]:
    return tuple(_parts)
