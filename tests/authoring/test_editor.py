"""The course editor in the browser: drafts, preview, publish, history, restore, conflicts, uploads."""

from __future__ import annotations

import io
import os
import re
import zipfile

import pytest
from sqlalchemy import func, select

from lms.authoring.models import CourseFileDraft, CourseUpload
from lms.content.files import published_tree, zip_trees
from lms.content.models import CourseRole
from lms.content.models import Course, CourseFileVersion, Lesson
from lms.extensions import db
from lms.learning.models import LessonProgress
from tests.conftest import login, text_of

LESSON = "01-dasar/01-pengantar.md"
EDIT = f"/author/courses/mini-a/files/{LESSON}/edit"


def loaded_sha(page: bytes) -> str:
    return re.search(rb'name="loaded_sha" type="hidden" value="([0-9a-f]*)"', page).group(1).decode()


def save(client, body: str, title: str = "Pengantar Perpustakaan Desa", sha: str | None = None, **extra):
    sha = loaded_sha(client.get(EDIT).data) if sha is None else sha
    return client.post(EDIT, data={"title": title, "minutes": "5", "required": "y", "text": body,
                                   "loaded_sha": sha, **extra})


def progress_of(app, world) -> list[tuple[int, bool]]:
    with app.app_context():
        return [(lesson_id, done is not None) for lesson_id, done in db.session.execute(
            select(LessonProgress.lesson_id, LessonProgress.completed_at)
            .where(LessonProgress.user_id == world["trainee"].id))]


def test_edit_preview_publish_restore_keeps_the_trainees_progress(app, editor):
    fac, trainee, world = editor["facilitator"], editor["trainee"], editor["world"]
    progress = progress_of(app, world)
    assert progress and all(done for _, done in progress)
    page = fac.get(EDIT)
    assert page.status_code == 200
    assert "Memahami peran perpustakaan desa." in text_of(page.data)

    body = "## Tujuan pembelajaran\n\nMemahami **peran baru** perpustakaan desa.\n"
    preview = save(fac, body, preview="1")
    assert preview.status_code == 200
    assert "<strong>peran baru</strong>" in preview.get_data(as_text=True)
    with app.app_context():  # a preview saves nothing
        assert db.session.scalar(select(func.count()).select_from(CourseFileDraft)) == 0

    assert save(fac, body, title="Pengantar (revisi)").status_code == 302
    lesson_page = trainee.get("/courses/mini-a/lessons/pengantar")
    assert "peran baru" not in text_of(lesson_page.data)  # a draft is not live

    published = fac.post("/author/courses/mini-a/publish")
    assert published.status_code == 302, text_of(published.data)
    lesson_page = text_of(trainee.get("/courses/mini-a/lessons/pengantar").data)
    assert "peran baru" in lesson_page and "Pengantar (revisi)" in lesson_page
    assert progress_of(app, world) == progress  # same lesson id, still completed

    history = fac.get(f"/author/courses/mini-a/files/{LESSON}/history")
    assert history.status_code == 200
    with app.app_context():
        versions = db.session.scalars(select(CourseFileVersion).where(CourseFileVersion.path == LESSON)
                                      .order_by(CourseFileVersion.id)).all()
        assert [v.origin for v in versions] == ["files", "browser"]
        assert versions[1].author_id == world["facilitator"].id
        first_id, second_id = versions[0].id, versions[1].id
    assert world["facilitator"].full_name in text_of(history.data)
    diff = text_of(fac.get(f"/author/courses/mini-a/versions/{second_id}").data)
    assert "+ Memahami **peran baru** perpustakaan desa." in diff
    assert "− Memahami peran perpustakaan desa." in diff

    assert fac.post(f"/author/courses/mini-a/versions/{first_id}/restore").status_code == 302
    assert fac.post("/author/courses/mini-a/publish").status_code == 302
    lesson_page = text_of(trainee.get("/courses/mini-a/lessons/pengantar").data)
    assert "Memahami peran perpustakaan desa." in lesson_page and "peran baru" not in lesson_page
    assert progress_of(app, world) == progress
    with app.app_context():
        assert published_tree(db.session.scalar(select(Lesson.course_id).where(Lesson.slug == "pengantar")))[LESSON] \
            == versions[0].data


