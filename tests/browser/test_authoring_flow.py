"""In a real browser: a facilitator edits a lesson, previews it, publishes it, the trainee sees
the change, the facilitator restores the earlier version; the trainee's progress never moves."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import FACILITATOR, QUIZ_TAKER, run_axe, screenshot, screenshots

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser

LESSON = "/courses/strategi-pengembangan-perpustakaan-tik/lessons/apa-itu-tpbis"
NOTE = "Catatan fasilitator: bawa daftar hadir kegiatan bulan lalu ke sesi pertama."


def login(browser, live_server, email, width=1280):
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True, locale="id-ID")
    page = context.new_page()
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill("rahasia-123")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/dashboard")
    return context, page


def trainee_view(page, live_server) -> tuple[str, bool]:
    page.goto(live_server + LESSON)
    return page.locator(".lesson-body").inner_text(), page.locator(".lesson-header .badge-done").count() == 1


def test_edit_preview_publish_and_restore_a_lesson(live_server, browser):
    violations = {}
    trainee_context, trainee = login(browser, live_server, QUIZ_TAKER)
    trainee.goto(live_server + LESSON)
    trainee.get_by_role("button", name="Tandai selesai dan lanjutkan").click()
    trainee.wait_for_url(lambda url: url != live_server + LESSON)
    original, done = trainee_view(trainee, live_server)
    assert done and NOTE not in original

    context, page = login(browser, live_server, FACILITATOR)
    page.get_by_role("link", name="Penyunting kursus").click()
    page.get_by_role("link", name="Strategi Pengembangan Perpustakaan dan TIK").click()
    violations["course"] = run_axe(page)
    screenshots(page, "editor-course")
    page.get_by_role("link", name="Apa Itu TPBIS dan Mengapa Perpustakaan Berubah", exact=True).click()
    text = page.get_by_label("Teks materi (Markdown)")
    text.fill(text.input_value().replace("## Tujuan pembelajaran", f"{NOTE}\n\n## Tujuan pembelajaran", 1))
    # editor.js refreshes the preview pane beside the text while typing (wide screens).
    page.wait_for_function("document.querySelector('#preview .lesson-body').innerText.includes('Catatan fasilitator')")
    page.get_by_role("button", name="Pratinjau").click()
    assert NOTE in page.locator(".editor-preview").inner_text()
    violations["editor"] = run_axe(page)
    screenshots(page, "editor-preview")

    page.get_by_role("button", name="Simpan draf").click()
    expect(page.locator("body")).to_contain_text("Draf tersimpan.")
    assert NOTE not in trainee_view(trainee, live_server)[0]  # a draft is not live

    page.get_by_role("link", name="Strategi Pengembangan Perpustakaan dan TIK").click()
    page.get_by_role("link", name="Terbitkan semua draf").click()
    # The summary of what changes, asked once: the lesson by its title, then one button.
    expect(page.get_by_role("heading", name="Yang berubah bagi peserta")).to_be_visible()
    assert "diubah: " in page.locator(".publish-changes").first.inner_text()
    violations["publish-summary"] = run_axe(page)
    screenshots(page, "publish-summary")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.get_by_role("button", name="Terbitkan perubahan ini").click()
    expect(page.locator("body")).to_contain_text("Diterbitkan:")
    published, done = trainee_view(trainee, live_server)
    assert NOTE in published and done

    page.get_by_role("link", name="Riwayat").first.click()
    violations["history"] = run_axe(page)
    page.get_by_role("link", name="terbit").count()  # the live version is marked
    page.locator("table tbody tr").nth(0).get_by_role("link").click()
    assert NOTE in page.locator("table.diff").inner_text()
    violations["version"] = run_axe(page)
    screenshot(page, "version-diff-1280")
    page.go_back()
    page.get_by_role("button", name="Pulihkan sebagai draf").click()
    assert NOTE not in page.get_by_label("Teks materi (Markdown)").input_value()
    page.get_by_role("link", name="Strategi Pengembangan Perpustakaan dan TIK").click()
    page.get_by_role("link", name="Terbitkan semua draf").click()
    page.get_by_role("button", name="Terbitkan perubahan ini").click()
    restored, done = trainee_view(trainee, live_server)
    assert NOTE not in restored and done
    assert restored == original

    # The course as a zip, uploaded back: the preview says nothing would change.
    exported = page.request.get(live_server + "/author/courses/strategi-pengembangan-perpustakaan-tik/export.zip")
    assert exported.ok and exported.body()[:2] == b"PK"
    page.get_by_label("Zip kursus").set_input_files(
        {"name": "kursus.zip", "mimeType": "application/zip", "buffer": exported.body()})
    page.get_by_role("button", name="Unggah dan bandingkan").click()
    expect(page.locator("body")).to_contain_text("Isi zip sama persis dengan yang sudah terbit")
    violations["upload"] = run_axe(page)
    context.close()
    trainee_context.close()
    found = {name: v for name, v in violations.items() if v}
    assert not found, json.dumps(found, indent=1)


def test_editor_works_without_javascript(live_server, browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(FACILITATOR)
    page.get_by_label("Kata sandi").fill("rahasia-123")
    page.get_by_role("button", name="Masuk").click()
    page.goto(live_server + "/author/courses/strategi-pengembangan-perpustakaan-tik/files/"
              "01-transformasi-perpustakaan/01-apa-itu-tpbis.md/edit")
    page.get_by_role("button", name="Pratinjau").click()
    assert page.locator(".editor-preview h2").count() > 0
    context.close()


def test_a_question_edited_in_the_form_reaches_the_trainee(live_server, browser):
    """The facilitator rewrites an option of the module 1 quiz in the question form, previews,
    saves and publishes; the trainee's next attempt shows the new option."""
    new_option = "TPBIS dibiayai dari iuran anggota perpustakaan desa."
    context, page = login(browser, live_server, FACILITATOR)
    page.goto(live_server + "/author/courses/strategi-pengembangan-perpustakaan-tik/files/"
              "01-transformasi-perpustakaan/quiz.yml/edit")
    violations = {"quiz-file": run_axe(page)}
    screenshot(page, "quiz-file-1280")
    page.get_by_role("link", name="Pengaturan dalam formulir").click()
    expect(page.get_by_label("Nilai lulus (%)")).to_have_value("70")
    violations["quiz-settings"] = run_axe(page)
    page.go_back()
    page.get_by_role("link", name="Bu Rina, pengelola perpustakaan desa").click()
    option = page.get_by_label("Pilihan", exact=True).nth(3)
    option.fill(new_option)
    page.get_by_role("button", name="Pratinjau").click()
    expect(page.locator("#preview")).to_contain_text(new_option)
    violations["question"] = run_axe(page)
    screenshots(page, "question-form")
    page.get_by_role("button", name="Simpan soal").click()
    expect(page.get_by_text("Soal disimpan dalam draf.")).to_be_visible()
    page.get_by_role("link", name="Strategi Pengembangan Perpustakaan dan TIK").click()
    page.get_by_role("link", name="Pengaturan kursus: judul, deskripsi, JP, sertifikat").click()
    expect(page.get_by_label("Jam pelajaran (JP)")).to_have_value("14.5")  # course.yml: derived from the content
    violations["course-settings"] = run_axe(page)
    screenshots(page, "course-settings")
    page.get_by_role("link", name="Batal").click()
    page.get_by_role("link", name="Terbitkan semua draf").click()
    page.get_by_role("button", name="Terbitkan perubahan ini").click()
    expect(page.get_by_text("Diterbitkan:")).to_be_visible()
    context.close()

    trainee_context, trainee = login(browser, live_server, QUIZ_TAKER)
    trainee.goto(live_server + "/courses/strategi-pengembangan-perpustakaan-tik/quizzes/kuis-transformasi-perpustakaan")
    trainee.get_by_role("button", name="Mulai").first.click()
    expect(trainee.locator("main")).to_contain_text(new_option)
    trainee_context.close()
    found = {name: v for name, v in violations.items() if v}
    assert not found, json.dumps(found, indent=1)


