"""The chain report (reaction, learning, behaviour, results): each link's numbers from a small
built world, the small-group rule, who sees which cohorts, exports and the API."""

from __future__ import annotations

import io
import shutil
from datetime import date

import pytest
from sqlalchemy import select

from lms.extensions import db
from tests.conftest import DATA, import_course_folder, login, run_cohort, text_of
from tests.plans.test_followups import approve_plan, end_cohort

HSU, TANBU = "63.08", "63.10"  # Hulu Sungai Utara, Tanah Bumbu
PLAN_BLOCK = """action_plan:
  follow_ups: [1, 3]
  rubric:
    - key: kebutuhan
      title: Kebutuhan warga berbukti
      section: needs
    - key: kegiatan
      title: Kegiatan menjawab tujuan
      section: activities
"""


def take_quiz(app, user, slug: str, p1: str | None) -> None:
    """One graded attempt at mini-q's pre- or post-test: question p1 answered (or left empty)."""
    from lms.quizzes.attempts import field_name, save_answers, start_attempt, submit_attempt
    from lms.quizzes.models import Question, Quiz

    with app.app_context():
        quiz = db.session.scalar(select(Quiz).where(Quiz.slug == slug))
        attempt = start_attempt(user, quiz)
        if p1 is not None:
            ids = [entry["q"] for entry in attempt.layout]
            question = db.session.scalar(select(Question).where(Question.id.in_(ids), Question.key == "p1"))
            save_answers(attempt, {field_name(question.id): p1})
        db.session.commit()
        submit_attempt(attempt.id, user.id)
        db.session.commit()


def send_followup(app, plan_id: int, number: int, activities: list[dict], progress: str = "done") -> None:
    """The trainee's report for the round, sent, with the activities held given."""
    from lms.plans.followup_ops import start_followup
    from lms.plans.models import ActionPlan, HeldActivity

    with app.app_context():
        plan = db.session.get(ActionPlan, plan_id)
        report = start_followup(plan, number)
        report.held.clear()
        for position, values in enumerate(activities, start=1):
            report.held.append(HeldActivity(position=position, held_on=date.today(), **values))
        for item in report.items:
            item.progress = progress
        report.status = "submitted"
        db.session.commit()


