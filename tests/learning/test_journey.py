"""A trainee's path through a course without dead ends: the one next step (quizzes included),
extra attempts granted by an organizer (logged), and why a trainee is stuck, seen by her and by
the organizers. Course mini-q: a pre-test, one module (a lesson, then a quiz of 2 attempts) and a
post-test of 1 attempt (pass mark 50)."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from lms.extensions import db
from lms.quizzes.models import AttemptGrant, Quiz
from lms.quizzes.types import option_id
from tests.conftest import run_cohort, text_of
from tests.quizzes.conftest import correct_form, questions_by_key, quiz_by_slug, quiz_world  # noqa: F401

COURSE = "/courses/mini-q"


def continue_to(client) -> str:
    response = client.get(f"{COURSE}/continue")
    assert response.status_code == 302
    return response.headers["Location"]


def take(client, quiz_slug: str, form) -> int:
    """Start (from the quiz page the next step points to), answer and submit; the attempt id."""
    response = client.post(f"{COURSE}/quizzes/{quiz_slug}/start")
    attempt_id = int(re.search(r"/attempts/(\d+)$", response.headers["Location"]).group(1))
    client.post(f"/attempts/{attempt_id}/save", data=form)
    assert client.post(f"/attempts/{attempt_id}/submit").status_code == 302
    return attempt_id


def status_cells(report_html: str) -> dict[str, str]:
    """Participant name -> the text of her status cell, from the report's participant table."""
    cells = {}
    for row in re.findall(r"<tr>(.*?)</tr>", report_html, re.S):
        tds = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        if len(tds) >= 7:
            cells[text_of(tds[1]).split(" Riwayat")[0].strip()] = text_of(tds[5])
    return cells


def pre_form(app):
    quiz = quiz_by_slug(app, "pre")
    qs = questions_by_key(app, quiz)
    return {f"q{qs['p1'].id}": "false", f"q{qs['p2'].id}": option_id("Tidak ada")}


def post_form(app, right: bool):
    qs = questions_by_key(app, quiz_by_slug(app, "post"))
    if right:
        return {f"q{qs['p1'].id}": "true", f"q{qs['p2'].id}": option_id("PKK")}
    return {f"q{qs['p1'].id}": "false", f"q{qs['p2'].id}": option_id("Tidak ada")}


def test_next_step_walks_pretest_lesson_module_quiz_posttest_certificate(app, client, quiz_world):
    # 1. The pre-test first; its result shows the score only (it shares questions with the post-test).
    assert continue_to(client) == f"{COURSE}/quizzes/pre"
    pre = take(client, "pre", pre_form(app))
    html = client.get(f"/attempts/{pre}/result").data.decode()
    assert "<h2>Jawaban Anda</h2>" not in html and "Tidak ada" not in html  # no questions, no answers at all
    # 2. The module's lesson; "mark done and continue" goes on to the next step: the module's quiz.
    assert continue_to(client) == f"{COURSE}/lessons/bacaan-kuis"
    page = text_of(client.get(COURSE).data)
    assert "Baca materi berikutnya" in page and "Bacaan Sebelum Kuis" in page
    assert "0 dari 2 langkah wajib selesai" in page  # the lesson and the quiz
    response = client.post(f"{COURSE}/lessons/bacaan-kuis/complete", data={"done": "1", "then": "next"})
    assert response.headers["Location"] == f"{COURSE}/quizzes/kuis-modul"
    assert "1 dari 2 langkah wajib selesai" in text_of(client.get(COURSE).data)
    # 3. The module quiz, failed once: it stays the next step, as a retry.
    take(client, "kuis-modul", {})
    assert continue_to(client) == f"{COURSE}/quizzes/kuis-modul"
    assert "Coba kuis lagi" in text_of(client.get(COURSE).data)
    take(client, "kuis-modul", correct_form(app, essay=""))
    # 4. Every module done: the post-test (the pre-test box is gone once the pre-test is taken).
    assert continue_to(client) == f"{COURSE}/quizzes/post"
    html = client.get(COURSE).data.decode()
    assert 'id="pretest-heading"' not in html and "Kerjakan post-test" in text_of(html)
    post = take(client, "post", post_form(app, right=True))
    # 5. The certificate, on the course page and on the post-test's result, with its link.
    assert continue_to(client) == f"{COURSE}#next-step"
    for url in (COURSE, f"/attempts/{post}/result"):
        html = client.get(url).data.decode()
        link = re.search(r'href="(/certificates/\w+\.pdf)">Unduh sertifikat Anda', html)
        assert link, url
    assert client.get(link.group(1)).mimetype == "application/pdf"


