"""The training evaluation: answered once, anonymous in every page, export and API, small groups
suppressed, optionally required before the certificate download."""

from __future__ import annotations

import io
import json
import shutil
import zipfile

import pytest
from sqlalchemy import inspect, select

from lms.extensions import db
from tests.conftest import DATA, import_course_folder, login, run_cohort, text_of

TOO_FEW = "Terlalu sedikit jawaban untuk ditampilkan"


@pytest.fixture
def survey_cohort(app, courses, make_cohort, make_user):
    """A cohort of mini-q (which has evaluasi.yml) with a named facilitator and an organizer."""
    cohort = make_cohort("mini-q", key="EVAL2026")
    facilitator = make_user("facilitator", email="bu.fasil@example.test", full_name="Ibu Ratna Fasilitator")
    organizer = make_user("organizer", email="pak.panitia@example.test")
    run_cohort(app, facilitator, cohort)
    run_cohort(app, organizer, cohort)
    return {"cohort": cohort, "facilitator": facilitator, "organizer": organizer}


def finish_posttest(app, user) -> None:
    from lms.content.models import Lesson
    from lms.learning.progress import set_completed
    from lms.quizzes.attempts import start_attempt, submit_attempt
    from lms.quizzes.models import Quiz

    with app.app_context():
        for lesson in db.session.scalars(select(Lesson).join(Quiz, Quiz.course_id == Lesson.course_id)
                                         .where(Quiz.slug == "post")):
            set_completed(user, lesson, True)
        quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "post"))
        attempt = start_attempt(user, quiz)
        db.session.commit()
        submit_attempt(attempt.id, user.id)
        db.session.commit()


def ready_trainee(app, make_user, enrol_user, cohort, name: str):
    trainee = make_user("trainee", email=f"{name.lower().replace(' ', '.')}@example.test", full_name=name)
    enrol_user(trainee, cohort)
    finish_posttest(app, trainee)
    return trainee


def answers(value: int = 4, comment: str = "", platform: int | None = None) -> dict[str, str]:
    """Form data for mini-q's survey with one facilitator: q0 materi, q1 facilitator, q2 platform,
    q3 comment."""
    data = {"q0": str(value), "q1": str(value), "q3": comment}
    if platform is not None:
        data["q2"] = str(platform)
    return data


def answer_as(app, trainee, cohort, data) -> int:
    client = login(app, trainee)
    return client.post(f"/cohorts/{cohort.id}/survey", data=data).status_code


def staff_client(app, user):
    client = login(app, user)
    return client


def test_loader_reports_file_and_line(tmp_path):
    from lms.content.loader import load_course

    folder = tmp_path / "mini-q"
    shutil.copytree(DATA / "courses" / "mini-q", folder)
    (folder / "evaluasi.yml").write_text(
        "title: Evaluasi\nitems:\n  - key: a\n    section: materi\n    text: Baik.\n"
        "  - key: b\n    section: fasilitator\n    text: Fasilitator menjelaskan.\n"
        "  - key: a\n    section: ruangan\n    text: Ruangan nyaman.\n", encoding="utf-8")
    _spec, problems = load_course(folder)
    messages = [str(p) for p in problems if p.severity == "error"]
    assert any(m.startswith("evaluasi.yml:8:") and "{fasilitator}" in m for m in messages), messages
    assert any(m.startswith("evaluasi.yml:9:") and "duplicate item key 'a'" in m for m in messages), messages
    (folder / "course.yml").write_text((folder / "course.yml").read_text().replace(
        "survey: evaluasi.yml", "survey:\n  file: tidak-ada.yml\n  wajib: true"), encoding="utf-8")
    _spec, problems = load_course(folder)
    messages = [str(p) for p in problems if p.severity == "error"]
    assert any(m.startswith("course.yml:") and "tidak-ada.yml' does not exist" in m for m in messages), messages
    assert any("unknown survey key 'wajib'" in m for m in messages), messages


def test_import_syncs_the_survey_and_archives_it_when_dropped(app, courses, tmp_path):
    from lms.surveys.models import Survey, SurveyItem

    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.title == "Evaluasi Kursus Kuis"))
        keys = list(db.session.scalars(select(SurveyItem.key).where(SurveyItem.survey_id == survey.id)
                                       .order_by(SurveyItem.position)))
        assert keys == ["materi-jelas", "fasilitator-jelas", "platform-mudah", "saran"]
        assert survey.required_for_certificate is False
    folder = tmp_path / "mini-q"
    shutil.copytree(DATA / "courses" / "mini-q", folder)
    (folder / "course.yml").write_text((folder / "course.yml").read_text().replace("survey: evaluasi.yml\n", ""))
    reports = import_course_folder(app, folder)
    assert any("survey evaluasi.yml" in line for r in reports for line in r.removed)
    with app.app_context():
        assert db.session.get(Survey, survey.id).archived_at is not None


