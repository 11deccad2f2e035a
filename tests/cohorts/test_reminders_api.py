"""Reminders to stragglers (email through a real local SMTP server, WhatsApp text), and the API."""

from __future__ import annotations


import pytest
from sqlalchemy import func, select

from lms.extensions import db
from tests.conftest import login, text_of, wait_until


@pytest.fixture
def smtp_server():
    """A local SMTP server (aiosmtpd) that keeps what it receives."""
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
            return "250 OK"

    import socket

    with socket.socket() as probe:  # a free port on the loopback address
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def organizer(app, world):
    client = login(app, world["organizer"])
    return client


def reminders(app):
    from lms.cohorts.models import Reminder

    with app.app_context():
        return db.session.scalar(select(func.count(Reminder.id)))


def test_email_reminders_are_sent_once_a_day(app, world, organizer, smtp_server):
    controller, inbox = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port,
                      SMTP_STARTTLS=False, MAIL_FROM="Bimtek <noreply@bimtek.id>")
    try:
        url = f"/organizer/cohorts/{world['cohort_a'].id}/remind"
        data = {"user_id": [str(world["trainee"].id), str(world["other_trainee"].id)], "channel": "email"}
        response = organizer.post(url, data=data)
        assert response.status_code == 302
        wait_until(lambda: inbox.messages, "the email")
        # Only the trainee of this cohort: the other trainee's id from the form is ignored.
        assert [to for to, _ in inbox.messages] == [[world["trainee"].email]]
        assert "Kursus Mini A" in inbox.messages[0][1]
        assert "1 pengingat terkirim lewat email." in text_of(organizer.get(response.headers["Location"]).data)
        organizer.post(url, data=data)  # again the same day
        page = text_of(organizer.get(response.headers["Location"]).data)
        assert "Sudah diingatkan hari ini" in page
        assert len(inbox.messages) == 1 and reminders(app) == 1
    finally:
        app.config.update(SMTP_HOST=None)


def test_whatsapp_group_message_names_nobody_and_is_not_logged_when_shown(app, world, organizer, make_user,
                                                                          enrol_user):
    second = make_user(email="kedua@perpusdes.id", full_name="Nur Hasanah")
    enrol_user(second, world["cohort_a"])
    response = organizer.post(f"/organizer/cohorts/{world['cohort_a'].id}/remind",
                              data={"user_id": [str(world["trainee"].id), str(second.id)], "channel": "whatsapp"})
    page = response.get_data(as_text=True)
    group = page[page.index('id="group-message"'):]
    group = group[:group.index("</textarea>")]
    assert "Nur Hasanah" not in group and "http://localhost/courses/mini-a" in group
    assert reminders(app) == 0  # recorded only when the organizer confirms (tests/test_staff_paths.py)


def test_email_without_smtp_says_so(app, world, organizer):
    response = organizer.post(f"/organizer/cohorts/{world['cohort_a'].id}/remind",
                              data={"user_id": [str(world["trainee"].id)], "channel": "email"})
    assert "Email belum diatur" in text_of(organizer.get(response.headers["Location"]).data)
    assert reminders(app) == 0


def test_api_with_a_token(app, runner, world, make_user):
    result = runner.invoke(args=["users", "token", "--email", world["organizer"].email, "--name", "dasbor dinas"])
    assert result.exit_code == 0
    token = result.output.strip()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/cohorts").status_code == 401
    assert client.get("/api/v1/cohorts", headers={"Authorization": "Bearer salah"}).status_code == 401
    cohorts = client.get("/api/v1/cohorts", headers=headers).get_json()["cohorts"]
    slugs = {c["slug"] for c in cohorts}
    from lms.cohorts.models import Cohort

    with app.app_context():
        slug_a = db.session.get(Cohort, world["cohort_a"].id).slug
    assert slug_a in slugs
    completion = client.get(f"/api/v1/cohorts/{slug_a}/completion", headers=headers).get_json()
    assert completion["funnel"]["enrolled"] == 1 and completion["participants"] == 1
    people = client.get(f"/api/v1/cohorts/{slug_a}/participants", headers=headers).get_json()["participants"]
    assert people[0]["email"] == world["trainee"].email and people[0]["status"] == "not_started"
    # Another organizer's token sees nothing of this cohort.
    stranger = make_user("organizer", email="lain@penyelenggara.id")
    other = runner.invoke(args=["users", "token", "--email", stranger.email, "--name", "x"]).output.strip()
    assert client.get(f"/api/v1/cohorts/{slug_a}/participants",
                      headers={"Authorization": f"Bearer {other}"}).status_code == 404
    assert runner.invoke(args=["users", "token", "--email", world["trainee"].email, "--name", "x"]).exit_code == 1


def test_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) == {"/cohorts", "/cohorts/{slug}/completion", "/cohorts/{slug}/participants",
                                  "/cohorts/{slug}/survey", "/courses/{slug}/survey", "/cohorts/{slug}/chain",
                                  "/courses/{slug}/chain"}
    refs = {"Chain", "ChainGroup", "People", "Survey"}
    assert refs <= set(spec["components"]["schemas"])
    for path in ("/cohorts/{slug}/chain", "/courses/{slug}/chain"):
        schema = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema["allOf"][0] == {"$ref": "#/components/schemas/Chain"}
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_imported_accounts_get_their_link_by_email(app, world, organizer, smtp_server):
    import io

    controller, inbox = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_STARTTLS=False)
    try:
        data = "Nama;Email\nSiti Aisyah;siti@perpusdes.id\n".encode()
        response = organizer.post(f"/organizer/cohorts/{world['cohort_a'].id}/import",
                                  data={"file": (io.BytesIO(data), "p.csv")}, content_type="multipart/form-data")
        batch = int(response.headers["Location"].rsplit("/", 1)[1])
        done = organizer.post(f"/organizer/imports/{batch}/commit")
        assert "1 tautan atur kata sandi terkirim lewat email." in text_of(organizer.get(done.headers["Location"]).data)
        wait_until(lambda: inbox.messages, "the email")
        assert inbox.messages[0][0] == ["siti@perpusdes.id"] and "/set-password/" in inbox.messages[0][1]
    finally:
        app.config.update(SMTP_HOST=None)
