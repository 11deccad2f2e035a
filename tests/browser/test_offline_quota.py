"""Saving a module for offline reading when the device runs out of storage (issue 19, "a storage
quota exceeded: a clear message, nothing half-saved"). Chromium's real quota is lowered through
the DevTools protocol (Storage.overrideQuotaForOrigin), so the Cache API itself refuses the
writes with a QuotaExceededError. The trainee is told, the module saved before stays whole and
readable offline, no partial cache of the refused module is left, and once there is room again
the same button saves it."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import ROOT, serving
from tests.conftest import base_config

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser
COURSE = "/courses/strategi-pengembangan-perpustakaan-tik"
TRAINEE = "penuh@perpusdes.id"
WAIT = 30_000  # ms: the machine may be busy
QUOTA_MESSAGE = ("Ruang penyimpanan perangkat ini tidak cukup: tidak ada yang disimpan. Kosongkan sebagian ruang, "
                 "atau simpan satu modul saja.")
FIRST, SECOND = "Transformasi Perpustakaan", "Strategi Pelibatan Masyarakat"

# Counts the page's Cache.put calls that succeed and fail (a spy: the calls themselves go through).
SPY = """(() => {
  if (!self.Cache) { return; }
  const put = Cache.prototype.put;
  self.__puts = {ok: 0, refused: []};
  Cache.prototype.put = function (...args) {
    return put.apply(this, args).then(r => { self.__puts.ok++; return r; },
                                      e => { self.__puts.refused.push(e && e.name); throw e; });
  };
})();"""

# What the device keeps: each module cache with its URLs, and the saved records (IndexedDB).
DEVICE = """async () => {
  const caches_ = {};
  for (const name of (await caches.keys()).filter(k => k.startsWith('lms-m-'))) {
    const cache = await caches.open(name);
    caches_[name] = (await cache.keys()).map(r => { const u = new URL(r.url); return u.pathname + u.search; }).sort();
  }
  const db = await new Promise((ok, no) => { const q = indexedDB.open('lms-offline'); q.onsuccess = () => ok(q.result);
                                             q.onerror = () => no(q.error); });
  const saved = await new Promise(ok => { const q = db.transaction('saved').objectStore('saved').getAll();
                                          q.onsuccess = () => ok(q.result); });
  db.close();
  return {caches: caches_, saved: saved.map(s => ({key: s.key, cache: s.cache, manifest: s.manifest}))};
}"""


@pytest.fixture(scope="module")
def quota_server(browser_ready, tmp_path_factory):
    from flask_migrate import upgrade
    from sqlalchemy import select

    from lms import create_app
    from lms.accounts.operations import create_user
    from lms.cohorts.operations import create_cohort
    from lms.cohorts.operations import enrol
    from lms.content.importing import import_courses
    from lms.content.models import Course
    from lms.extensions import db

    path = tmp_path_factory.mktemp("offline-quota") / "live.sqlite3"
    app = create_app({**base_config(f"sqlite:///{path}"), "WTF_CSRF_ENABLED": True})
    with app.app_context():
        upgrade()
        import_courses(ROOT / "courses" / "strategi-pengembangan-perpustakaan-tik")
        course = db.session.scalar(select(Course))
        cohort = create_cohort(course=course, slug="penuh", name="Angkatan Memori Penuh", key="PENUH")
        user = create_user(email=TRAINEE, full_name="Siti Penuh", password="rahasia-123",
                           institution="Perpustakaan Desa Sungai Pinang", position="Pengelola",
                           regency="Banjar", province="63")
        enrol(user, cohort)
        db.session.commit()
    with serving(app) as base:
        yield base


def until(check, what, seconds=WAIT / 1000):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def whole(page, device: dict) -> None:
    """Every module cache belongs to a saved record, and holds every lesson and image of the
    module's manifest: nothing half-saved."""
    assert sorted(device["caches"]) == sorted(s["cache"] for s in device["saved"]), device
    for record in device["saved"]:
        manifest = page.evaluate("url => fetch(url, {credentials: 'same-origin'}).then(r => r.json())",
                                 record["manifest"])
        needed = {urlsplit(entry["url"])._replace(scheme="", netloc="").geturl()
                  for entry in manifest["lessons"] + manifest["images"]}
        assert needed
        missing = needed - set(device["caches"][record["cache"]])
        assert not missing, (record["key"], missing)