def test_form_opens_after_posttest_and_is_answered_once(app, survey_cohort, make_user, enrol_user):
    from lms.surveys.models import SurveyAnswer, SurveyBallot, SurveySubmission

    cohort = survey_cohort["cohort"]
    trainee = make_user("trainee", email="siti@example.test", full_name="Siti Aminah")
    enrol_user(trainee, cohort)
    client = staff_client(app, trainee)
    page = text_of(client.get(f"/cohorts/{cohort.id}/survey").data)
    assert "terbuka setelah Anda menyelesaikan tes akhir" in page
    assert "Isi evaluasi" not in text_of(client.get("/courses/mini-q").data)
    finish_posttest(app, trainee)
    assert "Isi evaluasi pelatihan" in text_of(client.get("/courses/mini-q").data)
    assert "Isi evaluasi pelatihan" in text_of(client.get("/dashboard").data)
    html = client.get(f"/cohorts/{cohort.id}/survey").data.decode()
    # Radio groups in fieldsets, the facilitator rated by name.
    assert "<legend>Ibu Ratna Fasilitator menjelaskan dengan jelas." in html
    assert html.count('type="radio"') == 15
    missing = client.post(f"/cohorts/{cohort.id}/survey", data={"q0": "4", "q3": ""})
    assert missing.status_code == 422
    assert 'id="q1-error"' in missing.data.decode() and 'checked' in missing.data.decode()
    assert client.post(f"/cohorts/{cohort.id}/survey", data={**answers(), "q0": "9"}).status_code == 422
    with app.app_context():
        assert db.session.scalar(select(SurveySubmission).where(SurveySubmission.user_id == trainee.id)) is None
    done = client.post(f"/cohorts/{cohort.id}/survey", data=answers(5, "Bagus"))
    assert done.status_code == 302
    again = client.post(f"/cohorts/{cohort.id}/survey", data=answers(1, "Ganti jawaban"))
    assert again.status_code == 409
    assert "sudah mengisi evaluasi" in text_of(again.data)
    assert "sudah mengisi evaluasi" in text_of(client.get(f"/cohorts/{cohort.id}/survey").data)
    with app.app_context():
        assert db.session.query(SurveySubmission).count() == 1
        assert db.session.query(SurveyBallot).count() == 1
        values = sorted(a.value for a in db.session.scalars(select(SurveyAnswer)) if a.value is not None)
        assert values == [5, 5]  # the second submission changed nothing


def test_rows_cannot_be_joined_to_the_trainees(app, survey_cohort, make_user, enrol_user):
    """Ballots and answers hold no user, no time and no ordered id: nothing to join on."""
    from lms.surveys.models import SurveyAnswer, SurveyBallot, SurveySubmission

    cohort = survey_cohort["cohort"]
    trainees = [ready_trainee(app, make_user, enrol_user, cohort, f"Peserta Nomor {i}") for i in range(6)]
    for trainee in trainees:
        assert answer_as(app, trainee, cohort, answers(3)) == 302
    with app.app_context():
        inspector = inspect(db.session.connection())
        for table in ("survey_ballot", "survey_answer"):
            columns = {c["name"]: c for c in inspector.get_columns(table)}
            assert not {"user_id", "created_at", "submitted_at", "submitted_on"} & set(columns)
            assert not any("DATE" in str(c["type"]).upper() or "TIME" in str(c["type"]).upper()
                           for c in columns.values()), table
        foreign = {fk["referred_table"]: fk["constrained_columns"] for fk in inspector.get_foreign_keys("survey_answer")}
        assert foreign["user"] == ["facilitator_id"]
        assert {fk["referred_table"] for fk in inspector.get_foreign_keys("survey_ballot")} == {"survey", "cohort"}
        facilitator_ids = set(db.session.scalars(select(SurveyAnswer.facilitator_id)))
        assert facilitator_ids == {None, survey_cohort["facilitator"].id}
        ids = list(db.session.scalars(select(SurveyBallot.id)))
        assert len(ids) == 6 and all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
        # The submission says only the day; nothing in the ballot matches its order.
        submissions = db.session.scalars(select(SurveySubmission).order_by(SurveySubmission.id)).all()
        assert all(type(s.submitted_on).__name__ == "date" for s in submissions)
        if app.config["BACKEND"] == "sqlite":  # stored ordered by the random id, not by arrival
            rows = db.session.connection().exec_driver_sql("SELECT sql FROM sqlite_master WHERE name IN "
                                                           "('survey_ballot', 'survey_answer')").scalars().all()
            assert all("WITHOUT ROWID" in sql for sql in rows)


