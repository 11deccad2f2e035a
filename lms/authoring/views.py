"""The course editor: files as drafts, preview, publish, history, restore, images, zip round trip."""

from __future__ import annotations

import posixpath
import re
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select

from lms.auth import can, courses_for, require
from lms.authoring import publish as authoring
from lms.authoring import questions, settings, structure
from lms.authoring.forms import (CourseRoleForm, CourseSettingsForm, FileForm, GiftForm, ImageForm, LessonForm,
                                 ModuleSettingsForm, PublishForm, QuestionForm, QuizSettingsForm, StructureForm,
                                 ZipForm)
from lms.authoring.lessons import LessonFields, file_title, read_lesson, write_lesson
from lms.authoring.models import CourseFileVersion, CourseUpload
from lms.authoring.tree import TreeError, clean_path, diff_trees, drafts, published_tree, read_zip, working_tree, zip_trees
from lms.content import assets
from lms.content.assets import IMAGE_TYPES, MAX_IMAGE_BYTES
from lms.content.markdown import MarkdownError, render_markdown
from lms.content.models import Course, Lesson
from lms.extensions import db
from lms.util.downloads import attachment

bp = Blueprint("authoring", __name__, url_prefix="/author")


def _course(slug: str) -> Course:
    course = db.one_or_404(select(Course).where(Course.slug == slug))
    require(current_user, "author_course", course)
    return course


def _path(path: str) -> str:
    if clean_path(path) != path:
        abort(404)
    return path


@bp.get("/")
@login_required
def index() -> str:
    """The courses I may edit."""
    require(current_user, "author")
    courses = list(db.session.scalars(courses_for(current_user, "author_course").order_by(Course.title)))
    return render_template("authoring/index.html", courses=courses, zip_form=ZipForm())


@bp.get("/courses/<slug>")
@login_required
def course(slug: str) -> str:
    """Outline as the working files list it (drafts included), other files, drafts to publish."""
    course = _course(slug)
    tree = working_tree(course.id)
    modules, outline_problem = structure.outline(tree)
    lesson_paths = {lesson.path for module in modules for lesson in module.lessons}
    other_files = sorted(p for p in tree if p not in lesson_paths and p.endswith(authoring.TEXT_SUFFIXES))
    images = sorted(p for p in tree if posixpath.splitext(p)[1].lower() in IMAGE_TYPES)
    from lms.quizzes.regrade import retired_versions

    return render_template("authoring/course.html", course=course, modules=modules, outline_problem=outline_problem,
                           course_tests=structure.course_tests(tree),
                           retired=[r for r in retired_versions(course.id) if r.current is not None],
                           other_files=other_files, images=images, pending=drafts(course.id),
                           has_files=authoring.has_files(course.id), publish_form=PublishForm(), zip_form=ZipForm(),
                           structure_form=StructureForm(formdata=None), gift_form=GiftForm())


@bp.post("/courses/<slug>/structure")
@login_required
def change_structure(slug: str) -> Response:
    """Add, move, rename or remove a module or lesson: drafts of course.yml / module.yml."""
    course = _course(slug)
    form = StructureForm()
    back = url_for("authoring.course", slug=slug)
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(back)
    op, target = form.op.data, _path(form.target.data) if form.target.data else ""
    title, new_slug = (form.title.data or "").strip(), form.slug.data or ""
    try:
        if op in ("add_lesson", "add_module", "add_quiz"):
            if not title or not new_slug:
                raise structure.StructureError(_("Give a title and a short name."))
            if op == "add_quiz":
                from lms.quizzes.models import Quiz

                if db.session.scalar(select(Quiz.id).where(Quiz.course_id == course.id, Quiz.slug == new_slug)):
                    raise structure.StructureError(_("A quiz with the short name '%(slug)s' exists already.",
                                                     slug=new_slug))
                path = structure.add_quiz(course.id, target, new_slug, title, current_user.id)
                db.session.commit()
                flash(_("Quiz added as a draft: add its questions, then publish."), "success")
                return redirect(url_for("authoring.edit", slug=slug, path=path) + "#questions")
            if op == "add_lesson":
                taken = db.session.scalar(select(Lesson.id).where(Lesson.course_id == course.id, Lesson.slug == new_slug))
                if taken:
                    raise structure.StructureError(_("A lesson with the short name '%(slug)s' exists already.",
                                                     slug=new_slug))
                path = structure.add_lesson(course.id, target, new_slug, title, current_user.id)
                db.session.commit()
                flash(_("Lesson added as a draft: write it, then publish."), "success")
                return redirect(url_for("authoring.edit", slug=slug, path=path))
            structure.add_module(course.id, new_slug, title, current_user.id)
            flash(_("Module added as a draft; add its lessons, then publish."), "success")
        elif op in ("up", "down"):
            list_file, item = ("course.yml", target) if "/" not in target else (
                f"{posixpath.dirname(target)}/module.yml", posixpath.basename(target))
            structure.move(course.id, list_file, item, -1 if op == "up" else 1, current_user.id)
            flash(_("Order changed (draft)."), "success")
        elif op == "remove_lesson":
            structure.remove_lesson(course.id, target, current_user.id)
            flash(_("Lesson removed (draft). Learners' records are kept."), "success")
        elif op == "rename_module":
            if not title:
                raise structure.StructureError(_("Give a title and a short name."))
            structure.rename_module(course.id, target, title, current_user.id)
            flash(_("Module renamed (draft)."), "success")
    except structure.StructureError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(back)
    db.session.commit()
    return redirect(back)


