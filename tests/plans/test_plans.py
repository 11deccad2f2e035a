"""Action plans: drafting, what a submission needs, who may review, states, versions, and the
certificate that waits for an approved plan."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from lms.extensions import db
from tests.conftest import Auth, text_of
from tests.plans.conftest import complete_form, my_plan

RUBRIC_FORM = {"criterion-kebutuhan-met": "yes", "criterion-kegiatan-met": "yes"}


def start(client, auth, user):
    auth.login(user.email)
    assert client.post("/courses/mini-a/plan/start").status_code == 302


def submitted_plan(app, client, auth, user):
    start(client, auth, user)
    plan = my_plan(app, user)
    response = client.post("/courses/mini-a/plan", data={**complete_form(plan), "action": "submit"})
    assert response.status_code == 302, text_of(response.data)
    return my_plan(app, user)


def test_half_filled_plan_saves_as_draft_but_submission_names_the_missing_sections(app, client, auth, plan_world):
    trainee = plan_world["trainee"]
    auth.login(trainee.email)
    page = client.get("/courses/mini-a/plan")
    assert "Mulai rencana saya" in text_of(page.data)
    start(client, auth, trainee)
    plan = my_plan(app, trainee)
    need = plan.needs[0].id
    half = {"library": "Perpustakaan Desa Sungai Harapan", f"need-{need}-need": "Perajin purun butuh pasar"}
    assert client.post("/courses/mini-a/plan", data={**half, "action": "save"}).status_code == 302
    saved = my_plan(app, trainee)
    assert (saved.library, saved.needs[0].need, saved.status) == ("Perpustakaan Desa Sungai Harapan",
                                                                    "Perajin purun butuh pasar", "draft")

    response = client.post("/courses/mini-a/plan", data={**half, "action": "submit"})
    assert response.status_code == 422
    page = text_of(response.data)
    assert "belum dapat dikirim" in page
    assert "Kebutuhan 1: tulis buktinya" in page
    assert "Tujuan: tulis tujuan umum." in page
    assert "Kegiatan: uraikan sekurang-kurangnya satu kegiatan." in page
    assert "Identitas: tulis siapa saja yang menyusun rencana bersama Anda." in page
    assert my_plan(app, trainee).status == "draft"

    # Everything but an activity's indicator: the message names that activity and what it lacks.
    plan = my_plan(app, trainee)
    form = complete_form(plan, **{f"activity-{plan.activities[0].id}-indicator": ""})
    page = text_of(client.post("/courses/mini-a/plan", data={**form, "action": "submit"}).data)
    assert "Kegiatan 1: lengkapi indikator." in page
    assert my_plan(app, trainee).status == "draft"


def test_budgets_in_indonesian_formats_and_words_refused_with_a_hint(app, client, auth, plan_world):
    trainee = plan_world["trainee"]
    start(client, auth, trainee)
    activity = my_plan(app, trainee).activities[0].id
    field = f"activity-{activity}-budget"
    client.post("/courses/mini-a/plan", data={field: "Rp 1.500.000", f"activity-{activity}-title": "Pelatihan"})
    assert my_plan(app, trainee).activities[0].budget == 1_500_000
    assert 'value="1.500.000"' in client.get("/courses/mini-a/plan").get_data(as_text=True)

    response = client.post("/courses/mini-a/plan", data={field: "1,5 juta", f"activity-{activity}-title": "Latihan foto"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Tulis jumlahnya dengan angka: 1.500.000." in text_of(page)
    assert 'value="1,5 juta"' in page  # what she typed stays in the field to correct
    stored = my_plan(app, trainee).activities[0]
    assert (stored.budget, stored.title) == (1_500_000, "Latihan foto")  # the rest of the form is saved

    # The page's autosave gets the same answer as JSON.
    response = client.post("/courses/mini-a/plan", data={field: "2 jt", f"activity-{activity}-title": "Latihan"},
                           headers={"X-Requested-With": "fetch"})
    assert response.status_code == 200
    assert response.json["ok"] is False and field in response.json["errors"]


def test_rows_are_added_and_removed_without_javascript(app, client, auth, plan_world):
    trainee = plan_world["trainee"]
    start(client, auth, trainee)
    response = client.post("/courses/mini-a/plan", data={"action": "add:activity"})
    assert response.status_code == 302
    plan = my_plan(app, trainee)
    assert len(plan.activities) == 2
    assert response.headers["Location"].endswith(f"#activity-{plan.activities[1].id}")
    client.post("/courses/mini-a/plan", data={"action": f"remove:activity:{plan.activities[0].id}"})
    assert [a.id for a in my_plan(app, trainee).activities] == [plan.activities[1].id]
    # A row of somebody else's plan is not found in mine.
    other = plan_world["neighbour"]
    other_client = app.test_client()
    Auth(other_client).login(other.email)
    other_client.post("/courses/mini-a/plan/start")
    foreign = my_plan(app, other).activities[0].id
    client.post("/courses/mini-a/plan", data={"action": f"remove:activity:{foreign}"})
    assert len(my_plan(app, other).activities) == 1


def test_a_hand_made_button_is_refused_and_keeps_nothing(app, client, auth, plan_world):
    """A kind of row the plan does not have, or a row id that is no number: 400, and nothing of
    the posted form is stored (the request's one commit is never reached)."""
    trainee = plan_world["trainee"]
    start(client, auth, trainee)
    for action in ("add:budget", "remove:budget:1"):
        response = client.post("/courses/mini-a/plan", data={"general_goal": "Tidak tersimpan", "action": action})
        assert response.status_code == 400, action
    plan = my_plan(app, trainee)
    assert not plan.general_goal and (len(plan.needs), len(plan.goals), len(plan.activities)) == (1, 1, 1)
    # The autosave never acts on the button: it stores the form.
    response = client.post("/courses/mini-a/plan", data={"general_goal": "Tersimpan", "action": "add:budget"},
                           headers={"X-Requested-With": "fetch"})
    assert response.status_code == 200 and response.json["ok"] is True
    assert my_plan(app, trainee).general_goal == "Tersimpan"


def test_review_permissions(app, client, auth, plan_world):
    plan = submitted_plan(app, client, auth, plan_world["trainee"])
    auth.logout()
    expected = {"facilitator": 200, "organizer": 200, "admin": 200, "other_facilitator": 404, "neighbour": 404,
                "other_trainee": 404}
    for who, status in expected.items():
        visitor = app.test_client()
        Auth(visitor).login(plan_world[who].email)
        assert visitor.get(f"/plans/{plan.id}").status_code == status, who
        assert visitor.get(f"/plans/{plan.id}/versions/1").status_code == status, who
        review = visitor.post(f"/plans/{plan.id}/review", data={**RUBRIC_FORM, "comment": "Jadwal", "decision": "changes"})
        # Only her cohort's facilitator (and admins) review; the organizer reads, the others see nothing.
        want = {"facilitator": 302, "admin": 422, "organizer": 403}.get(who, 404)
        assert review.status_code == want, who
    with app.app_context():
        from lms.plans.models import PlanReview

        reviews = db.session.scalars(select(PlanReview)).all()
        assert [(r.reviewer_id, r.decision) for r in reviews] == [(plan_world["facilitator"].id, "changes_requested")]
    # The review form shows only to reviewers, and only while the plan waits for a review.
    visitor = app.test_client()
    Auth(visitor).login(plan_world["organizer"].email)
    assert "Setujui rencana" not in text_of(visitor.get(f"/plans/{plan.id}").data)


def test_states_versions_and_comments_per_criterion(app, client, auth, plan_world):
    trainee, facilitator = plan_world["trainee"], plan_world["facilitator"]
    plan = submitted_plan(app, client, auth, trainee)
    assert plan.status == "submitted" and plan.version_count == 1
    # Submitted: the trainee cannot change it (the form is gone, a post changes nothing).
    assert "Kirim untuk diperiksa" not in text_of(client.get("/courses/mini-a/plan").data)
    client.post("/courses/mini-a/plan", data={"library": "Diubah", "action": "save"})
    assert my_plan(app, trainee).library == "Perpustakaan Desa Sungai Harapan"
    assert client.post("/courses/mini-a/plan", data={"library": "Diubah"},
                       headers={"X-Requested-With": "fetch"}).status_code == 409

    reviewer = app.test_client()
    Auth(reviewer).login(facilitator.email)
    queue = text_of(reviewer.get("/plans").data)
    assert "1 rencana menunggu diperiksa" in queue and trainee.full_name in queue
    assert "1 rencana" in text_of(reviewer.get("/dashboard").data)
    # Approving with a criterion not met is refused; so is a review that rates nothing.
    refused = reviewer.post(f"/plans/{plan.id}/review", data={"criterion-kebutuhan-met": "no",
                                                               "criterion-kegiatan-met": "yes", "decision": "approve"})
    assert refused.status_code == 422 and "tidak dapat disetujui" in text_of(refused.data)
    assert reviewer.post(f"/plans/{plan.id}/review", data={"decision": "changes"}).status_code == 422
    assert my_plan(app, trainee).status == "submitted"
    reviewer.post(f"/plans/{plan.id}/review", data={
        "criterion-kebutuhan-met": "no", "criterion-kebutuhan-comment": "Tambahkan bukti dari data desa.",
        "criterion-kegiatan-met": "yes", "comment": "Sudah baik.", "decision": "changes"})
    assert my_plan(app, trainee).status == "changes_requested"

    # She sees the comment per criterion on her form, revises and resubmits.
    page = text_of(client.get("/courses/mini-a/plan").data)
    assert "Tambahkan bukti dari data desa." in page and "Kebutuhan warga berbukti" in page
    need = plan.needs[0].id
    response = client.post("/courses/mini-a/plan", data={
        **complete_form(plan), f"need-{need}-evidence": "Profil desa 2025: 31 perajin", "action": "submit"})
    assert response.status_code == 302
    assert my_plan(app, trainee).status == "submitted"

    reviewer.post(f"/plans/{plan.id}/review", data={**RUBRIC_FORM, "decision": "approve"})
    approved = my_plan(app, trainee)
    assert approved.status == "approved" and approved.version_count == 2
    assert reviewer.post(f"/plans/{plan.id}/review", data={**RUBRIC_FORM, "decision": "changes"}).status_code == 422

    with app.app_context():
        from lms.plans.models import PlanReview, PlanVersion

        versions = db.session.scalars(select(PlanVersion).order_by(PlanVersion.number)).all()
        assert [v.snapshot["needs"][0]["evidence"] for v in versions] == [
            "Rapat warga 22 orang, Januari 2026", "Profil desa 2025: 31 perajin"]
        assert versions[0].snapshot["activities"][0]["budget"] == 2_310_000
        reviews = db.session.scalars(select(PlanReview).order_by(PlanReview.id)).all()
        assert [(r.version_id, r.decision) for r in reviews] == [(versions[0].id, "changes_requested"),
                                                                  (versions[1].id, "approved")]
        assert reviews[0].criteria["kebutuhan"] == {"title": "Kebutuhan warga berbukti", "met": False,
                                                     "comment": "Tambahkan bukti dari data desa."}
    # Version 1 still shows what was reviewed then.
    assert "Rapat warga 22 orang" in text_of(client.get(f"/plans/{plan.id}/versions/1").data)
    assert "Disetujui" in text_of(client.get("/courses/mini-a/plan").data)


def _require_plan(app, course_slug="mini-a"):
    from lms.content.models import Course

    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == course_slug))
        settings = json.loads(course.action_plan_json)
        course.action_plan_json = json.dumps({**settings, "required": True})
        db.session.commit()


