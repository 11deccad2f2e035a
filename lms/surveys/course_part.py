"""The training evaluation as a part of a course folder (lms.content.parts): course.yml's
`survey:` names the survey files (lms.surveys.spec); the content sync writes them."""

from __future__ import annotations

from lms.content import parts
from lms.content.loader import CourseSpec
from lms.content.problems import Problems
from lms.content.yamlines import LineDict
from lms.surveys.spec import load_surveys
from lms.surveys.sync import sync_surveys


class SurveyPart(parts.CoursePart):
    name = "surveys"
    course_keys = ("survey",)

    def load_course(self, course: CourseSpec, doc: LineDict, problems: Problems) -> None:
        course.surveys = load_surveys(course.root, doc, problems)

    def sync(self, row, spec: CourseSpec, report) -> None:
        sync_surveys(row, spec.surveys, report)


def register() -> None:
    """Make survey files a part of course folders (create_app calls this)."""
    parts.register(SurveyPart())
