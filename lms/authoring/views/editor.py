"""The editor's course page and files: outline and structure, editing a file as a draft with
its preview, discarding a draft, the working files as served to previews."""

from __future__ import annotations

import posixpath

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from lms.auth import courses_for, require
from lms.authoring import publish as authoring
from lms.authoring import questions, settings, structure
from lms.authoring.forms import FileForm, GiftForm, ImageForm, LessonForm, PublishForm, StructureForm, ZipForm
from lms.authoring.lessons import LessonFields, file_title, read_lesson, write_lesson
from lms.authoring.tree import drafts, working_tree
from lms.authoring.views.base import author_course, bp, checked_path, form_errors
from lms.content.assets import IMAGE_TYPES
from lms.content.files import published_tree
from lms.content.markdown import MarkdownError, render_markdown
from lms.content.models import Course, Lesson
from lms.extensions import db
from lms.quizzes.models import Quiz
from lms.quizzes.regrade import retired_versions
from lms.quizzes.types import type_labels


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
    course = author_course(slug)
    tree = working_tree(course.id)
    modules, outline_problem = structure.outline(tree)
    lesson_paths = {lesson.path for module in modules for lesson in module.lessons}
    other_files = sorted(p for p in tree if p not in lesson_paths and p.endswith(authoring.TEXT_SUFFIXES))
    images = sorted(p for p in tree if posixpath.splitext(p)[1].lower() in IMAGE_TYPES)
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
    course = author_course(slug)
    form = StructureForm()
    back = url_for("authoring.course", slug=slug)
    if not form.validate_on_submit():
        flash(form_errors(form), "error")
        return redirect(back)
    op, target = form.op.data, checked_path(form.target.data) if form.target.data else ""
    title, new_slug = (form.title.data or "").strip(), form.slug.data or ""
    then = back  # where the author goes next: a new lesson or quiz opens in the editor
    try:
        if op in ("add_lesson", "add_module", "add_quiz"):
            if not title or not new_slug:
                raise structure.StructureError(_("Give a title and a short name."))
            if op == "add_quiz":
                if db.session.scalar(select(Quiz.id).where(Quiz.course_id == course.id, Quiz.slug == new_slug)):
                    raise structure.StructureError(_("A quiz with the short name '%(slug)s' exists already.",
                                                     slug=new_slug))
                path = structure.add_quiz(course.id, target, new_slug, title, current_user.id)
                flash(_("Quiz added as a draft: add its questions, then publish."), "success")
                then = url_for("authoring.edit", slug=slug, path=path) + "#questions"
            elif op == "add_lesson":
                taken = db.session.scalar(select(Lesson.id).where(Lesson.course_id == course.id, Lesson.slug == new_slug))
                if taken:
                    raise structure.StructureError(_("A lesson with the short name '%(slug)s' exists already.",
                                                     slug=new_slug))
                path = structure.add_lesson(course.id, target, new_slug, title, current_user.id)
                flash(_("Lesson added as a draft: write it, then publish."), "success")
                then = url_for("authoring.edit", slug=slug, path=path)
            else:
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
    return redirect(then)


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
    course = author_course(slug)
    path = checked_path(path)
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
        question_rows=question_rows, question_problem=question_problem, type_labels=type_labels(),
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
    course = author_course(slug)
    if authoring.discard_draft(course.id, checked_path(path)):
        db.session.commit()
        flash(_("Draft discarded: %(path)s", path=path), "success")
    return redirect(url_for("authoring.course", slug=slug))


@bp.get("/courses/<slug>/raw/<path:path>")
@login_required
def raw(slug: str, path: str) -> Response:
    """A file of the working tree (drafts included), e.g. an image in a preview."""
    course = author_course(slug)
    data = working_tree(course.id).get(checked_path(path))
    if data is None:
        abort(404)
    suffix = posixpath.splitext(path)[1].lower()
    mimetype = IMAGE_TYPES.get(suffix) or "text/plain; charset=utf-8"
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    return response
