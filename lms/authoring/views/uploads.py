"""Files in and out of the editor: images next to a lesson, question banks from Moodle, the
course as a zip (export), and uploaded zips checked, previewed and applied."""

from __future__ import annotations

import posixpath

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.auth import can, require
from lms.authoring import uploads
from lms.authoring.forms import GiftForm, ImageForm, PublishForm, ZipForm
from lms.authoring.models import CourseUpload
from lms.authoring.uploads import image_problem, zip_problem
from lms.authoring.views.base import author_course, bp, checked_path, form_errors
from lms.content.assets import MAX_IMAGE_BYTES
from lms.content.files import diff_trees, published_tree, zip_trees
from lms.content.loader import MAX_LESSON_BYTES
from lms.content.models import Course
from lms.extensions import db
from lms.util.downloads import attachment


@bp.post("/courses/<slug>/images")
@login_required
def upload_image(slug: str) -> Response | str:
    """Add an image next to a lesson (images/NAME in the lesson's folder), as a draft."""
    course = author_course(slug)
    form = ImageForm()
    folder = checked_path(form.folder.data) if form.folder.data else ""
    back = request.form.get("back", "")
    back = back if back.startswith("/author/") else url_for("authoring.course", slug=slug)
    by_script = request.headers.get("X-Requested-With") == "fetch"  # editor.js inserts the line at the cursor

    def refused(message: str):
        if by_script:
            return jsonify(error=message), 400
        flash(message, "error")
        return redirect(back)

    if not form.validate_on_submit():
        return refused(form_errors(form))
    upload = form.image.data
    data = upload.read(MAX_IMAGE_BYTES + 1)
    problem = image_problem(data, posixpath.splitext(upload.filename or "")[1].lower())
    if problem:
        return refused(problem)
    name = uploads.save_image(course.id, folder, upload.filename or "", data, current_user.id)
    markdown = uploads.image_markdown(form.alt.data, name)
    appended = False
    if not by_script:  # without the editor's script, the line goes at the end of the lesson's draft
        lesson = form.lesson.data or ""
        if lesson.endswith(".md") and posixpath.dirname(lesson) == folder:
            checked_path(lesson)
        appended = uploads.append_to_lesson(course.id, lesson, folder, markdown, current_user.id)
    db.session.commit()
    if by_script:
        return jsonify(markdown=markdown, message=_("Image added at the cursor. Save the draft to keep it."))
    if appended:
        flash(_("Image added at the end of the lesson text (draft): %(markdown)s. Move that line where the "
                "picture belongs.", markdown=markdown), "success")
    else:
        flash(_("Image added. Put this line in the lesson where it belongs: %(markdown)s", markdown=markdown),
              "success")
    return redirect(back)


@bp.get("/courses/<slug>/export.zip")
@login_required
def export(slug: str) -> Response:
    """The course folder as a zip, in the format `courses validate` accepts."""
    course = author_course(slug)
    tree = published_tree(course.id)
    if not tree:
        abort(404)
    return attachment(zip_trees({course.slug: tree}), f"{course.slug}.zip", "application/zip")


@bp.post("/courses/<slug>/upload")
@login_required
def upload(slug: str) -> Response | str:
    """Upload a course zip: it is checked and compared, and nothing changes until confirmed."""
    course = author_course(slug)
    form = ZipForm()
    if not form.validate_on_submit():
        flash(form_errors(form), "error")
        return redirect(url_for("authoring.course", slug=slug))
    data = form.archive.data.read()
    problem = zip_problem(data)
    if problem:  # nothing is saved
        flash(problem, "error")
        return redirect(url_for("authoring.course", slug=slug))
    item = uploads.save_upload(course.id, form.archive.data.filename, data, current_user.id)
    db.session.commit()
    return redirect(url_for("authoring.upload_preview", upload_id=item.id))


@bp.post("/upload")
@login_required
def upload_new() -> Response:
    """An admin uploads the zip of a new course: checked and previewed like any upload."""
    require(current_user, "admin")
    form = ZipForm()
    if not form.validate_on_submit():
        flash(form_errors(form), "error")
        return redirect(url_for("authoring.index"))
    data = form.archive.data.read()
    problem = zip_problem(data)
    if problem:  # nothing is saved
        flash(problem, "error")
        return redirect(url_for("authoring.index"))
    item = uploads.save_upload(None, form.archive.data.filename, data, current_user.id)
    db.session.commit()
    return redirect(url_for("authoring.upload_preview", upload_id=item.id))


def _upload(upload_id: int) -> tuple[CourseUpload, Course | None]:
    """My upload, and the course it updates (None: a new course, which only admins create)."""
    item = db.session.get(CourseUpload, upload_id)
    if item is None or not can(current_user, "use_upload", item):
        abort(404)  # someone else's upload: no hint that it exists
    return item, db.session.get(Course, item.course_id) if item.course_id is not None else None


@bp.get("/uploads/<int:upload_id>")
@login_required
def upload_preview(upload_id: int) -> str:
    """What the upload would add, change and remove, or why it cannot be used."""
    item, course = _upload(upload_id)
    outcome, error = uploads.try_upload(item, course, current_user.id, dry_run=True)
    db.session.rollback()
    result, tree = outcome if outcome else (None, None)
    files = diff_trees(published_tree(course.id) if course else {}, tree) if tree is not None else None
    return render_template("authoring/upload.html", course=course, item=item, result=result, error=error,
                           files=files, form=PublishForm())


@bp.post("/uploads/<int:upload_id>/apply")
@login_required
def upload_apply(upload_id: int) -> Response:
    item, course = _upload(upload_id)
    form = PublishForm()
    if not form.validate_on_submit() or item.applied_at is not None:
        abort(400)
    outcome, error = uploads.apply_upload(item, course, current_user.id, confirm=bool(form.confirm_removals.data))
    if outcome is None or not outcome[0].published:
        db.session.rollback()
        flash(error or _("The upload was not applied: see the problems below."), "error")
        return redirect(url_for("authoring.upload_preview", upload_id=upload_id))
    db.session.commit()
    flash(_("The uploaded course is live."), "success")
    return redirect(url_for("authoring.course", slug=course.slug if course else outcome[0].report.course_slug))


@bp.post("/courses/<slug>/gift")
@login_required
def upload_gift(slug: str) -> Response:
    """A GIFT or Moodle XML bank from Moodle, saved as a draft file of the course; its editor
    previews the questions with the importer's own checks. A quiz file uses it with
    `gift: NAME.gift` (or `gift: NAME.xml`)."""
    course = author_course(slug)
    form = GiftForm()
    if not form.validate_on_submit():
        flash(form_errors(form), "error")
        return redirect(url_for("authoring.course", slug=slug))
    data = form.gift.data.read(MAX_LESSON_BYTES + 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    if len(data) > MAX_LESSON_BYTES or text is None:
        flash(_("The file must be UTF-8 text of at most %(kb)s KB.", kb=MAX_LESSON_BYTES // 1024), "error")
        return redirect(url_for("authoring.course", slug=slug))
    path = uploads.save_gift(course.id, form.gift.data.filename, text, current_user.id)
    db.session.commit()
    flash(_("Saved as the draft %(path)s: preview its questions, then use it in a quiz file with gift: %(path)s.",
            path=path), "success")
    return redirect(url_for("authoring.edit", slug=slug, path=path))
