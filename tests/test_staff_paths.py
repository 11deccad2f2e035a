"""Staff paths: the role-aware landing, editor headings with titles, the publish summary asked
once, history times in the viewer's zone, stragglers' empty state, and WhatsApp reminders
recorded only when the organizer confirms she sent them."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from lms.cohorts.models import CohortStaff, Reminder
from lms.content.models import CourseRole
from lms.extensions import db
from tests.conftest import PASSWORD, count_queries, text_of


def login(app, user):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    return client


def staff(app, cohort, user, role):
    with app.app_context():
        db.session.add(CohortStaff(cohort_id=cohort.id, user_id=user.id, role=role))
        db.session.commit()


@pytest.fixture
def essay_waiting(app, courses, make_user, make_cohort, enrol_user):
    """A mini-q cohort whose trainee submitted an essay that waits for a grade."""
    from lms.quizzes.attempts import start_attempt, submit_attempt
    from lms.quizzes.models import Answer, Question, Quiz

    cohort = make_cohort("mini-q", key="KUISESAI", name="Angkatan Esai")
    writer = make_user(email="penulis@example.test")
    enrol_user(writer, cohort)
    with app.app_context():
        quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "kuis-modul"))
        essay = db.session.scalar(select(Question).where(Question.key == "uraian"))
        attempt = start_attempt(writer, quiz)
        db.session.add(Answer(attempt_id=attempt.id, question_id=essay.id, response_json='"Rencana saya"'))
        db.session.commit()
        submit_attempt(attempt.id, writer.id)
        db.session.commit()
    return cohort


# --- the landing -----------------------------------------------------------------------------

def test_facilitator_lands_on_her_cohorts_grading_queue_and_results(app, world, essay_waiting, make_user):
    facilitator = world["facilitator"]
    staff(app, world["cohort_a"], facilitator, "facilitator")
    staff(app, essay_waiting, facilitator, "facilitator")
    page = login(app, facilitator).get("/dashboard")
    html = page.get_data(as_text=True)
    text = text_of(html)
    assert "Ringkasan" in text and "Angkatan saya" in text
    assert "1 jawaban uraian menunggu penilaian" in text and 'href="/grading"' in html
    # Her two cohorts, each with its results link; not the cohort she has nothing to do with.
    assert "Angkatan Esai" in text and world["cohort_a"].name in text and world["cohort_b"].name not in text
    assert f'href="/courses/mini-a/results?cohort={world["cohort_a"].id}"' in html
    assert f'href="/courses/mini-q/results?cohort={essay_waiting.id}"' in html
    # A facilitator does not run the cohorts: no report, no lagging count.
    assert "/report" not in html and "Peserta yang tertinggal" not in text
    # Another facilitator's queue is empty and says so.
    other = make_user("facilitator", email="lain@fasilitator.id")
    staff(app, world["cohort_b"], other, "facilitator")
    other_text = text_of(login(app, other).get("/dashboard").data)
    assert "Tidak ada jawaban yang menunggu penilaian." in other_text and "Angkatan Esai" not in other_text


def test_organizer_lands_on_her_cohorts_with_lagging_trainees(app, world, make_user, enrol_user):
    from lms.learning.models import CourseProgress
    from lms.util import utcnow

    # Cohort A: the trainee never started, a second one was active yesterday, a third 10 days ago.
    recent, idle = make_user(email="aktif@example.test"), make_user(email="diam@example.test")
    for user in (recent, idle):
        enrol_user(user, world["cohort_a"])
    with app.app_context():
        course_id = world["cohort_a"].course_id
        for user, days in ((recent, 1), (idle, 10)):
            db.session.add(CourseProgress(user_id=user.id, course_id=course_id, lessons_done=1, quizzes_passed=0,
                                          last_activity_at=utcnow() - timedelta(days=days)))
        db.session.commit()
    html = login(app, world["organizer"]).get("/dashboard").get_data(as_text=True)
    text = text_of(html)
    assert "Peserta yang tertinggal" in text
    assert "3 peserta tidak aktif selama 7 hari dan belum selesai." in text  # 2 in A (never, 10 days), 1 in B
    cohort_a = world["cohort_a"].id
    assert f'href="/organizer/cohorts/{cohort_a}/report?inactive=7&amp;sort=activity#people-heading">2 tertinggal' in html
    assert f'href="/organizer/cohorts/{cohort_a}/import"' in html
    assert "Antrean penilaian" not in text  # organizers do not grade


def test_admin_sees_both_and_trainee_keeps_her_courses(app, world, essay_waiting):
    text = text_of(login(app, world["admin"]).get("/dashboard").data)
    assert "Antrean penilaian" in text and "Peserta yang tertinggal" in text
    assert "Angkatan Esai" in text and world["cohort_b"].name in text
    trainee_text = text_of(login(app, world["trainee"]).get("/dashboard").data)
    assert "Kursus Saya" in trainee_text and "Ringkasan" not in trainee_text


def test_staff_in_no_cohort_are_told_how_to_get_one(app, world, make_user):
    idle = make_user("organizer", email="menganggur@example.test")
    text = text_of(login(app, idle).get("/dashboard").data)
    assert "Anda belum ditugaskan di angkatan mana pun." in text
    assert world["cohort_a"].name not in text


# --- the editor ------------------------------------------------------------------------------

@pytest.fixture
def author(app, world):
    with app.app_context():
        db.session.add(CourseRole(course_id=world["cohort_a"].course_id, user_id=world["facilitator"].id,
                                  role="author"))
        db.session.commit()
    return login(app, world["facilitator"])


def loaded_sha(page: bytes) -> str:
    return re.search(rb'name="loaded_sha" type="hidden" value="([0-9a-f]*)"', page).group(1).decode()


LESSON = "01-dasar/01-pengantar.md"
EDIT = f"/author/courses/mini-a/files/{LESSON}/edit"


def save_lesson(client, title: str, body: str = "Isi baru.\n"):
    sha = loaded_sha(client.get(EDIT).data)
    return client.post(EDIT, data={"title": title, "minutes": "5", "required": "y", "text": body, "loaded_sha": sha})


def test_editor_headings_are_titles_with_the_path_small(app, author):
    html = author.get(EDIT).get_data(as_text=True)
    heading = re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)
    assert "Sunting: Pengantar Perpustakaan Desa" in text_of(heading)
    assert f'<small class="file-path"><code>{LESSON}</code></small>' in heading
    module = author.get("/author/courses/mini-a/files/01-dasar/module.yml/edit").get_data(as_text=True)
    assert "Modul Dasar" in text_of(re.search(r"<h1>(.*?)</h1>", module, re.S).group(1))
    history = author.get(f"/author/courses/mini-a/files/{LESSON}/history").get_data(as_text=True)
    assert "Pengantar Perpustakaan Desa" in text_of(re.search(r"<h1>(.*?)</h1>", history, re.S).group(1))


def test_history_times_are_in_the_viewers_zone(app, world, author):
    from lms.cohorts.models import Cohort

    staff(app, world["cohort_a"], world["facilitator"], "facilitator")
    with app.app_context():  # the cohort she works with is in Kalimantan Selatan
        db.session.get(Cohort, world["cohort_a"].id).timezone = "Asia/Makassar"
        db.session.commit()
    assert save_lesson(author, "Pengantar (revisi)").status_code == 302
    assert author.post("/author/courses/mini-a/publish").status_code == 302
    with app.app_context():
        from lms.content.models import CourseFileVersion

        created = db.session.scalar(select(func.max(CourseFileVersion.created_at))
                                    .where(CourseFileVersion.path == LESSON))
    text = text_of(author.get(f"/author/courses/mini-a/files/{LESSON}/history").data)
    from lms.util.formatting import to_zone

    local = to_zone(created, "Asia/Makassar")
    assert f"{local:%H.%M.%S} WITA" in text


def test_publish_shows_what_changes_and_asks_once(app, author):
    from lms.content.models import Lesson

    assert save_lesson(author, "Pengantar yang Diperbarui").status_code == 302
    course_page = author.get("/author/courses/mini-a").get_data(as_text=True)
    assert 'href="/author/courses/mini-a/publish"' in course_page  # a link to the summary, not a POST
    summary = author.get("/author/courses/mini-a/publish")
    assert summary.status_code == 200
    text = text_of(summary.data)
    assert "Yang berubah bagi peserta" in text
    assert "Materi: 1 diubah" in text and "diubah: Pengantar yang Diperbarui pengantar" in text
    with app.app_context():  # a look changes nothing
        assert db.session.scalar(select(Lesson.title).where(Lesson.slug == "pengantar")) == "Pengantar Perpustakaan Desa"
    digest = re.search(r'name="drafts" type="hidden" value="([0-9a-f]+)"', summary.get_data(as_text=True)).group(1)
    # A draft saved after the summary was shown: the summary is shown again, nothing published.
    assert save_lesson(author, "Pengantar Versi Tiga").status_code == 302
    stale = author.post("/author/courses/mini-a/publish", data={"drafts": digest})
    assert stale.status_code == 303 and stale.headers["Location"].endswith("/author/courses/mini-a/publish")
    with app.app_context():
        assert db.session.scalar(select(Lesson.title).where(Lesson.slug == "pengantar")) == "Pengantar Perpustakaan Desa"
    fresh = author.get("/author/courses/mini-a/publish").get_data(as_text=True)
    assert "Pengantar Versi Tiga" in text_of(fresh)
    digest = re.search(r'name="drafts" type="hidden" value="([0-9a-f]+)"', fresh).group(1)
    assert author.post("/author/courses/mini-a/publish", data={"drafts": digest}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Lesson.title).where(Lesson.slug == "pengantar")) == "Pengantar Versi Tiga"
    # Nothing left to publish: back to the course page.
    assert author.get("/author/courses/mini-a/publish").status_code == 302


def test_publish_summary_lists_questions_and_the_removal_question_in_one_form(app, world, author):
    url = "/author/courses/mini-a/files/01-dasar/module.yml/edit"
    sha = loaded_sha(author.get(url).data)
    text = "slug: dasar\ntitle: Modul Dasar\nlessons:\n  - 02-lanjutan.md\n"
    assert author.post(url, data={"text": text, "loaded_sha": sha}).status_code == 302
    trainee = login(app, world["trainee"])
    assert trainee.post("/courses/mini-a/lessons/pengantar/complete").status_code == 302
    page = author.get("/author/courses/mini-a/publish").get_data(as_text=True)
    text = text_of(page)
    assert "dihapus: Pengantar Perpustakaan Desa" in text
    assert "Pengantar Perpustakaan Desa: diselesaikan oleh 1 peserta" in text
    form = re.search(r'<form method="post" action="/author/courses/mini-a/publish".*?</form>', page, re.S).group(0)
    assert 'name="confirm_removals"' in form and 'name="drafts"' in form  # one form, one question


def test_publish_summary_names_changed_questions(app, runner, make_user):
    from tests.conftest import DATA

    assert runner.invoke(args=["courses", "import", str(DATA / "courses" / "mini-q")]).exit_code == 0
    admin = login(app, make_user("admin", email="admin2@example.test"))
    url = "/author/courses/mini-q/files/01-modul/kuis.yml/edit"
    page = admin.get(url).data
    text = re.search(rb'<textarea[^>]*name="text"[^>]*>(.*?)</textarea>', page, re.S).group(1).decode()
    import html as html_lib

    text = html_lib.unescape(text).removeprefix("\r\n").replace("Strategi TPBIS yang melibatkan warga adalah?",
                                           "Strategi TPBIS yang paling melibatkan warga adalah?")
    assert admin.post(url, data={"text": text, "loaded_sha": loaded_sha(page)}).status_code == 302
    summary = text_of(admin.get("/author/courses/mini-q/publish").data)
    assert "Soal: 1 diubah" in summary
    assert "Strategi TPBIS yang paling melibatkan warga adalah? Kuis Modul · pilih-satu" in summary


# --- the report and reminders ----------------------------------------------------------------

@pytest.fixture
def organizer(app, world):
    return login(app, world["organizer"])


def test_stragglers_filter_says_when_nobody_lags(app, world, organizer):
    from lms.learning.models import CourseProgress
    from lms.util import utcnow

    report = f"/organizer/cohorts/{world['cohort_a'].id}/report"
    lagging = text_of(organizer.get(report + "?inactive=7&sort=activity").data)
    assert "1 peserta ditampilkan" in lagging and "Tidak ada peserta yang tertinggal" not in lagging
    with app.app_context():
        db.session.add(CourseProgress(user_id=world["trainee"].id, course_id=world["cohort_a"].course_id,
                                      lessons_done=1, quizzes_passed=0, last_activity_at=utcnow()))
        db.session.commit()
    page = organizer.get(report + "?inactive=7&sort=activity").get_data(as_text=True)
    assert ("Tidak ada peserta yang tertinggal: semua peserta aktif dalam 7 hari terakhir atau sudah selesai."
            in text_of(page))
    assert "Buat pesan WhatsApp" not in text_of(page)  # nobody to remind: no reminder buttons
    searched = text_of(organizer.get(report + "?q=tidak-ada-nama-begini").data)
    assert "Tidak ada peserta yang sesuai dengan saringan ini." in searched


def test_report_has_a_select_all_that_needs_no_script_to_work_without(app, world, organizer):
    html = organizer.get(f"/organizer/cohorts/{world['cohort_a'].id}/report").get_data(as_text=True)
    assert re.search(r'<input type="checkbox" data-select-all="user_id"[^>]*hidden>', html)  # shown by staff.js
    assert f'name="user_id" value="{world["trainee"].id}"' in html  # each one can be ticked without it
    assert "/static/js/staff.js" in html or "staff." in html


def reminders_logged(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Reminder.id)))


def test_whatsapp_gives_personal_messages_and_a_group_text_without_names(app, world, organizer, make_user,
                                                                           enrol_user):
    second = make_user(email="kedua@perpusdes.id", full_name="Nur Hasanah")
    enrol_user(second, world["cohort_a"])
    cohort = world["cohort_a"]
    response = organizer.post(f"/organizer/cohorts/{cohort.id}/remind",
                              data={"user_id": [str(world["trainee"].id), str(second.id)], "channel": "whatsapp"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert reminders_logged(app) == 0  # shown is not sent
    # One personal message per trainee, with a wa.me link carrying that text.
    personal = re.search(r'<textarea id="message-%d"[^>]*>(.*?)</textarea>' % second.id, html, re.S).group(1)
    assert personal.startswith("Halo Nur Hasanah, ini pengingat dari panitia")
    assert "http://localhost/courses/mini-a" in personal
    links = [unquote(link) for link in re.findall(r'href="https://wa\.me/\?text=([^"]+)"', html)]
    assert any(link.startswith("Halo Nur Hasanah") for link in links)
    assert len(links) == 3  # two people and the group
    # The group text names nobody.
    group = re.search(r'<textarea id="group-message"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    assert "Nur Hasanah" not in group and "Nama trainee" not in group and "http://localhost/courses/mini-a" in group
    assert 'data-copy="group-message"' in html and 'data-copy="message-%d"' % second.id in html
    # She sent one of them and says so: only that one is recorded.
    done = organizer.post(f"/organizer/cohorts/{cohort.id}/remind/sent", data={"user_id": [str(second.id)]})
    assert done.status_code == 302
    assert "1 pengingat WhatsApp dicatat." in text_of(organizer.get(done.headers["Location"]).data)
    with app.app_context():
        assert list(db.session.scalars(select(Reminder.user_id).where(Reminder.channel == "whatsapp"))) == [second.id]
    # Confirming again the same day records nothing twice; someone else's trainee is ignored.
    organizer.post(f"/organizer/cohorts/{cohort.id}/remind/sent",
                   data={"user_id": [str(second.id), str(world["other_trainee"].id)]})
    assert reminders_logged(app) == 1
    again = text_of(organizer.post(f"/organizer/cohorts/{cohort.id}/remind",
                                   data={"user_id": [str(second.id)], "channel": "whatsapp"}).data)
    assert "Sudah diingatkan hari ini, tidak dicantumkan lagi: Nur Hasanah" in again


def test_confirming_nothing_records_nothing(app, world, organizer):
    response = organizer.post(f"/organizer/cohorts/{world['cohort_a'].id}/remind/sent", data={})
    assert "Tidak ada yang dicatat" in text_of(organizer.get(response.headers["Location"]).data)
    assert reminders_logged(app) == 0


def test_whatsapp_pages_in_english(app, world, organizer):
    organizer.post("/language", data={"locale": "en"})
    html = organizer.post(f"/organizer/cohorts/{world['cohort_a'].id}/remind",
                          data={"user_id": [str(world["trainee"].id)], "channel": "whatsapp"}).get_data(as_text=True)
    assert "Hello Nama trainee, this is a reminder from the organizers" in html
    assert "Record the reminders I sent" in text_of(html)


def test_landing_queries_do_not_grow_with_cohorts_or_trainees(app, world, make_cohort, make_user, enrol_user):
    client = login(app, world["organizer"])
    few = count_queries(app, lambda: client.get("/dashboard"), savepoints=True)
    for number in range(3):  # three more cohorts of the same course, each with trainees
        cohort = make_cohort("mini-a", name=f"Angkatan Tambahan {number}")
        staff(app, cohort, world["organizer"], "organizer")
        for person in range(3):
            enrol_user(make_user(email=f"t{number}-{person}@example.test"), cohort)
    many = count_queries(app, lambda: client.get("/dashboard"), savepoints=True)
    assert many == few, (few, many)
    assert "Angkatan Tambahan 2" in text_of(client.get("/dashboard").data)
