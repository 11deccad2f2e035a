"""The report's caches equal a recount of the records, and the report's numbers equal what the
records say (counted here the slow, obvious way, one participant at a time)."""

from __future__ import annotations

import itertools
from collections import defaultdict

from sqlalchemy import select

from lms.extensions import db
from lms.reports.queries import _no_regency_label, regency_label
from tests.quizzes.conftest import correct_form, quiz_by_slug, quiz_world, start  # noqa: F401  (fixture)


def assert_rollup_is_a_recount(course_id: int) -> None:
    from lms.content.models import Module
    from lms.learning import rollup
    from lms.learning.models import CourseProgress, ModuleProgress
    from lms.quizzes.models import Quiz, QuizResult

    db.session.expire_all()
    expected = {tuple(r) for r in db.session.execute(rollup._progress_rows(course_id))}
    stored = {tuple(r) for r in db.session.execute(select(
        CourseProgress.user_id, CourseProgress.lessons_done, CourseProgress.last_activity_at,
        CourseProgress.quizzes_passed, CourseProgress.quiz_activity_at).where(CourseProgress.course_id == course_id))}
    assert stored == expected
    expected = {tuple(r) for r in db.session.execute(rollup._module_rows(course_id))}
    stored = {tuple(r) for r in db.session.execute(
        select(ModuleProgress.user_id, ModuleProgress.module_id, ModuleProgress.lessons_done)
        .join(Module, Module.id == ModuleProgress.module_id).where(Module.course_id == course_id))}
    assert stored == expected
    expected = {tuple(r) for r in db.session.execute(rollup._quiz_result_rows(course_id=course_id))}
    stored = {tuple(r) for r in db.session.execute(
        select(QuizResult.user_id, QuizResult.quiz_id, QuizResult.best_percent, QuizResult.first_percent,
               QuizResult.last_percent, QuizResult.passed)
        .join(Quiz, Quiz.id == QuizResult.quiz_id).where(Quiz.course_id == course_id))}
    assert stored == expected


def test_rollup_follows_starting_grading_and_regrading(app, client, quiz_world, make_user):
    from lms.learning.models import CourseProgress
    from lms.quizzes import attempts as ops
    from lms.quizzes.models import Answer, Attempt, Question, QuizResult

    quiz = quiz_by_slug(app, "kuis-modul")
    attempt_id = start(client, "kuis-modul")
    with app.app_context():
        assert_rollup_is_a_recount(quiz.course_id)
        assert db.session.scalar(select(CourseProgress.quiz_activity_at)) is not None  # started counts as activity
    client.post(f"/attempts/{attempt_id}/save", data=correct_form(app))
    client.post(f"/attempts/{attempt_id}/submit")  # the essay waits for a grader
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).state == "submitted"
        assert db.session.scalar(select(QuizResult.best_percent)) is None
        assert_rollup_is_a_recount(quiz.course_id)
        essay = db.session.scalar(select(Answer).join(Question, Question.id == Answer.question_id)
                                  .where(Answer.attempt_id == attempt_id, Question.qtype == "essay"))
        grader = make_user("facilitator", email="penilai@example.test")
        ops.grade_manually(essay, grader, 1.0)
        db.session.commit()
        assert db.session.get(Attempt, attempt_id).passed
        assert_rollup_is_a_recount(quiz.course_id)
        assert db.session.scalar(select(CourseProgress.quizzes_passed)) == 1
        ops.grade_manually(db.session.get(Answer, essay.id), grader, 0.0, reason="Tidak menjawab soal")  # regraded down
        db.session.commit()
        assert_rollup_is_a_recount(quiz.course_id)
    second = start(client, "kuis-modul")
    client.post(f"/attempts/{second}/save", data=correct_form(app, essay=""))
    client.post(f"/attempts/{second}/submit")
    with app.app_context():
        assert_rollup_is_a_recount(quiz.course_id)
        result = db.session.scalar(select(QuizResult))
        assert result.best_percent >= result.first_percent
        from lms.learning.rollup import refresh_course

        refresh_course(quiz.course_id)  # a recount from scratch changes nothing
        db.session.commit()
        assert_rollup_is_a_recount(quiz.course_id)


