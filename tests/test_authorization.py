"""Every registered route, walked with every kind of visitor.

A new route fails test_every_route_is_listed until it is added to ROUTES with the answer
each visitor should get, so no page is left unguarded by omission.

The visitors (set up once per module and database by the `matrix` fixture; each case runs in a
savepoint rolled back afterwards, so every case starts from the same world):
- trainee: in cohort A (course mini-a) and in a cohort of mini-q, with attempts there;
  other_trainee: in cohort B (course mini-b) only;
- facilitator: assigned to cohort A and to the mini-q cohorts of the trainee and of the essay
  writer, with no course role (so: results and grading there, no editing);
- organizer: runs cohorts A and B and those mini-q cohorts;
- author: a facilitator who owns mini-a and authors mini-q (course roles), in no cohort;
- other_organizer / other_facilitator: staff of another cohort: assigned only to a different
  cohort of mini-a and of mini-q, and to cohort B (another course); the organizer may also
  create cohorts of mini-a and mini-q (a course role, which opens no cohort's records);
- idle_organizer / idle_facilitator: staff who run nothing.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import pytest

from lms.extensions import db, limiter
from tests.conftest import (DATA, build_world, cohort_factory, enroller, import_course_folder, login, rolled_back,
                            user_factory)

VISITORS = ["anonymous", "trainee", "other_trainee", "facilitator", "organizer", "admin", "author",
            "other_organizer", "other_facilitator", "idle_organizer", "idle_facilitator"]
ORGANIZERS = ("organizer", "other_organizer", "idle_organizer")
FACILITATORS = ("facilitator", "author", "other_facilitator", "idle_facilitator")
LOGIN = "login"  # redirected to the login page

# endpoint -> (method, url, {visitor: expected status or LOGIN})
A_LESSON = "/courses/mini-a/lessons/pengantar"


def everyone(status):
    return {visitor: status for visitor in VISITORS}


def signed_in(status, anonymous=LOGIN, **overrides):
    result = {visitor: status for visitor in VISITORS}
    result["anonymous"] = anonymous
    result.update(overrides)
    return result


def only(status, *visitors, anonymous=LOGIN, others=403, **overrides):
    """`status` for the named visitors, `others` for everyone else signed in."""
    return signed_in(others, anonymous=anonymous, **{v: status for v in visitors}, **overrides)


ROUTES = {
    "static": ("GET", "/static/css/app.css", everyone(200)),
    "core.index": ("GET", "/", signed_in(302, anonymous=200)),
    "core.healthz": ("GET", "/healthz", everyone(200)),
    "accounts.login": ("GET", "/login", signed_in(302, anonymous=200)),
    "accounts.logout": ("POST", "/logout", everyone(302)),
    "invites.register": ("GET", "/register", signed_in(302, anonymous=200)),
    "accounts.profile": ("GET", "/profile", signed_in(200)),
    "accounts.set_language": ("POST", "/language", everyone(302)),
    "core.dashboard": ("GET", "/dashboard", signed_in(200)),
    "learning.join": ("POST", "/join", signed_in(400)),  # an empty key is a form error
    # Lessons: a course's content (not anyone's records) is open to every member of staff.
    "learning.course": ("GET", "/courses/mini-a", signed_in(200, other_trainee=403)),
    "learning.resume": ("GET", "/courses/mini-a/continue", signed_in(302, other_trainee=403)),
    "learning.lesson": ("GET", A_LESSON, signed_in(200, other_trainee=403)),
    "learning.complete": ("POST", A_LESSON + "/complete", signed_in(302, other_trainee=403)),
    "content.asset": ("GET", "/courses/mini-a/assets/01-dasar/images/diagram.svg",
                      signed_in(200, other_trainee=403)),
    # Cohort lists are each organizer's own (filtered); a cohort's pages are its runners'.
    "cohorts.index": ("GET", "/organizer/cohorts", only(200, "admin", *ORGANIZERS)),
    "cohorts.new": ("GET", "/organizer/cohorts/new", only(200, "admin", *ORGANIZERS)),
    "cohorts.detail": ("GET", "/organizer/cohorts/{cohort_a}", only(200, "organizer", "admin")),
    "cohorts.add_staff": ("POST", "/organizer/cohorts/{cohort_a}/staff", only(302, "organizer", "admin")),
    # The organizer removes the record first, so the admin then finds nothing to remove.
    "cohorts.remove_staff": ("POST", "/organizer/cohorts/{cohort_a}/staff/{staff_id}/remove",
                             only(302, "organizer", admin=404)),
    "cohorts.import_participants": ("GET", "/organizer/cohorts/{cohort_a}/import", only(200, "organizer", "admin")),
    # An import batch is its uploader's (the organizer's); admins may see it too.
    "cohorts.import_preview": ("GET", "/organizer/imports/{batch_id}", only(200, "organizer", "admin")),
    "cohorts.import_commit": ("POST", "/organizer/imports/{batch_id}/commit", only(302, "organizer", "admin")),
    # Without a row and an action, the decision is a form error.
    "cohorts.import_decide": ("POST", "/organizer/imports/{batch_id}/decide", only(400, "organizer", "admin")),
    "cohorts.import_links": ("POST", "/organizer/imports/{batch_id}/links.csv", only(200, "organizer", "admin")),
    "reports.cohort_report": ("GET", "/organizer/cohorts/{cohort_a}/report", only(200, "organizer", "admin")),
    # A course's report covers the cohorts of it that I run (test_access checks whose rows show):
    # none, for staff who run nothing.
    "reports.course_report": ("GET", "/organizer/courses/mini-a/report",
                              only(200, "organizer", "admin", "other_organizer", idle_organizer=404)),
    "cohorts.regencies": ("GET", "/organizer/cohorts/{cohort_a}/regencies", only(200, "organizer", "admin")),
    "reports.remind": ("POST", "/organizer/cohorts/{cohort_a}/remind", only(302, "organizer", "admin")),
    # Confirming WhatsApp reminders as sent (none ticked: back to the report with a message).
    "reports.remind_sent": ("POST", "/organizer/cohorts/{cohort_a}/remind/sent", only(302, "organizer", "admin")),
    # The JSON API takes bearer tokens only: a browser session gets 401 (test_access covers tokens).
    "api.cohorts": ("GET", "/api/v1/cohorts", everyone(401)),
    "api.completion": ("GET", "/api/v1/cohorts/mini-a-c1/completion", everyone(401)),
    "api.participants": ("GET", "/api/v1/cohorts/mini-a-c1/participants", everyone(401)),
    "api.cohort_survey": ("GET", "/api/v1/cohorts/mini-q-c1/survey", everyone(401)),
    "api.course_survey": ("GET", "/api/v1/courses/mini-q/survey", everyone(401)),
    "api.cohort_chain": ("GET", "/api/v1/cohorts/mini-a-c1/chain", everyone(401)),
    "api.course_chain": ("GET", "/api/v1/courses/mini-a/chain", everyone(401)),
    "api.openapi": ("GET", "/api/v1/openapi.json", everyone(200)),
    "invites.set_password": ("GET", "/set-password/{token}", everyone(200)),  # the token is the key
    # Quizzes of mini-q, in which the trainee (not the other trainee) is enrolled.
    "quizzes.quiz": ("GET", "/courses/mini-q/quizzes/kuis-modul", signed_in(200, other_trainee=403)),
    "quizzes.start": ("POST", "/courses/mini-q/quizzes/kuis-modul/start", signed_in(302, other_trainee=403)),
    # The trainee's own attempts: nobody else may see or touch them (404, not even a hint).
    "quizzes.take": ("GET", "/attempts/{open_attempt}", signed_in(404, trainee=200)),
    "quizzes.save": ("POST", "/attempts/{open_attempt}/save", signed_in(404, trainee=302)),
    "quizzes.confirm": ("GET", "/attempts/{open_attempt}/submit", signed_in(404, trainee=200)),
    "quizzes.submit": ("POST", "/attempts/{open_attempt}/submit", signed_in(404, trainee=302)),
    # A submitted attempt: the trainee, and the staff of her cohort (not staff of another cohort
    # of the course, nor the course's author).
    "quizzes.result": ("GET", "/attempts/{done_attempt}/result",
                       only(200, "trainee", "facilitator", "organizer", "admin", others=404)),
    # Results of the trainee's cohort: its staff. Staff of another cohort of the course get 404
    # for this cohort (their own cohorts are listed); staff of no cohort of the course get 403.
    "quizzes.course_results": ("GET", "/courses/mini-q/results?cohort={quiz_cohort}",
                               only(200, "facilitator", "organizer", "admin",
                                    other_organizer=404, other_facilitator=404)),
    "quizzes.quiz_results": ("GET", "/courses/mini-q/quizzes/kuis-modul/results?cohort={quiz_cohort}",
                             only(200, "facilitator", "organizer", "admin",
                                  other_organizer=404, other_facilitator=404)),
    # The grading queue: facilitators' (each sees the answers of their own cohorts' trainees).
    "quizzes.grading": ("GET", "/grading", only(200, "admin", *FACILITATORS)),
    # Grading an answer: the facilitators of the writer's cohort, and admins (test_access checks
    # that a refused grade changes nothing).
    "quizzes.grade_answer": ("POST", "/answers/{essay_answer}/grade", only(302, "facilitator", "admin")),
    # A trainee's grade history: for those who run the cohort.
    "quizzes.grade_trail": ("GET", "/organizer/cohorts/{cohort_a}/participants/{trainee_id}/grades",
                            only(200, "organizer", "admin")),
    # The training evaluation of the trainee's mini-q cohort: only its trainees answer (she has not
    # done the post-test yet: the page says so, and a submission is refused); its staff read the
    # anonymous aggregates; a course's page covers the cohorts I run or facilitate.
    "surveys.take": ("GET", "/cohorts/{quiz_cohort}/survey", only(200, "trainee")),
    "surveys.submit": ("POST", "/cohorts/{quiz_cohort}/survey", only(409, "trainee")),
    "surveys.cohort_results": ("GET", "/organizer/cohorts/{quiz_cohort}/survey",
                               only(200, "facilitator", "organizer", "admin")),
    "surveys.course_results": ("GET", "/organizer/courses/mini-q/survey",
                               only(200, "facilitator", "organizer", "admin", "other_organizer", "other_facilitator")),
    # The chain report (reaction to results) follows the results rule ("view_results"): the cohort's
    # organizers and facilitators; a course's covers the cohorts of it in which I view results
    # (staff of another cohort of mini-a see theirs; the author and staff who run nothing, none).
    "reports.cohort_chain": ("GET", "/organizer/cohorts/{cohort_a}/chain",
                             only(200, "facilitator", "organizer", "admin")),
    "reports.course_chain": ("GET", "/organizer/courses/mini-a/chain",
                             only(200, "facilitator", "organizer", "admin", "other_organizer", "other_facilitator")),
    # A trainee's attempts and extra attempts: for those who run the cohort; granting one likewise
    # (the trainee has attempts left, so the grant changes nothing and redirects).
    "quizzes.attempt_record": ("GET", "/organizer/cohorts/{cohort_a}/participants/{trainee_id}/attempts",
                               only(200, "organizer", "admin")),
    "quizzes.grant_attempt": ("POST", "/organizer/cohorts/{cohort_a}/participants/{trainee_id}/grant",
                              only(302, "organizer", "admin")),
    # Certificates: verification and Open Badges are public; the PDF is the holder's (and her
    # cohort's organizers'); managing them is for the cohort's organizers and admins.
    "certificates.verify_form": ("GET", "/verify", everyone(200)),
    "certificates.verify": ("GET", "/verify/{cert_code}", everyone(200)),
    "certificates.badge_issuer": ("GET", "/badges/issuer", everyone(200)),
    "certificates.badge_class": ("GET", "/badges/classes/mini-a", everyone(200)),
    "certificates.badge_assertion": ("GET", "/badges/assertions/{cert_code}", everyone(200)),
    "certificates.download": ("GET", "/certificates/{cert_code}.pdf", only(200, "trainee", "organizer", "admin")),
    "certificates.cohort_certificates": ("GET", "/organizer/cohorts/{cohort_a}/certificates",
                                         only(200, "organizer", "admin")),
    "certificates.issue_cohort": ("POST", "/organizer/cohorts/{cohort_a}/certificates/issue",
                                  only(302, "organizer", "admin")),
    "certificates.start_zip": ("POST", "/organizer/cohorts/{cohort_a}/certificates/zip",
                               only(302, "organizer", "admin")),
    "certificates.revoke": ("POST", "/organizer/certificates/{cert_id}/revoke", only(302, "organizer", "admin")),
    "certificates.reissue": ("POST", "/organizer/certificates/{cert_id}/reissue", only(302, "organizer", "admin")),
    "jobs.progress": ("GET", "/organizer/jobs/{job_id}", only(200, "organizer", "admin")),
    "jobs.download": ("GET", "/organizer/jobs/{job_id}/download", only(200, "organizer", "admin")),
    # The course editor: the course's owners and authors (course roles), and admins. Being
    # assigned to a cohort of the course (the facilitator) gives no right to edit it.
    "authoring.index": ("GET", "/author/", only(200, "admin", *FACILITATORS)),
    "authoring.course": ("GET", "/author/courses/mini-a", only(200, "admin", "author")),
    "authoring.edit": ("GET", "/author/courses/mini-a/files/01-dasar/01-pengantar.md/edit",
                       only(200, "admin", "author")),
    "authoring.discard": ("POST", "/author/courses/mini-a/files/01-dasar/01-pengantar.md/discard",
                          only(302, "admin", "author")),
    "authoring.raw": ("GET", "/author/courses/mini-a/raw/01-dasar/images/diagram.svg", only(200, "admin", "author")),
    "authoring.history": ("GET", "/author/courses/mini-a/files/01-dasar/01-pengantar.md/history",
                          only(200, "admin", "author")),
    "authoring.version": ("GET", "/author/courses/mini-a/versions/{version_id}", only(200, "admin", "author")),
    "authoring.restore": ("POST", "/author/courses/mini-a/versions/{version_id}/restore",
                          only(302, "admin", "author")),
    "authoring.publish": ("POST", "/author/courses/mini-a/publish", only(302, "admin", "author")),
    # The summary of what publishing changes (no drafts: back to the course page).
    "authoring.publish_summary": ("GET", "/author/courses/mini-a/publish", only(302, "admin", "author")),
    "authoring.upload_image": ("POST", "/author/courses/mini-a/images", only(302, "admin", "author")),
    "authoring.export": ("GET", "/author/courses/mini-a/export.zip", only(200, "admin", "author")),
    "authoring.change_structure": ("POST", "/author/courses/mini-a/structure", only(302, "admin", "author")),
    # No question of mini-a has retired versions: its editors find nothing to regrade.
    "authoring.regrade": ("GET", "/author/courses/mini-a/regrade/999999", only(404, "admin", "author")),
    "authoring.upload_gift": ("POST", "/author/courses/mini-a/gift", only(302, "admin", "author")),
    "authoring.upload_new": ("POST", "/author/upload", only(302, "admin")),  # a new course: admins only
    "authoring.upload": ("POST", "/author/courses/mini-a/upload", only(302, "admin", "author")),
    # Questions of mini-q's module quiz in the form editor (the author authors mini-q).
    "authoring.question": ("GET", "/author/courses/mini-q/files/01-modul/kuis.yml/questions/pilih-satu",
                           only(200, "admin", "author")),
    "authoring.question_new": ("GET", "/author/courses/mini-q/files/01-modul/kuis.yml/questions/new?type=short",
                               only(200, "admin", "author")),
    "authoring.question_order": ("POST", "/author/courses/mini-q/files/01-modul/kuis.yml/questions/isian/down",
                                 only(302, "admin", "author")),
    "authoring.file_settings": ("GET", "/author/courses/mini-a/files/course.yml/settings",
                                only(200, "admin", "author")),
    # An uploaded zip is its uploader's (the admin's here): nobody else learns it exists.
    "authoring.upload_preview": ("GET", "/author/uploads/{upload_id}", signed_in(404, admin=200)),
    "authoring.upload_apply": ("POST", "/author/uploads/{upload_id}/apply", signed_in(404, admin=302)),
    # Who owns, authors and organizes mini-a: its owner (the author) and admins grant these roles.
    "authoring.people": ("GET", "/author/courses/mini-a/people", only(200, "admin", "author")),
    # The admin removes the other organizer's course role first; the owner then finds nothing.
    "authoring.remove_person": ("POST", "/author/courses/mini-a/people/{course_role_id}/remove",
                                only(302, "admin", author=404)),
    # Action plans (mini-a collects them). My plan: only trainees of a cohort of the course have one
    # (staff, who may read the course, have none: 404); her plan is submitted, so a save changes nothing.
    "plans.mine": ("GET", "/courses/mini-a/plan", signed_in(404, trainee=200, other_trainee=403)),
    "plans.start": ("POST", "/courses/mini-a/plan/start", signed_in(404, trainee=302, other_trainee=403)),
    "plans.save": ("POST", "/courses/mini-a/plan", signed_in(404, trainee=302, other_trainee=403)),
    # Her plan: she and the staff of her cohort read it; nobody else learns it exists (404). Her
    # cohort's facilitator and admins review it (an empty review is a form error); readers get 403.
    "plans.view": ("GET", "/plans/{plan_id}", only(200, "trainee", "facilitator", "organizer", "admin", others=404)),
    "plans.version": ("GET", "/plans/{plan_id}/versions/1",
                      only(200, "trainee", "facilitator", "organizer", "admin", others=404)),
    "plans.review": ("POST", "/plans/{plan_id}/review",
                     only(422, "facilitator", "admin", trainee=403, organizer=403, others=404)),
    # Her plan as files (one-page PDF, XLSX, the activities held in SIM TPBIS's shape): those who read it.
    "plans.export_pdf": ("GET", "/plans/{plan_id}/plan.pdf",
                         only(200, "trainee", "facilitator", "organizer", "admin", others=404)),
    "plans.export_xlsx": ("GET", "/plans/{plan_id}/plan.xlsx",
                          only(200, "trainee", "facilitator", "organizer", "admin", others=404)),
    "plans.export_held": ("GET", "/plans/{plan_id}/activities.xlsx",
                          only(200, "trainee", "facilitator", "organizer", "admin", others=404)),
    "plans.queue": ("GET", "/plans", only(200, "admin", *FACILITATORS, *ORGANIZERS)),
    "plans.cohort": ("GET", "/organizer/cohorts/{cohort_a}/plans", only(200, "facilitator", "organizer", "admin")),
    # Follow-ups: cohort A ended 100 days ago, so month 1 is due; her report for it is started with a
    # photo. Only she reports (staff have no plan: 404; the other trainee cannot study mini-a: 403).
    "plans.followup": ("GET", "/courses/mini-a/follow-ups/1", signed_in(404, trainee=200, other_trainee=403)),
    "plans.followup_start": ("POST", "/courses/mini-a/follow-ups/1/start",
                             signed_in(404, trainee=302, other_trainee=403)),
    "plans.followup_save": ("POST", "/courses/mini-a/follow-ups/1", signed_in(404, trainee=302, other_trainee=403)),
    # Her report and its photos: she and her cohort's staff read them; nobody else learns they exist.
    "plans.followup_view": ("GET", "/follow-ups/{followup_id}",
                            only(200, "trainee", "facilitator", "organizer", "admin", others=404)),
    "plans.followup_photo": ("GET", "/follow-ups/photos/{photo_id}",
                             only(200, "trainee", "facilitator", "organizer", "admin", others=404)),
    "plans.followup_cohort": ("GET", "/organizer/cohorts/{cohort_a}/follow-ups",
                              only(200, "facilitator", "organizer", "admin")),
    "plans.followup_cohort_xlsx": ("GET", "/organizer/cohorts/{cohort_a}/follow-ups/activities.xlsx",
                                   only(200, "facilitator", "organizer", "admin")),
    # Offline use: the worker, the app manifest and the offline page are public (the worker is
    # fetched before any login; the pages it keeps are each guarded as usual).
    "offline.service_worker": ("GET", "/sw.js", everyone(200)),
    "offline.web_manifest": ("GET", "/manifest.webmanifest", everyone(200)),
    "offline.offline_page": ("GET", "/offline", everyone(200)),
    # The queue's session check answers 401 (not a redirect) to nobody signed in.
    "offline.session_state": ("GET", "/offline/session", signed_in(200, anonymous=401)),
    # A module's and a course's offline manifests follow the rule of studying the course: a
    # trainee removed from it gets 403, and her device deletes what it saved.
    "offline.module_json": ("GET", "/courses/mini-a/modules/{module_a}/offline.json",
                            signed_in(200, other_trainee=403)),
    "offline.course_json": ("GET", "/courses/mini-a/offline.json", signed_in(200, other_trainee=403)),
    "offline.data_saver": ("POST", "/offline/data-saver", signed_in(302)),
}


def build_attempts(app, world, make_cohort, enrol_user, make_user):
    """The trainee, also in a cohort of mini-q, has one open and one submitted attempt."""
    from sqlalchemy import select

    from lms.extensions import db
    from lms.quizzes.attempts import start_attempt, submit_attempt
    from lms.quizzes.models import Quiz

    quiz_cohort = make_cohort("mini-q", key="KUISMATRIX")
    enrol_user(world["trainee"], quiz_cohort)
    with app.app_context():
        quizzes = {q.slug: q for q in db.session.scalars(select(Quiz))}
        open_attempt = start_attempt(world["trainee"], quizzes["kuis-modul"])
        done = start_attempt(world["trainee"], quizzes["pre"])
        db.session.commit()
        submit_attempt(done.id, world["trainee"].id)
        db.session.commit()
        # An essay answer waiting for a grade, in a submitted attempt of another trainee.
        from lms.quizzes.models import Answer, Question

        essay = db.session.scalar(select(Question).where(Question.key == "uraian"))
        writer = make_user(email="penulis@example.test")
        essay_cohort = make_cohort("mini-q", key="KUISESAI")
        enrol_user(writer, essay_cohort)
        essay_attempt = start_attempt(writer, quizzes["kuis-modul"])
        db.session.add(Answer(attempt_id=essay_attempt.id, question_id=essay.id, response_json='"Rencana saya"'))
        db.session.commit()
        submit_attempt(essay_attempt.id, writer.id)
        db.session.commit()
        answer_id = db.session.scalar(select(Answer.id).where(Answer.attempt_id == essay_attempt.id))
        # A certificate of the trainee in cohort A, and a finished ZIP job.
        from lms.certificates.rules import issue_certificate
        from lms.cohorts.models import Cohort
        from lms.jobs import Job

        certificate, _ = issue_certificate(world["trainee"], db.session.get(Cohort, world["cohort_a"].id))
        job = Job(kind="certificates_zip", status="done", params_json='{"cohort_id": %d}' % world["cohort_a"].id,
                  result=b"PK", result_name="x.zip")
        db.session.add(job)
        from lms.cohorts.models import CohortStaff, ImportBatch
        from lms.cohorts.participants import new_password_token

        staff = db.session.scalar(select(CohortStaff).where(CohortStaff.cohort_id == world["cohort_a"].id))
        batch = ImportBatch(cohort_id=world["cohort_a"].id, created_by_id=world["organizer"].id,
                            filename="peserta.csv", data=b"nama,email\nBaru,baru@perpus.id\n")
        db.session.add(batch)
        newcomer = make_user(email="undangan@example.test")
        token = new_password_token(newcomer)
        from lms.authoring.models import CourseUpload
        from lms.content.models import CourseFileVersion

        version_id = db.session.scalar(select(CourseFileVersion.id).where(
            CourseFileVersion.path == "01-dasar/01-pengantar.md", CourseFileVersion.course_id == world["cohort_a"].course_id))
        upload = CourseUpload(course_id=world["cohort_a"].course_id, filename="x.zip", data=b"PK",
                              created_by_id=world["admin"].id)
        db.session.add(upload)
        # The trainee's action plan in cohort A, complete and submitted for review.
        from datetime import date

        from lms.plans.operations import start_plan, submit_plan

        plan = start_plan(world["trainee"], db.session.get(Cohort, world["cohort_a"].id).course)
        plan.team, plan.period_from, plan.period_to, plan.general_goal = "Tim", date(2026, 3, 1), date(2026, 8, 1), "Umum"
        plan.needs[0].need, plan.needs[0].evidence, plan.goals[0].text = "Kebutuhan", "Bukti", "T1"
        activity = plan.activities[0]
        activity.title, activity.strategies, activity.target_group = "Kegiatan", "advocacy", "Warga"
        activity.starts_on, activity.indicator, activity.target = date(2026, 4, 1), "Indikator", "10 orang"
        plan.library = "Perpustakaan"
        submit_plan(plan)
        # Cohort A ended 100 days ago: her follow-up report for month 1 is started, with a photo.
        from datetime import timedelta

        from lms.plans.followup_ops import start_followup
        from lms.plans.models import HeldPhoto

        cohort_a = db.session.get(Cohort, world["cohort_a"].id)
        cohort_a.ends_on = date.today() - timedelta(days=100)
        report = start_followup(plan, 1)
        report.held[0].photos.append(HeldPhoto(content_type="image/jpeg", sha256="0" * 64, width=1, height=1,
                                               data=b"\xff\xd8\xff"))
        db.session.flush()
        from lms.content.models import Course, Module

        followup_ids = {"followup_id": report.id, "photo_id": report.held[0].photos[0].id}
        db.session.commit()
        return {**followup_ids, "plan_id": plan.id, "staff_id": staff.id, "batch_id": batch.id, "token": token,"open_attempt": open_attempt.id, "done_attempt": done.id, "essay_answer": answer_id,
                "cert_code": certificate.code, "cert_id": certificate.id, "cohort_a": world["cohort_a"].id,
                "trainee_id": world["trainee"].id, "job_id": job.id, "version_id": version_id, "upload_id": upload.id,
                "quiz_cohort": quiz_cohort.id, "essay_cohort": essay_cohort.id,
                "module_a": db.session.scalar(select(Module.id).join(Course).where(Course.slug == "mini-a"))}


def make_visitors(app, world, ids, make_cohort, make_user) -> dict:
    """Every visitor of the matrix (see the module docstring), with their cohorts and course roles."""
    from sqlalchemy import select

    from lms.cohorts.models import CohortStaff
    from lms.content.models import Course, CourseRole
    from lms.extensions import db

    people = {visitor: world[visitor] for visitor in ("trainee", "other_trainee", "facilitator", "organizer", "admin")}
    people["author"] = make_user("facilitator", email="pemilik@example.test")
    for visitor in ("other_organizer", "other_facilitator", "idle_organizer", "idle_facilitator"):
        people[visitor] = make_user(visitor.split("_")[1], email=f"{visitor.replace('_', '-')}@example.test")
    other_a, other_q = make_cohort("mini-a", key="LAINA"), make_cohort("mini-q", key="LAINQ")
    with app.app_context():
        course = {c.slug: c for c in db.session.scalars(select(Course))}
        staff = [(people["facilitator"], c) for c in (world["cohort_a"].id, ids["quiz_cohort"], ids["essay_cohort"])]
        staff += [(people["organizer"], c) for c in (ids["quiz_cohort"], ids["essay_cohort"])]
        staff += [(people[v], c) for v in ("other_organizer", "other_facilitator")
                  for c in (other_a.id, other_q.id, world["cohort_b"].id)]
        db.session.add_all([CohortStaff(cohort_id=c, user_id=u.id, role=u.role) for u, c in staff])
        db.session.add_all([
            CourseRole(course_id=course["mini-a"].id, user_id=people["author"].id, role="owner"),
            CourseRole(course_id=course["mini-q"].id, user_id=people["author"].id, role="author"),
            CourseRole(course_id=course["mini-q"].id, user_id=people["other_organizer"].id, role="organizer")])
        role = CourseRole(course_id=course["mini-a"].id, user_id=people["other_organizer"].id, role="organizer")
        db.session.add(role)
        db.session.commit()
        ids["course_role_id"] = role.id
    return people


class Matrix:
    """The matrix's world, built once per module and backend, and each visitor's session cookie."""

    def __init__(self, app, connection, ids: dict, sessions: dict) -> None:
        self.app, self.connection, self.ids, self.sessions = app, connection, ids, sessions

    @contextmanager
    def case(self):
        """A case starts from the world as built: what it changes is rolled back (a savepoint)."""
        savepoint = self.connection.begin_nested()
        limiter.reset()
        try:
            yield
        finally:
            with self.app.app_context():
                db.session.remove()
            savepoint.rollback()

    def client(self, visitor: str):
        """A client of the visitor, as just logged in (a case may log out or change the session)."""
        client = self.app.test_client()
        if visitor != "anonymous":
            client.set_cookie(self.app.config["SESSION_COOKIE_NAME"], self.sessions[visitor])
        return client


@pytest.fixture(scope="module")
def matrix(backend_app) -> Iterator[Matrix]:
    """The world, attempts and visitors, built once; each visitor logs in once (the real form)."""
    app = backend_app
    with rolled_back(app) as connection:
        make_user, make_cohort, enrol_user = user_factory(app), cohort_factory(app), enroller(app)
        import_course_folder(app, DATA / "courses")
        world = build_world(app, make_user, make_cohort, enrol_user)
        ids = build_attempts(app, world, make_cohort, enrol_user, make_user)
        visitors = make_visitors(app, world, ids, make_cohort, make_user)
        sessions = {}
        for visitor in VISITORS[1:]:
            client = login(app, visitors[visitor])
            client.get("/dashboard")  # as a browser follows the login: the session now holds its CSRF token
            sessions[visitor] = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
        yield Matrix(app, connection, ids, sessions)


def test_every_route_is_listed(app):
    registered = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert registered - set(ROUTES) == set(), "add the new routes to ROUTES with their expected answers"
    assert set(ROUTES) - registered == set(), "ROUTES lists endpoints that no longer exist"


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_route_answers_each_visitor_as_expected(matrix, endpoint):
    method, url, expected = ROUTES[endpoint]
    url = url.format(**matrix.ids)
    assert set(expected) == set(VISITORS)
    failures = []
    with matrix.case():  # the visitors in turn, on one world (one's change is seen by the next)
        for visitor in VISITORS:
            response = matrix.client(visitor).open(url, method=method)
            want = expected[visitor]
            if want == LOGIN:
                ok = response.status_code == 302 and response.headers["Location"].startswith("/login")
            else:
                ok = response.status_code == want
            response.close()  # static files stream from an open file
            if not ok:
                failures.append(f"{visitor}: {method} {url} -> {response.status_code}, expected {want}")
    assert failures == []
