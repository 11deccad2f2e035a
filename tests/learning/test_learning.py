"""A trainee studies: dashboard, course outline, lesson reader, progress, continue."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from sqlalchemy import select

from lms.content.models import Lesson
from lms.extensions import db
from lms.learning.models import LessonProgress
from lms.learning.progress import Progress, course_progress
from tests.conftest import text_of
from tests.quizzes.conftest import quiz_world  # noqa: F401  (fixture)

LESSON = "/courses/mini-a/lessons/{}"


def progress_value(html: bytes) -> int:
    return int(re.search(rb'<progress max="100" value="(\d+)"', html).group(1))


def test_dashboard_shows_my_course_with_progress(client, auth, world):
    auth.login(world["trainee"].email)
    page = client.get("/dashboard")
    text = text_of(page.data)
    assert "Kursus Mini A" in text and "Kursus Mini B" not in text
    assert "0 dari 2 langkah wajib" in text
    assert progress_value(page.data) == 0


def test_marking_lessons_done_moves_the_progress_bar(app, client, auth, world):
    auth.login(world["trainee"].email)
    response = client.post(LESSON.format("pengantar") + "/complete", data={"done": "1"})
    assert response.status_code == 302
    assert progress_value(client.get("/dashboard").data) == 50
    client.post(LESSON.format("lanjutan") + "/complete", data={"done": "1"})
    assert progress_value(client.get("/dashboard").data) == 100
    # Optional lessons do not count toward progress.
    client.post(LESSON.format("bacaan-tambahan") + "/complete", data={"done": "1"})
    with app.app_context():
        from lms.content.models import Course

        course = db.session.scalar(select(Course).where(Course.slug == "mini-a"))
        assert course_progress(world["trainee"], course) == Progress(done=2, total=2)
    # Undo.
    client.post(LESSON.format("lanjutan") + "/complete", data={"done": "0"})
    assert progress_value(client.get("/dashboard").data) == 50


def test_mark_done_and_continue_goes_to_the_next_lesson(client, auth, world):
    auth.login(world["trainee"].email)
    response = client.post(LESSON.format("pengantar") + "/complete", data={"done": "1", "then": "next"})
    assert response.headers["Location"] == LESSON.format("lanjutan")


def test_completion_time_is_kept_when_marked_twice(app, client, auth, world):
    auth.login(world["trainee"].email)
    client.post(LESSON.format("pengantar") + "/complete", data={"done": "1"})
    with app.app_context():
        first = db.session.scalar(select(LessonProgress.completed_at))
    client.post(LESSON.format("pengantar") + "/complete", data={"done": "1"})
    with app.app_context():
        assert db.session.scalar(select(LessonProgress.completed_at)) == first


def test_lesson_reader_has_toc_navigation_and_image(client, auth, world):
    auth.login(world["trainee"].email)
    page = client.get(LESSON.format("pengantar"))
    html = page.data.decode()
    assert page.status_code == 200
    assert '<a href="#tujuan-pembelajaran">Tujuan pembelajaran</a>' in html
    # Forward is a form that marks the lesson done, then goes to the next step (no GET side effect).
    form = re.search(r'<form method="post" id="lesson-next"[^>]* action="([^"]+)"[^>]*>(.*?)</form>', html, re.S)
    assert form.group(1) == LESSON.format("pengantar") + "/complete"
    assert 'name="then" value="next"' in form.group(2)
    assert '<button type="submit" form="lesson-next" class="pager-next">' in html
    assert 'rel="prev"' not in html
    assert "Materi 1 dari 3" in text_of(html)
    tag = re.search(r'<img [^>]*alt="Diagram tiga strategi"[^>]*>', html).group(0)
    src = re.search(r'src="([^"]+)"', tag).group(1)
    assert src == "../assets/01-dasar/images/diagram.svg"
    # Loaded lazily; this SVG has only a viewBox (no intrinsic size), so no width/height is made up.
    assert 'loading="lazy"' in tag and "width=" not in tag
    image = client.get(urljoin(LESSON.format("pengantar"), src))  # resolved as a browser does
    assert image.status_code == 200 and image.mimetype == "image/svg+xml"
    assert "sandbox" in image.headers["Content-Security-Policy"]
    assert client.get("/courses/mini-a/assets/01-dasar/images/diagram.svg",
                      headers={"If-None-Match": image.headers["ETag"].strip('"')}).status_code in (200, 304)


def test_continue_goes_to_the_next_required_step_in_reading_order(client, auth, world):
    """/continue is the next step: the first required lesson not done, in reading order (a lesson
    opened and left unfinished is that lesson once the ones before it are done); optional
    lessons are not required steps; at the end, the course page's next-step box."""
    auth.login(world["trainee"].email)
    assert client.get("/courses/mini-a/continue").headers["Location"] == LESSON.format("pengantar")
    client.get(LESSON.format("lanjutan"))  # opened, not finished: pengantar still comes first
    assert client.get("/courses/mini-a/continue").headers["Location"] == LESSON.format("pengantar")
    client.post(LESSON.format("pengantar") + "/complete", data={"done": "1"})
    assert client.get("/courses/mini-a/continue").headers["Location"] == LESSON.format("lanjutan")
    client.post(LESSON.format("lanjutan") + "/complete", data={"done": "1"})
    assert client.get("/courses/mini-a/continue").headers["Location"] == "/courses/mini-a#next-step"
    html = client.get("/courses/mini-a").data.decode()
    assert "Selamat! Anda telah menyelesaikan kursus ini." in text_of(html)
    assert re.search(r'<a class="button" href="/certificates/\w+\.pdf">Unduh sertifikat Anda', html)


