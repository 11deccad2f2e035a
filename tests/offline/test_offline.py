"""Offline use: module manifests guarded like studying, replays from an offline queue recorded
once, the server's reasons for refused items, the data saver, logout clearing the device."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

from sqlalchemy import delete, select

from lms.cohorts.models import Enrolment
from lms.content.models import Course, Lesson, Module
from lms.extensions import db
from lms.learning.models import LessonProgress
from lms.offline.models import ClientRequest
from lms.quizzes.models import Answer, Attempt
from lms.util import utcnow
from tests.quizzes.conftest import correct_form, questions_by_key, quiz_by_slug, quiz_world, start  # noqa: F401

FETCH = {"X-Requested-With": "fetch"}
LESSON = "/courses/mini-a/lessons/pengantar"


def module_id(app, course="mini-a"):
    with app.app_context():
        return db.session.scalar(select(Module.id).join(Course).where(Course.slug == course).order_by(Module.position))


def test_module_manifest_lists_lessons_images_and_size(app, client, world, auth):
    auth.login(world["trainee"].email)
    response = client.get(f"/courses/mini-a/modules/{module_id(app)}/offline.json")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    urls = [lesson["url"] for lesson in data["lessons"]]
    assert LESSON in urls and len(urls) == 3
    assert [image["url"] for image in data["images"]] == ["/courses/mini-a/assets/01-dasar/images/diagram.svg"]
    assert data["images"][0]["bytes"] > 100
    assert data["bytes"] == sum(e["bytes"] for key in ("lessons", "images", "pages") for e in data[key])
    course = client.get("/courses/mini-a/offline.json").get_json()
    assert [m["manifest"] for m in course["modules"]][0].endswith(f"/modules/{module_id(app)}/offline.json")


def test_manifest_version_changes_when_a_lesson_changes(app, client, world, auth):
    auth.login(world["trainee"].email)
    url = f"/courses/mini-a/modules/{module_id(app)}/offline.json"
    before = client.get(url).get_json()["version"]
    assert client.get(url).get_json()["version"] == before
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "pengantar"))
        lesson.body_html += "<p>Tambahan</p>"
        lesson.updated_at = utcnow() + timedelta(seconds=5)
        db.session.commit()
    assert client.get(url).get_json()["version"] != before


def test_removed_trainee_loses_the_manifest(app, client, world, auth):
    auth.login(world["trainee"].email)
    url = f"/courses/mini-a/modules/{module_id(app)}/offline.json"
    assert client.get(url).status_code == 200
    with app.app_context():
        db.session.execute(delete(Enrolment).where(Enrolment.user_id == world["trainee"].id))
        db.session.commit()
    assert client.get(url).status_code == 403
    assert client.get("/courses/mini-a/offline.json").status_code == 403
    # Her queued "mark done" is refused with a reason the queue can show.
    refused = client.post(LESSON + "/complete", data={"client_id": str(uuid.uuid4())}, headers=FETCH)
    assert refused.status_code == 403
    assert refused.get_json()["reason"] == "no_access" and refused.get_json()["message"]
    # Another course's module, or a module that does not exist: 404.
    assert client.get("/courses/mini-a/modules/999999/offline.json").status_code in (403, 404)


def test_manifest_of_a_quiz_module_has_my_open_attempt_and_no_answer_keys(app, client, quiz_world):
    attempt_id = start(client, "kuis-modul")
    quiz = quiz_by_slug(app, "kuis-modul")
    response = client.get(f"/courses/mini-q/modules/{quiz.module_id}/offline.json")
    pages = [p["url"] for p in response.get_json()["pages"]]
    assert f"/attempts/{attempt_id}" in pages and "/courses/mini-q/quizzes/kuis-modul" in pages
    for secret in ("Tepat sekali", "fraction", "Pelibatan"):
        assert secret not in response.data.decode()


def completion(app, user):
    with app.app_context():
        return db.session.scalars(select(LessonProgress.completed_at).join(Lesson).where(
            LessonProgress.user_id == user.id, Lesson.slug == "pengantar")).all()


def test_mark_done_replayed_is_recorded_once(app, client, world, auth):
    auth.login(world["trainee"].email)
    first = str(uuid.uuid4())
    response = client.post(LESSON + "/complete", data={"client_id": first}, headers=FETCH)
    assert response.get_json() == {"ok": True, "duplicate": False, "done": True}
    (done_at,) = completion(app, world["trainee"])
    assert done_at is not None
    # She marks it not done; the queue then sends the first request again: nothing changes.
    undo = client.post(LESSON + "/complete", data={"client_id": str(uuid.uuid4()), "done": "0"}, headers=FETCH)
    assert undo.get_json()["done"] is False
    again = client.post(LESSON + "/complete", data={"client_id": first}, headers=FETCH)
    assert again.get_json() == {"ok": True, "duplicate": True}
    assert completion(app, world["trainee"]) == [None]
    # The same id sent by another user is hers, not a replay.
    auth.logout()
    auth.login(world["organizer"].email)
    assert client.post(LESSON + "/complete", data={"client_id": first}, headers=FETCH).get_json()["duplicate"] is False
    with app.app_context():
        assert db.session.query(ClientRequest).filter_by(client_id=first).count() == 2


def test_form_post_with_a_client_id_still_redirects(app, client, world, auth):
    auth.login(world["trainee"].email)
    cid = str(uuid.uuid4())
    assert client.post(LESSON + "/complete", data={"client_id": cid, "then": "next"}).status_code == 302
    replay = client.post(LESSON + "/complete", data={"client_id": cid, "then": "next"})
    assert replay.status_code == 302 and replay.headers["Location"] == LESSON


def test_a_client_id_that_is_not_a_uuid_is_refused(app, client, world, auth):
    auth.login(world["trainee"].email)
    response = client.post(LESSON + "/complete", data={"client_id": "x" * 500}, headers=FETCH)
    assert response.status_code == 400 and response.get_json()["reason"] == "bad_request"
    assert completion(app, world["trainee"]) == []


def saved_answers(app, attempt_id):
    with app.app_context():
        return {a.question_id: a.response_json for a in db.session.scalars(select(Answer).where(
            Answer.attempt_id == attempt_id))}


def test_quiz_save_replayed_never_overwrites_a_newer_save(app, client, quiz_world):
    attempt_id = start(client, "kuis-modul")
    qs = questions_by_key(app, quiz_by_slug(app, "kuis-modul"))
    field = f"q{qs['angka'].id}"
    old, new = str(uuid.uuid4()), str(uuid.uuid4())
    url = f"/attempts/{attempt_id}/save"
    assert client.post(url, data={field: "31", "client_id": old}, headers=FETCH).get_json()["ok"]
    assert client.post(url, data={field: "32", "client_id": new}, headers=FETCH).get_json()["ok"]
    replay = client.post(url, data={field: "31", "client_id": old}, headers=FETCH)
    assert replay.get_json() == {"ok": True, "duplicate": True}
    assert json.loads(saved_answers(app, attempt_id)[qs["angka"].id]) == "32"


def test_queued_answers_after_submit_or_time_are_refused_with_a_reason(app, client, quiz_world):
    attempt_id = start(client, "kuis-modul")
    url = f"/attempts/{attempt_id}/save"
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.deadline_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
    late = client.post(url, data={**correct_form(app), "client_id": str(uuid.uuid4())}, headers=FETCH)
    assert late.status_code == 409 and late.get_json()["reason"] == "time_over"
    assert saved_answers(app, attempt_id) == {}
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.deadline_at = None
        db.session.commit()
    client.post(f"/attempts/{attempt_id}/submit")
    cid = str(uuid.uuid4())
    closed = client.post(url, data={**correct_form(app), "client_id": cid}, headers=FETCH)
    assert closed.status_code == 409 and closed.get_json()["reason"] == "submitted"
    assert closed.get_json()["message"]
    with app.app_context():  # refused: the id is not kept, nothing was recorded
        assert db.session.query(ClientRequest).filter_by(client_id=cid).count() == 0


def test_refusal_messages_follow_the_trainee_language(app, client, quiz_world):
    attempt_id = start(client, "kuis-modul")
    client.post(f"/attempts/{attempt_id}/submit")
    url = f"/attempts/{attempt_id}/save"
    indonesian = client.post(url, data={"client_id": str(uuid.uuid4())}, headers=FETCH).get_json()["message"]
    client.post("/language", data={"locale": "en", "next": "/dashboard"})
    english = client.post(url, data={"client_id": str(uuid.uuid4())}, headers=FETCH).get_json()["message"]
    assert english == "This attempt has been submitted; answers can no longer change."
    assert indonesian != english


def test_data_saver_turns_lesson_images_into_links(app, client, world, auth):
    auth.login(world["trainee"].email)
    assert '<img' in client.get(LESSON).data.decode().split('class="lesson-body"')[1]
    response = client.post("/offline/data-saver", data={"on": "1", "next": LESSON})
    assert response.status_code == 302 and response.headers["Location"] == LESSON
    body = client.get(LESSON).data.decode().split('class="lesson-body"')[1].split("</article>")[0]
    assert "<img" not in body
    assert 'class="img-tap" href="../assets/01-dasar/images/diagram.svg"' in body
    assert "Diagram tiga strategi" in body
    client.post("/offline/data-saver", data={"on": "0", "next": "https://evil.example/"})
    assert "<img" in client.get(LESSON).data.decode().split('class="lesson-body"')[1]


def test_session_check_and_logout_clear_site_data(app, client, world, auth):
    assert client.get("/offline/session").status_code == 401
    auth.login(world["trainee"].email)
    state = client.get("/offline/session").get_json()
    assert state["user"] == world["trainee"].id and state["csrf"]
    response = auth.logout()
    assert '"storage"' in response.headers["Clear-Site-Data"]


def test_service_worker_is_small_and_names_the_shell(client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    assert response.mimetype == "text/javascript"
    core = client.get(re.search(rb'importScripts\("([^"]+)"', response.data).group(1).decode())
    assert len(response.data) + len(core.data) < 10 * 1024  # the worker with the code it imports
    core.close()
    assert b"/static/css/app.css?v=" in response.data and b'"/offline"' in response.data
    manifest = client.get("/manifest.webmanifest").get_json()
    assert manifest["start_url"] == "/dashboard" and manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
