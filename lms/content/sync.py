"""Write a validated course into the database: upsert by slug, in the caller's transaction.

Functions here only flush; the caller commits once (or rolls back), so a failing import
leaves the database as it was.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from sqlalchemy import select

from lms.content.loader import CourseSpec, LessonSpec
from lms.content.markdown import RENDER_VERSION, image_size, render_markdown
from lms.content.models import Asset, Course, Lesson, Module
from lms.content.parts import registered
from lms.content.signals import course_synced
from lms.extensions import db
from lms.util import assign_changed, utcnow


@dataclass
class SyncReport:
    """What an import did, as readable lines: 'lesson apa-itu-tpbis', 'module x', ..."""

    course_slug: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def is_noop(self) -> bool:
        return not (self.added or self.changed or self.removed)


def sync_course(spec: CourseSpec, asset_url: Callable[[str, str], str]) -> SyncReport:
    """Upsert the course, its modules, lessons and images; archive what the files dropped; then
    the registered parts (quizzes, surveys: lms.content.parts) write theirs, and course_synced
    tells downstream packages (learning recounts its caches).

    asset_url(course_slug, path) gives the URL under which an image will be served.
    """
    now = utcnow()
    report = SyncReport(spec.slug)
    course = _sync_course_row(spec, report, now)
    _sync_modules(course, spec, asset_url, report, now)
    _sync_assets(course, spec, report, now)
    for part in registered():
        part.sync(course, spec, report)

    if report.added or report.changed or report.removed:
        course.updated_at = now
    course_synced.send(course, report=report)  # e.g. learning recounts which lessons count
    db.session.flush()
    return report


def _sync_course_row(spec: CourseSpec, report: SyncReport, now) -> Course:
    """The course row itself, added or updated from course.yml."""
    course = db.session.scalar(select(Course).where(Course.slug == spec.slug))
    course_values = {
        "title": spec.title,
        "description": spec.description,
        "jp_hours": Decimal(str(spec.jp_hours)) if spec.jp_hours is not None else None,
        "language": spec.language,
        "certificate_json": json.dumps(spec.certificate, sort_keys=True),
        "action_plan_json": json.dumps(spec.action_plan, sort_keys=True, ensure_ascii=False),
    }
    if course is None:
        course = Course(slug=spec.slug, **course_values)
        db.session.add(course)
        db.session.flush()
        report.added.append(f"course {spec.slug}")
    elif assign_changed(course, course_values):
        course.updated_at = now
        report.changed.append(f"course {spec.slug}")
    return course


def _sync_modules(course: Course, spec: CourseSpec, asset_url: Callable[[str, str], str], report: SyncReport,
                  now) -> None:
    """Modules and lessons in the files' order; those the files dropped are archived (learners'
    records keep pointing at them)."""
    modules = {m.slug: m for m in db.session.scalars(select(Module).where(Module.course_id == course.id))}
    lessons = {l.slug: l for l in db.session.scalars(select(Lesson).where(Lesson.course_id == course.id))}
    kept_modules: set[str] = set()
    kept_lessons: set[str] = set()
    lesson_position = 0

    for m_index, mspec in enumerate(spec.modules):
        kept_modules.add(mspec.slug)
        values = {"title": mspec.title, "description": mspec.description,
                  "position": m_index, "archived_at": None}
        module = modules.get(mspec.slug)
        if module is None:
            module = Module(course_id=course.id, slug=mspec.slug, **values)
            db.session.add(module)
            db.session.flush()
            modules[mspec.slug] = module
            report.added.append(f"module {mspec.slug}")
        elif assign_changed(module, values):
            report.changed.append(f"module {mspec.slug}")
        else:
            report.unchanged += 1

        for lspec in mspec.lessons:
            kept_lessons.add(lspec.slug)
            lesson_position += 1
            placement = {"module_id": module.id, "position": lesson_position, "archived_at": None}
            _sync_lesson(course, spec, lspec, lessons, placement, asset_url, report, now)

    for slug, lesson in lessons.items():
        if slug not in kept_lessons and lesson.archived_at is None:
            lesson.archived_at = now
            report.removed.append(f"lesson {slug}")
    for slug, module in modules.items():
        if slug not in kept_modules and module.archived_at is None:
            module.archived_at = now
            report.removed.append(f"module {slug}")


def _sync_lesson(course: Course, spec: CourseSpec, lspec: LessonSpec, lessons: dict[str, Lesson], placement: dict,
                 asset_url: Callable[[str, str], str], report: SyncReport, now) -> None:
    """One lesson: moved only if its source is unchanged, else rendered again (added to lessons if new)."""
    lesson = lessons.get(lspec.slug)
    # The stored digest covers the renderer too, so a sanitizer or renderer
    # upgrade re-renders every lesson on the next import.
    digest = hashlib.sha256(f"{RENDER_VERSION}:{lspec.sha256}".encode()).hexdigest()
    if lesson is not None and lesson.source_sha256 == digest and lesson.source_path == lspec.source_path:
        if assign_changed(lesson, placement):
            lesson.updated_at = now
            report.changed.append(f"lesson {lspec.slug}")
        else:
            report.unchanged += 1
        return
    source_dir = lspec.source_path.rsplit("/", 1)[0] if "/" in lspec.source_path else ""
    rendered = render_markdown(lspec.body, source_dir=source_dir,
                               asset_url=lambda path: asset_url(spec.slug, path),
                               image_size=lambda path: image_size(spec.assets.get(path)))
    values = {
        **placement,
        "title": lspec.title,
        "minutes": lspec.minutes,
        "required": lspec.required,
        "body_html": rendered.html,
        "toc_json": json.dumps(rendered.toc, ensure_ascii=False),
        "source_path": lspec.source_path,
        "source_sha256": digest,
    }
    if lesson is None:
        lesson = Lesson(course_id=course.id, slug=lspec.slug, **values)
        db.session.add(lesson)
        lessons[lspec.slug] = lesson
        report.added.append(f"lesson {lspec.slug}")
    else:
        assign_changed(lesson, values)
        lesson.updated_at = now
        report.changed.append(f"lesson {lspec.slug}")


def _sync_assets(course: Course, spec: CourseSpec, report: SyncReport, now) -> None:
    """Images and downloads: added, replaced when their bytes changed, deleted when dropped."""
    existing_assets = {a.path: a for a in db.session.scalars(select(Asset).where(Asset.course_id == course.id))}
    for path, aspec in spec.assets.items():
        asset = existing_assets.pop(path, None)
        if asset is None:
            db.session.add(Asset(course_id=course.id, path=path, content_type=aspec.content_type,
                                 sha256=aspec.sha256, data=aspec.data))
            report.added.append(f"image {path}")
        elif asset.sha256 != aspec.sha256:
            assign_changed(asset, {"content_type": aspec.content_type, "sha256": aspec.sha256, "data": aspec.data})
            asset.updated_at = now
            report.changed.append(f"image {path}")
    for path, asset in existing_assets.items():
        db.session.delete(asset)  # images hold no learner data
        report.removed.append(f"image {path}")