def _preview(course: Course, path: str, body: str) -> Markup:
    """The same rendering and sanitizing as an import; images come from the working files. A text
    beyond the renderer's bounds is not rendered: the preview says why (line of the body)."""
    folder = posixpath.dirname(path)
    try:
        return Markup(render_markdown(body, source_dir=folder, asset_url=lambda p: url_for(
            "authoring.raw", slug=course.slug, path=p)).html)
    except MarkdownError as exc:
        message = (_("This text cannot be shown (line %(line)s of the lesson text): %(problem)s",
                     line=exc.line, problem=exc.message) if exc.line else
                   _("This text cannot be shown: %(problem)s", problem=exc.message))
        return Markup('<p class="error" role="alert">%s</p>') % message


@bp.route("/courses/<slug>/files/<path:path>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str, path: str) -> Response | str:
    """Edit a file as a draft. A lesson shows its title, minutes and body as fields."""
    course = _course(slug)
    path = _path(path)
    now = authoring.current(course.id, path)
    is_new = now is None
    if is_new and not path.endswith(authoring.TEXT_SUFFIXES):
        abort(404)
    lesson = path.endswith(".md")
    form = (LessonForm if lesson else FileForm)()
    if request.method == "GET":
        form.loaded_sha.data = now.sha256 if now else ""
        if lesson:
            fields = read_lesson(now.text if now else "")
            form.title.data, form.minutes.data, form.required.data, form.text.data = (
                fields.title, fields.minutes, fields.required, fields.body)
        else:
            form.text.data = now.text if now else ""
    preview = conflict = quiz_preview = None
    if form.validate_on_submit():
        if lesson:
            text = write_lesson(now.text if now else "", LessonFields(
                form.title.data.strip(), form.minutes.data, bool(form.required.data), form.text.data or ""))
        else:
            text = (form.text.data or "").replace("\r\n", "\n")
        if "preview" in request.form:
            if lesson:
                preview = _preview(course, path, read_lesson(text).body)
            else:
                quiz_preview = authoring.preview_questions(course, path, text.encode("utf-8"))
            if request.headers.get("X-Requested-With") == "fetch":  # the live preview pane (editor.js)
                return render_template("authoring/_preview.html", form=form, preview=preview,
                                       quiz_preview=quiz_preview)
        else:
            conflict = authoring.save_draft(course.id, path, text.encode("utf-8"), loaded_sha256=form.loaded_sha.data,
                                            author_id=current_user.id, rebase=form.rebase.data == "1")
            if conflict is None:
                db.session.commit()
                flash(_("Draft saved. Trainees see it after you publish."), "success")
                return redirect(url_for("authoring.edit", slug=slug, path=path))
            form.loaded_sha.data = conflict.theirs_sha256
    question_rows = question_problem = None
    if now is not None and questions.is_quiz_file(path):
        try:
            question_rows = questions.list_questions(now.text)
        except structure.StructureError as exc:
            question_problem = str(exc)
    return render_template(
        "authoring/edit.html", course=course, path=path, form=form, lesson=lesson, current=now, preview=preview,
        title=file_title(path, now.data if now else None),
        question_rows=question_rows, question_problem=question_problem, type_labels=QUESTION_TYPE_LABELS,
        has_settings=now is not None and settings.kind_of(path, "") is not None,
        conflict=conflict, diff=authoring.diff_lines(conflict.theirs, conflict.mine) if conflict else None,
        stale_diff=_stale_diff(course.id, now) if now and now.stale else None,
        image_form=ImageForm(folder=posixpath.dirname(path), lesson=path), is_new=is_new, quiz_preview=quiz_preview,
        previewable=lesson or path.endswith((".yml", ".yaml", ".gift", ".xml")),
    ), (409 if conflict else 400 if request.method == "POST" and form.errors else 200)


def _stale_diff(course_id: int, now: authoring.Current):
    published = published_tree(course_id).get(now.path, b"").decode("utf-8", errors="replace")
    return authoring.diff_lines(published, now.text)


@bp.post("/courses/<slug>/files/<path:path>/discard")
@login_required
def discard(slug: str, path: str) -> Response:
    course = _course(slug)
    if authoring.discard_draft(course.id, _path(path)):
        db.session.commit()
        flash(_("Draft discarded: %(path)s", path=path), "success")
    return redirect(url_for("authoring.course", slug=slug))


@bp.get("/courses/<slug>/raw/<path:path>")
@login_required
def raw(slug: str, path: str) -> Response:
    """A file of the working tree (drafts included), e.g. an image in a preview."""
    course = _course(slug)
    data = working_tree(course.id).get(_path(path))
    if data is None:
        abort(404)
    suffix = posixpath.splitext(path)[1].lower()
    mimetype = IMAGE_TYPES.get(suffix) or "text/plain; charset=utf-8"
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/courses/<slug>/files/<path:path>/history")
@login_required
def history(slug: str, path: str) -> str:
    course = _course(slug)
    versions = authoring.history(course.id, _path(path))
    if not versions:
        abort(404)
    from lms.accounts.models import User

    ids = {v.author_id for v in versions if v.author_id}
    authors = {u.id: u.full_name for u in db.session.scalars(select(User).where(User.id.in_(ids or {-1})))}
    now = authoring.current(course.id, path)
    title = file_title(path, now.data if now else None) or next(
        (file_title(path, v.data) for v in versions if v.data is not None), "")
    return render_template("authoring/history.html", course=course, path=path, versions=versions, authors=authors,
                           title=title)


def _version(course: Course, version_id: int) -> CourseFileVersion:
    version = db.session.get(CourseFileVersion, version_id)
    if version is None or version.course_id != course.id:
        abort(404)
    return version


@bp.get("/courses/<slug>/versions/<int:version_id>")
@login_required
def version(slug: str, version_id: int) -> str:
    """One version and what it changed from the one before."""
    course = _course(slug)
    version = _version(course, version_id)
    before = authoring.previous_version(version)
    old = (before.data or b"").decode("utf-8", errors="replace") if before else ""
    new = (version.data or b"").decode("utf-8", errors="replace")
    binary = posixpath.splitext(version.path)[1].lower() in IMAGE_TYPES
    return render_template("authoring/version.html", course=course, version=version, before=before,
                           title=file_title(version.path, version.data or (before.data if before else None)),
                           diff=None if binary else authoring.diff_lines(old, new))


@bp.post("/courses/<slug>/versions/<int:version_id>/restore")
@login_required
def restore(slug: str, version_id: int) -> Response:
    course = _course(slug)
    version = _version(course, version_id)
    authoring.restore(version, current_user.id)
    db.session.commit()
    from lms.util.formatting import format_local_datetime

    flash(_("The version of %(time)s is now the draft of %(path)s: check it, then publish.",
            time=format_local_datetime(version.created_at), path=version.path), "success")
    if version.data is not None and version.path.endswith(authoring.TEXT_SUFFIXES):
        return redirect(url_for("authoring.edit", slug=slug, path=version.path))
    return redirect(url_for("authoring.course", slug=slug))


@bp.get("/courses/<slug>/publish")
@login_required
def publish_summary(slug: str) -> Response | str | tuple[str, int]:
    """What publishing the drafts would add, change and remove (a dry run of the same import),
    and the one button that publishes it; or why it cannot be published yet."""
    course = _course(slug)
    if not drafts(course.id):
        flash(_("There are no drafts to publish."), "info")
        return redirect(url_for("authoring.course", slug=slug))
    digest = authoring.drafts_digest(course.id)
    result = authoring.publish(course, current_user.id, dry_run=True)
    summary = authoring.summarize(course.id, result.report, result.titles) if result.report else None
    db.session.rollback()
    form = PublishForm(formdata=None, drafts=digest)
    return render_template("authoring/publish_summary.html", course=course, result=result, summary=summary,
                           form=form, files=sorted(drafts(course.id))), (200 if result.report else 422)


@bp.post("/courses/<slug>/publish")
@login_required
def publish(slug: str) -> Response | str:
    """Validate the course with every draft and make it live, in one transaction."""
    course = _course(slug)
    form = PublishForm()
    if not form.validate_on_submit():
        abort(400)
    if form.drafts.data and form.drafts.data != authoring.drafts_digest(course.id):
        flash(_("The drafts changed since you looked at the summary: check what changes now, then publish."),
              "error")
        return redirect(url_for("authoring.publish_summary", slug=slug), 303)
    result = authoring.publish(course, current_user.id, confirm_removals=bool(form.confirm_removals.data))
    if result.published:
        db.session.commit()
        flash(_("Published: %(files)s.", files=", ".join(result.files)), "success")
        return redirect(url_for("authoring.course", slug=slug))
    db.session.rollback()
    return render_template("authoring/publish_failed.html", course=course, result=result, form=form), \
        (409 if result.stale or result.removes_completed else 422)


@bp.post("/courses/<slug>/images")
@login_required
def upload_image(slug: str) -> Response | str:
    """Add an image next to a lesson (images/NAME in the lesson's folder), as a draft."""
    course = _course(slug)
    form = ImageForm()
    folder = _path(form.folder.data) if form.folder.data else ""
    back = request.form.get("back", "")
    back = back if back.startswith("/author/") else url_for("authoring.course", slug=slug)
    by_script = request.headers.get("X-Requested-With") == "fetch"  # editor.js inserts the line at the cursor

    def refused(message: str):
        if by_script:
            return jsonify(error=message), 400
        flash(message, "error")
        return redirect(back)

    if not form.validate_on_submit():
        return refused(" ".join(str(e) for errors in form.errors.values() for e in errors))
    upload = form.image.data
    data = upload.read(MAX_IMAGE_BYTES + 1)
    suffix = posixpath.splitext(upload.filename or "")[1].lower()
    problem = image_problem(data, suffix)
    if problem:
        return refused(problem)
    stem = re.sub(r"[^a-z0-9]+", "-", posixpath.splitext(upload.filename or "gambar")[0].lower()).strip("-") or "gambar"
    name = f"images/{stem}{'.jpg' if suffix == '.jpeg' else suffix}"
    path = posixpath.join(folder, name) if folder else name
    tree = working_tree(course.id)
    counter = 2
    while path in tree and tree[path] != data:
        name = f"images/{stem}-{counter}{suffix}"
        path = posixpath.join(folder, name) if folder else name
        counter += 1
    authoring.save_draft(course.id, path, data, loaded_sha256=authoring.current(course.id, path).sha256
                         if path in tree else "", author_id=current_user.id)
    alt = re.sub(r"[\[\]\n\r]", "", form.alt.data).strip()
    markdown = f"![{alt}]({quote(name)})"
    if by_script:
        db.session.commit()
        return jsonify(markdown=markdown, message=_("Image added at the cursor. Save the draft to keep it."))
    lesson = form.lesson.data or ""
    now = authoring.current(course.id, _path(lesson)) if lesson.endswith(".md") and \
        posixpath.dirname(lesson) == folder else None
    if now is not None:  # without JavaScript: at the end of the lesson's draft, to be moved where it belongs
        authoring.save_draft(course.id, lesson, (now.text.rstrip("\n") + f"\n\n{markdown}\n").encode("utf-8"),
                             loaded_sha256=now.sha256, author_id=current_user.id)
        flash(_("Image added at the end of the lesson text (draft): %(markdown)s. Move that line where the "
                "picture belongs.", markdown=markdown), "success")
    else:
        flash(_("Image added. Put this line in the lesson where it belongs: %(markdown)s", markdown=markdown),
              "success")
    db.session.commit()
    return redirect(back)


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


@bp.get("/courses/<slug>/export.zip")
@login_required
def export(slug: str) -> Response:
    """The course folder as a zip, in the format `courses validate` accepts."""
    course = _course(slug)
    tree = published_tree(course.id)
    if not tree:
        abort(404)
    return attachment(zip_trees({course.slug: tree}), f"{course.slug}.zip", "application/zip")


@bp.post("/courses/<slug>/upload")
@login_required
def upload(slug: str) -> Response | str:
    """Upload a course zip: it is checked and compared, and nothing changes until confirmed."""
    course = _course(slug)
    form = ZipForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("authoring.course", slug=slug))
    data = form.archive.data.read()
    problem = _zip_problem(data)
    if problem:  # nothing is saved
        flash(problem, "error")
        return redirect(url_for("authoring.course", slug=slug))
    item = CourseUpload(course_id=course.id, filename=(form.archive.data.filename or "kursus.zip")[:200],
                        data=data, created_by_id=current_user.id)
    db.session.add(item)
    db.session.commit()
    return redirect(url_for("authoring.upload_preview", upload_id=item.id))


