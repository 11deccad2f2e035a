"""Every registered route, walked with every kind of visitor.

A new route fails test_every_route_is_listed until it is added to ROUTES with the answer
each visitor should get, so no page is left unguarded by omission.
"""

from __future__ import annotations

import pytest

VISITORS = ["anonymous", "trainee", "other_trainee", "facilitator", "organizer", "admin"]
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


ROUTES = {
    "static": ("GET", "/static/css/app.css", everyone(200)),
    "core.index": ("GET", "/", signed_in(302, anonymous=200)),
    "core.healthz": ("GET", "/healthz", everyone(200)),
    "accounts.login": ("GET", "/login", signed_in(302, anonymous=200)),
    "accounts.logout": ("POST", "/logout", everyone(302)),
    "accounts.register": ("GET", "/register", signed_in(302, anonymous=200)),
    "accounts.profile": ("GET", "/profile", signed_in(200)),
    "accounts.set_language": ("POST", "/language", everyone(302)),
    "learning.dashboard": ("GET", "/dashboard", signed_in(200)),
    "learning.join": ("POST", "/join", signed_in(400)),  # an empty key is a form error
    "learning.course": ("GET", "/courses/mini-a", signed_in(200, other_trainee=403)),
    "learning.resume": ("GET", "/courses/mini-a/continue", signed_in(302, other_trainee=403)),
    "learning.lesson": ("GET", A_LESSON, signed_in(200, other_trainee=403)),
    "learning.complete": ("POST", A_LESSON + "/complete", signed_in(302, other_trainee=403)),
    "content.asset": ("GET", "/courses/mini-a/assets/01-dasar/images/diagram.svg",
                      signed_in(200, other_trainee=403)),
    "cohorts.index": ("GET", "/organizer/cohorts",
                      signed_in(403, organizer=200, admin=200)),
    "cohorts.new": ("GET", "/organizer/cohorts/new", signed_in(403, organizer=200, admin=200)),
    "cohorts.detail": ("GET", "/organizer/cohorts/{cohort_a}", signed_in(403, organizer=200, admin=200)),
    "cohorts.add_staff": ("POST", "/organizer/cohorts/{cohort_a}/staff", signed_in(403, organizer=302, admin=302)),
    # The organizer removes the record first, so the admin then finds nothing to remove.
    "cohorts.remove_staff": ("POST", "/organizer/cohorts/{cohort_a}/staff/{staff_id}/remove",
                             signed_in(403, organizer=302, admin=404)),
    "cohorts.import_participants": ("GET", "/organizer/cohorts/{cohort_a}/import",
                                    signed_in(403, organizer=200, admin=200)),
    # An import batch is its uploader's (the organizer's); admins may see it too.
    "cohorts.import_preview": ("GET", "/organizer/imports/{batch_id}", signed_in(403, organizer=200, admin=200)),
    "cohorts.import_commit": ("POST", "/organizer/imports/{batch_id}/commit",
                              signed_in(403, organizer=302, admin=302)),
    "cohorts.import_links": ("GET", "/organizer/imports/{batch_id}/links.csv",
                             signed_in(403, organizer=200, admin=200)),
    "cohorts.report": ("GET", "/organizer/cohorts/{cohort_a}/report", signed_in(403, organizer=200, admin=200)),
    "cohorts.course_report": ("GET", "/organizer/courses/mini-a/report", signed_in(403, organizer=200, admin=200)),
    "cohorts.remind": ("POST", "/organizer/cohorts/{cohort_a}/remind", signed_in(403, organizer=302, admin=302)),
    # The JSON API takes bearer tokens only: a browser session gets 401.
    "api.cohorts": ("GET", "/api/v1/cohorts", everyone(401)),
    "api.completion": ("GET", "/api/v1/cohorts/mini-a-c1/completion", everyone(401)),
    "api.participants": ("GET", "/api/v1/cohorts/mini-a-c1/participants", everyone(401)),
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
    # Results: the trainee and staff who review them.
    "quizzes.result": ("GET", "/attempts/{done_attempt}/result", signed_in(200, other_trainee=404)),
    # Results and grading: staff only; essays are graded by facilitators and admins.
    "quizzes.course_results": ("GET", "/courses/mini-q/results", signed_in(200, trainee=403, other_trainee=403)),
    "quizzes.quiz_results": ("GET", "/courses/mini-q/quizzes/kuis-modul/results",
                             signed_in(200, trainee=403, other_trainee=403)),
    "quizzes.grading": ("GET", "/grading", signed_in(403, facilitator=200, admin=200)),
    "quizzes.grade_answer": ("POST", "/answers/{essay_answer}/grade",
                             signed_in(403, facilitator=302, admin=302)),
    # A trainee's grade history: for those who run the cohort.
    "quizzes.grade_trail": ("GET", "/organizer/cohorts/{cohort_a}/participants/{trainee_id}/grades",
                            signed_in(403, organizer=200, admin=200)),
    # Certificates: verification and Open Badges are public; the PDF is the holder's (and
    # organizers'); managing them is for organizers and admins.
    "certificates.verify_form": ("GET", "/verify", everyone(200)),
    "certificates.verify": ("GET", "/verify/{cert_code}", everyone(200)),
    "certificates.badge_issuer": ("GET", "/badges/issuer", everyone(200)),
    "certificates.badge_class": ("GET", "/badges/classes/mini-a", everyone(200)),
    "certificates.badge_assertion": ("GET", "/badges/assertions/{cert_code}", everyone(200)),
    "certificates.download": ("GET", "/certificates/{cert_code}.pdf",
                              signed_in(403, trainee=200, organizer=200, admin=200)),
    "certificates.cohort_certificates": ("GET", "/organizer/cohorts/{cohort_a}/certificates",
                                         signed_in(403, organizer=200, admin=200)),
    "certificates.issue_cohort": ("POST", "/organizer/cohorts/{cohort_a}/certificates/issue",
                                  signed_in(403, organizer=302, admin=302)),
    "certificates.start_zip": ("POST", "/organizer/cohorts/{cohort_a}/certificates/zip",
                               signed_in(403, organizer=302, admin=302)),
    "certificates.revoke": ("POST", "/organizer/certificates/{cert_id}/revoke", signed_in(403, organizer=302, admin=302)),
    "certificates.reissue": ("POST", "/organizer/certificates/{cert_id}/reissue",
                             signed_in(403, organizer=302, admin=302)),
    "certificates.job": ("GET", "/organizer/jobs/{job_id}", signed_in(403, organizer=200, admin=200)),
    "certificates.job_download": ("GET", "/organizer/jobs/{job_id}/download",
                                  signed_in(403, organizer=200, admin=200)),
    # The course editor: facilitators assigned to a cohort of the course, and admins (the
    # facilitator here is assigned to none).
    "authoring.index": ("GET", "/author/", signed_in(403, facilitator=200, admin=200)),
    "authoring.course": ("GET", "/author/courses/mini-a", signed_in(403, admin=200)),
    "authoring.edit": ("GET", "/author/courses/mini-a/files/01-dasar/01-pengantar.md/edit", signed_in(403, admin=200)),
    "authoring.discard": ("POST", "/author/courses/mini-a/files/01-dasar/01-pengantar.md/discard",
                          signed_in(403, admin=302)),
    "authoring.raw": ("GET", "/author/courses/mini-a/raw/01-dasar/images/diagram.svg", signed_in(403, admin=200)),
    "authoring.history": ("GET", "/author/courses/mini-a/files/01-dasar/01-pengantar.md/history",
                          signed_in(403, admin=200)),
    "authoring.version": ("GET", "/author/courses/mini-a/versions/{version_id}", signed_in(403, admin=200)),
    "authoring.restore": ("POST", "/author/courses/mini-a/versions/{version_id}/restore", signed_in(403, admin=302)),
    "authoring.publish": ("POST", "/author/courses/mini-a/publish", signed_in(403, admin=302)),
    "authoring.upload_image": ("POST", "/author/courses/mini-a/images", signed_in(403, admin=302)),
    "authoring.export": ("GET", "/author/courses/mini-a/export.zip", signed_in(403, admin=200)),
    "authoring.change_structure": ("POST", "/author/courses/mini-a/structure", signed_in(403, admin=302)),
    # No question of mini-a has retired versions: the admin finds nothing to regrade.
    "authoring.regrade": ("GET", "/author/courses/mini-a/regrade/999999", signed_in(403, admin=404)),
    "authoring.upload_gift": ("POST", "/author/courses/mini-a/gift", signed_in(403, admin=302)),
    "authoring.upload_new": ("POST", "/author/upload", signed_in(403, admin=302)),
    "authoring.upload": ("POST", "/author/courses/mini-a/upload", signed_in(403, admin=302)),
    # Questions of mini-q's module quiz in the form editor (the facilitator is assigned to no cohort of mini-q).
    "authoring.question": ("GET", "/author/courses/mini-q/files/01-modul/kuis.yml/questions/pilih-satu",
                           signed_in(403, admin=200)),
    "authoring.question_new": ("GET", "/author/courses/mini-q/files/01-modul/kuis.yml/questions/new?type=short",
                               signed_in(403, admin=200)),
    "authoring.question_order": ("POST", "/author/courses/mini-q/files/01-modul/kuis.yml/questions/isian/down",
                                 signed_in(403, admin=302)),
    "authoring.file_settings": ("GET", "/author/courses/mini-a/files/course.yml/settings", signed_in(403, admin=200)),
    # An uploaded zip is its uploader's (the admin's here): nobody else learns it exists.
    "authoring.upload_preview": ("GET", "/author/uploads/{upload_id}", signed_in(404, admin=200)),
    "authoring.upload_apply": ("POST", "/author/uploads/{upload_id}/apply", signed_in(404, admin=302)),
}


