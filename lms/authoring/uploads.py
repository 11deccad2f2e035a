"""Uploads to the editor: images next to a lesson, question banks from Moodle and course zips,
checked before anything is saved (images by the importer's own check, said in the editor's
language) and saved as drafts or as a pending upload. Plain functions: they flush, the views
commit."""

from __future__ import annotations

import posixpath
import re
from urllib.parse import quote

from flask_babel import gettext as _

from lms.authoring import publish as authoring
from lms.authoring.models import CourseUpload
from lms.authoring.publish import PublishResult
from lms.authoring.tree import working_tree
from lms.content import assets
from lms.content.assets import MAX_IMAGE_BYTES
from lms.content.files import Tree, TreeError, read_zip
from lms.content.models import Course
from lms.extensions import db
from lms.util import utcnow


def image_problem(data: bytes, suffix: str) -> str | None:
    """Why an upload is not an acceptable image, or None: the importer's own check (lms.content.assets)."""
    problem = assets.image_problem(data, suffix)
    if problem is None:
        return None
    if problem.kind == "size":
        return _("The image is larger than %(kb)s KB.", kb=MAX_IMAGE_BYTES // 1024)
    if problem.kind == "type":
        return _("Upload a PNG, JPEG, GIF, WebP or SVG image.")
    if problem.kind == "pixels":
        return _("The image has too many pixels (at most %(side)s pixels a side): make it smaller.",
                 side=assets.MAX_IMAGE_SIDE)
    if problem.kind == "svg":
        return _("An SVG image must be a static drawing, without scripts, event attributes or links to other "
                 "files (%(problem)s).", problem=problem.message.split(": ", 1)[-1])
    return _("This file is not an image.")


def zip_problem(data: bytes) -> str | None:
    """Why an uploaded zip cannot be a course (paths, sizes, links...), checked before it is saved."""
    try:
        trees = read_zip(data)
    except TreeError as exc:
        return _("The zip cannot be used: %(problem)s", problem=exc)
    if len(trees) != 1:
        return _("The zip must hold exactly one course.")
    return None


def save_image(course_id: int, folder: str, filename: str, data: bytes, author_id: int) -> str:
    """Save a checked image as a draft images/NAME in folder (a new name if another file has
    that one); returns images/NAME, the path the lesson links."""
    suffix = posixpath.splitext(filename)[1].lower()
    stem = re.sub(r"[^a-z0-9]+", "-", posixpath.splitext(filename or "gambar")[0].lower()).strip("-") or "gambar"
    name = f"images/{stem}{'.jpg' if suffix == '.jpeg' else suffix}"
    path = posixpath.join(folder, name) if folder else name
    tree = working_tree(course_id)
    counter = 2
    while path in tree and tree[path] != data:
        name = f"images/{stem}-{counter}{suffix}"
        path = posixpath.join(folder, name) if folder else name
        counter += 1
    authoring.save_draft(course_id, path, data, loaded_sha256=authoring.current(course_id, path).sha256
                         if path in tree else "", author_id=author_id)
    return name


def image_markdown(alt: str, name: str) -> str:
    """The Markdown line that shows the image."""
    alt = re.sub(r"[\[\]\n\r]", "", alt).strip()
    return f"![{alt}]({quote(name)})"


def append_to_lesson(course_id: int, lesson: str, folder: str, markdown: str, author_id: int) -> bool:
    """Without JavaScript: the image line at the end of the lesson's draft, if the lesson is in
    the image's folder (to be moved where it belongs). True if it was added."""
    now = authoring.current(course_id, lesson) if lesson.endswith(".md") and \
        posixpath.dirname(lesson) == folder else None
    if now is None:
        return False
    authoring.save_draft(course_id, lesson, (now.text.rstrip("\n") + f"\n\n{markdown}\n").encode("utf-8"),
                         loaded_sha256=now.sha256, author_id=author_id)
    return True


def gift_path(filename: str) -> str:
    """The course file an uploaded question bank is saved as: NAME.gift, or NAME.xml for Moodle XML."""
    name, suffix = posixpath.splitext(filename or "soal")
    stem = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return f"{stem or 'soal'}{'.xml' if suffix.lower() == '.xml' else '.gift'}"


def save_gift(course_id: int, filename: str, text: str, author_id: int) -> str:
    """Save an uploaded question bank (text) as a draft; returns its path."""
    path = gift_path(filename)
    now = authoring.current(course_id, path)
    conflict = authoring.save_draft(course_id, path, text.replace("\r\n", "\n").encode("utf-8"),
                                    loaded_sha256=now.sha256 if now else "", author_id=author_id)
    assert conflict is None  # loaded_sha256 is what is there now
    return path


def save_upload(course_id: int | None, filename: str | None, data: bytes, user_id: int) -> CourseUpload:
    """Keep a checked course zip until its uploader confirms it (course_id None: a new course)."""
    item = CourseUpload(course_id=course_id, filename=(filename or "kursus.zip")[:200], data=data,
                        created_by_id=user_id)
    db.session.add(item)
    db.session.flush()
    return item


def try_upload(item: CourseUpload, course: Course | None, user_id: int, *, dry_run: bool,
               confirm: bool = False) -> tuple[tuple[PublishResult, Tree] | None, str | None]:
    """Publish an upload's course (or create the new course), or only say what it would change
    (dry_run): ((result, tree), None), or (None, why the zip cannot be used)."""
    try:
        trees = read_zip(item.data)
    except TreeError as exc:
        return None, str(exc)
    if len(trees) != 1:
        return None, _("The zip must hold exactly one course.")
    if course is None:
        result = authoring.import_new(trees[0], item.filename, user_id, dry_run=dry_run)
    else:
        result = authoring.publish(course, user_id, tree=trees[0], origin="files", dry_run=dry_run,
                                   confirm_removals=confirm)
    return (result, trees[0]), None


def apply_upload(item: CourseUpload, course: Course | None, user_id: int, *,
                 confirm: bool = False) -> tuple[tuple[PublishResult, Tree] | None, str | None]:
    """Publish the upload's course (try_upload) and, when it went live, mark the upload applied
    (it cannot be applied twice). The caller rolls back what was not published."""
    outcome, error = try_upload(item, course, user_id, dry_run=False, confirm=confirm)
    if outcome is not None and outcome[0].published:
        item.applied_at = utcnow()
        db.session.flush()
    return outcome, error
