"""Access follows the object (lms/auth.py): results, attempts, grading, reports and the API are
scoped to the cohorts a member of staff runs; editing a course and creating its cohorts follow
explicit course roles. Both databases (the app fixture is parametrized)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from lms.extensions import db
from tests.conftest import login, run_cohort, text_of
from tests.quizzes.test_results import take


@pytest.fixture
def two_cohorts(app, courses, make_user, make_cohort, enrol_user):
    """Two cohorts of mini-q, each with one trainee (a graded pre-test, and a module quiz whose
    essay waits for a grade) and its own staff; staff who run nothing; an admin."""
    people, cohorts = {}, {}
    for n, name in ((1, "Ani Kohort Satu"), (2, "Budi Kohort Dua")):
        cohort = cohorts[n] = make_cohort("mini-q", key=f"AKSES{n}")
        trainee = people[f"trainee{n}"] = make_user(email=f"peserta{n}@example.test", full_name=name)
        enrol_user(trainee, cohort)
        take(app, trainee, "pre", {"p1": "true"})
        people[f"essay{n}"] = take(app, trainee, "kuis-modul", {"uraian": f"Rencana {name}", "isian": "bpd"})
        for role in ("facilitator", "organizer"):
            people[f"{role}{n}"] = make_user(role, email=f"{role}{n}@example.test")
            run_cohort(app, people[f"{role}{n}"], cohort)
    people["idle_facilitator"] = make_user("facilitator", email="diam-f@example.test")
    people["idle_organizer"] = make_user("organizer", email="diam-o@example.test")
    people["admin"] = make_user("admin", email="admin-akses@example.test")
    return people, cohorts


def answers_of(app, attempt_id):
    """{question key: (fraction, comment)} of an attempt, and its (state, score)."""
    from lms.quizzes.models import Answer, Attempt, Question

    with app.app_context():
        rows = db.session.execute(select(Question.key, Answer.fraction, Answer.id)
                                  .join(Answer, Answer.question_id == Question.id)
                                  .where(Answer.attempt_id == attempt_id)).all()
        attempt = db.session.get(Attempt, attempt_id)
        return {key: (fraction, answer_id) for key, fraction, answer_id in rows}, (attempt.state, attempt.score)


# --- results, attempts and grading ---------------------------------------------------------------

def test_results_pages_show_only_my_cohorts(app, two_cohorts):
    people, cohorts = two_cohorts
    for who, mine, theirs in (("organizer1", "Ani", "Budi"), ("facilitator2", "Budi", "Ani")):
        client = login(app, people[who])
        for url in ("/courses/mini-q/results", "/courses/mini-q/quizzes/pre/results"):
            page = text_of(client.get(url).data)
            assert f"{mine} Kohort" in page and f"{theirs} Kohort" not in page, (who, url)
        other = cohorts[2 if mine == "Ani" else 1]
        assert client.get(f"/courses/mini-q/results?cohort={other.id}").status_code == 404
        assert client.get(f"/courses/mini-q/quizzes/pre/results?cohort={other.id}").status_code == 404
    admin = text_of(login(app, people["admin"]).get("/courses/mini-q/results").data)
    assert "Ani Kohort" in admin and "Budi Kohort" in admin
    for who in ("idle_facilitator", "idle_organizer", "trainee1"):
        client = login(app, people[who])
        assert client.get("/courses/mini-q/results").status_code == 403, who
        assert client.get("/courses/mini-q/quizzes/pre/results").status_code == 403, who


def test_the_results_link_shows_by_the_rule_that_guards_it(app, two_cohorts):
    people, _ = two_cohorts
    link = "/courses/mini-q/results"
    assert link in login(app, people["facilitator1"]).get("/courses/mini-q").get_data(as_text=True)
    assert link not in login(app, people["idle_facilitator"]).get("/courses/mini-q").get_data(as_text=True)


def test_attempt_reviews_are_for_the_trainees_cohort_staff(app, two_cohorts):
    people, _ = two_cohorts
    url = f"/attempts/{people['essay1'].id}/result"
    assert login(app, people["facilitator1"]).get(url).status_code == 200
    assert login(app, people["organizer1"]).get(url).status_code == 200
    for who in ("facilitator2", "organizer2", "idle_facilitator", "idle_organizer", "trainee2"):
        assert login(app, people[who]).get(url).status_code == 404, who


def test_grading_queue_lists_the_answers_of_my_cohorts_only(app, two_cohorts):
    people, _ = two_cohorts
    one = text_of(login(app, people["facilitator1"]).get("/grading").data)
    assert "Rencana Ani Kohort Satu" in one and "Budi" not in one
    two = text_of(login(app, people["facilitator2"]).get("/grading").data)
    assert "Rencana Budi Kohort Dua" in two and "Ani" not in two
    idle = text_of(login(app, people["idle_facilitator"]).get("/grading").data)
    assert "Rencana Ani" not in idle and "Rencana Budi" not in idle
    both = text_of(login(app, people["admin"]).get("/grading").data)
    assert "Rencana Ani" in both and "Rencana Budi" in both


def test_a_grade_from_staff_of_another_cohort_changes_nothing(app, two_cohorts):
    people, _ = two_cohorts
    attempt_id = people["essay1"].id
    before, attempt_before = answers_of(app, attempt_id)
    assert before["uraian"][0] is None and attempt_before[0] == "submitted"
    # An essay waiting for a grade, and an auto-graded answer, of a trainee of cohort 1.
    for key in ("uraian", "isian"):
        answer_id = before[key][1]
        for who in ("facilitator2", "organizer2", "organizer1", "idle_facilitator", "idle_organizer", "trainee1"):
            response = login(app, people[who]).post(f"/answers/{answer_id}/grade", data={"points": "0"})
            assert response.status_code == 403, (who, key)
    assert answers_of(app, attempt_id) == (before, attempt_before)
    # The facilitator of her cohort may (so the refusals above are the rule, not a broken form).
    grade = login(app, people["facilitator1"]).post(f"/answers/{before['uraian'][1]}/grade", data={"points": "1"})
    assert grade.status_code == 302
    after, attempt_after = answers_of(app, attempt_id)
    assert after["uraian"][0] is not None and attempt_after[0] == "graded"


# --- reports and the API -------------------------------------------------------------------------

def test_course_report_covers_only_my_cohorts(app, two_cohorts):
    people, _ = two_cohorts
    page = text_of(login(app, people["organizer1"]).get("/organizer/courses/mini-q/report").data)
    assert "Ani Kohort Satu" in page and "Budi" not in page
    assert login(app, people["idle_organizer"]).get("/organizer/courses/mini-q/report").status_code == 404
    listing = text_of(login(app, people["organizer2"]).get("/organizer/cohorts").data)
    assert "AKSES2" in listing and "AKSES1" not in listing


def test_api_tokens_see_only_the_cohorts_their_owner_runs(app, runner, two_cohorts):
    people, cohorts = two_cohorts
    client = app.test_client()

    def get(who, path):
        token = runner.invoke(args=["users", "token", "--email", people[who].email, "--name", "t"]).output.strip()
        return client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})

    slug1, slug2 = cohorts[1].slug, cohorts[2].slug
    assert [c["slug"] for c in get("organizer1", "/cohorts").get_json()["cohorts"]] == [slug1]
    assert get("idle_organizer", "/cohorts").get_json()["cohorts"] == []
    assert {c["slug"] for c in get("admin", "/cohorts").get_json()["cohorts"]} >= {slug1, slug2}
    for path in (f"/cohorts/{slug1}/completion", f"/cohorts/{slug1}/participants"):
        assert get("organizer1", path).status_code == 200
        assert get("organizer2", path).status_code == 404
        assert get("idle_organizer", path).status_code == 404
    participants = get("organizer2", f"/cohorts/{slug2}/participants").get_json()["participants"]
    assert [p["name"] for p in participants] == ["Budi Kohort Dua"]


# --- can() and the query helpers: one rule ------------------------------------------------------

def test_can_and_the_list_queries_agree(app, two_cohorts):
    """For every user, action and cohort, can() answers what cohorts_for() lists; for every
    answer, can(grade) answers what trainee_scope() lets the grading queue show."""
    from lms.auth import COHORT_ACTIONS, can, cohorts_for, courses_for, trainee_scope
    from lms.cohorts.models import Cohort
    from lms.content.models import Course
    from lms.quizzes.models import Answer, Attempt, Quiz

    people, cohorts = two_cohorts
    expected_results = {"facilitator1": {1}, "organizer1": {1}, "facilitator2": {2}, "organizer2": {2},
                        "idle_facilitator": set(), "idle_organizer": set(), "trainee1": set()}
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "mini-q"))
        every = list(db.session.scalars(select(Cohort)))
        answers = list(db.session.scalars(select(Answer)))
        for who, user in people.items():
            if who.startswith("essay"):
                continue
            for action in COHORT_ACTIONS:
                listed = {c.id for c in db.session.scalars(cohorts_for(user, action))}
                assert listed == {c.id for c in every if can(user, action, c)}, (who, action)
            shown = {n for n, c in cohorts.items() if can(user, "view_results", c)}
            if who in expected_results:
                assert shown == expected_results[who], who
            assert can(user, "view_results", course) == bool(shown), who
            in_list = course.id in set(db.session.scalars(courses_for(user, "view_results").with_only_columns(Course.id)))
            assert in_list == can(user, "view_results", course), who
            gradable = set(db.session.scalars(
                select(Answer.id).join(Attempt, Attempt.id == Answer.attempt_id).join(Quiz, Quiz.id == Attempt.quiz_id)
                .where(trainee_scope(user, "grade", Attempt.user_id, Quiz.course_id))))
            assert gradable == {a.id for a in answers if can(user, "grade", a)}, who
        # Organizers run cohorts but do not grade; facilitators grade only their cohorts' answers.
        assert not any(can(people["organizer1"], "grade", a) for a in answers)
        essay1 = db.session.get(Attempt, people["essay1"].id)
        assert can(people["facilitator1"], "view_attempt", essay1)
        assert not can(people["facilitator2"], "view_attempt", essay1)
        assert can(people["trainee1"], "view_attempt", essay1) and not can(people["trainee1"], "review_attempt", essay1)


def test_cohort_creator_runs_it_and_assignment_is_per_cohort(app, courses, make_user, make_cohort):
    from lms.auth import can
    from lms.cohorts.models import Cohort

    creator, assigned, other = (make_user("organizer") for _ in range(3))
    cohort, second = make_cohort("mini-a"), make_cohort("mini-a")
    run_cohort(app, assigned, cohort)
    with app.app_context():
        db.session.get(Cohort, cohort.id).created_by_id = creator.id
        db.session.flush()
        for user, expected in ((creator, True), (assigned, True), (other, False)):
            assert can(user, "manage_cohort", cohort) is expected
            assert can(user, "view_results", cohort) is expected
            assert can(user, "manage_cohort", second) is False  # the same course, another cohort


# --- course roles: who edits a course, who grants that, who creates its cohorts ------------------

def test_course_roles_decide_editing_granting_and_cohort_creation(app, courses, make_user, make_cohort):
    from lms.auth import can
    from lms.content.models import Course, CourseRole

    owner, author, assigned = (make_user("facilitator") for _ in range(3))
    course_organizer, plain_organizer = make_user("organizer"), make_user("organizer")
    admin = make_user("admin")
    run_cohort(app, assigned, make_cohort("mini-a"))  # a cohort of the course grants no course role
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "mini-a"))
        other = db.session.scalar(select(Course).where(Course.slug == "mini-b"))
        db.session.add_all([CourseRole(course_id=course.id, user_id=owner.id, role="owner"),
                            CourseRole(course_id=course.id, user_id=author.id, role="author"),
                            CourseRole(course_id=course.id, user_id=course_organizer.id, role="organizer")])
        db.session.flush()
        table = {
            "author_course": {owner, author, admin},
            "grant_course_roles": {owner, admin},
            "create_cohort": {course_organizer, admin},
        }
        for action, allowed in table.items():
            for user in (owner, author, assigned, course_organizer, plain_organizer, admin):
                assert can(user, action, course) is (user in allowed), (action, user.email)
                assert can(user, action, other) is (user is admin), (action, user.email)
        # A record the account may not hold counts for nothing (e.g. after a change of role).
        owner.role = "trainee"
        db.session.flush()
        assert not can(owner, "author_course", course) and not can(owner, "grant_course_roles", course)


def test_organizer_creates_cohorts_only_of_courses_opened_to_her(app, courses, make_user):
    from lms.cohorts.models import Cohort
    from lms.content.models import Course
    from lms.content.roles import grant_course_role

    organizer = make_user("organizer")
    client = login(app, organizer)
    with app.app_context():
        ids = {c.slug: c.id for c in db.session.scalars(select(Course))}
    form = {"name": "Angkatan Baru", "slug": "angkatan-baru", "course_id": ids["mini-a"]}
    page = client.get("/organizer/cohorts/new").get_data(as_text=True)
    assert "belum ada yang dibuka untuk Anda" in text_of(page)  # no course to choose yet
    assert client.post("/organizer/cohorts/new", data=form).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Cohort).where(Cohort.slug == "angkatan-baru")) is None
        grant_course_role(db.session.get(Course, ids["mini-a"]), organizer, "organizer", None)
        db.session.commit()
    assert client.post("/organizer/cohorts/new", data=form).status_code == 302
    with app.app_context():
        cohort = db.session.scalar(select(Cohort).where(Cohort.slug == "angkatan-baru"))
        assert cohort.course_id == ids["mini-a"]
    # Moving the cohort to a course not opened to her is refused; the cohort stays where it was.
    moved = client.post(f"/organizer/cohorts/{cohort.id}", data={**form, "course_id": ids["mini-b"]})
    assert moved.status_code == 400
    with app.app_context():
        assert db.session.get(Cohort, cohort.id).course_id == ids["mini-a"]
    # Her cohort's facilitator grades there, but may not edit the course.
    facilitator = make_user("facilitator", email="ditugaskan@example.test")
    assert client.post(f"/organizer/cohorts/{cohort.id}/staff", data={"email": facilitator.email}).status_code == 302
    assert login(app, facilitator).get("/author/courses/mini-a").status_code == 403


def test_owner_grants_and_revokes_course_roles(app, courses, make_user):
    from lms.auth import can
    from lms.content.models import Course, CourseRole
    from lms.content.roles import grant_course_role

    owner, newcomer = make_user("facilitator"), make_user("facilitator", full_name="Penulis Baru")
    organizer = make_user("organizer")
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "mini-a"))
        grant_course_role(course, owner, "owner", None)
        db.session.commit()
    client = login(app, owner)
    assert login(app, newcomer).get("/author/courses/mini-a").status_code == 403
    assert client.post("/author/courses/mini-a/people", data={"email": newcomer.email, "role": "author"}).status_code == 302
    assert login(app, newcomer).get("/author/courses/mini-a").status_code == 200
    assert "Penulis Baru" in text_of(client.get("/author/courses/mini-a/people").data)
    # An author edits but does not grant; an organizer cannot be made an author.
    assert login(app, newcomer).get("/author/courses/mini-a/people").status_code == 403
    refused = client.post("/author/courses/mini-a/people", data={"email": organizer.email, "role": "author"})
    assert refused.status_code == 400
    with app.app_context():
        record = db.session.scalar(select(CourseRole).where(CourseRole.user_id == newcomer.id))
        assert record.granted_by_id == owner.id
        assert db.session.scalar(select(CourseRole).where(CourseRole.user_id == organizer.id)) is None
    assert client.post(f"/author/courses/mini-a/people/{record.id}/remove").status_code == 302
    assert login(app, newcomer).get("/author/courses/mini-a").status_code == 403
    with app.app_context():
        assert not can(newcomer, "author_course", db.session.scalar(select(Course).where(Course.slug == "mini-a")))


def test_grant_command(app, runner, courses, make_user):
    from lms.content.models import CourseRole

    facilitator, organizer = make_user("facilitator"), make_user("organizer")
    ok = runner.invoke(args=["courses", "grant", "mini-a", facilitator.email, "owner"])
    assert ok.exit_code == 0 and "owner of mini-a" in ok.output
    bad = runner.invoke(args=["courses", "grant", "mini-a", organizer.email, "author"])
    assert bad.exit_code == 1 and organizer.email in bad.output
    assert runner.invoke(args=["courses", "grant", "tidak-ada", facilitator.email, "author"]).exit_code == 1
    with app.app_context():
        assert [r.role for r in db.session.scalars(select(CourseRole))] == ["owner"]


def test_migration_keeps_todays_authors_and_organizers(tmp_path):
    """Facilitators who edit a course through a cohort assignment become its authors, organizers
    who run a cohort of it may create more; nobody else gains a role."""
    from flask_migrate import upgrade

    from lms import create_app
    from tests.conftest import base_config

    app = create_app(base_config(f"sqlite:///{tmp_path / 'roles.sqlite3'}"))
    with app.app_context():
        upgrade(revision="0010_job_runner")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO course (id, slug, title, description, language, certificate_json, "
                              "created_at, updated_at) VALUES (1, 'c', 'K', '', 'id', '{}', '2026-01-01', '2026-01-01')"))
            for uid, role in ((1, "facilitator"), (2, "organizer"), (3, "organizer"), (4, "facilitator")):
                conn.execute(text("INSERT INTO user (id, email, password_hash, role, full_name, locale, "
                                  "is_active_account, created_at) VALUES (:id, :email, 'x', :role, 'N', 'id', 1, "
                                  "'2026-01-01')"), {"id": uid, "email": f"u{uid}@x.id", "role": role})
            conn.execute(text("INSERT INTO cohort (id, course_id, slug, name, enrolment_key, is_open, notes, "
                              "created_by_id, created_at) VALUES (1, 1, 'k', 'A', 'KEY1', 1, '', 3, '2026-01-01')"))
            conn.execute(text("INSERT INTO cohort_staff (cohort_id, user_id, role) VALUES (1, 1, 'facilitator'), "
                              "(1, 2, 'organizer'), (1, 3, 'organizer')"))
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT user_id, role FROM course_role WHERE course_id = 1 ORDER BY user_id")).all()
        db.engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "author"), (2, "organizer"), (3, "organizer")]