def test_going_back_to_a_lesson_makes_it_the_one_to_continue(app, client, auth, world):
    auth.login(world["trainee"].email)
    for slug in ("pengantar", "lanjutan", "pengantar"):  # within seconds
        client.get(LESSON.format(slug))
    assert client.get("/courses/mini-a/continue").headers["Location"] == LESSON.format("pengantar")
    with app.app_context():
        before = db.session.scalar(select(LessonProgress.last_viewed_at).join(Lesson).where(Lesson.slug == "pengantar"))
    client.get(LESSON.format("pengantar"))  # a reload of the lesson I am on: nothing to write
    with app.app_context():
        assert db.session.scalar(select(LessonProgress.last_viewed_at).join(Lesson)
                                 .where(Lesson.slug == "pengantar")) == before


def test_course_page_shows_status_of_each_lesson(client, auth, world):
    auth.login(world["trainee"].email)
    client.post(LESSON.format("pengantar") + "/complete", data={"done": "1"})
    client.get(LESSON.format("lanjutan"))
    html = client.get("/courses/mini-a").data.decode()
    statuses = re.findall(r'class="lesson-item status-(\w+)"', html)
    assert statuses == ["done", "started", "not_started"]
    assert "Opsional" in text_of(html)


def test_viewing_a_lesson_records_it(app, client, auth, world):
    auth.login(world["trainee"].email)
    client.get(LESSON.format("lanjutan"))
    with app.app_context():
        record = db.session.scalar(select(LessonProgress).join(Lesson).where(Lesson.slug == "lanjutan"))
        assert record.user_id == world["trainee"].id and record.completed_at is None


def test_trainee_of_another_cohort_never_sees_the_content(client, auth, world):
    auth.login(world["other_trainee"].email)
    for path in ("/courses/mini-a", LESSON.format("pengantar"), "/courses/mini-a/continue",
                 "/courses/mini-a/assets/01-dasar/images/diagram.svg"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Pengantar Perpustakaan Desa" not in text_of(response.data)
    assert client.post(LESSON.format("pengantar") + "/complete", data={"done": "1"}).status_code == 403


def test_unknown_and_archived_lessons_are_404(app, client, auth, world):
    auth.login(world["trainee"].email)
    assert client.get(LESSON.format("tidak-ada")).status_code == 404
    assert client.get("/courses/tidak-ada").status_code == 404
    with app.app_context():
        from lms.util import utcnow

        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "lanjutan"))
        lesson.archived_at = utcnow()
        db.session.commit()
    assert client.get(LESSON.format("lanjutan")).status_code == 404
    assert "0 dari 1 langkah wajib" in text_of(client.get("/dashboard").data)


