"""A quiz file question by question (add, change, move, remove) and regrading the answers of
an earlier question version."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from lms.authoring import publish as authoring
from lms.authoring import questions, structure
from lms.authoring.forms import QuestionForm
from lms.authoring.lessons import file_title
from lms.authoring.question_forms import (editor_section, fill_question_form, pad_rows, question_fields,
                                          question_mistakes)
from lms.authoring.views.base import author_course, bp, checked_path
from lms.content.models import Course
from lms.extensions import db
from lms.quizzes.regrade import regrade as run_regrade
from lms.quizzes.regrade import retired_versions
from lms.quizzes.types import QUESTION_TYPES


def _retired(course: Course, question_id: int):
    found = next((r for r in retired_versions(course.id) if r.old.id == question_id), None)
    if found is None or found.current is None:
        abort(404)
    return found


@bp.route("/courses/<slug>/regrade/<int:question_id>", methods=["GET", "POST"])
@login_required
def regrade(slug: str, question_id: int) -> Response | str:
    """What regrading the answers of an earlier question version would change; then do it."""
    course = author_course(slug)
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


def _quiz_file(course: Course, path: str) -> authoring.Current:
    path = checked_path(path)
    now = authoring.current(course.id, path)
    if now is None or not questions.is_quiz_file(path):
        abort(404)
    return now


@bp.route("/courses/<slug>/files/<path:path>/questions/new", methods=["GET", "POST"], endpoint="question_new")
@bp.route("/courses/<slug>/files/<path:path>/questions/<key>", methods=["GET", "POST"])
@login_required
def question(slug: str, path: str, key: str | None = None) -> Response | str:
    """One question of a quiz file in a form: added at the end, or changed where it is."""
    course = author_course(slug)
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
    if qtype not in QUESTION_TYPES:
        abort(404)
    form = QuestionForm()
    if request.method == "GET":
        fill_question_form(form, old or questions.QuestionFields(key="", qtype=qtype))
        form.loaded_sha.data, form.base.data = now.sha256, old.digest() if old else ""
    if not new:
        form.key.data = key  # the id never changes; the field is shown read-only
    preview = problems = theirs = None
    mistakes: list[str] = []
    if form.validate_on_submit():
        fields = question_fields(form, form.key.data.strip(), qtype)
        mistakes = question_mistakes(fields)
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
    pad_rows(form)
    status = 409 if theirs else 400 if request.method == "POST" and (form.errors or problems or mistakes) else 200
    return render_template("authoring/question.html", course=course, path=path, form=form, qtype=qtype, new=new,
                           title=file_title(path, now.data),
                           key=key, type_label=QUESTION_TYPES[qtype].label, section=editor_section(qtype),
                           scored=QUESTION_TYPES[qtype].scored, preview=preview, problems=problems,
                           theirs=theirs, mistakes=mistakes), status


@bp.post("/courses/<slug>/files/<path:path>/questions/<key>/<any(up, down, remove):op>")
@login_required
def question_order(slug: str, path: str, key: str, op: str) -> Response:
    """Move a question up or down, or remove it (its earlier answers keep their version)."""
    course = author_course(slug)
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