@bp.post("/upload")
@login_required
def upload_new() -> Response:
    """An admin uploads the zip of a new course: checked and previewed like any upload."""
    require(current_user, "admin")
    form = ZipForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("authoring.index"))
    data = form.archive.data.read()
    problem = _zip_problem(data)
    if problem:  # nothing is saved
        flash(problem, "error")
        return redirect(url_for("authoring.index"))
    item = CourseUpload(course_id=None, filename=(form.archive.data.filename or "kursus.zip")[:200],
                        data=data, created_by_id=current_user.id)
    db.session.add(item)
    db.session.commit()
    return redirect(url_for("authoring.upload_preview", upload_id=item.id))


def _zip_problem(data: bytes) -> str | None:
    """Why an uploaded zip cannot be a course (paths, sizes, links...), checked before it is saved."""
    try:
        trees = read_zip(data)
    except TreeError as exc:
        return _("The zip cannot be used: %(problem)s", problem=exc)
    if len(trees) != 1:
        return _("The zip must hold exactly one course.")
    return None


def _upload(upload_id: int) -> tuple[CourseUpload, Course | None]:
    """My upload, and the course it updates (None: a new course, which only admins create)."""
    item = db.session.get(CourseUpload, upload_id)
    if item is None or not can(current_user, "use_upload", item):
        abort(404)  # someone else's upload: no hint that it exists
    return item, db.session.get(Course, item.course_id) if item.course_id is not None else None