def test_join_another_cohort_with_a_key(client, auth, world):
    auth.login(world["trainee"].email)
    wrong = client.post("/join", data={"enrolment_key": "BUKAN"})
    assert wrong.status_code == 400 and "tidak berlaku" in text_of(wrong.data)
    response = client.post("/join", data={"enrolment_key": "kuncib2026"})
    assert response.headers["Location"] == "/courses/mini-b"
    assert client.get("/courses/mini-b/lessons/materi-b").status_code == 200


def test_anonymous_visitor_is_sent_to_login(client, world):
    response = client.get(LESSON.format("pengantar"))
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_staff_see_all_courses(client, auth, world):
    auth.login(world["facilitator"].email)
    text = text_of(client.get("/dashboard").data)
    assert "Kursus Mini A" in text and "Kursus Mini B" in text
    assert client.get(LESSON.format("pengantar")).status_code == 200


def test_report_cache_follows_the_records(app, client, auth, world, runner, tmp_path):
    """CourseProgress is recounted on every progress write and after an import that changes
    which lessons are required, so reports never drift from the records."""
    from lms.learning.models import CourseProgress

    def cached():
        with app.app_context():
            row = db.session.scalar(select(CourseProgress).where(CourseProgress.user_id == world["trainee"].id))
            return None if row is None else row.lessons_done

    auth.login(world["trainee"].email)
    assert cached() is None
    client.get(LESSON.format("pengantar"))
    assert cached() == 0
    client.post(LESSON.format("pengantar") + "/complete", data={"done": "1"})
    client.post(LESSON.format("bacaan-tambahan") + "/complete", data={"done": "1"})  # optional: not counted
    assert cached() == 1
    client.post(LESSON.format("pengantar") + "/complete", data={"done": "0"})
    assert cached() == 0
    with app.app_context():  # the module rows too: equal to a recount of her records
        from lms.content.models import Course
        from tests.cohorts.test_report_rollup import assert_rollup_is_a_recount

        course_id = db.session.scalar(select(Course.id).where(Course.slug == "mini-a"))
        assert_rollup_is_a_recount(course_id)
    client.post(LESSON.format("pengantar") + "/complete", data={"done": "1"})
    client.get(LESSON.format("pengantar"))
    with app.app_context():
        assert_rollup_is_a_recount(course_id)
    client.post(LESSON.format("pengantar") + "/complete", data={"done": "0"})
    client.post(LESSON.format("bacaan-tambahan") + "/complete", data={"done": "1"})
    # The optional lesson becomes required in the files: the import recounts.
    import shutil

    from tests.conftest import DATA

    course = tmp_path / "mini-a"
    shutil.copytree(DATA / "courses" / "mini-a", course)
    lesson = course / "01-dasar" / "03-bacaan-tambahan.md"
    lesson.write_text(lesson.read_text().replace("required: false", "required: true"))
    assert runner.invoke(args=["courses", "import", str(course)]).exit_code == 0
    assert cached() == 1


def test_lesson_pages_follow_a_content_update_at_once(app, client, auth, world, runner, tmp_path):
    """The per-process course shape (reading order, counts) is checked against the course's
    update time: a re-import shows at once, with no restart."""
    from lms.content.files import read_folder, write_folder
    from tests.conftest import DATA

    auth.login(world["trainee"].email)
    assert "Pengantar Perpustakaan Desa" in text_of(client.get(LESSON.format("lanjutan")).data)  # previous
    tree = read_folder(DATA / "courses" / "mini-a")
    tree["01-dasar/01-pengantar.md"] = tree["01-dasar/01-pengantar.md"].replace(
        b"title: Pengantar Perpustakaan Desa", b"title: Pengantar Tingkat Dasar")
    tree["01-dasar/module.yml"] = tree["01-dasar/module.yml"].replace(b"  - 03-bacaan-tambahan.md\n", b"")
    write_folder(tree, tmp_path / "mini-a")
    assert runner.invoke(args=["courses", "import", str(tmp_path / "mini-a")]).exit_code == 0
    page = text_of(client.get(LESSON.format("lanjutan")).data)
    assert "Pengantar Tingkat Dasar" in page and "Materi 2 dari 2" in page