def test_out_of_attempts_says_what_to_do_and_an_organizer_grants_one_logged(app, client, auth, quiz_world,
                                                                              make_user):
    trainee, cohort = quiz_world["trainee"], quiz_world["cohort"]
    organizer = make_user("organizer", email="panitia@example.test", full_name="Bu Panitia")
    run_cohort(app, organizer, cohort)
    take(client, "pre", pre_form(app))
    client.post(f"{COURSE}/lessons/bacaan-kuis/complete", data={"done": "1"})
    take(client, "kuis-modul", correct_form(app, essay=""))
    failed = take(client, "post", post_form(app, right=False))  # the only attempt
    # The trainee sees why and what to do, on the result, the course page and the quiz page.
    for url in (f"/attempts/{failed}/result", COURSE, f"{COURSE}/quizzes/post"):
        page = text_of(client.get(url).data)
        assert "Kesempatan Anda untuk Tes Akhir sudah habis" in page, url
        assert "Mintalah satu kesempatan lagi kepada penyelenggara angkatan Anda" in page
        assert "panitia@example.test" in page
    assert continue_to(client) == f"{COURSE}#next-step"
    # Final now (no attempt left): the result shows the correct answers.
    assert "Jawaban benar" in text_of(client.get(f"/attempts/{failed}/result").data)
    # The organizer's list names the reason, not "in progress", and offers the grant.
    auth.logout()
    auth.login(organizer.email)
    report = client.get(f"/organizer/cohorts/{cohort.id}/report").data.decode()
    assert "Terhenti: kesempatan habis" in text_of(report)
    assert f'action="/organizer/cohorts/{cohort.id}/participants/{trainee.id}/grant"' in report
    grant_url = f"/organizer/cohorts/{cohort.id}/participants/{trainee.id}/grant"
    refused = client.post(grant_url, data={"reason": "  ", "next": "report"})  # a reason is required
    assert refused.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(AttemptGrant.id)) is None
    client.post(grant_url, data={"reason": "Sakit saat ujian", "next": "report"})
    with app.app_context():
        grant = db.session.scalar(select(AttemptGrant))
        post = db.session.scalar(select(Quiz).where(Quiz.slug == "post"))
        assert (grant.user_id, grant.quiz_id, grant.granted_by_id, grant.cohort_id, grant.reason, grant.extra) == (
            trainee.id, post.id, organizer.id, cohort.id, "Sakit saat ujian", 1)
        assert grant.granted_at is not None
    record = text_of(client.get(f"/organizer/cohorts/{cohort.id}/participants/{trainee.id}/attempts").data)
    assert "Sakit saat ujian" in record and "Bu Panitia" in record and "1 dari 2" in record
    report = client.get(f"/organizer/cohorts/{cohort.id}/report").data.decode()
    assert "Belum lulus post-test" in status_cells(report).get(trainee.full_name, "")  # may try again now
    assert f'id="grant-{trainee.id}"' not in report
    # The trainee has her attempt: the next step is the post-test again, and it starts.
    auth.logout()
    auth.login(trainee.email)
    assert continue_to(client) == f"{COURSE}/quizzes/post"
    assert "Kerjakan post-test lagi" in text_of(client.get(COURSE).data)
    take(client, "post", post_form(app, right=True))
    assert "Unduh sertifikat Anda" in text_of(client.get(COURSE).data)


