"""In a real browser: finish a course, download the certificate, and follow its QR code to a
verification page that says valid."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.browser.conftest import FINISHER, run_axe

pytestmark = pytest.mark.browser


def decode_qr(pdf_path, tmp_path) -> str:
    for tool in ("pdftoppm", "zbarimg"):
        if not shutil.which(tool):
            if os.environ.get("CI"):
                pytest.fail(f"{tool} is needed in CI (poppler-utils, zbar-tools)")
            pytest.skip(f"{tool} not installed")
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(pdf_path), str(tmp_path / "page")], check=True)
    out = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "page-1.png")], capture_output=True,
                         text=True, check=True).stdout
    return out.strip()


def test_finish_course_and_verify_certificate(live_server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True, accept_downloads=True)
    page = context.new_page()
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(FINISHER)
    page.get_by_label("Kata sandi").fill("rahasia-123")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/dashboard")

    page.goto(live_server + "/courses/mini-q/lessons/bacaan-kuis")
    page.get_by_role("button", name="Tandai selesai").click()

    page.goto(live_server + "/courses/mini-q/quizzes/kuis-modul")
    page.get_by_role("button", name="Mulai kuis").click()
    page.wait_for_url("**/attempts/*")
    page.locator("fieldset", has_text="melibatkan warga").get_by_label("Pelibatan masyarakat").check()
    several = page.locator("fieldset", has_text="tiga strategi TPBIS")
    several.get_by_label("Advokasi").check()
    several.get_by_label("Pelibatan masyarakat").check()
    page.locator("fieldset", has_text="perpustakaan umum").get_by_label("Benar").check()
    page.locator("fieldset", has_text="APBDes").get_by_label("Jawaban Anda").fill("bpd")
    page.locator("fieldset", has_text="JP Bimtek").get_by_label("Jawaban Anda").fill("32")
    matching = page.locator("fieldset", has_text="Jodohkan")
    matching.get_by_label("UU 43/2007").select_option(label="Perpustakaan")
    matching.get_by_label("UU 6/2014").select_option(label="Desa")
    page.get_by_role("button", name="Selesai dan kirim…").click()
    page.get_by_role("button", name="Kirim sekarang").click()
    page.wait_for_url("**/result")
    assert "Lulus" in page.content()

    page.goto(live_server + "/courses/mini-q/quizzes/post")
    page.get_by_role("button", name="Mulai kuis").click()
    page.wait_for_url("**/attempts/*")
    page.locator("fieldset", has_text="APBN").get_by_label("Benar").check()
    page.get_by_label("PKK").check()
    page.get_by_role("button", name="Selesai dan kirim…").click()
    page.get_by_role("button", name="Kirim sekarang").click()
    page.wait_for_url("**/result")
    assert "sertifikat Anda telah terbit" in page.content()

    page.goto(live_server + "/dashboard")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Unduh sertifikat").click()
    pdf_path = tmp_path / "sertifikat.pdf"
    download_info.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")

    url = decode_qr(pdf_path, tmp_path)
    assert "/verify/" in url
    # The QR code carries the public address; the test server answers the same path.
    path = url.split("://", 1)[1].split("/", 1)[1]
    page.goto(f"{live_server}/{path}")
    assert "Sah" in page.locator(".verify-status").inner_text()
    assert "Nur Hasanah" in page.content()
    found = run_axe(page)
    context.close()
    assert found == []
