"""Action plan pages: the trainee's form, a plan with its reviews and versions, the review, and
the facilitators' queue."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from lms.accounts.models import User
from lms.auth import can, require
from lms.cohorts.models import Cohort
from lms.content.models import Course
from lms.extensions import db
from lms.plans import operations as ops
from lms.plans import rules
from lms.plans.exports import XLSX, held_rows, held_xlsx, plan_file_stem, plan_xlsx
from lms.plans.followups import followup_queue
from lms.plans.forms import (SECTION_LABELS, SOURCE_LABELS, STATUS_LABELS, STRATEGY_LABELS, PlanInput,
                             budget_value, month_label, month_value, read_plan_form, read_review_form)
from lms.plans.models import ActionPlan, PlanReview, PlanVersion
from lms.plans.pdf import plan_pdf
from lms.util.downloads import attachment

bp = Blueprint("plans", __name__)

LABELS = {"strategies": STRATEGY_LABELS, "sources": SOURCE_LABELS, "sections": SECTION_LABELS,
          "statuses": STATUS_LABELS, "month": month_value, "budget": budget_value,
          "month_label": month_label}


def _course(course_slug: str) -> Course:
    """The course, if I may study it and it collects an action plan."""
    course = db.one_or_404(select(Course).where(Course.slug == course_slug))
    require(current_user, "study", course)
    if not rules.has_plan(course):
        abort(404)
    return course


def _my_plan(course: Course) -> ActionPlan:
    plan = rules.plan_of(current_user.id, course.id)
    if plan is None:
        abort(404)
    require(current_user, "edit_plan", plan)
    return plan


def _reviews(plan: ActionPlan) -> list[tuple[PlanReview, User]]:
    return db.session.execute(select(PlanReview, User).join(User, User.id == PlanReview.reviewer_id)
                              .where(PlanReview.plan_id == plan.id)
                              .order_by(PlanReview.created_at.desc(), PlanReview.id.desc())).all()


def _versions(plan: ActionPlan) -> list[PlanVersion]:
    return db.session.scalars(select(PlanVersion).where(PlanVersion.plan_id == plan.id)
                              .order_by(PlanVersion.number.desc())).all()


def _edit_page(course: Course, plan: ActionPlan, data: PlanInput | None = None, gaps=None, status: int = 200):
    data = data or PlanInput()
    return render_template("plans/edit.html", course=course, plan=plan, errors=data.errors, raw=data.raw,
                           gaps=gaps or [], reviews=_reviews(plan), labels=LABELS,
                           rubric=rules.plan_settings(course).get("rubric", [])), status


def _show_page(plan: ActionPlan, review_errors: dict | None = None, review_message: str | None = None,
               status: int = 200):
    course = db.session.get(Course, plan.course_id)
    return render_template("plans/show.html", plan=plan, course=course,
                           cohort=db.session.get(Cohort, plan.cohort_id), trainee=db.session.get(User, plan.user_id),
                           content=ops.snapshot(plan), reviews=_reviews(plan), versions=_versions(plan),
                           rubric=rules.plan_settings(course).get("rubric", []), labels=LABELS,
                           review_errors=review_errors or {}, review_message=review_message,
                           form=request.form if review_errors is not None else {}), status


@bp.get("/courses/<course_slug>/plan")
@login_required
def mine(course_slug: str):
    """My action plan for the course: the form while I may edit it, else the plan and its reviews."""
    course = _course(course_slug)
    plan = rules.plan_of(current_user.id, course.id)
    if plan is None:
        if rules.trainee_cohort(current_user.id, course.id) is None:
            abort(404)
        return render_template("plans/start.html", course=course, required=rules.plan_required(course))
    require(current_user, "edit_plan", plan)
    if plan.editable:
        return _edit_page(course, plan)[0]
    return _show_page(plan)[0]


@bp.post("/courses/<course_slug>/plan/start")
@login_required
def start(course_slug: str) -> Response:
    """Start my plan (a draft with one empty row of each kind)."""
    course = _course(course_slug)
    if rules.trainee_cohort(current_user.id, course.id) is None:
        abort(404)
    ops.start_plan(current_user, course)
    db.session.commit()
    return redirect(url_for("plans.mine", course_slug=course.slug))


@bp.post("/courses/<course_slug>/plan")
@login_required
def save(course_slug: str):
    """Save my draft (the whole form), then add or remove a row, or submit it for review.
    JSON for the page's autosave; a redirect, or the form with its errors, otherwise."""
    course = _course(course_slug)
    plan = _my_plan(course)
    wants_json = request.headers.get("X-Requested-With") == "fetch"
    action = request.form.get("action", "save")[:40]
    back = url_for("plans.mine", course_slug=course.slug)
    if not plan.editable:
        if wants_json:
            return jsonify(ok=False, error="not editable"), 409
        flash(_("This plan has been submitted and cannot be changed now."), "error")
        return redirect(back)
    data = read_plan_form(request.form, plan)
    try:
        done = ops.save_form(plan, data, None if wants_json else action)
    except ops.UnknownAction:
        abort(400)
    db.session.commit()  # what was valid is kept, even when the button's action is refused
    if wants_json:
        return jsonify(ok=not data.errors, errors=data.errors)
    if data.errors or done.gaps:  # the page shows what to correct
        return _edit_page(course, plan, data, gaps=done.gaps, status=422)
    if done.refused:
        flash(done.refused, "error")
        return redirect(back)
    if done.added is not None:
        return redirect(f"{back}#{done.kind}-{done.added.id}")
    if done.removed:
        flash(_("Row removed."), "info")
        return redirect(f"{back}#{done.kind}s")
    if done.submitted:
        flash(_("Your plan has been sent to your facilitator for review."), "success")
        return redirect(back)
    flash(_("Your draft has been saved."), "success")
    return redirect(back)