def _results(app, user, url):
    return staff_client(app, user).get(url)


def test_small_groups_are_suppressed_and_answers_join_in_batches(app, survey_cohort, make_user, enrol_user):
    cohort, organizer = survey_cohort["cohort"], survey_cohort["organizer"]
    trainees = [ready_trainee(app, make_user, enrol_user, cohort, f"Peserta Rahasia {i}") for i in range(6)]
    url = f"/organizer/cohorts/{cohort.id}/survey"
    for index, trainee in enumerate(trainees[:4]):
        assert answer_as(app, trainee, cohort, answers(5, comment=f"komentar-{index}")) == 302
    page = text_of(_results(app, organizer, url).data)
    assert "4 dari 6 peserta menjawab; 0 jawaban" in page
    assert page.count(TOO_FEW) == 4  # three rating cells and the comments
    assert "komentar-" not in page
    csv = _results(app, organizer, url + "?format=csv&table=items").data.decode("utf-8-sig")
    rows = csv.splitlines()[1:]
    assert len(rows) == 3 and all(row.endswith(";" * 8 + TOO_FEW) for row in rows), rows
    assert "Ibu Ratna Fasilitator menjelaskan" in rows[1]
    assert "komentar-" not in _results(app, organizer, url + "?format=csv&table=comments").data.decode("utf-8-sig")

    assert answer_as(app, trainees[4], cohort, answers(4, comment="komentar-4")) == 302
    page = text_of(_results(app, organizer, url).data)
    assert "5 dari 6 peserta menjawab; 5 jawaban" in page
    assert "Materi mudah dipahami. 5 4,8 0 0 0 1 4" in page
    assert all(f"komentar-{i}" in page for i in range(5))
    # The optional platform item: nobody rated it, so it stays hidden.
    assert page.count(TOO_FEW) == 1

    # A sixth answer waits for four more: the page cannot be compared before and after her.
    assert answer_as(app, trainees[5], cohort, answers(1, comment="komentar-5")) == 302
    page = text_of(_results(app, organizer, url).data)
    assert "6 dari 6 peserta menjawab; 5 jawaban" in page
    assert "komentar-5" not in page and "Materi mudah dipahami. 5 4,8 0 0 0 1 4" in page


def test_no_page_export_or_api_names_who_answered_what(app, survey_cohort, make_user, enrol_user):
    from lms.accounts.operations import new_token

    cohort, organizer = survey_cohort["cohort"], survey_cohort["organizer"]
    trainees = [ready_trainee(app, make_user, enrol_user, cohort, f"Nama Unik{i} Peserta") for i in range(5)]
    for index, trainee in enumerate(trainees):
        assert answer_as(app, trainee, cohort, answers(index % 5 + 1, comment=f"=HYPERLINK(\"x\") catatan {index}")) == 302
    with app.app_context():
        token = new_token(organizer, "uji")
        db.session.commit()
    client = staff_client(app, organizer)
    base = f"/organizer/cohorts/{cohort.id}/survey"
    bodies = {
        "page": client.get(base).data.decode(),
        "course page": client.get("/organizer/courses/mini-q/survey").data.decode(),
        "csv items": client.get(base + "?format=csv&table=items").data.decode("utf-8-sig"),
        "csv comments": client.get(base + "?format=csv&table=comments").data.decode("utf-8-sig"),
    }
    for table in ("items", "comments"):
        data = client.get(base + f"?format=xlsx&table={table}").data
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            bodies[f"xlsx {table}"] = " ".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
    api = app.test_client()
    for path in (f"/api/v1/cohorts/{cohort.slug}/survey", "/api/v1/courses/mini-q/survey"):
        response = api.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, path
        bodies[path] = response.data.decode()
    for where, body in bodies.items():
        for trainee in trainees:
            assert trainee.full_name not in body and trainee.email not in body, where
    assert "catatan 3" in bodies["page"]
    # Comments are text in every export, never formulas.
    assert "'=HYPERLINK" in bodies["csv comments"]
    payload = json.loads(bodies[f"/api/v1/cohorts/{cohort.slug}/survey"])
    item = next(i for i in payload["items"] if i["key"] == "materi-jelas")
    assert item["n"] == 5 and item["mean"] == 3.0 and item["distribution"] == {"1": 1, "2": 1, "3": 1, "4": 1, "5": 1}
    assert next(i for i in payload["items"] if i["key"] == "platform-mudah")["suppressed"] is True
    assert set(payload["items"][0]) == {"key", "section", "text", "facilitator", "suppressed", "n", "mean",
                                        "distribution"}