@pytest.fixture
def chain_world(app, courses, tmp_path, make_user, make_cohort, enrol_user):
    """mini-q with action plans. Cohort 1: six trainees (four of Hulu Sungai Utara, two of Tanah
    Bumbu), all answered the evaluation (six ballots: five released, so the survey shows); pre 0 /
    post 50 in HSU, pre 50 / post 50 in Tanah Bumbu. Plans: 3 approved (2 HSU, 1 TanBu), 1 submitted,
    1 draft, 1 none. Round 1 reports from two HSU trainees and the TanBu one, round 3 from one.
    Cohort 2 (another facilitator): one trainee with an approved plan and a report."""
    from lms.surveys.operations import release_pending  # noqa: F401 (released by the submit path)
    from tests.surveys.test_surveys import answer_as

    folder = tmp_path / "mini-q"
    shutil.copytree(DATA / "courses" / "mini-q", folder)
    (folder / "course.yml").write_text((folder / "course.yml").read_text() + PLAN_BLOCK, encoding="utf-8")
    import_course_folder(app, folder)
    one, two = make_cohort("mini-q", key="RANTAI1", name="Angkatan Rantai"), make_cohort("mini-q", key="RANTAI2")
    organizer = make_user("organizer", email="panitia.rantai@example.test")
    facilitator = make_user("facilitator", email="fasil.rantai@example.test", full_name="Ibu Fasil")
    other_facilitator = make_user("facilitator", email="fasil.lain@example.test")
    idle = make_user("facilitator", email="fasil.nganggur@example.test")
    for user, cohort in ((organizer, one), (facilitator, one), (other_facilitator, two)):
        run_cohort(app, user, cohort)
    trainees = []
    for n in range(6):
        code = HSU if n < 4 else TANBU
        trainee = make_user(email=f"rantai{n}@example.test", full_name=f"Peserta Rantai {n}", regency_code=code,
                            regency="Hulu Sungai Utara" if code == HSU else "Tanah Bumbu",
                            institution="Perpustakaan Desa Murung" if n % 2 else "Perpustakaan Desa Hilir")
        enrol_user(trainee, one)
        take_quiz(app, trainee, "pre", None if code == HSU else "true")
        with app.app_context():
            from lms.content.models import Course, Lesson
            from lms.learning.progress import set_completed

            for lesson in db.session.scalars(select(Lesson).join(Course, Course.id == Lesson.course_id)
                                             .where(Course.slug == "mini-q")):
                set_completed(trainee, lesson, True)
            db.session.commit()
        take_quiz(app, trainee, "post", "true")
        assert answer_as(app, trainee, one, {"q0": str(4 if n % 2 else 5), "q1": "4", "q2": "3", "q3": ""}) == 302
        trainees.append(trainee)
    plans = {}
    for n in (0, 1, 4):
        plans[n] = approve_plan(app, trainees[n], one, facilitator, activities=2)
    plans[2] = approve_plan(app, trainees[2], one)  # submitted, not reviewed
    with app.app_context():
        from lms.content.models import Course
        from lms.plans.operations import start_plan

        start_plan(trainees[3], db.session.scalar(select(Course).where(Course.slug == "mini-q")))  # a draft
        db.session.commit()
    end_cohort(app, one, 100)
    send_followup(app, plans[0], 1, [
        {"title": "Kelas anyaman", "strategy": "engagement", "female_adult": 12, "male_adult": 3, "female_elderly": 2,
         "partners": "PKK, Karang Taruna", "story": "Ibu-ibu menjual tikar bermotif."},
        {"title": "Pojok baca", "strategy": "information", "male_child": 7, "female_child": 9, "partners": "pkk"}])
    send_followup(app, plans[1], 1, [{"title": "Audiensi kepala desa", "strategy": "advocacy", "male_adult": 2,
                                       "partners": "Pemerintah Desa", "story": "Dana desa untuk buku."}],
                  progress="partly")
    send_followup(app, plans[4], 1, [{"title": "Literasi digital", "strategy": "information", "female_youth": 10,
                                       "male_youth": 5, "partners": "SMP Negeri 1"}])
    send_followup(app, plans[0], 2, [{"title": "Pameran produk", "strategy": "engagement", "female_adult": 20,
                                       "partners": "PKK; BUMDes", "story": "Tikar terjual ke kota."}])
    outsider = make_user(email="rantai.lain@example.test", regency_code=TANBU, regency="Tanah Bumbu")
    enrol_user(outsider, two)
    plan_two = approve_plan(app, outsider, two, other_facilitator)
    end_cohort(app, two, 100)
    send_followup(app, plan_two, 1, [{"title": "Dongeng", "strategy": "engagement", "female_child": 30,
                                       "partners": "Posyandu", "story": "Anak-anak datang tiap Sabtu."}])
    return {"one": one, "two": two, "organizer": organizer, "facilitator": facilitator,
            "other_facilitator": other_facilitator, "idle": idle, "trainees": trainees, "plans": plans}


def cohorts(app, *items):
    from lms.cohorts.models import Cohort

    return [db.session.get(Cohort, c.id) for c in items]