def test_scripts_are_inert_in_preview_and_published_page(app, editor):
    fac, trainee = editor["facilitator"], editor["trainee"]
    body = ('## Bagian\n\n<script>alert(1)</script>\n\n<img src="images/diagram.svg" alt="d" onerror="alert(2)">\n\n'
            '[klik](javascript:alert(3))\n\n<a href="javascript:alert(4)" onclick="alert(5)">tautan</a>\n')
    for response in (save(fac, body, preview="1"), None):
        if response is None:
            assert save(fac, body).status_code == 302
            assert fac.post("/author/courses/mini-a/publish").status_code == 302
            response = trainee.get("/courses/mini-a/lessons/pengantar")
        html = response.get_data(as_text=True)
        article = html.split('class="lesson-body">', 1)[1]
        assert "<script>alert" not in article and "onerror" not in article and "onclick" not in article
        assert "javascript:" not in article


def test_second_editor_gets_a_conflict_with_both_texts(app, editor, make_user):
    fac, world = editor["facilitator"], editor["world"]
    other = make_user("facilitator", email="fasilitator2@example.test")
    with app.app_context():
        db.session.add(CourseRole(course_id=world["cohort_a"].course_id, user_id=other.id, role="author"))
        db.session.commit()
    second = login(app, other)
    sha_first, sha_second = loaded_sha(fac.get(EDIT).data), loaded_sha(second.get(EDIT).data)
    assert save(fac, "## A\n\nTeks fasilitator satu.\n", sha=sha_first).status_code == 302
    conflict = save(second, "## A\n\nTeks fasilitator dua.\n", sha=sha_second)
    assert conflict.status_code == 409
    page = text_of(conflict.data)
    assert "Orang lain menyimpan berkas ini saat Anda menyunting" in page
    assert "Teks fasilitator satu." in page and "Teks fasilitator dua." in page
    with app.app_context():
        draft = db.session.scalar(select(CourseFileDraft).where(CourseFileDraft.path == LESSON))
        assert b"Teks fasilitator satu." in draft.data
    # Saving again from the conflict page (its form now carries the new digest) is deliberate.
    assert save(second, "## A\n\nGabungan.\n", sha=loaded_sha(conflict.data)).status_code == 302


def test_publish_refuses_a_draft_whose_file_was_imported_meanwhile(app, editor, runner, tmp_path):
    fac = editor["facilitator"]
    assert save(fac, "## A\n\nDraf lama.\n").status_code == 302
    from lms.content.files import read_folder, write_folder
    from tests.conftest import DATA

    tree = read_folder(DATA / "courses" / "mini-a")
    tree[LESSON] = tree[LESSON].replace(b"Memahami peran", b"Dari berkas: memahami peran")
    write_folder(tree, tmp_path / "mini-a")
    assert runner.invoke(args=["courses", "import", str(tmp_path / "mini-a")]).exit_code == 0
    refused = fac.post("/author/courses/mini-a/publish")
    assert refused.status_code == 409
    assert LESSON in text_of(refused.data)
    page = fac.get(EDIT)
    assert "Dari berkas: memahami peran" in text_of(page.data)  # the diff shows the imported text
    assert save(fac, "## A\n\nDraf lama, disesuaikan.\n", rebase="1").status_code == 302
    assert fac.post("/author/courses/mini-a/publish").status_code == 302
    assert "Draf lama, disesuaikan." in text_of(editor["trainee"].get("/courses/mini-a/lessons/pengantar").data)


def test_invalid_draft_is_not_published_and_says_file_and_line(app, editor):
    fac = editor["facilitator"]
    path = "01-dasar/module.yml"
    url = f"/author/courses/mini-a/files/{path}/edit"
    sha = loaded_sha(fac.get(url).data)
    broken = "slug: dasar\ntitle: Modul Dasar\nlessons:\n  - 01-pengantar.md\n  - 09-tidak-ada.md\n"
    assert fac.post(url, data={"text": broken, "loaded_sha": sha}).status_code == 302
    refused = fac.post("/author/courses/mini-a/publish")
    assert refused.status_code == 422
    assert "mini-a/01-dasar/module.yml:5" in text_of(refused.data)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseFileDraft)) == 1  # kept for fixing
        assert db.session.scalar(select(Lesson.archived_at).where(Lesson.slug == "lanjutan")) is None


