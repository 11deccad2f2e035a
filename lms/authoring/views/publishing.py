"""A file's history, one version and restoring it; what publishing the drafts would change,
and publishing them."""

from __future__ import annotations

import posixpath

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.accounts.models import User
from lms.authoring import publish as authoring
from lms.authoring.forms import PublishForm
from lms.authoring.lessons import file_title
from lms.authoring.tree import drafts
from lms.authoring.views.base import author_course, bp, checked_path
from lms.content.assets import IMAGE_TYPES
from lms.content.models import Course, CourseFileVersion
from lms.extensions import db
from lms.util.formatting import format_local_datetime


@bp.get("/courses/<slug>/files/<path:path>/history")
@login_required
def history(slug: str, path: str) -> str:
    course = author_course(slug)
    versions = authoring.history(course.id, checked_path(path))
    if not versions:
        abort(404)
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
    course = author_course(slug)
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
    course = author_course(slug)
    version = _version(course, version_id)
    authoring.restore(version, current_user.id)
    db.session.commit()
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
    course = author_course(slug)
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
    course = author_course(slug)
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