def test_course_totals_leave_out_cells_hidden_in_their_cohort(app, survey_cohort, make_cohort, make_user, enrol_user):
    """Cohort A: five rate the optional platform item; cohort B: two do. The course total counts
    A's five only, so it cannot be subtracted from to reveal B's two."""
    first, organizer = survey_cohort["cohort"], survey_cohort["organizer"]
    second = make_cohort("mini-q", key="EVAL2026B")
    run_cohort(app, organizer, second)
    run_cohort(app, survey_cohort["facilitator"], second)
    for cohort, raters in ((first, 5), (second, 2)):
        for i in range(5):
            trainee = ready_trainee(app, make_user, enrol_user, cohort, f"Peserta {cohort.id}-{i}")
            assert answer_as(app, trainee, cohort, answers(4, platform=1 if i < raters else None)) == 302
    client = staff_client(app, organizer)
    second_page = text_of(client.get(f"/organizer/cohorts/{second.id}/survey").data)
    assert second_page.count(TOO_FEW) == 1
    course_page = text_of(client.get("/organizer/courses/mini-q/survey").data)
    assert "Platform mudah digunakan. 5 1 5 0 0 0 0" in course_page
    assert "Materi mudah dipahami. 10 4 0 0 0 10 0" in course_page


def test_required_survey_holds_back_the_certificate_download(app, courses, tmp_path, make_cohort, make_user,
                                                             enrol_user):
    from lms.certificates.rules import issue_certificate
    from lms.cohorts.models import Cohort

    folder = tmp_path / "mini-q"
    shutil.copytree(DATA / "courses" / "mini-q", folder)
    (folder / "course.yml").write_text((folder / "course.yml").read_text().replace(
        "survey: evaluasi.yml", "survey:\n  file: evaluasi.yml\n  required_for_certificate: true"))
    import_course_folder(app, folder)
    cohort = make_cohort("mini-q", key="WAJIBEVAL")
    organizer = make_user("organizer", email="panitia.wajib@example.test")
    run_cohort(app, organizer, cohort)
    trainee = ready_trainee(app, make_user, enrol_user, cohort, "Dewi Lestari")
    with app.app_context():
        certificate, _ = issue_certificate(trainee, db.session.get(Cohort, cohort.id))
        db.session.commit()
        code = certificate.code
    client = staff_client(app, trainee)
    dashboard = client.get("/dashboard").data.decode()
    assert f"/certificates/{code}.pdf" not in dashboard
    assert "Sertifikat dapat diunduh setelah Anda mengisi evaluasi" in text_of(dashboard)
    held = client.get(f"/certificates/{code}.pdf")
    assert held.status_code == 403 and f"/cohorts/{cohort.id}/survey" in held.data.decode()
    assert staff_client(app, organizer).get(f"/certificates/{code}.pdf").status_code == 200
    # No comment is required; the facilitator item is not asked (the cohort has no facilitator).
    assert client.post(f"/cohorts/{cohort.id}/survey", data={"q0": "4"}).status_code == 302
    pdf = client.get(f"/certificates/{code}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert f"/certificates/{code}.pdf" in client.get("/dashboard").data.decode()


def test_staff_of_other_cohorts_see_nothing_of_this_one(app, survey_cohort, make_cohort, make_user, enrol_user):
    from lms.accounts.operations import new_token

    cohort = survey_cohort["cohort"]
    other_cohort = make_cohort("mini-q", key="LAINEVAL")
    stranger = make_user("facilitator", email="fasil.lain@example.test")
    run_cohort(app, stranger, other_cohort)
    trainees = [ready_trainee(app, make_user, enrol_user, cohort, f"Peserta Angkatan {i}") for i in range(5)]
    for trainee in trainees:
        assert answer_as(app, trainee, cohort, answers(2, comment="rahasia angkatan")) == 302
    client = staff_client(app, stranger)
    assert client.get(f"/organizer/cohorts/{cohort.id}/survey").status_code == 403
    course_page = text_of(client.get("/organizer/courses/mini-q/survey").data)
    assert "rahasia angkatan" not in course_page and "0 dari 0 peserta" in course_page
    # A trainee of the cohort cannot read the aggregates either.
    assert staff_client(app, trainees[0]).get(f"/organizer/cohorts/{cohort.id}/survey").status_code == 403
    with app.app_context():
        token = new_token(stranger, "uji")
        db.session.commit()
    response = app.test_client().get(f"/api/v1/cohorts/{cohort.slug}/survey",
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
    # The facilitator of the cohort sees it, by name in the rows about her.
    page = text_of(staff_client(app, survey_cohort["facilitator"]).get(f"/organizer/cohorts/{cohort.id}/survey").data)
    assert "Ibu Ratna Fasilitator menjelaskan dengan jelas. 5 2 0 5 0 0 0" in page
