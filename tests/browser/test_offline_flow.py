"""In Chromium with a service worker: save a module, go offline, read two lessons and mark them
done, answer a quiz question, reload offline, come back online: the server records each thing
exactly once. Logout clears the saved pages and the queue. Screenshots of the save controls."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from tests.browser.conftest import ROOT, run_axe, screenshot, serving
from tests.conftest import base_config

pytestmark = pytest.mark.browser
COURSE = "/courses/strategi-pengembangan-perpustakaan-tik"
TRAINEE = "luring@perpusdes.id"


@pytest.fixture(scope="module")
def server(browser_ready, tmp_path_factory):
    """A live server whose database the test reads (what the server recorded)."""
    from flask_migrate import upgrade

    from lms import create_app
    from lms.accounts.operations import create_user
    from lms.cohorts.operations import create_cohort
    from lms.cohorts.operations import enrol
    from lms.content.importing import import_courses
    from lms.content.models import Course
    from lms.extensions import db

    path = tmp_path_factory.mktemp("offline") / "live.sqlite3"
    app = create_app({**base_config(f"sqlite:///{path}"), "WTF_CSRF_ENABLED": True})
    with app.app_context():
        upgrade()
        import_courses(ROOT / "courses" / "strategi-pengembangan-perpustakaan-tik")
        course = db.session.scalar(select(Course))
        cohort = create_cohort(course=course, slug="luring", name="Angkatan Luring", key="LURING")
        user = create_user(email=TRAINEE, full_name="Siti Luring", password="rahasia-123",
                           institution="Perpustakaan Desa Sungai Pinang", position="Pengelola",
                           regency="Banjar", province="63")
        enrol(user, cohort)
        db.session.commit()
    with serving(app) as base:
        yield base, app


def login(page, base):
    page.goto(base + "/login")
    page.get_by_label("Email").fill(TRAINEE)
    page.get_by_label("Kata sandi").fill("rahasia-123")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/dashboard")


def until(check, what, seconds=15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def recorded(app):
    """What the server holds for the trainee: lessons done, answers, replayed ids by kind."""
    from lms.accounts.models import User
    from lms.content.models import Lesson
    from lms.extensions import db
    from lms.learning.models import LessonProgress
    from lms.offline.models import ClientRequest
    from lms.quizzes.models import Answer, Attempt

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == TRAINEE))
        done = db.session.scalars(select(Lesson.slug).join(LessonProgress).where(
            LessonProgress.user_id == user.id, LessonProgress.completed_at.is_not(None)).order_by(Lesson.slug)).all()
        answers = db.session.scalar(select(func.count(Answer.id)).join(Attempt).where(Attempt.user_id == user.id))
        kinds = dict(db.session.execute(select(ClientRequest.kind, func.count(ClientRequest.id)).where(
            ClientRequest.user_id == user.id).group_by(ClientRequest.kind)).all())
        db.session.rollback()
        return {"done": done, "answers": answers, "kinds": kinds}


def test_offline_reading_and_progress_recorded_once(server, browser):
    base, app = server
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    login(page, base)
    until(lambda: page.evaluate("navigator.serviceWorker.controller !== null"), "the service worker")

    # Start module 1's quiz online (the server opens attempts), then save module 1.
    page.goto(base + COURSE + "/quizzes/kuis-transformasi-perpustakaan")
    page.get_by_role("button", name="Mulai kuis").click()
    page.wait_for_url("**/attempts/*")
    attempt_url = page.url
    page.goto(base + COURSE)
    module = page.locator("li.module").filter(has=page.locator("summary", has_text="Transformasi Perpustakaan")).first
    module.get_by_role("button", name="Simpan untuk dibaca offline").click()
    ask = module.locator(".offline-status", has_text="Unduh sekitar")
    ask.wait_for()
    assert "KB" in ask.inner_text() and "materi: 6" in ask.inner_text()
    screenshot(page, "offline-course-ask-id-360")
    module.get_by_role("button", name="Simpan", exact=True).click()
    module.locator(".offline-status", has_text="Tersimpan di perangkat ini").wait_for(timeout=30000)
    assert module.get_by_role("button", name="Hapus dari perangkat ini").is_visible()
    screenshot(page, "offline-course-saved-id-360")
    lessons = module.locator("ol.lessons a").evaluate_all("links => links.map(a => a.getAttribute('href'))")

    context.set_offline(True)
    page.goto(base + lessons[0])
    assert page.locator("h1").inner_text()
    page.get_by_role("button", name="Tandai selesai dan lanjutkan").click()
    page.wait_for_url("**" + lessons[1])
    page.locator("#offline-bar", has_text="Menunggu dikirim saat sambungan kembali: 1").wait_for()
    page.get_by_role("button", name="Tandai selesai dan lanjutkan").click()
    page.wait_for_url("**" + lessons[2])
    page.locator("#offline-bar", has_text="Menunggu dikirim saat sambungan kembali: 2").wait_for()
    screenshot(page, "offline-lesson-queued-id-360")

    page.goto(attempt_url)
    first = page.locator("fieldset.question").first.locator("input[type=radio]").first
    first.check()
    page.locator(".save-status", has_text="Tersimpan di perangkat ini").wait_for()
    page.reload()
    until(lambda: page.locator("fieldset.question").first.locator("input[type=radio]").first.is_checked(),
          "the queued answer put back in the form")
    page.locator("#offline-bar", has_text="Menunggu dikirim saat sambungan kembali: 3").wait_for()
    # A page that was not saved: the offline page.
    page.goto(base + "/profile")
    assert "tidak tersimpan di perangkat ini" in page.content()
    assert recorded(app)["done"] == [] and recorded(app)["answers"] == 0

    context.set_offline(False)
    page.goto(base + COURSE)
    state = until(lambda: (lambda r: r if len(r["done"]) == 2 and r["answers"] == 1 else None)(recorded(app)),
                  "the queue to reach the server")
    assert state["kinds"] == {"complete": 2, "quiz_save": 1}
    # Sent again (another page load, Background Sync): nothing more is recorded.
    page.reload()
    until(lambda: page.evaluate("""async () => {
        const db = await new Promise(r => { const q = indexedDB.open('lms-offline'); q.onsuccess = () => r(q.result); });
        const n = await new Promise(r => { const q = db.transaction('queue').objectStore('queue').count(); q.onsuccess = () => r(q.result); });
        return n === 0; }"""), "an empty queue")
    assert recorded(app) == state
    page.goto(attempt_url)
    assert page.locator("fieldset.question").first.locator("input[type=radio]").first.is_checked()
    context.close()


def test_logout_clears_saved_pages_and_queue(server, browser):
    base, app = server
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    login(page, base)
    until(lambda: page.evaluate("navigator.serviceWorker.controller !== null"), "the service worker")
    page.goto(base + COURSE)
    module = page.locator("li.module").filter(has=page.locator("summary", has_text="Transformasi Perpustakaan")).first
    module.get_by_role("button", name="Simpan untuk dibaca offline").click()
    module.get_by_role("button", name="Simpan", exact=True).click()
    module.locator(".offline-status", has_text="Tersimpan di perangkat ini").wait_for(timeout=30000)
    page.goto(base + "/dashboard")
    page.locator("#offline-saved", has_text="Tersimpan di perangkat ini: 1 modul").wait_for()
    assert page.evaluate("caches.keys().then(k => k.filter(n => n.startsWith('lms-m-')).length)") == 1
    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url("**/login")
    assert page.evaluate("caches.keys()") == []
    assert page.evaluate("indexedDB.databases().then(d => d.map(x => x.name))") == []
    context.close()


def test_save_controls_in_english_and_axe(server, browser):
    base, app = server
    context = browser.new_context(viewport={"width": 360, "height": 800}, bypass_csp=True)
    page = context.new_page()
    login(page, base)
    page.goto(base + "/profile")
    page.locator("#language-select").select_option("en")
    page.get_by_role("button", name="Ganti").click()
    page.goto(base + COURSE)
    until(lambda: page.evaluate("navigator.serviceWorker.controller !== null"), "the service worker")
    module = page.locator("li.module").filter(has=page.locator("summary", has_text="Transformasi Perpustakaan")).first
    module.get_by_role("button", name="Save for offline reading").wait_for()
    violations = {"course": run_axe(page)}
    module.get_by_role("button", name="Save for offline reading").click()
    module.locator(".offline-status", has_text="Download about").wait_for()
    violations["ask"] = run_axe(page)
    screenshot(page, "offline-course-ask-en-360")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width
    page.goto(base + "/offline")
    violations["offline"] = run_axe(page)
    context.close()
    found = {name: v for name, v in violations.items() if v}
    assert not found, json.dumps(found, indent=1)