@pytest.fixture
def attempts(app, world, make_cohort, enrol_user, make_user):
    """The trainee, also in a cohort of mini-q, has one open and one submitted attempt."""
    from sqlalchemy import select

    from lms.extensions import db
    from lms.quizzes.attempts import start_attempt, submit_attempt
    from lms.quizzes.models import Quiz

    enrol_user(world["trainee"], make_cohort("mini-q", key="KUISMATRIX"))
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
        enrol_user(writer, make_cohort("mini-q", key="KUISESAI"))
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
        from lms.authoring.models import CourseFileVersion, CourseUpload

        version_id = db.session.scalar(select(CourseFileVersion.id).where(
            CourseFileVersion.path == "01-dasar/01-pengantar.md", CourseFileVersion.course_id == world["cohort_a"].course_id))
        upload = CourseUpload(course_id=world["cohort_a"].course_id, filename="x.zip", data=b"PK",
                              created_by_id=world["admin"].id)
        db.session.add(upload)
        db.session.commit()
        return {"staff_id": staff.id, "batch_id": batch.id, "token": token,"open_attempt": open_attempt.id, "done_attempt": done.id, "essay_answer": answer_id,
                "cert_code": certificate.code, "cert_id": certificate.id, "cohort_a": world["cohort_a"].id,
                "trainee_id": world["trainee"].id, "job_id": job.id, "version_id": version_id, "upload_id": upload.id}


def test_every_route_is_listed(app):
    registered = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert registered - set(ROUTES) == set(), "add the new routes to ROUTES with their expected answers"
    assert set(ROUTES) - registered == set(), "ROUTES lists endpoints that no longer exist"


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_route_answers_each_visitor_as_expected(app, world, attempts, endpoint):
    method, url, expected = ROUTES[endpoint]
    url = url.format(**attempts)
    assert set(expected) == set(VISITORS)
    failures = []
    for visitor in VISITORS:
        client = app.test_client()
        if visitor != "anonymous":
            login = client.post("/login", data={"email": world[visitor].email, "password": "correct-horse-42"})
            assert login.status_code == 302, visitor
        response = client.open(url, method=method)
        want = expected[visitor]
        if want == LOGIN:
            ok = response.status_code == 302 and response.headers["Location"].startswith("/login")
        else:
            ok = response.status_code == want
        response.close()  # static files stream from an open file
        if not ok:
            failures.append(f"{visitor}: {method} {url} -> {response.status_code}, expected {want}")
    assert failures == []
