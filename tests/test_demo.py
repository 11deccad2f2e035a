"""`flask demo seed`: every demo account can use its part of the platform at once, and the demo
cohort has trainees at every stage, each got there as a trainee would."""

from __future__ import annotations

from sqlalchemy import func, select

from lms.demo import DEMO_PASSWORD, DEMO_TRAINEES
from lms.extensions import db
from tests.conftest import login, text_of


def test_demo_accounts_see_their_cohort_course_and_editor(app, runner, courses):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    pages = {"penyelenggara@demo.bimtek.id": ("/organizer/cohorts", "Angkatan Demo Kalimantan Selatan 2026"),
             "fasilitator@demo.bimtek.id": ("/author/", "Kursus Kuis"),
             "peserta@demo.bimtek.id": ("/dashboard", "Kursus Kuis")}
    for email, (url, expected) in pages.items():
        client = login(app, email, DEMO_PASSWORD)
        page = client.get(url)
        assert page.status_code == 200 and expected in text_of(page.data), (email, url)
    editor = login(app, "fasilitator@demo.bimtek.id", DEMO_PASSWORD)
    assert editor.get("/author/courses/mini-q").status_code == 200


def test_demo_cohort_has_every_stage_reached_in_order(app, runner, courses):
    from lms.accounts.models import User
    from lms.certificates.models import Certificate
    from lms.cohorts.models import Cohort
    from lms.content.models import Lesson
    from lms.learning.models import LessonProgress
    from lms.quizzes.models import Attempt, Quiz
    from lms.reports.queries import Filters, cohort_report

    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    with app.app_context():
        cohort = db.session.scalar(select(Cohort).where(Cohort.slug == "demo-kalsel-2026"))
        report = cohort_report([cohort])
        statuses = {p.email: p for p in report.participants}
        quizzes = list(db.session.scalars(select(Quiz).where(Quiz.course_id == cohort.course_id)))
        posttest = next(q for q in quizzes if q.kind == "posttest")
        module_quizzes = [q for q in quizzes if q.kind == "module"]
        required_lessons = db.session.scalar(select(func.count(Lesson.id)).where(
            Lesson.course_id == cohort.course_id, Lesson.required.is_(True), Lesson.archived_at.is_(None)))
        seen = set()
        for index, (name, _institution, code, stage, days) in enumerate(DEMO_TRAINEES):
            user = db.session.scalar(select(User).where(User.email == f"peserta{index + 1}@demo.bimtek.id"))
            assert user.full_name == name and user.regency_code == code and user.province == code[:2]
            row = statuses[user.email]
            attempts = list(db.session.scalars(select(Attempt).where(Attempt.user_id == user.id)))
            lessons_done = db.session.scalar(select(func.count()).select_from(LessonProgress).where(
                LessonProgress.user_id == user.id, LessonProgress.completed_at.is_not(None)))
            post = [a for a in attempts if a.quiz_id == posttest.id]
            certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == user.id,
                                                                      Certificate.status == "valid"))
            # Nobody has a post-test score before finishing every module (its lessons and its quiz).
            if post:
                assert lessons_done == required_lessons, name
                assert all(any(a.quiz_id == q.id and a.passed for a in attempts) for q in module_quizzes), name
            if stage == "not_started":
                assert not attempts and lessons_done == 0 and row.status == "not_started"
            elif stage == "mid_course":
                assert 0 < row.percent < 100 and row.status == "in_progress" and not post
            elif stage == "failed_quiz":
                failed = [a for a in attempts if a.quiz_id in {q.id for q in module_quizzes}]
                assert failed and all(a.state == "graded" and not a.passed for a in failed) and not post
                assert row.status == "in_progress"
            elif stage == "stuck_posttest":
                assert len(post) == 1 and post[0].state == "graded" and not post[0].passed
                # The report says why she is stuck (out of attempts, or failed with an attempt left).
                assert certificate is None and row.status in ("stuck_attempts", "failed_posttest")
            elif stage == "certified":
                assert post and post[-1].passed and certificate is not None and row.status == "certified"
            seen.add(stage)
        assert seen == {"not_started", "mid_course", "failed_quiz", "stuck_posttest", "certified"}
        # The stragglers' list (not active for 7 days) has the trainee who stopped 9 days ago.
        stragglers = report.page(Filters(inactive_days=7, sort="activity"), 0, 100)
        assert "Rahmadi" in {p.name for p in stragglers}
        assert "Fitriani" not in {p.name for p in stragglers}
        # Seeding again adds nothing.
        users = db.session.scalar(select(func.count(User.id)))
        again = runner.invoke(args=["demo", "seed"])
        assert again.exit_code == 0 and db.session.scalar(select(func.count(User.id))) == users