def _visible_plan(plan_id: int) -> ActionPlan:
    """The plan, if I may see it; 404 otherwise (nobody learns that another's plan exists)."""
    plan = db.session.get(ActionPlan, plan_id)
    if plan is None or not can(current_user, "view_plan", plan):
        abort(404)
    return plan


@bp.get("/plans/<int:plan_id>")
@login_required
def view(plan_id: int):
    """A plan with its reviews and submitted versions; its reviewers find the review form here."""
    return _show_page(_visible_plan(plan_id))[0]


@bp.post("/plans/<int:plan_id>/review")
@login_required
def review(plan_id: int):
    """Approve the submitted plan or ask for changes, rating each criterion of the course's rubric."""
    plan = _visible_plan(plan_id)
    require(current_user, "review_plan", plan)
    course = db.session.get(Course, plan.course_id)
    decision, comment, criteria, errors = read_review_form(request.form, rules.plan_settings(course).get("rubric", []))
    try:
        done = ops.review_plan(plan, current_user, decision, comment, criteria, errors)
    except ops.ReviewError as exc:
        db.session.rollback()
        return _show_page(db.session.get(ActionPlan, plan_id), review_errors=exc.errors or {"_": str(exc)},
                          review_message=str(exc), status=422)
    db.session.commit()
    if done.decision == "approved":
        flash(_("The plan has been approved."), "success")
    else:
        flash(_("Your comments have been sent; the trainee can now revise the plan."), "success")
    return redirect(url_for("plans.queue"))


@bp.get("/plans/<int:plan_id>/versions/<int:number>")
@login_required
def version(plan_id: int, number: int):
    """A submitted version, as the reviewer read it."""
    plan = _visible_plan(plan_id)
    found = db.one_or_404(select(PlanVersion).where(PlanVersion.plan_id == plan.id, PlanVersion.number == number))
    reviews = [r for r in _reviews(plan) if r[0].version_id == found.id]
    return render_template("plans/version.html", plan=plan, version=found, content=found.snapshot,
                           trainee=db.session.get(User, plan.user_id), reviews=reviews, labels=LABELS)


def _download(data: bytes, name: str, mimetype: str) -> Response:
    return attachment(data, name, mimetype, cache_control="private, no-store")


@bp.get("/plans/<int:plan_id>/plan.pdf")
@login_required
def export_pdf(plan_id: int) -> Response:
    """The plan on one page (PDF), for those who may read it."""
    plan = _visible_plan(plan_id)
    return _download(plan_pdf(plan), f"{plan_file_stem(plan, db.session.get(User, plan.user_id))}.pdf",
                     "application/pdf")


@bp.get("/plans/<int:plan_id>/plan.xlsx")
@login_required
def export_xlsx(plan_id: int) -> Response:
    """The plan with every word (XLSX: identity, needs, goals, activities, reviews)."""
    plan = _visible_plan(plan_id)
    return _download(plan_xlsx(plan), f"{plan_file_stem(plan, db.session.get(User, plan.user_id))}.xlsx", XLSX)


@bp.get("/plans/<int:plan_id>/activities.xlsx")
@login_required
def export_held(plan_id: int) -> Response:
    """The activities held that the plan's sent follow-up reports list, one row each, in the shape
    of SIM TPBIS."""
    plan = _visible_plan(plan_id)
    stem = plan_file_stem(plan, db.session.get(User, plan.user_id)).replace("rtl-", "kegiatan-", 1)
    return _download(held_xlsx(held_rows([], plan_id=plan.id)), f"{stem}.xlsx", XLSX)


@bp.get("/plans")
@login_required
def queue():
    """Plans waiting for review in the cohorts I run or guide, with counts by status, and the
    follow-up reports sent and overdue."""
    require(current_user, "plan_queue")

    queues = rules.review_queue(current_user)
    followups = {f.cohort.id: f for f in followup_queue([q.cohort for q in queues])}
    return render_template("plans/queue.html", queues=queues, followups=followups, labels=LABELS)


@bp.get("/organizer/cohorts/<int:cohort_id>/plans")
@login_required
def cohort(cohort_id: int):
    """Every trainee of the cohort and the state of her plan."""
    found = db.get_or_404(Cohort, cohort_id)
    require(current_user, "read_plans", found)
    return render_template("plans/cohort.html", cohort=found, rows=rules.cohort_plans(found), labels=LABELS,
                           course=db.session.get(Course, found.course_id))


from lms.plans import followup_views  # noqa: E402,F401  (the follow-up routes of this blueprint)
