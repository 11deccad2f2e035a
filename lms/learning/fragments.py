"""Pieces of the trainee's pages that are the same for every trainee in the same state of a course
version and language (on the course page a lesson's entry with its status, a quiz's entry with its
result; on the lesson page its article): rendered once and kept per process.

A piece is keyed on the course's `updated_at` (read by the page's own query; an import or publish
moves it on whichever app server ran it, so every server renders afresh at its next request), the
language and the application root, and what the piece shows, so no server serves a stale one.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Any, Callable

from flask import g, render_template, request
from flask_babel import get_locale
from markupsafe import Markup

from lms.content.models import Course, Lesson
from lms.offline import datasaver

# course id -> (course version, {((language, root), template, key): HTML})
_pieces: dict[int, tuple[datetime | None, dict[tuple, Markup]]] = {}
_lock = threading.Lock()
MAX_COURSES = 50  # a course's pieces: its lessons' articles (with and without the data saver) are most of it
MAX_PIECES = 5000  # per course: a course's lessons x 6, its quizzes x the results shown


def piece(course: Course, template: str, key: tuple, context: Callable[[], dict[str, Any]]) -> Markup:
    """The template rendered with context(), once per (course version, language, root, key):
    `key` must determine everything the template shows besides the course."""
    cached = _pieces.get(course.id)
    if cached is None or cached[0] != course.updated_at or len(cached[1]) >= MAX_PIECES:
        with _lock:
            if len(_pieces) >= MAX_COURSES:
                _pieces.clear()
            cached = _pieces[course.id] = (course.updated_at, {})
    where = g.get("_fragments_where")
    if where is None:
        where = g._fragments_where = (str(get_locale()), request.script_root)
    full = (where, template, key)
    html = cached[1].get(full)
    if html is None:
        html = cached[1][full] = Markup(render_template(template, course=course, **context()))
    return html


def lesson_item(course: Course, lesson: Lesson, status: str, current: bool) -> Markup:
    """The outline's entry of a lesson with my status (learning/_lesson_item.html)."""
    return piece(course, "learning/_lesson_item.html", (lesson.id, status, current),
                 lambda: {"lesson": lesson, "status": status, "current": current})


def quiz_item(course: Course, status: Any, note: str = "") -> Markup:
    """The outline's entry of a quiz with my result (learning/_quiz_item.html); status: a QuizStatus."""
    result = status.result
    shown = (status.quiz.id, None if result is None else result.percent, status.waiting, status.passed,
             status.out_of_attempts, str(note))
    return piece(course, "learning/_quiz_item.html", shown, lambda: {"status": status, "note": note})


def lesson_article(course: Course, lesson: Lesson, module: Any, position: int, count: int, done: bool) -> Markup:
    """The lesson page's article (learning/_lesson_article.html: header, contents, the text with
    the data saver's image links or not): the lesson's text is parsed and rendered once per
    (course version, language, done, data saver)."""
    saver = datasaver.data_saver_on()
    return piece(course, "learning/_lesson_article.html", ("article", lesson.id, position, count, done, saver),
                 lambda: {"lesson": lesson, "module": module, "position": position, "count": count, "done": done,
                          "toc": json.loads(lesson.toc_json), "body": datasaver.lesson_body(lesson.body_html, saver)})