def _upload_result(item: CourseUpload, course: Course | None, *, dry_run: bool, confirm: bool = False):
    try:
        trees = read_zip(item.data)
    except TreeError as exc:
        return None, str(exc)
    if len(trees) != 1:
        return None, _("The zip must hold exactly one course.")
    if course is None:
        result = authoring.import_new(trees[0], item.filename, current_user.id, dry_run=dry_run)
    else:
        result = authoring.publish(course, current_user.id, tree=trees[0], origin="files", dry_run=dry_run,
                                   confirm_removals=confirm)
    return (result, trees[0]), None


@bp.get("/uploads/<int:upload_id>")
@login_required
def upload_preview(upload_id: int) -> str:
    """What the upload would add, change and remove, or why it cannot be used."""
    item, course = _upload(upload_id)
    outcome, error = _upload_result(item, course, dry_run=True)
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
    outcome, error = _upload_result(item, course, dry_run=False, confirm=bool(form.confirm_removals.data))
    if outcome is None or not outcome[0].published:
        db.session.rollback()
        flash(error or _("The upload was not applied: see the problems below."), "error")
        return redirect(url_for("authoring.upload_preview", upload_id=upload_id))
    from lms.util import utcnow

    item.applied_at = utcnow()
    db.session.commit()
    flash(_("The uploaded course is live."), "success")
    return redirect(url_for("authoring.course", slug=course.slug if course else outcome[0].report.course_slug))


