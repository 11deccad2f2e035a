"""What certificates do when upstream packages announce a fact (connected by create_app)."""

from __future__ import annotations

from lms.accounts.models import User
from lms.content.models import Course
from lms.extensions import db
from lms.plans.signals import plan_approved


@plan_approved.connect
def issue_when_plan_approved(plan, **kwargs):
    """An approved plan may be the last thing the trainee's certificate waited for."""
    from lms.certificates.rules import issue_if_eligible

    return issue_if_eligible(db.session.get(User, plan.user_id), db.session.get(Course, plan.course_id))