def test_each_link_is_counted_from_the_records(app, chain_world):
    from lms.reports.chain import chain_report

    w = chain_world
    with app.app_context():
        report = chain_report(cohorts(app, w["one"]))
        # Reaction: six answered, five ballots released (batches of five): every cell shows.
        assert (report.survey.answered, report.survey.in_aggregates) == (6, 5)
        assert all(not item.suppressed and item.n == 5 for item in report.survey.items)
        # Learning: HSU 0 -> 50, Tanah Bumbu 50 -> 50 (knowledge_gain's rules).
        assert (report.gain.mean_pre, report.gain.mean_post, report.gain.paired) == (16.7, 50.0, 6)
        assert report.gain.normalized_gain == round((50.0 - 16.7) / (100 - 16.7), 3)
        # Behaviour.
        assert (report.participants, report.plans_started, report.plans_submitted, report.plans_approved) == (6, 5, 4, 3)
        assert report.reporting == 4
        assert [(r.round, r.months, r.expected, r.reports) for r in report.rounds] == [(1, [1], 4, 3), (2, [3], 4, 1)]
        assert report.rounds[0].plan_activities == {"done": 4, "partly": 2, "not_yet": 0}
        # Results.
        first = report.rounds[0]
        assert (first.activities, first.people_total) == (4, 50)
        assert first.by_strategy == {"information": 2, "engagement": 1, "advocacy": 1}
        assert first.people["female"] == {"child": 9, "youth": 10, "adult": 12, "elderly": 2}
        assert (report.activities, report.people_total, report.story_count) == (5, 70, 3)
        assert report.partners() == ["BUMDes", "Karang Taruna", "Pemerintah Desa", "PKK", "SMP Negeri 1"]
        # By regency: the other cohort's trainee (also Tanah Bumbu) is not counted.
        by = {g.key: g for g in report.groups["regency"]}
        assert set(by) == {HSU, TANBU}
        hsu, tanbu = by[HSU], by[TANBU]
        assert (hsu.label, hsu.participants, tanbu.participants) == ("Kabupaten Hulu Sungai Utara", 4, 2)
        assert (hsu.mean_pre, hsu.mean_post, hsu.gain, tanbu.gain) == (0.0, 50.0, 0.5, 0.0)
        assert (hsu.plans_submitted, hsu.plans_approved, tanbu.plans_submitted, tanbu.plans_approved) == (3, 2, 1, 1)
        assert (hsu.reports, tanbu.reports) == ({1: 2, 2: 1}, {1: 1})
        assert (hsu.activities, hsu.people_total, hsu.partners, hsu.stories) == (4, 55, 4, 3)
        assert (tanbu.activities, tanbu.people["male"]["youth"], tanbu.partners) == (1, 5, 1)
        # Survey answers by regency: 4 and 2, so the breakdown is withheld whole.
        assert report.survey_by_group_shown["regency"] is False
        assert all(g.answered == 0 for g in report.groups["regency"])
        # Across both cohorts (the course): the other cohort's report adds in.
        both = chain_report(cohorts(app, w["one"], w["two"]))
        assert (both.participants, both.plans_approved, both.activities, both.people_total) == (7, 4, 6, 100)
        assert {g.key: g.participants for g in both.groups["regency"]} == {HSU: 4, TANBU: 3}


def test_survey_by_group_shows_only_when_every_group_has_five(app, chain_world):
    """Answers by institution: 3 and 3 (withheld); with the other institution at five answers
    and this one at five too, shown."""
    from lms.reports.chain import chain_report
    from lms.surveys.models import SurveySubmission

    w = chain_world
    with app.app_context():
        report = chain_report(cohorts(app, w["one"]))
        assert {g.label: g.participants for g in report.groups["institution"]} == {
            "Perpustakaan Desa Hilir": 3, "Perpustakaan Desa Murung": 3}
        assert report.survey_by_group_shown["institution"] is False
        survey_id = db.session.scalar(select(SurveySubmission.survey_id).limit(1))
    # Four more trainees, two per institution, who answered: 5 and 5.
    from tests.conftest import PASSWORD  # noqa: F401

    with app.app_context():
        from lms.accounts.operations import create_user
        from lms.cohorts.operations import enrol

        for n in range(4):
            user = create_user(email=f"tambah{n}@example.test", full_name=f"Tambah {n}", password="correct-horse-42",
                               institution="Perpustakaan Desa Murung" if n % 2 else "Perpustakaan Desa Hilir")
            enrol(user, cohorts(app, w["one"])[0])
            db.session.add(SurveySubmission(survey_id=survey_id, cohort_id=w["one"].id, user_id=user.id,
                                            submitted_on=date.today()))
        db.session.commit()
        report = chain_report(cohorts(app, w["one"]))
        assert report.survey_by_group_shown["institution"] is True
        assert {g.label: g.answered for g in report.groups["institution"]} == {
            "Perpustakaan Desa Hilir": 5, "Perpustakaan Desa Murung": 5}
        assert report.survey_by_group_shown["regency"] is False  # HSU 4 + 2 new, Tanah Bumbu 2 + 2 new = 4