def _retired(course: Course, question_id: int):
    from lms.quizzes.regrade import retired_versions

    found = next((r for r in retired_versions(course.id) if r.old.id == question_id), None)
    if found is None or found.current is None:
        abort(404)
    return found


@bp.route("/courses/<slug>/regrade/<int:question_id>", methods=["GET", "POST"])
@login_required
def regrade(slug: str, question_id: int) -> Response | str:
    """What regrading the answers of an earlier question version would change; then do it."""
    from lms.quizzes.regrade import regrade as run_regrade

    course = _course(slug)
    retired = _retired(course, question_id)
    form = FlaskForm()
    if retired.current.qtype != retired.old.qtype:
        return render_template("authoring/regrade.html", course=course, retired=retired, changes=None, form=form)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        changes = run_regrade(retired.old, retired.current, apply=True, by=current_user)
        db.session.commit()
        flash(ngettext("%(num)s answer regraded.", "%(num)s answers regraded.", len(changes)), "success")
        return redirect(url_for("authoring.course", slug=slug))
    changes = run_regrade(retired.old, retired.current, apply=False)
    return render_template("authoring/regrade.html", course=course, retired=retired, changes=changes, form=form)


@bp.post("/courses/<slug>/gift")
@login_required
def upload_gift(slug: str) -> Response:
    """A GIFT or Moodle XML bank from Moodle, saved as a draft file of the course; its editor
    previews the questions with the importer's own checks. A quiz file uses it with
    `gift: NAME.gift` (or `gift: NAME.xml`)."""
    course = _course(slug)
    form = GiftForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("authoring.course", slug=slug))
    from lms.content.loader import MAX_LESSON_BYTES

    data = form.gift.data.read(MAX_LESSON_BYTES + 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    if len(data) > MAX_LESSON_BYTES or text is None:
        flash(_("The file must be UTF-8 text of at most %(kb)s KB.", kb=MAX_LESSON_BYTES // 1024), "error")
        return redirect(url_for("authoring.course", slug=slug))
    name, suffix = posixpath.splitext(form.gift.data.filename or "soal")
    stem = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    path = f"{stem or 'soal'}{'.xml' if suffix.lower() == '.xml' else '.gift'}"
    now = authoring.current(course.id, path)
    conflict = authoring.save_draft(course.id, path, text.replace("\r\n", "\n").encode("utf-8"),
                                    loaded_sha256=now.sha256 if now else "", author_id=current_user.id)
    assert conflict is None  # loaded_sha256 is what is there now
    db.session.commit()
    flash(_("Saved as the draft %(path)s: preview its questions, then use it in a quiz file with gift: %(path)s.",
            path=path), "success")
    return redirect(url_for("authoring.edit", slug=slug, path=path))


QUESTION_TYPE_LABELS = {
    "single": _l("Single choice"), "multiple": _l("Multiple response"), "truefalse": _l("True or false"),
    "short": _l("Short answer"), "numeric": _l("Number"), "matching": _l("Matching"),
    "essay": _l("Essay (graded by a facilitator)"), "description": _l("Text only (no answer)"),
}
_ROWS = {"options": (4, 2), "answers": (3, 2), "pairs": (4, 2)}  # at least n rows, and k blank ones to add


def _quiz_file(course: Course, path: str) -> authoring.Current:
    path = _path(path)
    now = authoring.current(course.id, path)
    if now is None or not questions.is_quiz_file(path):
        abort(404)
    return now


def _question_fields(form: QuestionForm, key: str, qtype: str) -> questions.QuestionFields:
    """The form's values; blank rows of options, answers and pairs are left out."""

    def clean(value: str | None) -> str:
        return (value or "").replace("\r\n", "\n").strip()

    fields = questions.QuestionFields(key=key, qtype=qtype, text=clean(form.text.data),
                                      feedback=clean(form.feedback.data),
                                      mark=1.0 if form.mark.data is None else float(form.mark.data))
    if qtype in ("single", "multiple"):
        fields.options = [{"text": clean(o.form.text.data), "weight": o.form.weight.data,
                           "correct": bool(o.form.correct.data) or (o.form.weight.data or 0) > 0,
                           "feedback": clean(o.form.feedback.data)} for o in form.options if clean(o.form.text.data)]
    elif qtype == "truefalse":
        fields.answer = form.answer.data == "true"
        fields.feedback_true, fields.feedback_false = clean(form.feedback_true.data), clean(form.feedback_false.data)
    elif qtype == "short":
        fields.answers = [{"text": clean(a.form.text.data),
                           "weight": 100.0 if a.form.weight.data is None else float(a.form.weight.data),
                           "feedback": clean(a.form.feedback.data)} for a in form.answers if clean(a.form.text.data)]
    elif qtype == "numeric":
        fields.number, fields.tolerance = form.number.data, float(form.tolerance.data or 0)
        fields.feedback_wrong = clean(form.feedback_wrong.data)
    elif qtype == "matching":
        fields.pairs = [{"left": clean(p.form.left.data), "right": clean(p.form.right.data)}
                        for p in form.pairs if clean(p.form.left.data) or clean(p.form.right.data)]
    return fields


def _fill_question_form(form: QuestionForm, fields: questions.QuestionFields) -> None:
    form.key.data, form.text.data, form.feedback.data, form.mark.data = (
        fields.key, fields.text, fields.feedback, fields.mark)
    for option in fields.options:
        form.options.append_entry(option)
    form.answer.data = "true" if fields.answer else "false" if fields.answer is False else None
    form.feedback_true.data, form.feedback_false.data = fields.feedback_true, fields.feedback_false
    for answer in fields.answers:
        form.answers.append_entry(answer)
    form.number.data, form.tolerance.data, form.feedback_wrong.data = fields.number, fields.tolerance, fields.feedback_wrong
    for pair in fields.pairs:
        form.pairs.append_entry(pair)


def _pad_rows(form: QuestionForm) -> None:
    """Blank rows to fill in: the form works without JavaScript."""
    for name, (least, blank) in _ROWS.items():
        rows = getattr(form, name)
        filled = sum(1 for row in rows if any((f.data not in (None, "", False)) and f.name.split("-")[-1] != "weight"
                                              for f in row.form))
        while len(rows) < max(least, filled + blank):
            rows.append_entry()


@bp.route("/courses/<slug>/files/<path:path>/questions/new", methods=["GET", "POST"], endpoint="question_new")
@bp.route("/courses/<slug>/files/<path:path>/questions/<key>", methods=["GET", "POST"])
@login_required
def question(slug: str, path: str, key: str | None = None) -> Response | str:
    """One question of a quiz file in a form: added at the end, or changed where it is."""
    course = _course(slug)
    now = _quiz_file(course, path)
    new = key is None
    try:
        old = None if new else questions.read_question(now.text, key)
    except KeyError:
        abort(404)
    except structure.StructureError as exc:
        flash(_("This file cannot be edited question by question (%(problem)s); edit its text.", problem=exc), "error")
        return redirect(url_for("authoring.edit", slug=slug, path=path))
    qtype = old.qtype if old else request.values.get("type", "")
    if qtype not in QUESTION_TYPE_LABELS:
        abort(404)
    form = QuestionForm()
    if request.method == "GET":
        _fill_question_form(form, old or questions.QuestionFields(key="", qtype=qtype))
        form.loaded_sha.data, form.base.data = now.sha256, old.digest() if old else ""
    if not new:
        form.key.data = key  # the id never changes; the field is shown read-only
    preview = problems = theirs = None
    mistakes: list[str] = []
    if form.validate_on_submit():
        fields = _question_fields(form, form.key.data.strip(), qtype)
        mistakes = _question_mistakes(fields)
        text = now.text
        if now.sha256 != form.loaded_sha.data and not new:
            # The file was saved meanwhile: fine unless this very question changed.
            try:
                theirs = questions.read_question(now.text, key)
            except (KeyError, structure.StructureError):
                theirs = questions.QuestionFields(key=key, qtype=qtype)
            if theirs.digest() == form.base.data:
                theirs = None
            else:  # show theirs; saving again replaces it knowingly
                form.base.data, form.loaded_sha.data = theirs.digest(), now.sha256
        if not mistakes and theirs is None:
            try:
                text = questions.write_question(now.text, fields, new=new)
            except (KeyError, structure.StructureError) as exc:
                form.key.errors.append(str(exc))
            else:
                result = authoring.preview_questions(course, path, text.encode("utf-8"))
                problems = [p for p in result.problems if p.severity == "error" and p.file == f"{course.slug}/{path}"]
                preview = next((q for q in result.questions if q["key"] == fields.key), None)
                if "preview" not in request.form and not problems:
                    conflict = authoring.save_draft(course.id, path, text.encode("utf-8"), loaded_sha256=now.sha256,
                                                    author_id=current_user.id)
                    assert conflict is None  # the text was written on top of what is there now
                    db.session.commit()
                    flash(_("Question saved in the draft. Trainees see it after you publish."), "success")
                    return redirect(url_for("authoring.edit", slug=slug, path=path) + "#questions")
    _pad_rows(form)
    status = 409 if theirs else 400 if request.method == "POST" and (form.errors or problems or mistakes) else 200
    return render_template("authoring/question.html", course=course, path=path, form=form, qtype=qtype, new=new,
                           title=file_title(path, now.data),
                           key=key, type_label=QUESTION_TYPE_LABELS[qtype], preview=preview, problems=problems,
                           theirs=theirs, mistakes=mistakes), status


def _question_mistakes(fields: questions.QuestionFields) -> list[str]:
    """The usual slips, said in the editor's language before the importer's own checks run."""
    mistakes = []
    if not fields.text and fields.qtype != "description":
        mistakes.append(_("Write the question text."))
    if fields.qtype in ("single", "multiple"):
        correct = [o for o in fields.options if o["correct"]]
        full = [o for o in correct if o["weight"] is None or o["weight"] >= 100]
        if len(fields.options) < 2:
            mistakes.append(_("Give at least two options."))
        if fields.qtype == "single" and not full:
            mistakes.append(_("Tick the correct option (with no weight, or weight 100)."))
        if fields.qtype == "multiple" and not correct:
            mistakes.append(_("Tick at least one correct option."))
        if len({o["text"] for o in fields.options}) != len(fields.options):
            mistakes.append(_("Two options have the same text."))
    elif fields.qtype == "short" and not any(a["weight"] > 0 for a in fields.answers):
        mistakes.append(_("Give at least one accepted answer."))
    elif fields.qtype == "numeric" and fields.number is None:
        mistakes.append(_("Give the correct number."))
    elif fields.qtype == "matching":
        if len(fields.pairs) < 2:
            mistakes.append(_("Give at least two pairs."))
        if any(not p["left"] or not p["right"] for p in fields.pairs):
            mistakes.append(_("Each pair needs text on both sides."))
    return mistakes


@bp.post("/courses/<slug>/files/<path:path>/questions/<key>/<any(up, down, remove):op>")
@login_required
def question_order(slug: str, path: str, key: str, op: str) -> Response:
    """Move a question up or down, or remove it (its earlier answers keep their version)."""
    course = _course(slug)
    now = _quiz_file(course, path)
    back = url_for("authoring.edit", slug=slug, path=path) + "#questions"
    try:
        text = (questions.remove_question(now.text, key) if op == "remove"
                else questions.move_question(now.text, key, -1 if op == "up" else 1))
    except KeyError:
        abort(404)
    except structure.StructureError as exc:
        flash(str(exc), "error")
        return redirect(back)
    authoring.save_draft(course.id, path, text.encode("utf-8"), loaded_sha256=now.sha256, author_id=current_user.id)
    db.session.commit()
    flash(_("Question removed (draft). Answers already given keep it.") if op == "remove"
          else _("Order changed (draft)."), "success")
    return redirect(back)


@bp.route("/courses/<slug>/files/<path:path>/settings", methods=["GET", "POST"])
@login_required
def file_settings(slug: str, path: str) -> Response | str:
    """The settings of course.yml, a module.yml or a quiz file as form fields; saved as a draft."""
    course = _course(slug)
    now = authoring.current(course.id, _path(path))
    course_yml = authoring.current(course.id, "course.yml")
    kind = settings.kind_of(path, course_yml.text if course_yml else "") if now else None
    if kind is None:
        abort(404)
    fields = settings.settings_of(kind)
    form_class = {"course": CourseSettingsForm, "module": ModuleSettingsForm}.get(kind, QuizSettingsForm)
    try:
        before = settings.read_settings(now.text, fields)
    except structure.StructureError as exc:
        flash(_("This file cannot be edited in the form (%(problem)s); edit its text.", problem=exc), "error")
        return redirect(url_for("authoring.edit", slug=slug, path=path))
    form = form_class(data=before if request.method == "GET" else None)
    if request.method == "GET":
        form.loaded_sha.data, form.base.data = now.sha256, settings.digest(before)
    problems, theirs = None, None
    if form.validate_on_submit():
        values = {f.name: getattr(form, f.name).data for f in fields}
        if now.sha256 != form.loaded_sha.data and settings.digest(before) != form.base.data:
            theirs = before  # someone changed these settings meanwhile; saving again overrides knowingly
            form.loaded_sha.data, form.base.data = now.sha256, settings.digest(before)
        else:
            text = settings.write_settings(now.text, fields, values)
            problems = authoring.file_problems(course, path, text.encode("utf-8"))
            if not problems:
                authoring.save_draft(course.id, path, text.encode("utf-8"), loaded_sha256=now.sha256,
                                     author_id=current_user.id)
                db.session.commit()
                flash(_("Settings saved in the draft. Trainees see them after you publish."), "success")
                return redirect(url_for("authoring.course", slug=slug))
    status = 409 if theirs else 400 if request.method == "POST" and (form.errors or problems) else 200
    return render_template("authoring/settings.html", course=course, path=path, form=form, kind=kind,
                           title=file_title(path, now.data),
                           problems=problems, theirs=theirs, labels={f.name: getattr(form, f.name).label.text
                                                                     for f in fields}), status


# --- who owns, authors and organizes the course ---------------------------------------------------

def _people_course(slug: str) -> Course:
    course = db.one_or_404(select(Course).where(Course.slug == slug))
    require(current_user, "grant_course_roles", course)
    return course


@bp.route("/courses/<slug>/people", methods=["GET", "POST"])
@login_required
def people(slug: str) -> Response | str | tuple[str, int]:
    """The course's owners, authors and organizers; owners and admins grant and revoke these roles."""
    from lms.accounts.models import User
    from lms.content.roles import ROLE_LABELS, CourseRoleError, course_people, grant_course_role

    course = _people_course(slug)
    form = CourseRoleForm()
    form.role.choices = [(role, str(label)) for role, label in ROLE_LABELS.items()]
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.email == form.email.data.strip().lower()))
        try:
            if user is None:
                raise CourseRoleError(_("No facilitator or organizer account has this email."))
            grant_course_role(course, user, form.role.data, current_user)
        except CourseRoleError as exc:
            db.session.rollback()
            form.email.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("%(name)s now has a role on this course.", name=user.full_name), "success")
            return redirect(url_for("authoring.people", slug=course.slug))
    status = 200 if request.method == "GET" else 400
    return render_template("authoring/people.html", course=course, form=form, people=course_people(course),
                           labels=ROLE_LABELS), status


@bp.post("/courses/<slug>/people/<int:role_id>/remove")
@login_required
def remove_person(slug: str, role_id: int) -> Response:
    """Take a course role away."""
    from lms.content.models import CourseRole
    from lms.content.roles import revoke_course_role

    course = _people_course(slug)
    record = db.get_or_404(CourseRole, role_id)
    if record.course_id != course.id:
        abort(404)
    revoke_course_role(record)
    db.session.commit()
    flash(_("The role was removed."), "success")
    return redirect(url_for("authoring.people", slug=course.slug))