def test_certificate_waits_for_the_approved_plan_when_the_course_requires_it(app, client, auth, plan_world):
    from lms.certificates.models import Certificate
    from lms.content.models import Course

    _require_plan(app)
    trainee = plan_world["trainee"]
    start(client, auth, trainee)
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "mini-a"))
        for lesson in ("pengantar", "lanjutan"):
            client.post(f"/courses/mini-a/lessons/{lesson}/complete", data={"done": "1"})
        from lms.certificates.rules import eligibility

        assert eligibility(trainee, course) == (False, ["action plan not approved yet"])
        assert db.session.scalar(select(Certificate)) is None
    plan = my_plan(app, trainee)
    client.post("/courses/mini-a/plan", data={**complete_form(plan), "action": "submit"})
    reviewer = app.test_client()
    Auth(reviewer).login(plan_world["facilitator"].email)
    reviewer.post(f"/plans/{plan.id}/review", data={**RUBRIC_FORM, "decision": "approve"})
    with app.app_context():
        certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == trainee.id))
        assert certificate is not None and certificate.cohort_id == plan_world["cohort_a"].id
    assert "Unduh sertifikat" in text_of(client.get("/dashboard").data)


def test_a_plan_that_is_not_required_leaves_the_certificate_alone(app, client, auth, plan_world):
    from lms.certificates.rules import eligibility
    from lms.content.models import Course

    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "mini-a"))
        from lms.learning.progress import set_completed
        from lms.content.models import Lesson

        for lesson in db.session.scalars(select(Lesson).where(Lesson.course_id == course.id, Lesson.required)):
            set_completed(plan_world["trainee"], lesson, True)
        assert eligibility(plan_world["trainee"], course) == (True, [])