def test_organizer_list_names_failed_posttest_and_missing_lessons(app, client, auth, quiz_world, make_user,
                                                                  enrol_user):
    cohort = quiz_world["cohort"]
    with app.app_context():  # two post-test attempts: a failed first one is not "out of attempts"
        db.session.execute(update(Quiz).where(Quiz.slug == "post").values(attempts_allowed=2))
        db.session.commit()
    take(client, "pre", pre_form(app))
    client.post(f"{COURSE}/lessons/bacaan-kuis/complete", data={"done": "1"})
    take(client, "kuis-modul", correct_form(app, essay=""))
    take(client, "post", post_form(app, right=False))
    assert continue_to(client) == f"{COURSE}/quizzes/post"  # try again
    # A second trainee passed the module quiz but left the lesson undone.
    second = make_user("trainee", email="kedua@example.test", full_name="Peserta Kedua")
    enrol_user(second, cohort)
    auth.logout()
    auth.login(second.email)
    take(client, "kuis-modul", correct_form(app, essay=""))
    assert continue_to(client) == f"{COURSE}/quizzes/pre"  # her next step: the pre-test, then the lesson
    organizer = make_user("organizer", email="panitia@example.test")
    run_cohort(app, organizer, cohort)
    auth.logout()
    auth.login(organizer.email)
    rows = status_cells(client.get(f"/organizer/cohorts/{cohort.id}/report").data.decode())
    assert rows[quiz_world["trainee"].full_name].startswith("Belum lulus post-test")
    assert rows["Peserta Kedua"].startswith("Terhenti: materi belum lengkap")
    # The filter by a stuck reason keeps exactly her.
    filtered = text_of(client.get(f"/organizer/cohorts/{cohort.id}/report?status=missing_lessons").data)
    assert "Peserta Kedua" in filtered and quiz_world["trainee"].full_name not in filtered


def test_staff_of_another_cohort_cannot_grant(app, client, auth, quiz_world, make_user, make_cohort):
    other = make_user("organizer", email="lain@example.test")
    run_cohort(app, other, make_cohort("mini-q", key="LAIN"))
    auth.logout()
    auth.login(other.email)
    url = f"/organizer/cohorts/{quiz_world['cohort'].id}/participants/{quiz_world['trainee'].id}/grant"
    assert client.post(url, data={"reason": "coba"}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(AttemptGrant.id)) is None


def stuck_pair(app, client, auth, quiz_world, make_user, enrol_user):
    """The quiz_world trainee out of attempts at the post-test; a second trainee who passed the
    module quiz with the lesson unread (lessons missing); a third who has not started. The
    organizer running the cohort, logged in."""
    take(client, "pre", pre_form(app))
    client.post(f"{COURSE}/lessons/bacaan-kuis/complete", data={"done": "1"})
    take(client, "kuis-modul", correct_form(app, essay=""))
    take(client, "post", post_form(app, right=False))  # its only attempt
    second = make_user("trainee", email="kedua@example.test", full_name="Peserta Kedua")
    enrol_user(second, quiz_world["cohort"])
    enrol_user(make_user("trainee", email="ketiga@example.test", full_name="Peserta Ketiga"), quiz_world["cohort"])
    auth.logout()
    auth.login(second.email)
    take(client, "kuis-modul", correct_form(app, essay=""))
    organizer = make_user("organizer", email="panitia@example.test")
    run_cohort(app, organizer, quiz_world["cohort"])
    auth.logout()
    auth.login(organizer.email)
    return second


