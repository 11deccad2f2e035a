"""Who owns, authors and organizes a course: owners and admins grant and revoke these roles."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.accounts.models import User
from lms.auth import require
from lms.authoring.forms import CourseRoleForm
from lms.authoring.views.base import bp
from lms.content.models import Course, CourseRole
from lms.content.roles import ROLE_LABELS, CourseRoleError, course_people, grant_course_role, revoke_course_role
from lms.extensions import db


def _people_course(slug: str) -> Course:
    course = db.one_or_404(select(Course).where(Course.slug == slug))
    require(current_user, "grant_course_roles", course)
    return course


@bp.route("/courses/<slug>/people", methods=["GET", "POST"])
@login_required
def people(slug: str) -> Response | str | tuple[str, int]:
    """The course's owners, authors and organizers; owners and admins grant and revoke these roles."""
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
    course = _people_course(slug)
    record = db.get_or_404(CourseRole, role_id)
    if record.course_id != course.id:
        abort(404)
    revoke_course_role(record)
    db.session.commit()
    flash(_("The role was removed."), "success")
    return redirect(url_for("authoring.people", slug=course.slug))