def test_small_survey_stays_suppressed_in_the_chain(app, chain_world, make_cohort, make_user, enrol_user):
    """A cohort with four answers: no rating, no comment, no mean in page, export or API."""
    from tests.surveys.test_surveys import answer_as, ready_trainee

    w = chain_world
    small = make_cohort("mini-q", key="KECIL")
    run_cohort(app, w["organizer"], small)
    for n in range(4):
        trainee = ready_trainee(app, make_user, enrol_user, small, f"Kecil {n}")
        assert answer_as(app, trainee, small, {"q0": "1", "q1": "1", "q3": f"Rahasia {n}"}) == 302
    client = login(app, w["organizer"])
    page = text_of(client.get(f"/organizer/cohorts/{small.id}/chain").data)
    assert "4 dari 4 peserta menjawab; 0 jawaban" in page and "Terlalu sedikit jawaban untuk ditampilkan" in page
    assert "Rahasia" not in page
    csv = client.get(f"/organizer/cohorts/{small.id}/chain?format=csv&table=survey").data.decode("utf-8-sig")
    assert "Terlalu sedikit" in csv and ";1,00;" not in csv and ";1;" not in csv.split("\n", 1)[1]
    from lms.accounts.operations import new_token

    with app.app_context():
        token = new_token(db.session.get(type(w["organizer"]), w["organizer"].id), "uji")
        db.session.commit()
    data = client.get(f"/api/v1/cohorts/{small.slug}/chain", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert data["reaction"]["in_aggregates"] == 0
    assert all(item["suppressed"] and item["mean"] is None and item["distribution"] is None
               for item in data["reaction"]["items"])
    assert all(c["comments"] == [] for c in data["reaction"]["comments"])
    assert "Rahasia" not in str(data)


def test_page_shows_each_link_and_only_my_cohorts(app, chain_world):
    w = chain_world
    facilitator = login(app, w["facilitator"])
    page = text_of(facilitator.get(f"/organizer/cohorts/{w['one'].id}/chain").data)
    for text in ("Reaksi", "Pembelajaran", "Perilaku", "Hasil", "Kabupaten Hulu Sungai Utara", "Kabupaten Tanah Bumbu",
                 "Ibu-ibu menjual tikar bermotif.", "Karang Taruna"):
        assert text in page, text
    # The course's chain for the facilitator of cohort 1: the other cohort's story is not in it.
    course_page = text_of(facilitator.get("/organizer/courses/mini-q/chain").data)
    assert "Ibu-ibu menjual tikar bermotif." in course_page and "Anak-anak datang tiap Sabtu." not in course_page
    other = login(app, w["other_facilitator"])
    assert other.get(f"/organizer/cohorts/{w['one'].id}/chain").status_code == 403
    other_page = text_of(other.get("/organizer/courses/mini-q/chain").data)
    assert "Anak-anak datang tiap Sabtu." in other_page and "Ibu-ibu menjual" not in other_page
    assert login(app, w["idle"]).get("/organizer/courses/mini-q/chain").status_code == 403
    assert login(app, w["trainees"][0]).get(f"/organizer/cohorts/{w['one'].id}/chain").status_code == 403
    # Linked from the cohort page and from the cohort's and the course's completion reports.
    organizer = login(app, w["organizer"])
    chain_link = f'/organizer/cohorts/{w["one"].id}/chain'
    assert chain_link in organizer.get(f"/organizer/cohorts/{w['one'].id}").get_data(as_text=True)
    assert chain_link in organizer.get(f"/organizer/cohorts/{w['one'].id}/report").get_data(as_text=True)
    assert "/organizer/courses/mini-q/chain" in organizer.get("/organizer/courses/mini-q/report").get_data(as_text=True)
    # Facilitators reach it from the evaluation page (they do not open the completion report).
    assert chain_link in facilitator.get(f"/organizer/cohorts/{w['one'].id}/survey").get_data(as_text=True)


def test_page_in_english(app, chain_world):
    client = login(app, chain_world["organizer"])
    client.post("/language", data={"locale": "en"})
    page = text_of(client.get(f"/organizer/cohorts/{chain_world['one'].id}/chain").data)
    for text in ("Reaction", "Learning", "Behaviour", "Results", "Plans approved", "People reached"):
        assert text in page, text


@pytest.mark.parametrize("table", ["summary", "regency", "institution", "rounds", "stories", "survey"])
def test_exports_open_typed_and_inert(app, chain_world, table):
    from openpyxl import load_workbook

    w = chain_world
    with app.app_context():
        from lms.plans.models import HeldActivity

        held = db.session.scalar(select(HeldActivity).where(HeldActivity.title == "Kelas anyaman"))
        held.story = "=HYPERLINK(\"http://x\")"
        db.session.commit()
    client = login(app, w["organizer"])
    url = f"/organizer/cohorts/{w['one'].id}/chain"
    csv = client.get(f"{url}?format=csv&table={table}")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    text = csv.data.decode("utf-8-sig")
    assert "\n=" not in text and ";=" not in text
    xlsx = client.get(f"{url}?format=xlsx&table={table}")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) > 1
    for row in rows:
        for value in row:
            assert not (isinstance(value, str) and value.startswith("="))
    if table == "regency":
        by = {row[0]: row for row in rows[1:]}
        assert by["Kabupaten Hulu Sungai Utara"][1] == 4 and isinstance(by["Kabupaten Hulu Sungai Utara"][1], int)
        assert rows[0][2] == "Menjawab evaluasi" and by["Kabupaten Hulu Sungai Utara"][2] == \
            "Terlalu sedikit jawaban untuk ditampilkan"
    if table == "stories":
        assert any(row[6] == "'=HYPERLINK(\"http://x\")" for row in rows)
    if table == "summary":
        values = {row[1]: row[2] for row in rows[1:]}
        assert values["Rencana disetujui"] == 3 and values["Orang yang dijangkau"] == 70
    assert client.get(f"{url}?format=pdf&table={table}").status_code == 404
    assert client.get(f"{url}?format=csv&table=nope").status_code == 404


