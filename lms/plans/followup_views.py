"""Follow-up pages: the trainee's report for a round (form, photos, sending), a report as her
cohort's staff read it, its photos, and a cohort's follow-ups. Routes of the plans blueprint."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from lms.accounts.models import User
from lms.auth import can, require
from lms.cohorts.models import Cohort
from lms.content.models import Course
from lms.extensions import db
from lms.plans import followup_ops as ops
from lms.plans import followups, rules
from lms.plans.exports import XLSX, held_rows, held_xlsx
from lms.plans.followup_forms import (AGE_LABELS, MAX_PHOTOS, PROGRESS_LABELS, SEX_LABELS, read_followup_form)
from lms.plans.forms import STRATEGY_LABELS
from lms.plans.operations import UnknownAction
from lms.plans.models import AGE_GROUPS, SEXES, ActionPlan, FollowUp, HeldActivity, HeldPhoto, PlanActivity
from lms.plans.views import _download, bp

LABELS = {"progress": PROGRESS_LABELS, "ages": AGE_LABELS, "sexes": SEX_LABELS, "strategies": STRATEGY_LABELS,
          "age_groups": AGE_GROUPS, "sex_keys": SEXES, "max_photos": MAX_PHOTOS}


def _my_round(course_slug: str, number: int) -> tuple[Course, ActionPlan, Cohort, followups.Round]:
    """My plan in the course and the round, if I report at it now; 404 otherwise."""
    course = db.one_or_404(select(Course).where(Course.slug == course_slug))
    require(current_user, "study", course)
    plan = rules.plan_of(current_user.id, course.id)
    if plan is None or plan.status not in followups.REPORTING_STATES:
        abort(404)
    require(current_user, "edit_plan", plan)
    cohort = db.session.get(Cohort, plan.cohort_id)
    due = followups.round_of(cohort, number, course)
    if due is None:
        abort(404)
    return course, plan, cohort, due


def _planned(plan_id: int) -> dict[int, PlanActivity]:
    return {a.id: a for a in db.session.scalars(select(PlanActivity).where(PlanActivity.plan_id == plan_id))}


def _form_page(course: Course, plan: ActionPlan, followup: FollowUp, errors=None, gaps=None, posted=None,
               status: int = 200):
    return render_template("plans/followup_edit.html", course=course, plan=plan, followup=followup,
                           planned=_planned(plan.id), errors=errors or {}, gaps=gaps or [], posted=posted,
                           labels=LABELS), status


@bp.get("/courses/<course_slug>/follow-ups/<int:number>")
@login_required
def followup(course_slug: str, number: int):
    """My follow-up report for the round: start it, fill it in, or read it once sent."""
    course, plan, cohort, due = _my_round(course_slug, number)
    report = followups.followup_of(plan.id, number)
    if report is None:
        return render_template("plans/followup_start.html", course=course, cohort=cohort, due=due)
    require(current_user, "edit_followup", report)
    if report.editable:
        return _form_page(course, plan, report)[0]
    return _show_page(report)


@bp.post("/courses/<course_slug>/follow-ups/<int:number>/start")
@login_required
def followup_start(course_slug: str, number: int) -> Response:
    """Start my report for the round (a row per planned activity, one empty activity held)."""
    course, plan, _cohort, _due = _my_round(course_slug, number)
    ops.start_followup(plan, number)
    db.session.commit()
    return redirect(url_for("plans.followup", course_slug=course.slug, number=number))


@bp.post("/courses/<course_slug>/follow-ups/<int:number>")
@login_required
def followup_save(course_slug: str, number: int):
    """Save the whole form with its new photos (or nothing, when a field or a photo is refused),
    then add or remove an activity or a photo, or send the report."""
    course, plan, cohort, _due = _my_round(course_slug, number)
    report = followups.followup_of(plan.id, number)
    if report is None:
        abort(404)
    require(current_user, "edit_followup", report)
    back = url_for("plans.followup", course_slug=course.slug, number=number)
    if not report.editable:
        flash(_("This report has been sent and cannot be changed."), "error")
        return redirect(back)
    action = request.form.get("action", "save")[:40]
    data = read_followup_form(request.form, request.files, report, followups.local_today(cohort.timezone))
    try:
        done = ops.save_form(report, data, action)
    except ops.FollowUpInvalid as exc:
        db.session.rollback()
        report = followups.followup_of(plan.id, number)
        return _form_page(course, plan, report, errors=exc.errors, posted=request.form, status=422)
    except UnknownAction:
        abort(400)
    db.session.commit()  # the form is kept, even when the button's action is refused
    if done.gaps:  # the draft is saved; it is not sent
        return _form_page(course, plan, report, gaps=done.gaps, status=422)
    if done.refused:
        flash(done.refused, "error")
        return redirect(back)
    if done.added is not None:
        return redirect(f"{back}#held-{done.added.id}")
    if done.removed:
        flash(_("Activity removed.") if done.removed == "activity" else _("Photo removed."), "info")
        return redirect(f"{back}#held")
    if done.submitted:
        flash(_("Thank you: your follow-up report has been sent."), "success")
        return redirect(back)
    if done.photos:
        flash(ngettext_photos(done.photos), "success")
    else:
        flash(_("Your report has been saved."), "success")
    return redirect(back)


def ngettext_photos(count: int) -> str:
    from flask_babel import ngettext

    return ngettext("Your report has been saved with %(num)s new photo.",
                    "Your report has been saved with %(num)s new photos.", count)


def _visible(followup_id: int) -> FollowUp:
    """The report, if I may read it; 404 otherwise (nobody learns that another's report exists)."""
    report = db.session.get(FollowUp, followup_id)
    if report is None or not can(current_user, "view_followup", report):
        abort(404)
    return report


def _show_page(report: FollowUp) -> str:
    plan = db.session.get(ActionPlan, report.plan_id)
    return render_template("plans/followup_show.html", followup=report, plan=plan,
                           course=db.session.get(Course, plan.course_id),
                           cohort=db.session.get(Cohort, report.cohort_id),
                           trainee=db.session.get(User, report.user_id), planned=_planned(plan.id), labels=LABELS)


@bp.get("/follow-ups/<int:followup_id>")
@login_required
def followup_view(followup_id: int) -> str:
    """A follow-up report, for its trainee and the staff of her cohort who read plans."""
    return _show_page(_visible(followup_id))


@bp.get("/follow-ups/photos/<int:photo_id>")
@login_required
def followup_photo(photo_id: int) -> Response:
    """A photo of an activity held, only for those who may read its report."""
    photo = db.session.get(HeldPhoto, photo_id)
    if photo is None:
        abort(404)
    activity = db.session.get(HeldActivity, photo.activity_id)
    _visible(activity.follow_up_id)
    if request.if_none_match.contains(photo.sha256):
        response = Response(status=304)
    else:
        response = Response(photo.data, mimetype=photo.content_type)
    response.set_etag(photo.sha256)
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/organizer/cohorts/<int:cohort_id>/follow-ups")
@login_required
def followup_cohort(cohort_id: int) -> str:
    """A cohort's follow-ups: each trainee who reports, per round; and the outcomes so far."""
    cohort = db.get_or_404(Cohort, cohort_id)
    require(current_user, "read_plans", cohort)
    course = db.session.get(Course, cohort.course_id)
    due = followups.due_rounds(cohort, course)
    rows = db.session.execute(select(ActionPlan, User).join(User, User.id == ActionPlan.user_id).where(
        ActionPlan.cohort_id == cohort.id, ActionPlan.status.in_(followups.REPORTING_STATES))
        .order_by(User.full_name, User.id)).all()
    reports = {(f.plan_id, f.round): f for f in db.session.scalars(
        select(FollowUp).where(FollowUp.cohort_id == cohort.id))}
    return render_template("plans/followup_cohort.html", cohort=cohort, course=course,
                           all_rounds=followups.rounds(cohort, course), due=due, rows=rows, reports=reports,
                           today=followups.local_today(cohort.timezone), overdue_days=followups.OVERDUE_AFTER_DAYS,
                           outcomes=followups.cohort_outcomes([cohort.id])[cohort.id], labels=LABELS)


@bp.get("/organizer/cohorts/<int:cohort_id>/follow-ups/activities.xlsx")
@login_required
def followup_cohort_xlsx(cohort_id: int) -> Response:
    """The activities held in the cohort's sent follow-up reports, one row each, in the shape of
    SIM TPBIS (for its staff who read plans)."""
    cohort = db.get_or_404(Cohort, cohort_id)
    require(current_user, "read_plans", cohort)
    return _download(held_xlsx(held_rows([cohort.id])), f"kegiatan-{cohort.slug}.xlsx", XLSX)
