"""What a module saved for offline reading holds: its lesson pages, their images, the module's
quiz pages and my open attempts, with a version that changes when any of them changes, and the
bytes a download will take. The same for the course page's size labels (one query)."""

from __future__ import annotations

import hashlib
import re
from html import unescape
from urllib.parse import unquote, urljoin
from dataclasses import dataclass

from flask import url_for
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.content.models import Asset, Course, Lesson, Module
from lms.extensions import db
from lms.quizzes.models import Attempt, Quiz

# A lesson page is its body plus the page around it (header, menus, forms, footer): about 6 KB.
PAGE_BYTES = 6000
_ASSET_SRC = re.compile(r'<img\b[^>]*\bsrc="([^"]+)"')


@dataclass(frozen=True)
class Entry:
    url: str
    version: str
    bytes: int

    def as_json(self) -> dict:
        return {"url": self.url, "version": self.version, "bytes": self.bytes}


def _asset_path(course: Course, url: str) -> str | None:
    prefix = url_for("content.asset", course_slug=course.slug, path="")
    return unquote(url[len(prefix):]) if url.startswith(prefix) else None


def module_manifest(user: User, course: Course, module: Module) -> dict:
    """The JSON manifest of one module, for a user who may study the course."""
    lessons = db.session.execute(
        select(Lesson.slug, Lesson.title, Lesson.updated_at, Lesson.source_sha256, Lesson.body_html)
        .where(Lesson.module_id == module.id, Lesson.archived_at.is_(None)).order_by(Lesson.position)).all()
    entries: list[Entry] = []
    image_paths: list[str] = []
    for slug, _title, updated_at, sha, body in lessons:
        url = url_for("learning.lesson", course_slug=course.slug, lesson_slug=slug)
        entries.append(Entry(url, f"{sha[:12]}-{updated_at.timestamp():.0f}", len(body.encode()) + PAGE_BYTES))
        for src in _ASSET_SRC.findall(body):
            path = _asset_path(course, urljoin(url, unescape(src)))  # relative to the lesson page
            if path and path not in image_paths:
                image_paths.append(path)
    images: list[Entry] = []
    if image_paths:
        found = {path: (sha, size) for path, sha, size in db.session.execute(
            select(Asset.path, Asset.sha256, func.length(Asset.data))
            .where(Asset.course_id == course.id, Asset.path.in_(image_paths)))}
        for path in image_paths:
            if path in found:
                sha, size = found[path]
                images.append(Entry(url_for("content.asset", course_slug=course.slug, path=path), sha[:12], size))
    quizzes = db.session.execute(select(Quiz.id, Quiz.slug).where(
        Quiz.module_id == module.id, Quiz.archived_at.is_(None)).order_by(Quiz.id)).all()
    pages = [Entry(url_for("quizzes.quiz", course_slug=course.slug, quiz_slug=slug), "", PAGE_BYTES)
             for _id, slug in quizzes]
    if quizzes:
        open_attempts = db.session.scalars(select(Attempt.id).where(
            Attempt.user_id == user.id, Attempt.quiz_id.in_([i for i, _ in quizzes]),
            Attempt.state == "in_progress").order_by(Attempt.id)).all()
        pages += [Entry(url_for("quizzes.take", attempt_id=i), f"a{i}", 3 * PAGE_BYTES) for i in open_attempts]
    pages.append(Entry(url_for("learning.course", course_slug=course.slug), "", 4 * PAGE_BYTES))
    every = entries + images + pages
    version = hashlib.sha256("|".join(f"{e.url}={e.version}" for e in every).encode()).hexdigest()[:16]
    return {
        "course": course.slug, "module": module.id, "title": module.title, "version": version,
        "course_url": url_for("learning.course", course_slug=course.slug),
        "lessons": [e.as_json() for e in entries], "images": [e.as_json() for e in images],
        "pages": [e.as_json() for e in pages], "bytes": sum(e.bytes for e in every),
    }


def module_of(course: Course, module_id: int) -> Module | None:
    """The course's active module of that id."""
    return db.session.scalar(select(Module).where(Module.id == module_id, Module.course_id == course.id,
                                                  Module.archived_at.is_(None)))