def test_api_chain_for_cohort_and_course(app, chain_world):
    from lms.accounts.operations import new_token

    w = chain_world
    with app.app_context():
        from lms.accounts.models import User

        tokens = {name: new_token(db.session.get(User, w[name].id), "uji")
                  for name in ("facilitator", "other_facilitator", "idle")}
        db.session.commit()

    def get(name, path):
        return app.test_client().get(path, headers={"Authorization": f"Bearer {tokens[name]}"})

    data = get("facilitator", f"/api/v1/cohorts/{w['one'].slug}/chain").get_json()
    assert data["cohort"] == w["one"].slug and data["participants"] == 6
    assert data["learning"] == {"mean_pre": 16.7, "mean_post": 50.0, "normalized_gain": 0.4, "paired": 6}
    assert data["behaviour"]["plans_approved"] == 3 and data["behaviour"]["rounds"][0]["reports"] == 3
    assert data["results"]["people_total"] == 70
    assert data["reaction"]["in_aggregates"] == 5
    hsu = next(g for g in data["by_regency"] if g["key"] == HSU)
    assert hsu["survey_answered"] is None and hsu["results"]["people"]["female"]["adult"] == 32
    assert get("other_facilitator", f"/api/v1/cohorts/{w['one'].slug}/chain").status_code == 404
    assert get("idle", "/api/v1/courses/mini-q/chain").status_code == 404
    course = get("other_facilitator", "/api/v1/courses/mini-q/chain").get_json()
    assert course["cohorts"] == [w["two"].slug] and course["results"]["people_total"] == 30
    assert app.test_client().get("/api/v1/courses/mini-q/chain").status_code == 401