def stuck_reason(user_id, quizzes, counted, attempts, lessons_done, lessons_total, passed):
    """Why the trainee cannot finish, from her records one by one (lms.reports.queries.STUCK_STATUSES)."""
    from lms.quizzes.models import AttemptGrant

    for quiz in (q for q in quizzes if q.id in counted and q.attempts_allowed):
        mine = [a for a in attempts if a.quiz_id == quiz.id]
        granted = sum(g.extra for g in db.session.scalars(select(AttemptGrant).where(
            AttemptGrant.user_id == user_id, AttemptGrant.quiz_id == quiz.id)))
        if (not any(a.state == "graded" and a.passed for a in mine)
                and not any(a.state in ("in_progress", "submitted", "grading") for a in mine)
                and len(mine) >= quiz.attempts_allowed + granted):
            return "stuck_attempts"
    for quiz in (q for q in quizzes if q.id in counted and q.kind == "posttest"):
        mine = [a for a in attempts if a.quiz_id == quiz.id]
        if any(a.state == "graded" for a in mine) and not any(a.state == "graded" and a.passed for a in mine):
            return "failed_posttest"
    module_quizzes = sum(1 for q in quizzes if q.id in counted and q.kind == "module")
    if module_quizzes and lessons_done < lessons_total and passed >= module_quizzes:
        return "missing_lessons"
    return None


def reference(cohorts):
    """Each participant's status, counted from the records one by one."""
    from lms.accounts.models import User
    from lms.certificates.models import Certificate
    from lms.cohorts.models import Enrolment
    from lms.content.models import Lesson
    from lms.learning.models import LessonProgress
    from lms.quizzes.models import Attempt, Quiz
    from lms.reports.queries import ParticipantStatus

    course_id = cohorts[0].course_id
    lessons = {l.id: l for l in db.session.scalars(select(Lesson).where(
        Lesson.course_id == course_id, Lesson.required.is_(True), Lesson.archived_at.is_(None)))}
    quizzes = list(db.session.scalars(select(Quiz).where(Quiz.course_id == course_id)))
    counted = {q.id for q in quizzes if q.required and q.archived_at is None and q.kind in ("module", "posttest")}
    total = len(lessons) + len(counted)
    people = []
    for enrolment in db.session.scalars(select(Enrolment).where(Enrolment.cohort_id.in_([c.id for c in cohorts]))):
        user = db.session.get(User, enrolment.user_id)
        if user.role != "trainee":
            continue
        progress = list(db.session.scalars(select(LessonProgress).join(Lesson).where(
            LessonProgress.user_id == user.id, Lesson.course_id == course_id)))
        attempts = list(db.session.scalars(select(Attempt).where(
            Attempt.user_id == user.id, Attempt.quiz_id.in_([q.id for q in quizzes]))))
        done = sum(1 for p in progress if p.completed_at and p.lesson_id in lessons)
        passed = len({a.quiz_id for a in attempts if a.state == "graded" and a.passed and a.quiz_id in counted})
        last = max([p.last_viewed_at for p in progress] + [a.started_at for a in attempts], default=None)
        certified = db.session.scalar(select(Certificate.id).where(
            Certificate.user_id == user.id, Certificate.cohort_id == enrolment.cohort_id,
            Certificate.status == "valid")) is not None
        people.append(ParticipantStatus(
            user.id, user.full_name, user.email, user.institution or "", regency_label(user.regency_code, user.regency),
            user.regency_code,
            enrolment.cohort_id, next(c.name for c in cohorts if c.id == enrolment.cohort_id), done, passed, total,
            last, certified, lessons_total=len(lessons), quizzes_total=len(counted),
            stuck=None if certified or done + passed >= total else stuck_reason(user.id, quizzes, counted, attempts,
                                                                                 done, len(lessons), passed)))
    people.sort(key=lambda p: p.name)  # the order the list starts from: by name, as stored
    return people, lessons, quizzes, counted


