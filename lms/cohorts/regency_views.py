"""The organizer's list of participants whose regency/city is not on the list, to fix one by one."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from lms.auth import require
from lms.cohorts import regencies as ops
from lms.cohorts.models import Cohort
from lms.cohorts.participants import cohort_province
from lms.cohorts.views import bp
from lms.extensions import db


@bp.route("/cohorts/<int:cohort_id>/regencies", methods=["GET", "POST"])
@login_required
def regencies(cohort_id: int) -> Response | str | tuple[str, int]:
    """Participants whose regency/city is not on Kemendagri's list; choose the right one for each."""
    cohort = db.get_or_404(Cohort, cohort_id)
    require(current_user, "manage_cohort", cohort)
    error = None
    if request.method == "POST":
        user_id = request.form.get("user_id", "")
        try:
            user = ops.set_participant_regency(cohort, int(user_id) if user_id.isdigit() else 0,
                                               request.form.get("regency_code", "")[:10])
        except ops.RegencyError as exc:
            error = str(exc)
        else:
            db.session.commit()
            flash(_("%(name)s: %(regency)s.", name=user.full_name, regency=user.regency), "success")
            return redirect(url_for("cohorts.regencies", cohort_id=cohort.id))
    near = cohort_province(cohort)
    people = ops.unlisted_participants(cohort)
    return render_template("cohorts/regencies.html", cohort=cohort, people=people, total=ops.count_unlisted(cohort),
                           choices={u.id: ops.choices_for(u, near) for u in people}, error=error), \
        (400 if error else 200)
