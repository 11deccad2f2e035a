"""The editor takes a Moodle XML export where it takes GIFT: saved as a draft bank, previewed
with the importer's checks (file:line), without answers."""

from __future__ import annotations

import io

from tests.authoring.test_editor import loaded_sha
from tests.conftest import DATA, text_of

EXPORT = (DATA / "moodle" / "ekspor-moodle.xml").read_bytes()


def test_a_moodle_xml_file_becomes_a_draft_with_its_questions_previewed(app, editor):
    fac = editor["facilitator"]
    response = fac.post("/author/courses/mini-a/gift", data={"gift": (io.BytesIO(EXPORT), "Bank Moodle.xml")},
                        content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith("/files/bank-moodle.xml/edit")
    assert "bank-moodle.xml" in text_of(fac.get("/author/courses/mini-a").data)
    page = fac.get(response.headers["Location"])
    preview = fac.post(response.headers["Location"], data={"text": EXPORT.decode(), "loaded_sha": loaded_sha(page.data),
                                                           "preview": "1"}, headers={"X-Requested-With": "fetch"})
    shown = text_of(preview.data)  # the preview pane alone
    assert "Apa tiga strategi TPBIS?" in shown and "Jodohkan peraturan dengan isinya." in shown
    assert "Koperasi" in shown  # a distractor is one of the choices
    assert "Benar: ketiganya." not in shown  # no feedback or key before an attempt
    assert "units (m²) are left out" in shown


def test_a_broken_moodle_xml_draft_shows_its_line(app, editor):
    fac = editor["facilitator"]
    broken = EXPORT.decode().replace('<question type="essay">', '<question type="ddwtos">')
    response = fac.post("/author/courses/mini-a/gift", data={"gift": (io.BytesIO(broken.encode()), "rusak.xml")},
                        content_type="multipart/form-data")
    page = fac.get(response.headers["Location"])
    preview = fac.post(response.headers["Location"], data={"text": broken, "loaded_sha": loaded_sha(page.data),
                                                           "preview": "1"})
    assert "mini-a/rusak.xml:326" in text_of(preview.data)
    assert "drag and drop into text" in text_of(preview.data)
    refused = fac.post("/author/courses/mini-a/gift", data={"gift": (io.BytesIO(b"<quiz/>"), "soal.docx")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert ".xml" in text_of(refused.data)  # the message names the accepted types