def test_queries_do_not_grow_with_participants(app, chain_world, make_user, enrol_user):
    """The whole chain is GROUP BY queries: three more trainees with plans and reports in a new
    regency and institution cost no more queries."""
    from lms.reports.chain import chain_report
    from tests.conftest import count_queries

    w = chain_world

    def build():
        with app.app_context():
            chain_report(cohorts(app, w["one"]))

    before = count_queries(app, build)
    for n in range(3):
        trainee = make_user(email=f"lagi{n}@example.test", regency_code="63.04", regency="Barito Kuala",
                            institution=f"Perpustakaan Desa Lagi {n}")
        enrol_user(trainee, w["one"])
        plan_id = approve_plan(app, trainee, w["one"], w["facilitator"])
        send_followup(app, plan_id, 1, [{"title": "Kegiatan", "strategy": "advocacy", "male_adult": 4,
                                         "partners": f"Mitra {n}", "story": "Cerita."}])
    assert count_queries(app, build) == before
    with app.app_context():
        assert chain_report(cohorts(app, w["one"])).activities == 8


def test_a_round_due_with_no_report_shows_as_zero(app, courses, tmp_path, make_user, make_cohort, enrol_user):
    """Month 1 has come and nobody reported: the organizer sees round 1 with 0 of 1, not nothing."""
    from lms.reports.chain import chain_report

    folder = tmp_path / "mini-q"
    shutil.copytree(DATA / "courses" / "mini-q", folder)
    (folder / "course.yml").write_text((folder / "course.yml").read_text() + PLAN_BLOCK, encoding="utf-8")
    import_course_folder(app, folder)
    cohort = make_cohort("mini-q", key="SEPI1")
    facilitator = make_user("facilitator", email="fasil.sepi@example.test")
    organizer = make_user("organizer", email="panitia.sepi@example.test")
    run_cohort(app, facilitator, cohort)
    run_cohort(app, organizer, cohort)
    trainee = make_user(email="sepi@example.test", regency_code=HSU, regency="Hulu Sungai Utara")
    enrol_user(trainee, cohort)
    approve_plan(app, trainee, cohort, facilitator)
    end_cohort(app, cohort, 40)  # month 1 is due, month 3 is not
    with app.app_context():
        report = chain_report(cohorts(app, cohort))
        assert [(r.round, r.months, r.expected, r.reports) for r in report.rounds] == [(1, [1], 1, 0)]
    page = login(app, organizer).get(f"/organizer/cohorts/{cohort.id}/chain")
    assert page.status_code == 200
    assert "0/1" in text_of(page.data)


def test_a_course_without_tests_has_no_test_columns_by_group(app, world, chain_world):
    """mini-a has no pre- and post-test: its groups show no empty test columns (wide for nothing
    on a phone); mini-q's groups, which have tests, keep them."""
    header = "Rata-rata pre-test"
    untested = text_of(login(app, world["organizer"]).get(f"/organizer/cohorts/{world['cohort_a'].id}/chain").data)
    assert "Kursus ini tidak memiliki pre-test dan post-test." in untested
    assert "Peserta" in untested and header not in untested
    tested = text_of(login(app, chain_world["facilitator"]).get(f"/organizer/cohorts/{chain_world['one'].id}/chain").data)
    assert tested.count(header) >= 3  # the summary, and the regency and institution tables