def test_staff_and_courses_without_plans_get_no_form(app, client, auth, plan_world):
    auth.login(plan_world["facilitator"].email)
    assert client.get("/courses/mini-a/plan").status_code == 404  # staff draft no plan of their own
    auth.logout()
    auth.login(plan_world["other_trainee"].email)
    assert client.get("/courses/mini-b/plan").status_code == 404  # mini-b collects no plan
    assert client.get("/courses/mini-a/plan").status_code == 403  # not her course


def test_cohort_page_lists_every_trainee_with_her_plan(app, client, auth, plan_world):
    submitted_plan(app, client, auth, plan_world["trainee"])
    organizer = app.test_client()
    Auth(organizer).login(plan_world["organizer"].email)
    page = text_of(organizer.get(f"/organizer/cohorts/{plan_world['cohort_a'].id}/plans").data)
    assert plan_world["trainee"].full_name in page and "Menunggu diperiksa" in page
    other = app.test_client()
    Auth(other).login(plan_world["other_facilitator"].email)
    assert other.get(f"/organizer/cohorts/{plan_world['cohort_a'].id}/plans").status_code == 403
    assert plan_world["trainee"].full_name not in text_of(other.get("/plans").data)


def test_demo_plans_at_every_stage(app, plan_world, make_user, enrol_user):
    from lms.cohorts.models import Cohort
    from lms.demo import seed_plans
    from lms.plans.models import ActionPlan

    for number in range(4):
        enrol_user(make_user(email=f"demo{number}@example.test"), plan_world["cohort_a"])
    with app.app_context():
        cohort = db.session.get(Cohort, plan_world["cohort_a"].id)
        assert seed_plans(cohort, plan_world["facilitator"], skip={plan_world["trainee"].id}) == 4
        statuses = db.session.scalars(select(ActionPlan.status).order_by(ActionPlan.id)).all()
        assert statuses == ["draft", "submitted", "changes_requested", "approved"]
