"""A trainee of mini-a (which collects action plans), her cohort's facilitator, and staff and a
trainee of another cohort of the same course."""

from __future__ import annotations

import pytest

from lms.extensions import db


@pytest.fixture
def plan_world(app, world, make_user, make_cohort, enrol_user):
    from lms.cohorts.models import CohortStaff

    other_cohort = make_cohort("mini-a", key="LAINRTL")
    neighbour = make_user(email="tetangga@example.test", full_name="Peserta Tetangga")
    enrol_user(neighbour, other_cohort)
    other_facilitator = make_user("facilitator", email="fasilitator-lain@example.test")
    with app.app_context():
        db.session.add_all([
            CohortStaff(cohort_id=world["cohort_a"].id, user_id=world["facilitator"].id, role="facilitator"),
            CohortStaff(cohort_id=other_cohort.id, user_id=other_facilitator.id, role="facilitator")])
        db.session.commit()
    return {**world, "other_cohort": other_cohort, "neighbour": neighbour, "other_facilitator": other_facilitator}


def complete_form(plan, **overrides) -> dict[str, str]:
    """A form that fills every section of the plan (its first need, goal and activity)."""
    need, goal, activity = plan.needs[0].id, plan.goals[0].id, plan.activities[0].id
    form = {
        "library": "Perpustakaan Desa Sungai Harapan", "team": "Pengelola, ketua PKK, Karang Taruna",
        "period_from": "2026-03", "period_to": "2026-08",
        f"need-{need}-need": "Perajin purun menjual tikar polos dengan harga rendah",
        f"need-{need}-evidence": "Rapat warga 22 orang, Januari 2026",
        "general_goal": "Perajin purun memperoleh penghasilan yang lebih baik",
        f"goal-{goal}-text": "Akhir Mei 2026, 15 dari 20 peserta membuat produk baru",
        f"activity-{activity}-title": "Pelatihan desain anyaman, 4 sesi",
        f"activity-{activity}-strategy": "engagement", f"activity-{activity}-target_group": "20 ibu perajin",
        f"activity-{activity}-partners": "PKK mengajak peserta", f"activity-{activity}-budget": "Rp 2.310.000",
        f"activity-{activity}-budget_source": "apbdes", f"activity-{activity}-starts_on": "2026-04",
        f"activity-{activity}-ends_on": "2026-05", f"activity-{activity}-indicator": "Peserta membuat produk baru",
        f"activity-{activity}-target": "15 orang, akhir Mei",
    }
    form.update(overrides)
    return form


def my_plan(app, user, course_slug="mini-a"):
    from sqlalchemy import select

    from lms.content.models import Course
    from lms.plans.rules import plan_of

    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == course_slug))
        plan = plan_of(user.id, course.id)
        if plan is not None:
            plan.needs, plan.goals, plan.activities  # noqa: B018 (loaded while the session is open)
        return plan