def test_organizer_landing_counts_stuck_trainees_by_reason_and_links_the_filtered_report(
        app, client, auth, quiz_world, make_user, enrol_user):
    from lms.reports.queries import Filters, cohort_report

    cohort = quiz_world["cohort"]
    stuck_pair(app, client, auth, quiz_world, make_user, enrol_user)
    html = client.get("/dashboard").data.decode()
    text = text_of(html)
    assert "Peserta yang terhenti" in text
    # One per reason, each linking the report filtered by that reason (the not-started trainee
    # is lagging, not stuck).
    report = f"/organizer/cohorts/{cohort.id}/report"
    assert f'href="{report}?status=stuck_attempts#people-heading">1 kehabisan kesempatan kuis</a>' in html
    assert f'href="{report}?status=missing_lessons#people-heading">1 materinya belum lengkap</a>' in html
    assert "belum lulus post-test" not in text
    # The link's list names exactly the trainee the landing counted.
    filtered = text_of(client.get(f"{report}?status=stuck_attempts").data)
    assert quiz_world["trainee"].full_name in filtered and "Peserta Kedua" not in filtered
    # The landing's counts are the report's: the same rule, recounted by its own filter.
    with app.app_context():
        data = cohort_report([db.session.get(type(cohort), cohort.id)])
        assert data.stuck_by_cohort() == {cohort.id: {
            status: data.count(Filters(status=status)) for status in ("stuck_attempts", "missing_lessons")}}
    # Granted an extra attempt, she may go on by herself: no longer out of attempts.
    client.post(f"{report.replace('/report', '')}/participants/{quiz_world['trainee'].id}/grant",
                data={"reason": "Listrik padam", "next": "report"})
    html = client.get("/dashboard").data.decode()
    assert "kehabisan kesempatan kuis" not in html
    assert f'href="{report}?status=failed_posttest#people-heading">1 belum lulus post-test</a>' in html


def test_landing_says_nobody_is_stuck(app, client, auth, quiz_world, make_user):
    organizer = make_user("organizer", email="panitia@example.test")
    run_cohort(app, organizer, quiz_world["cohort"])
    auth.logout()
    auth.login(organizer.email)
    text = text_of(client.get("/dashboard").data)
    assert "Peserta yang terhenti" in text and "Tidak ada peserta yang terhenti." in text


def test_reminders_offered_and_sent_only_to_trainees_a_reminder_helps(app, client, auth, quiz_world, make_user,
                                                                     enrol_user):
    from lms.cohorts.models import Reminder

    cohort, trainee = quiz_world["cohort"], quiz_world["trainee"]
    second = stuck_pair(app, client, auth, quiz_world, make_user, enrol_user)
    html = client.get(f"/organizer/cohorts/{cohort.id}/report").data.decode()
    # Out of attempts: the grant, not a checkbox; lessons missing and not started: a checkbox.
    assert f'id="pick-{trainee.id}"' not in html and f'id="grant-{trainee.id}"' in html
    assert f'id="pick-{second.id}"' in html and html.count('name="user_id"') == 2
    # A form naming her anyway reminds only the others, and says whom it left out.
    response = client.post(f"/organizer/cohorts/{cohort.id}/remind",
                           data={"user_id": [str(trainee.id), str(second.id)], "channel": "whatsapp"})
    page = text_of(response.data)
    assert "Halo Peserta Kedua" in page and f"Halo {trainee.full_name}" not in page
    assert f"Tidak diingatkan (sudah selesai, atau menunggu kesempatan tambahan dari Anda): {trainee.full_name}" in page
    client.post(f"/organizer/cohorts/{cohort.id}/remind/sent", data={"user_id": [str(second.id)]})
    with app.app_context():
        assert list(db.session.scalars(select(Reminder.user_id))) == [second.id]
    # Failed the post-test with an attempt left (granted): remindable again.
    client.post(f"/organizer/cohorts/{cohort.id}/participants/{trainee.id}/grant",
                data={"reason": "Listrik padam", "next": "report"})
    assert f'id="pick-{trainee.id}"' in client.get(f"/organizer/cohorts/{cohort.id}/report").data.decode()