def test_an_image_goes_where_the_cursor_is(live_server, browser):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "#0b4f8a").save(buffer, "PNG")
    context, page = login(browser, live_server, FACILITATOR)
    page.goto(live_server + "/author/courses/strategi-pengembangan-perpustakaan-tik/files/"
              "01-transformasi-perpustakaan/01-apa-itu-tpbis.md/edit")
    text = page.get_by_label("Teks materi (Markdown)")
    original = text.input_value()
    at = original.index("## Tujuan pembelajaran")
    text.evaluate(f"t => {{ t.focus(); t.setSelectionRange({at}, {at}); }}")
    page.get_by_label("Gambar (PNG, JPEG, GIF, WebP atau SVG, paling besar 1 MB)").set_input_files(
        {"name": "Peta Desa.png", "mimeType": "image/png", "buffer": buffer.getvalue()})
    page.get_by_label("Teks alternatif: apa yang ditunjukkan gambar").fill("Peta sebaran pengunjung")
    page.get_by_role("button", name="Unggah gambar").click()
    page.wait_for_function("document.getElementById('image-status').textContent.length > 0")
    value = text.input_value()
    line = "![Peta sebaran pengunjung](images/peta-desa.png)"
    assert value.index(line) < value.index("## Tujuan pembelajaran") and value.count(line) == 1
    # The live preview shows the picture from the working files.
    page.wait_for_function("document.querySelector('#preview img[alt=\"Peta sebaran pengunjung\"]') !== null")
    context.close()