def module(page, title: str):
    """The module's entry on the course page, opened (only the current module starts open)."""
    item = page.locator("li.module").filter(has=page.locator("summary", has_text=title)).first
    if item.locator("details").get_attribute("open") is None:
        item.locator("summary").click()
    return item


def test_quota_exceeded_says_so_and_keeps_nothing_half_saved(quota_server, browser):
    base = quota_server
    context = browser.new_context(viewport={"width": 360, "height": 800})
    context.set_default_timeout(WAIT)
    context.add_init_script(SPY)
    page = context.new_page()
    page.goto(base + "/login")
    page.get_by_label("Email").fill(TRAINEE)
    page.get_by_label("Kata sandi").fill("rahasia-123")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/dashboard")
    until(lambda: page.evaluate("navigator.serviceWorker.controller !== null"), "the service worker")

    # Module 1 saved while there is room.
    page.goto(base + COURSE)
    first = module(page, FIRST)
    first.get_by_role("button", name="Simpan untuk dibaca offline").click()
    first.get_by_role("button", name="Simpan", exact=True).click()
    expect(first.locator(".offline-status")).to_contain_text("Tersimpan di perangkat ini", timeout=WAIT)
    before = page.evaluate(DEVICE)
    assert len(before["saved"]) == 1 and len(before["caches"]) == 1, before
    whole(page, before)

    # The device is nearly full: room for about half of module 2, so that some of its files are
    # written before the browser refuses one.
    second = module(page, SECOND)
    size = page.evaluate("url => fetch(url, {credentials: 'same-origin'}).then(r => r.json()).then(m => m.bytes)",
                         second.locator(".offline-save").get_attribute("data-offline-save"))
    cdp = context.new_cdp_session(page)
    usage = cdp.send("Storage.getUsageAndQuota", {"origin": base})["usage"]
    cdp.send("Storage.overrideQuotaForOrigin", {"origin": base, "quotaSize": usage + size // 2})
    page.evaluate("self.__puts.ok = 0")
    second.get_by_role("button", name="Simpan untuk dibaca offline").click()
    ask = second.locator(".offline-status", has_text="Unduh sekitar")
    expect(ask).to_be_visible(timeout=WAIT)
    second.get_by_role("button", name="Simpan", exact=True).click()
    # A clear message, and the button to try again.
    expect(second.locator(".offline-status")).to_have_text(QUOTA_MESSAGE, timeout=WAIT)
    expect(second.get_by_role("button", name="Simpan untuk dibaca offline")).to_be_visible()
    puts = page.evaluate("self.__puts")
    assert puts["ok"] > 0 and puts["refused"] == ["QuotaExceededError"], puts  # refused part-way
    # Module 1 is still saved, whole, and module 2 left nothing behind.
    after = page.evaluate(DEVICE)
    assert after == before, (before, after)
    whole(page, after)
    expect(first.locator(".offline-status")).to_contain_text("Tersimpan di perangkat ini")

    # Offline, module 1's lessons still open from the device.
    lessons = first.locator("ol.lessons a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    context.set_offline(True)
    page.goto(base + lessons[1])
    expect(page.locator("h1")).not_to_be_empty()
    assert "tidak tersimpan di perangkat ini" not in page.content()
    context.set_offline(False)

    # Room again (the quota back to the browser's own): the same button saves module 2 whole.
    cdp.send("Storage.overrideQuotaForOrigin", {"origin": base})
    page.goto(base + COURSE)
    second = module(page, SECOND)
    second.get_by_role("button", name="Simpan untuk dibaca offline").click()
    second.get_by_role("button", name="Simpan", exact=True).click()
    expect(second.locator(".offline-status")).to_contain_text("Tersimpan di perangkat ini", timeout=WAIT)
    final = page.evaluate(DEVICE)
    assert len(final["saved"]) == 2, final
    whole(page, final)
    context.close()