def test_removing_a_completed_lesson_asks_first_and_keeps_records(app, editor):
    fac, world = editor["facilitator"], editor["world"]
    url = "/author/courses/mini-a/files/01-dasar/module.yml/edit"
    sha = loaded_sha(fac.get(url).data)
    text = "slug: dasar\ntitle: Modul Dasar\nlessons:\n  - 02-lanjutan.md\n"
    assert fac.post(url, data={"text": text, "loaded_sha": sha}).status_code == 302
    asked = fac.post("/author/courses/mini-a/publish")
    assert asked.status_code == 409
    assert "Pengantar Perpustakaan Desa" in text_of(asked.data)
    with app.app_context():
        assert db.session.scalar(select(Lesson.archived_at).where(Lesson.slug == "pengantar")) is None
    done = fac.post("/author/courses/mini-a/publish", data={"confirm_removals": "y"})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Lesson.archived_at).where(Lesson.slug == "pengantar")) is not None
    assert progress_of(app, world)  # the records stay


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "#0b4f8a").save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()


@pytest.mark.parametrize("name, data, message", [
    ("foto.png", b"not really a png", "bukan gambar"),
    ("skrip.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "gambar statis"),
    ("besar.png", PNG + b"\0" * (1024 * 1024), "lebih besar dari"),
    ("dokumen.pdf", b"%PDF-1.4", "PNG, JPEG"),
])
def test_bad_images_are_refused(app, editor, name, data, message):
    fac = editor["facilitator"]
    response = fac.post("/author/courses/mini-a/images", data={
        "image": (io.BytesIO(data), name), "alt": "Gambar", "folder": "01-dasar", "back": EDIT},
        content_type="multipart/form-data", follow_redirects=True)
    assert message.lower() in text_of(response.data).lower() or response.status_code == 413
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseFileDraft)) == 0


def test_image_upload_becomes_a_draft_file_usable_in_the_lesson(app, editor):
    fac = editor["facilitator"]
    response = fac.post("/author/courses/mini-a/images", data={
        "image": (io.BytesIO(PNG), "Foto Kegiatan.png"), "alt": "Warga membaca", "folder": "01-dasar", "back": EDIT},
        content_type="multipart/form-data", follow_redirects=True)
    assert "![Warga membaca](images/foto-kegiatan.png)" in text_of(response.data)
    raw = fac.get("/author/courses/mini-a/raw/01-dasar/images/foto-kegiatan.png")
    assert raw.status_code == 200 and raw.data == PNG and raw.mimetype == "image/png"
    assert save(fac, "## A\n\n![Warga membaca](images/foto-kegiatan.png)\n").status_code == 302
    assert fac.post("/author/courses/mini-a/publish").status_code == 302
    image = editor["trainee"].get("/courses/mini-a/assets/01-dasar/images/foto-kegiatan.png")
    assert image.status_code == 200 and image.data == PNG


def test_an_uploaded_image_goes_into_the_lesson_text(app, editor):
    """With JavaScript the editor gets the line to put at the cursor; without, the line is added
    at the end of the lesson's draft."""
    fac = editor["facilitator"]
    scripted = fac.post("/author/courses/mini-a/images", data={
        "image": (io.BytesIO(PNG), "peta.png"), "alt": "Peta [desa]", "folder": "01-dasar", "lesson": LESSON},
        content_type="multipart/form-data", headers={"X-Requested-With": "fetch"})
    assert scripted.status_code == 200 and scripted.json["markdown"] == "![Peta desa](images/peta.png)"
    refused = fac.post("/author/courses/mini-a/images", data={
        "image": (io.BytesIO(b"GIF89a nope"), "x.gif"), "alt": "x", "folder": "01-dasar", "lesson": LESSON},
        content_type="multipart/form-data", headers={"X-Requested-With": "fetch"})
    assert refused.status_code == 400 and "error" in refused.json
    with app.app_context():
        assert db.session.scalar(select(CourseFileDraft.path).where(CourseFileDraft.path == LESSON)) is None

    fac.post("/author/courses/mini-a/images", data={
        "image": (io.BytesIO(PNG), "foto.png"), "alt": "Foto kegiatan", "folder": "01-dasar", "lesson": LESSON,
        "back": EDIT}, content_type="multipart/form-data")
    page = fac.get(EDIT)
    assert "![Foto kegiatan](images/foto.png)" in text_of(page.data)
    with app.app_context():
        draft = db.session.scalar(select(CourseFileDraft).where(CourseFileDraft.path == LESSON))
        assert draft.data.decode().endswith("\n\n![Foto kegiatan](images/foto.png)\n")


