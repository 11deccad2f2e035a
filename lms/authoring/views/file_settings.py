"""The settings of course.yml, a module.yml or a quiz file as form fields."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.authoring import publish as authoring
from lms.authoring import settings, structure
from lms.authoring.forms import CourseSettingsForm, ModuleSettingsForm, QuizSettingsForm
from lms.authoring.lessons import file_title
from lms.authoring.views.base import author_course, bp, checked_path
from lms.extensions import db


@bp.route("/courses/<slug>/files/<path:path>/settings", methods=["GET", "POST"])
@login_required
def file_settings(slug: str, path: str) -> Response | str:
    """The settings of course.yml, a module.yml or a quiz file as form fields; saved as a draft."""
    course = author_course(slug)
    now = authoring.current(course.id, checked_path(path))
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