def test_report_numbers_equal_the_records(app, runner, courses, world):
    from lms.certificates.models import Certificate
    from lms.cohorts.models import Cohort
    from lms.content.models import Module
    from lms.quizzes.models import Attempt
    from lms.reports.queries import Filters, cohort_report, filter_participants
    from lms.util import utcnow

    result = runner.invoke(args=["dev", "seed", "--participants", "80", "--cohorts", "2", "--course", "mini-q"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        cohorts = list(db.session.scalars(select(Cohort).where(Cohort.slug.like("seed-%")).order_by(Cohort.id)))
        users = [e for e in db.session.execute(select(Attempt.user_id).distinct()).scalars()]
        # Certificates: valid, revoked, and a replaced one next to its valid reissue.
        for n, (uid, status) in enumerate(zip(users[:6], ["valid", "valid", "revoked", "replaced", "valid",
                                                           "revoked"])):
            from lms.cohorts.models import Enrolment

            cohort_id = db.session.scalar(select(Enrolment.cohort_id).where(Enrolment.user_id == uid))
            db.session.add(Certificate(code=f"K{n}", number=f"{n}/T", user_id=uid, cohort_id=cohort_id,
                                       course_id=cohorts[0].course_id, status=status, badge_salt="s",
                                       snapshot_json="{}", issued_at=utcnow()))
            if status == "replaced":
                db.session.add(Certificate(code=f"K{n}b", number=f"{n}/T", user_id=uid, cohort_id=cohort_id,
                                           course_id=cohorts[0].course_id, status="valid", badge_salt="s",
                                           snapshot_json="{}", issued_at=utcnow()))
        db.session.commit()
        assert_rollup_is_a_recount(cohorts[0].course_id)
        for chosen in ([cohorts[0]], cohorts):
            report = cohort_report(chosen)
            people, lessons, quizzes, counted = reference(chosen)
            assert report.enrolled == len(people)
            half = sum(1 for p in people if p.percent >= 50)
            assert report.funnel() == [
                ("enrolled", len(people)), ("started", sum(1 for p in people if p.last_activity)), ("half", half),
                ("lessons", sum(1 for p in people if p.lessons_done >= len(lessons))),
                ("quizzes", sum(1 for p in people if p.done >= p.required_total)),
                ("certified", sum(1 for p in people if p.certified))]
            assert report.funnel()[-1][1] >= 1
            for key in ("regency", "institution"):
                groups = defaultdict(list)
                for p in people:  # by regency code (one row per place, its official name), or institution
                    label = (regency_label(p.regency_code) or _no_regency_label()) if key == "regency" else p.institution
                    groups[label or "-"].append(p)
                expected = sorted(((label, len(rows), sum(1 for r in rows if r.status in ("completed", "certified")),
                                    round(sum(r.percent for r in rows) / len(rows), 1))
                                   for label, rows in groups.items()),
                                  key=lambda g: (-round(100 * g[2] / g[1], 1), g[0]))
                assert [(g.label, g.participants, g.completed, g.mean_percent) for g in report.by(key)] == expected
            modules = {m.id: m for m in db.session.scalars(select(Module).where(Module.course_id == chosen[0].course_id))}
            for rate in report.modules:
                module = next(m for m in modules.values() if m.title == rate.module)
                in_module = [lid for lid, lesson in lessons.items() if lesson.module_id == module.id]
                from lms.learning.models import LessonProgress

                done = sum(1 for p in people for lp in db.session.scalars(select(LessonProgress).where(
                    LessonProgress.user_id == p.user_id, LessonProgress.lesson_id.in_(in_module or [-1]),
                    LessonProgress.completed_at.is_not(None))))
                possible = len(in_module) * len(people)
                assert rate.lesson_rate == (round(100 * done / possible, 1) if possible else 0.0)
            means = []
            for quiz in sorted(quizzes, key=lambda q: (q.title, q.id)):
                best = {}
                for a in db.session.scalars(select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.state == "graded",
                                                                  Attempt.user_id.in_([p.user_id for p in people]))):
                    best[a.user_id] = max(best.get(a.user_id, 0.0), a.percent)
                if best:
                    means.append((quiz.title, round(sum(best.values()) / len(best), 1), len(best)))
            assert report.quiz_means == means
            # The participant list: every filter and sort, page by page, as filter_participants does it.
            for filters in (dict(), dict(status="not_started"), dict(status="certified"), dict(status="completed"),
                            dict(status="missing_lessons"), dict(status="stuck_attempts"), dict(status="failed_posttest"),
                            dict(inactive_days=7, sort="activity"), dict(query="AHMAD"), dict(sort="progress"),
                            dict(sort="progress_asc"), dict(sort="regency"),
                            dict(regency=people[0].regency_code or "-", status="in_progress"),
                            dict(regency="-")):
                wanted = Filters(**{**filters, "query": filters.get("query", "").strip()})
                expected = filter_participants(people, **filters)
                assert report.count(wanted) == len(expected)
                got = [p for offset in range(0, len(expected) + 1, 7) for p in report.page(wanted, offset, 7)]
                key = {"progress": lambda p: -p.percent, "progress_asc": lambda p: p.percent,
                       "activity": lambda p: (p.last_activity is not None, p.last_activity),
                       "regency": lambda p: p.regency_code or ""}.get(filters.get("sort"), lambda p: 0)

                def runs(rows):  # people with the same name may come in any order among themselves
                    return [sorted((r.user_id, r.cohort_id, r.percent, r.status) for r in run)
                            for _, run in itertools.groupby(rows, key=lambda p: (key(p), p.name.casefold(), p.name))]

                assert runs(got) == runs(expected), filters
            export = sorted(report.rows())
            assert export == sorted((p.name, p.email, p.institution, p.regency, p.cohort_name, p.percent, p.status,
                                     p.last_activity) for p in people)


def test_report_gain_equals_the_per_trainee_computation(app, runner, courses, world):
    """The report's one-query knowledge gain gives what the per-trainee computation gives."""
    from lms.cohorts.models import Cohort
    from lms.content.models import Course
    from lms.reports.queries import cohort_report
    from lms.quizzes.stats import knowledge_gain

    result = runner.invoke(args=["dev", "seed", "--participants", "120", "--cohorts", "2", "--course", "mini-q"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        cohorts = list(db.session.scalars(select(Cohort).where(Cohort.slug.like("seed-%")).order_by(Cohort.id)))
        report = cohort_report(cohorts)
        expected = knowledge_gain(db.session.get(Course, cohorts[0].course_id), report.user_ids())
        got = report.gain()
        assert expected.paired > 10  # the seed gives pre- and post-tests to many
        assert (got.mean_pre, got.mean_post, got.normalized_gain, got.paired) == \
            (expected.mean_pre, expected.mean_post, expected.normalized_gain, expected.paired)


def test_a_quiz_graded_by_the_last_attempt_counts_the_same_in_report_and_progress(app, client, quiz_world):
    """Passed, then failed again, on a quiz graded by the last attempt: not passed, in the
    report's caches as in the trainee's own progress (and the caches equal a recount)."""
    from lms.content.models import Course
    from lms.learning.models import CourseProgress
    from lms.learning.progress import my_course
    from lms.quizzes.models import Attempt, Quiz, QuizResult

    quiz = quiz_by_slug(app, "kuis-modul")
    with app.app_context():
        db.session.get(Quiz, quiz.id).grading = "last"
        db.session.commit()
    first = start(client, "kuis-modul")
    client.post(f"/attempts/{first}/save", data=correct_form(app, essay=""))
    client.post(f"/attempts/{first}/submit")
    with app.app_context():
        assert db.session.get(Attempt, first).passed
        assert db.session.scalar(select(QuizResult.passed)) is True
        assert db.session.scalar(select(CourseProgress.quizzes_passed)) == 1
    second = start(client, "kuis-modul")
    client.post(f"/attempts/{second}/submit")  # nothing answered: fails
    with app.app_context():
        assert db.session.get(Attempt, second).passed is False
        assert_rollup_is_a_recount(quiz.course_id)
        assert db.session.scalar(select(QuizResult.passed)) is False
        assert db.session.scalar(select(CourseProgress.quizzes_passed)) == 0
        from lms.accounts.models import User

        user = db.session.get(User, db.session.get(Attempt, second).user_id)
        course = db.session.get(Course, quiz.course_id)
        lessons_done = db.session.scalar(select(CourseProgress.lessons_done))
        assert my_course(user, course).progress.done == lessons_done  # no quiz counted as passed


def test_dashboard_standing_over_several_courses_counts_what_each_course_report_counts(app, runner, courses, world):
    """cohort_standing reads the cohorts of several courses in one query, each course's numbers of
    required lessons and quizzes read in SQL: per cohort it counts what that course's report
    counts (lagging: the report's inactive filter; stuck, by reason)."""
    from lms.cohorts.models import Cohort
    from lms.reports.queries import Filters, cohort_report, cohort_standing

    for course, participants in (("mini-q", 80), ("mini-a", 30)):
        result = runner.invoke(args=["dev", "seed", "--participants", str(participants), "--cohorts", "2",
                                     "--course", course])
        assert result.exit_code == 0, result.output
    with app.app_context():
        cohorts = list(db.session.scalars(select(Cohort).order_by(Cohort.id)))
        # Some trainees of a mini-q cohort passed every module quiz and did no lesson (missing_lessons).
        from lms.cohorts.models import Enrolment
        from lms.learning.models import CourseProgress

        quizzed = next(c for c in cohorts if c.slug.startswith("seed-") and c.course.slug == "mini-q")
        modules = cohort_report([quizzed]).module_quizzes
        for progress in db.session.scalars(select(CourseProgress).join(
                Enrolment, Enrolment.user_id == CourseProgress.user_id).where(
                Enrolment.cohort_id == quizzed.id, CourseProgress.course_id == quizzed.course_id).limit(3)):
            progress.lessons_done, progress.quizzes_passed = 0, modules
        db.session.flush()
        expected = {}
        for course_id in {c.course_id for c in cohorts}:
            report = cohort_report([c for c in cohorts if c.course_id == course_id])
            lagging, stuck = report.counts_by_cohort(Filters(inactive_days=7)), report.stuck_by_cohort()
            expected.update({c.id: (lagging.get(c.id, 0), stuck.get(c.id, {})) for c in report.cohorts})
        got = cohort_standing([c.id for c in cohorts], 7)
        assert {c.id: got.get(c.id, (0, {})) for c in cohorts} == expected
        assert len({c.course_id for c in cohorts}) >= 2
        assert sum(n for n, _ in expected.values()) and sum(sum(s.values()) for _, s in expected.values())
        assert {"missing_lessons", "stuck_attempts"} <= {r for _, stuck in expected.values() for r in stuck}