def in_memory(values: dict) -> dict:
    """A large multipart body built in memory (the test client spools big ones to a temporary
    file that it leaves open)."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    boundary, body = encode_multipart({k: FileStorage(v[0], filename=v[1]) if isinstance(v, tuple) else v
                                       for k, v in values.items()})
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def test_a_course_zip_may_be_larger_than_other_uploads(app, editor):
    """Course zips with photos exceed the 5 MB that other uploads get; they have 50 MB."""
    fac = editor["facilitator"]
    with app.app_context():
        course_id = db.session.scalar(select(Lesson.course_id).where(Lesson.slug == "pengantar"))
        tree = published_tree(course_id)
    tree["01-dasar/images/foto-besar.png"] = PNG + os.urandom(3 * 1024 * 1024)  # two photos, each within
    tree["01-dasar/images/foto-besar-2.png"] = PNG + os.urandom(3 * 1024 * 1024)  # the 5 MB a file
    archive = zip_trees({"mini-a": tree})
    assert len(archive) > app.config["MAX_CONTENT_LENGTH"]
    response = fac.post("/author/courses/mini-a/upload", **in_memory({"archive": (io.BytesIO(archive), "kursus.zip")}))
    assert response.status_code == 302 and "/author/uploads/" in response.headers["Location"]
    # The same size anywhere else is refused before it is read.
    image = fac.post("/author/courses/mini-a/images", **in_memory({
        "image": (io.BytesIO(archive), "besar.png"), "alt": "x", "folder": "01-dasar"}))
    assert image.status_code == 413 and "terlalu besar" in text_of(image.data)


def test_zip_upload_previews_then_applies(app, editor):
    fac, trainee = editor["facilitator"], editor["trainee"]
    with app.app_context():
        course_id = db.session.scalar(select(Lesson.course_id).where(Lesson.slug == "pengantar"))
        tree = published_tree(course_id)
    tree[LESSON] = tree[LESSON].replace(b"Memahami peran", b"Dari zip: memahami peran")
    tree["01-dasar/04-baru.md"] = b"---\nslug: baru\ntitle: Materi Baru\n---\n## Isi\n\nBaru.\n"
    tree["01-dasar/module.yml"] += b"  - 04-baru.md\n"
    upload = fac.post("/author/courses/mini-a/upload", data={
        "archive": (io.BytesIO(zip_trees({"mini-a": tree})), "mini-a.zip")}, content_type="multipart/form-data")
    assert upload.status_code == 302
    preview = fac.get(upload.headers["Location"])
    page = text_of(preview.data)
    assert "lesson baru" in page and "lesson pengantar" in page and "01-dasar/04-baru.md" in page
    assert "Dari zip" not in text_of(trainee.get("/courses/mini-a/lessons/pengantar").data)  # nothing yet
    applied = fac.post(upload.headers["Location"] + "/apply")
    assert applied.status_code == 302
    assert "Dari zip" in text_of(trainee.get("/courses/mini-a/lessons/pengantar").data)
    export = fac.get("/author/courses/mini-a/export.zip")
    with zipfile.ZipFile(io.BytesIO(export.data)) as archive:
        assert archive.read("mini-a/01-dasar/04-baru.md") == tree["01-dasar/04-baru.md"]


def test_a_bad_zip_upload_changes_nothing(app, editor):
    fac = editor["facilitator"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("course.yml", "slug: mini-a\n")
        archive.writestr("../../etc/x.md", "x")
    upload = fac.post("/author/courses/mini-a/upload", data={"archive": (io.BytesIO(buffer.getvalue()), "jahat.zip")},
                      content_type="multipart/form-data", follow_redirects=True)
    assert "outside the course folder" in text_of(upload.data)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseUpload)) == 0  # refused before saving
        assert db.session.scalar(select(func.count()).select_from(CourseFileVersion)
                                 .where(CourseFileVersion.origin != "files")) == 0


def test_unassigned_staff_and_trainees_cannot_open_the_editor(app, world, courses):
    for who, status in (("trainee", 403), ("facilitator", 403), ("organizer", 403), ("admin", 200)):
        client = login(app, world[who])
        assert client.get(EDIT).status_code == status, who
        assert client.post("/author/courses/mini-a/publish").status_code in (status, 302), who


def test_forged_posts_without_csrf_token_are_rejected(app, editor):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        fac = editor["facilitator"]
        response = fac.post(EDIT, data={"title": "X", "text": "## Palsu\n", "loaded_sha": ""})
        assert response.status_code == 400
        assert fac.post("/author/courses/mini-a/publish").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseFileDraft)) == 0


def test_gift_paste_previews_questions_without_answers_and_reports_lines(app, editor):
    fac = editor["facilitator"]
    url = "/author/courses/mini-a/files/bank-baru.gift/edit"
    gift = ("::advokasi:: Siapa sasaran utama advokasi perpustakaan desa? {\n"
            "=Kepala desa dan BPD#Tepat: mereka memutuskan anggaran.\n~Pemustaka anak}\n\n"
            "::rusak:: Pertanyaan tanpa penutup {=ya\n")
    page = fac.post(url, data={"text": gift, "loaded_sha": "", "preview": "1"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    preview = html.split('id="preview"', 1)[1]
    assert "Siapa sasaran utama advokasi" in preview and "Kepala desa dan BPD" in preview
    assert "Tepat: mereka memutuskan anggaran." not in preview  # feedback and keys stay hidden
    assert re.search(r"mini-a/bank-baru\.gift:\d+</code>", preview)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseFileDraft)) == 0


def test_live_preview_returns_only_the_sanitized_pane(app, editor):
    fac = editor["facilitator"]
    sha = loaded_sha(fac.get(EDIT).data)
    response = fac.post(EDIT, data={"title": "Judul", "minutes": "5", "required": "y", "loaded_sha": sha,
                                    "text": "## Bagian\n\n**Tebal** <script>alert(1)</script>\n", "preview": "1"},
                        headers={"X-Requested-With": "fetch"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "<strong>Tebal</strong>" in html and "<script>alert" not in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseFileDraft)) == 0


def test_admin_creates_a_course_from_a_zip_after_a_preview(app, make_user, courses):
    from lms.content.files import read_folder
    from tests.conftest import DATA

    admin = make_user("admin", email="admin-zip@example.test")
    client = login(app, admin)
    tree = read_folder(DATA / "courses" / "mini-q")
    tree["course.yml"] = tree["course.yml"].replace(b"slug: mini-q", b"slug: kursus-baru", 1)
    upload = client.post("/author/upload", data={"archive": (io.BytesIO(zip_trees({"baru": tree})), "baru.zip")},
                         content_type="multipart/form-data")
    assert upload.status_code == 302
    preview = text_of(client.get(upload.headers["Location"]).data)
    assert "course kursus-baru" in preview and "lesson bacaan-kuis" in preview
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Course).where(Course.slug == "kursus-baru")) == 0
    applied = client.post(upload.headers["Location"] + "/apply")
    assert applied.status_code == 302 and applied.headers["Location"].endswith("/author/courses/kursus-baru")
    assert client.get("/author/courses/kursus-baru").status_code == 200
    # The same zip again: the course exists, so it must be updated from its own page.
    again = client.post("/author/upload", data={"archive": (io.BytesIO(zip_trees({"baru": tree})), "lagi.zip")},
                        content_type="multipart/form-data")
    assert "exists already" in text_of(client.get(again.headers["Location"]).data)


def test_only_admins_create_courses_by_upload(app, editor):
    response = editor["facilitator"].post("/author/upload", data={
        "archive": (io.BytesIO(b"PK"), "x.zip")}, content_type="multipart/form-data")
    assert response.status_code == 403


def test_a_moodle_gift_file_becomes_a_draft_with_its_questions_previewed(app, editor):
    fac = editor["facilitator"]
    gift = "// dari Moodle\n::q1:: Apa kepanjangan TPBIS? {=Transformasi Perpustakaan Berbasis Inklusi Sosial ~Lainnya}\n"
    response = fac.post("/author/courses/mini-a/gift", data={"gift": (io.BytesIO(gift.encode("utf-8-sig")),
                                                                        "Bank Soal.gift")},
                        content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith("/files/bank-soal.gift/edit")
    page = fac.get(response.headers["Location"])
    sha = loaded_sha(page.data)
    preview = fac.post(response.headers["Location"], data={"text": gift, "loaded_sha": sha, "preview": "1"})
    assert "Apa kepanjangan TPBIS?" in text_of(preview.data)
    bad = fac.post("/author/courses/mini-a/gift", data={"gift": (io.BytesIO(b"\xff\xfe\x00bad"), "x.gift")},
                   content_type="multipart/form-data", follow_redirects=True)
    assert "UTF-8" in text_of(bad.data)
