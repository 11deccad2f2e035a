"""Follow-ups after the training: when reports fall due, reporting planned activities and
activities held (counts in Indonesian formats, photos checked, consent), who may read them,
reminder de-duplication, the cohort's months, and the outcomes per cohort and round."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from tests.cohorts.test_reminders_api import smtp_server  # noqa: F401  (fixture)
from tests.conftest import login, text_of, wait_until


def png(color=(200, 40, 40), size=(8, 6)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def approve_plan(app, user, cohort, facilitator=None, activities=1):
    """A complete plan of the user in the cohort, submitted (and approved when a facilitator is given)."""
    from lms.content.models import Course
    from lms.plans.models import PlanActivity
    from lms.plans.operations import review_plan, start_plan, submit_plan

    with app.app_context():
        course = db.session.get(Course, cohort.course_id)
        plan = start_plan(user, course)
        plan.library, plan.team, plan.general_goal = "Perpustakaan Desa Sungai Harapan", "Tim", "Umum"
        plan.period_from, plan.period_to = date(2026, 3, 1), date(2026, 8, 1)
        plan.needs[0].need, plan.needs[0].evidence, plan.goals[0].text = "Kebutuhan", "Bukti", "T1"
        for number in range(activities):
            activity = plan.activities[0] if number == 0 else PlanActivity(position=number + 1)
            if number:
                plan.activities.append(activity)
            activity.title = f"Kegiatan rencana {number + 1}"
            activity.strategies, activity.target_group = "engagement", "Ibu perajin"
            activity.starts_on, activity.indicator, activity.target = date(2026, 4, 1), "Indikator", "15 orang"
        submit_plan(plan)
        if facilitator is not None:
            review_plan(plan, facilitator, "approve", "", {"kebutuhan": {"title": "K", "met": True, "comment": ""},
                                                           "kegiatan": {"title": "K", "met": True, "comment": ""}})
        db.session.commit()
        return plan.id


def end_cohort(app, cohort, days_ago: int, months: str | None = None):
    from lms.cohorts.models import Cohort

    with app.app_context():
        found = db.session.get(Cohort, cohort.id)
        found.starts_on = date.today() - timedelta(days=days_ago + 3)
        found.ends_on = date.today() - timedelta(days=days_ago)
        if months is not None:
            found.follow_up_months = months
        db.session.commit()


@pytest.fixture
def reporting(app, plan_world):
    """The trainee's plan in cohort A is approved; the cohort ended 100 days ago, so the reports
    at months 1 and 3 have fallen due."""
    world = plan_world
    plan_id = approve_plan(app, world["trainee"], world["cohort_a"], world["facilitator"], activities=2)
    end_cohort(app, world["cohort_a"], 100)
    return {**world, "plan_id": plan_id}


def followup(app, plan_id, number=1):
    from lms.plans.followups import followup_of

    with app.app_context():
        found = followup_of(plan_id, number)
        if found is not None:
            for held in found.held:
                held.photos  # noqa: B018 (loaded while the session is open)
            found.items  # noqa: B018
        return found


def started(app, client, auth, world, number=1):
    auth.login(world["trainee"].email)
    assert client.post(f"/courses/mini-a/follow-ups/{number}/start").status_code == 302
    return followup(app, world["plan_id"], number)


def held_form(report, **overrides) -> dict:
    """A complete report: both planned activities answered, the first activity held filled in."""
    first, second = report.items
    held = report.held[0].id
    form = {
        f"item-{first.id}-progress": "done", f"item-{first.id}-note": "Empat sesi selesai",
        f"item-{second.id}-progress": "partly",
        f"held-{held}-title": "Pelatihan desain anyaman purun", f"held-{held}-held_on": "14/02/2026",
        f"held-{held}-strategy": "engagement", f"held-{held}-plan_activity": str(first.plan_activity_id),
        f"held-{held}-female_adult": "18", f"held-{held}-male_adult": "2", f"held-{held}-female_elderly": "1.250",
        f"held-{held}-partners": "PKK, Karang Taruna", f"held-{held}-skills": "Menganyam motif baru",
        f"held-{held}-story": "Bu Rina kini menjual tas purun bermotif ke pasar kecamatan.",
    }
    form.update(overrides)
    return form


def test_rounds_fall_due_months_after_the_end_in_the_cohorts_setting(app, plan_world):
    from lms.cohorts.models import Cohort
    from lms.plans.followups import add_months, cohort_months, rounds

    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    with app.app_context():
        cohort = db.session.get(Cohort, plan_world["cohort_a"].id)
        assert cohort_months(cohort) == [1, 3]  # course.yml: follow_ups: [1, 3]
        assert rounds(cohort) == []  # no end date, no follow-up
        cohort.ends_on = date(2026, 6, 17)
        assert [(r.number, r.due_on) for r in rounds(cohort)] == [(1, date(2026, 7, 17)), (2, date(2026, 9, 17))]
        cohort.follow_up_months = "6"
        assert [(r.months, r.due_on) for r in rounds(cohort)] == [(6, date(2026, 12, 17))]
        cohort.follow_up_months = ""
        assert rounds(cohort) == []


def test_cohort_form_sets_the_months_and_refuses_nonsense(app, plan_world):
    from lms.cohorts.models import Cohort

    client = login(app, plan_world["organizer"])
    cohort_id = plan_world["cohort_a"].id
    page = client.get(f"/organizer/cohorts/{cohort_id}")
    assert "Laporan tindak lanjut (bulan setelah tanggal selesai)" in text_of(page.data)
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        form = {"course_id": str(cohort.course_id), "name": cohort.name, "slug": cohort.slug,
                "enrolment_key": cohort.enrolment_key, "ends_on": "2026-06-17"}
    response = client.post(f"/organizer/cohorts/{cohort_id}", data={**form, "follow_ups": "3, 1"})
    assert response.status_code == 400
    assert "berurutan naik" in text_of(response.data)
    assert client.post(f"/organizer/cohorts/{cohort_id}", data={**form, "follow_ups": "1, 6"}).status_code == 302
    with app.app_context():
        assert db.session.get(Cohort, cohort_id).follow_up_months == "1,6"
    client.post(f"/organizer/cohorts/{cohort_id}", data={**form, "follow_ups": "0"})
    with app.app_context():
        assert db.session.get(Cohort, cohort_id).follow_up_months == ""
    client.post(f"/organizer/cohorts/{cohort_id}", data={**form, "follow_ups": ""})
    with app.app_context():
        assert db.session.get(Cohort, cohort_id).follow_up_months is None  # the course's again


def test_course_yml_follow_ups_are_checked_with_their_line(tmp_path):
    from lms.content.loader import load_course
    from tests.conftest import DATA

    import shutil

    folder = tmp_path / "mini-a"
    shutil.copytree(DATA / "courses" / "mini-a", folder)
    text = (folder / "course.yml").read_text()
    (folder / "course.yml").write_text(text.replace("follow_ups: [1, 3]", "follow_ups: [3, 1]"))
    line = [n for n, row in enumerate((folder / "course.yml").read_text().splitlines(), 1) if "follow_ups" in row][0]
    _spec, problems = load_course(folder)
    assert f"course.yml:{line}: error: 'follow_ups': the months must increase, each once, e.g. [1, 3]" in \
        [str(p) for p in problems]


def test_dashboard_asks_for_the_due_reports_and_the_trainee_reports(app, client, auth, reporting):
    from lms.plans.models import FollowUp, HeldActivity

    auth.login(reporting["trainee"].email)
    page = text_of(client.get("/dashboard").data)
    assert "Laporan tindak lanjut bulan ke-1" in page and "Laporan tindak lanjut bulan ke-3" in page
    assert "terlambat" in page  # month 1 fell due 70 days ago
    report = started(app, client, auth, reporting)
    assert [i.progress for i in report.items] == ["", ""] and len(report.held) == 1

    # Sending an unanswered report names what is missing; the draft is kept.
    response = client.post("/courses/mini-a/follow-ups/1", data={"action": "submit"})
    assert response.status_code == 422
    assert "Kegiatan rencana 2: pilih sudah terlaksana, sebagian, atau belum." in text_of(response.data)

    response = client.post("/courses/mini-a/follow-ups/1", data={**held_form(report), "action": "save"})
    assert response.status_code == 302
    held = followup(app, reporting["plan_id"]).held[0]
    assert (held.female_adult, held.male_adult, held.female_elderly, held.participants) == (18, 2, 1250, 1270)
    assert held.held_on == date(2026, 2, 14) and held.partners == "PKK, Karang Taruna"

    # A second activity held, then sent: the report is frozen and leaves the dashboard.
    response = client.post("/courses/mini-a/follow-ups/1", data={**held_form(report), "action": "add"})
    assert response.status_code == 302
    second = followup(app, reporting["plan_id"]).held[1].id
    form = {**held_form(report), f"held-{second}-title": "Audiensi dengan kepala desa",
            f"held-{second}-held_on": "2026-03-02", f"held-{second}-strategy": "advocacy",
            f"held-{second}-male_adult": "3", "action": "submit"}
    assert client.post("/courses/mini-a/follow-ups/1", data=form).status_code == 302
    sent = followup(app, reporting["plan_id"])
    assert sent.status == "submitted" and len(sent.held) == 2
    page = text_of(client.get("/dashboard").data)
    assert "Laporan tindak lanjut bulan ke-1" not in page and "Laporan tindak lanjut bulan ke-3" in page
    assert "Audiensi dengan kepala desa" in text_of(client.get("/courses/mini-a/follow-ups/1").data)
    response = client.post("/courses/mini-a/follow-ups/1", data={**form, "action": "save"})
    assert response.status_code == 302  # refused with a message: a sent report does not change
    with app.app_context():
        assert db.session.scalar(select(func.count(HeldActivity.id))) == 2
        assert db.session.scalar(select(FollowUp.status).where(FollowUp.id == sent.id)) == "submitted"


def test_counts_take_indonesian_formats_and_words_get_a_hint(app, client, auth, reporting):
    report = started(app, client, auth, reporting)
    held = report.held[0].id
    response = client.post("/courses/mini-a/follow-ups/1",
                           data=held_form(report, **{f"held-{held}-female_child": "1,5 ribu",
                                                     f"held-{held}-title": "Judul baru"}))
    assert response.status_code == 422
    page = text_of(response.data)
    assert "Tulis jumlahnya dengan angka: 1.500." in page
    assert "Tidak ada yang disimpan" in page
    assert 'value="1,5 ribu"' in response.get_data(as_text=True)  # what she typed stays to correct
    assert followup(app, reporting["plan_id"]).held[0].title == ""  # nothing saved


def test_photos_are_checked_and_refused_photos_save_nothing(app, client, auth, reporting):
    from lms.plans.models import HeldPhoto

    report = started(app, client, auth, reporting)
    held = report.held[0].id
    field, consent = f"held-{held}-photos", {f"held-{held}-consent": "yes"}

    def post(files, **extra):
        data = {**held_form(report), **extra, field: files}
        return client.post("/courses/mini-a/follow-ups/1", data=data, content_type="multipart/form-data")

    def photos():
        with app.app_context():
            return db.session.scalar(select(func.count(HeldPhoto.id)))

    def check(files, extra, message):
        response = post(files, **extra)
        assert response.status_code == 422, message
        assert message in text_of(response.data)
        assert photos() == 0 and followup(app, reporting["plan_id"]).held[0].title == ""  # nothing saved

    cases = [
        ([(io.BytesIO(b"%PDF-1.4 not a photo"), "kegiatan.jpg")], consent, "kegiatan.jpg bukan foto yang dapat dibaca"),
        ([(io.BytesIO(png(size=(400, 300)) + b"\0" * 120_000), "besar.png")], consent, "besar.png lebih besar dari 0,1 MB"),
        ([(io.BytesIO(png()), "laporan.pdf")], consent, "laporan.pdf bukan foto"),
        ([(io.BytesIO(png()), "warga.png")], {}, "Centang kotak persetujuan"),
        ([(io.BytesIO(png()), f"f{n}.png") for n in range(4)], consent, "paling banyak 3 foto"),
    ]
    assert app.config["MAX_PHOTO_BYTES"] == 5 * 1024 * 1024
    app.config["MAX_PHOTO_BYTES"] = 100 * 1024  # a small limit keeps the test's upload in memory
    try:
        for files, extra, message in cases:
            check(files, extra, message)
    finally:
        app.config["MAX_PHOTO_BYTES"] = 5 * 1024 * 1024

    response = post([(io.BytesIO(png()), "warga.png"), (io.BytesIO(png((20, 120, 20))), "kelas.png")], **consent)
    assert response.status_code == 302
    stored = followup(app, reporting["plan_id"]).held[0]
    assert len(stored.photos) == 2 and stored.photo_consent and stored.title.startswith("Pelatihan")
    photo = stored.photos[0]
    assert photo.content_type == "image/jpeg" and photo.data[:3] == b"\xff\xd8\xff" and (photo.width, photo.height) == (8, 6)
    served = client.get(f"/follow-ups/photos/{photo.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg" and served.data == photo.data
    # A third is allowed, a fourth is not; removing one makes room again.
    assert post([(io.BytesIO(png()), "tiga.png")], **consent).status_code == 302
    assert "paling banyak 3 foto" in text_of(post([(io.BytesIO(png()), "empat.png")], **consent).data)
    response = client.post("/courses/mini-a/follow-ups/1", data={**held_form(report), **consent,
                                                                  "action": f"remove-photo:{photo.id}"})
    assert response.status_code == 302 and photos() == 2


def test_a_hand_made_button_is_refused_and_keeps_nothing(app, client, auth, reporting):
    report = started(app, client, auth, reporting)
    for action in ("remove:x", "remove-photo:1e3"):
        response = client.post("/courses/mini-a/follow-ups/1", data={**held_form(report), "action": action})
        assert response.status_code == 400, action
    stored = followup(app, reporting["plan_id"])
    assert stored.held[0].title == "" and len(stored.held) == 1 and stored.status == "draft"


def test_reports_and_photos_are_read_only_by_the_trainee_and_her_cohorts_staff(app, client, auth, reporting,
                                                                                 make_user):
    report = started(app, client, auth, reporting)
    held = report.held[0].id
    client.post("/courses/mini-a/follow-ups/1", content_type="multipart/form-data",
                data={**held_form(report), f"held-{held}-consent": "yes",
                      f"held-{held}-photos": [(io.BytesIO(png()), "a.png")], "action": "submit"})
    sent = followup(app, reporting["plan_id"])
    assert sent.status == "submitted"
    photo = sent.held[0].photos[0].id
    urls = [f"/follow-ups/{sent.id}", f"/follow-ups/photos/{photo}"]
    expected = {"trainee": 200, "facilitator": 200, "organizer": 200, "admin": 200, "neighbour": 404,
                "other_facilitator": 404, "other_trainee": 404}
    for who, status in expected.items():
        visitor = login(app, reporting[who])
        for url in urls:
            assert visitor.get(url).status_code == status, (who, url)
    # The neighbour (another cohort) has no plan here: no report page of her own either.
    neighbour = login(app, reporting["neighbour"])
    assert neighbour.get("/courses/mini-a/follow-ups/1").status_code == 404
    assert neighbour.post("/courses/mini-a/follow-ups/1", data={"action": "save"}).status_code == 404
    # Staff read the cohort's follow-ups; the queue counts the overdue month-3 report... not yet:
    staff = login(app, reporting["facilitator"])
    page = text_of(staff.get(f"/organizer/cohorts/{reporting['cohort_a'].id}/follow-ups").data)
    assert "Terkirim" in page and "Nama trainee" in page
    queue = text_of(staff.get("/plans").data)
    assert "Bulan ke-1: 1 dari 1 terkirim" in queue and "Bulan ke-3: 0 dari 1 terkirim" in queue


def test_overdue_reports_show_in_the_queue_and_on_the_staff_dashboard(app, plan_world):
    approve_plan(app, plan_world["trainee"], plan_world["cohort_a"], plan_world["facilitator"])
    end_cohort(app, plan_world["cohort_a"], 60)  # month 1 due 30 days ago: overdue; month 3 not yet due
    staff = login(app, plan_world["facilitator"])
    queue = text_of(staff.get("/plans").data)
    assert "1 laporan tindak lanjut terlambat" in queue and "Bulan ke-3" not in queue
    dashboard = text_of(staff.get("/dashboard").data)
    assert "Laporan tindak lanjut yang terlambat" in dashboard and "1 laporan" in dashboard
    # Staff of another cohort see none of it.
    other = login(app, plan_world["other_facilitator"])
    assert "terlambat" not in text_of(other.get("/dashboard").data)
    assert other.get(f"/organizer/cohorts/{plan_world['cohort_a'].id}/follow-ups").status_code == 403


def test_a_draft_plan_reports_nothing_and_a_round_not_yet_due_is_not_open(app, client, auth, plan_world):
    auth.login(plan_world["trainee"].email)
    client.post("/courses/mini-a/plan/start")
    end_cohort(app, plan_world["cohort_a"], 100)
    assert client.get("/courses/mini-a/follow-ups/1").status_code == 404  # her plan is a draft
    assert "tindak lanjut" not in text_of(client.get("/dashboard").data)
    approve_plan(app, plan_world["neighbour"], plan_world["other_cohort"])
    end_cohort(app, plan_world["other_cohort"], 40)  # month 1 due, month 3 not yet
    neighbour = login(app, plan_world["neighbour"])
    assert neighbour.get("/courses/mini-a/follow-ups/1").status_code == 200
    assert neighbour.get("/courses/mini-a/follow-ups/2").status_code == 404
    assert neighbour.post("/courses/mini-a/follow-ups/2/start").status_code == 404


def reminders_sent(app):
    from lms.plans.models import FollowUpReminder

    with app.app_context():
        return [tuple(row) for row in db.session.execute(select(FollowUpReminder.user_id, FollowUpReminder.round))]


def test_reminders_go_once_per_round_and_never_twice_a_day(app, runner, plan_world, smtp_server):  # noqa: F811
    from lms.plans.models import FollowUpReminder

    controller, inbox = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_STARTTLS=False,
                      MAIL_FROM="Bimtek <noreply@bimtek.id>")
    try:
        approve_plan(app, plan_world["trainee"], plan_world["cohort_a"], plan_world["facilitator"])
        approve_plan(app, plan_world["neighbour"], plan_world["other_cohort"])  # submitted only: reminded too
        end_cohort(app, plan_world["cohort_a"], 40)  # month 1 fell due 10 days ago
        end_cohort(app, plan_world["other_cohort"], 400)  # long ago: no late reminders
        dry = runner.invoke(args=["plans", "remind-followups", "--dry-run"])
        assert dry.exit_code == 0 and "1 to remind" in dry.output
        result = runner.invoke(args=["plans", "remind-followups"])
        assert result.exit_code == 0, result.output
        assert "1 follow-up reminders sent" in result.output
        wait_until(lambda: len(inbox.messages) >= 1, "the email")
        assert [to for to, _ in inbox.messages] == [[plan_world["trainee"].email]]
        body = inbox.messages[0][1]
        assert "Laporan tindak lanjut bulan ke-1" in body and "https://lms.example.id/courses/mini-a/follow-ups/1" in body
        assert reminders_sent(app) == [(plan_world["trainee"].id, 1)]

        # The same day again: nothing new, even by the job run from another door.
        assert runner.invoke(args=["plans", "remind-followups"]).exit_code == 0
        assert len(inbox.messages) == 1 and len(reminders_sent(app)) == 1

        # Month 3 falls due the same day (the organizer moved the end date): still one mail today.
        end_cohort(app, plan_world["cohort_a"], 100)
        assert "0 follow-up reminders sent" in runner.invoke(args=["plans", "remind-followups"]).output
        assert len(inbox.messages) == 1
        # The next day, the new round gets its mail, once.
        with app.app_context():
            db.session.execute(FollowUpReminder.__table__.update().values(sent_on=date.today() - timedelta(days=1)))
            db.session.commit()
        assert "1 follow-up reminders sent" in runner.invoke(args=["plans", "remind-followups"]).output
        assert "1 follow-up reminders sent" not in runner.invoke(args=["plans", "remind-followups"]).output
        assert sorted(reminders_sent(app)) == [(plan_world["trainee"].id, 1), (plan_world["trainee"].id, 2)]
        assert len(inbox.messages) == 2 and "bulan ke-3" in inbox.messages[1][1]
    finally:
        app.config.update(SMTP_HOST=None)


def test_the_unique_records_stop_a_second_reminder_whatever_the_sender(app, plan_world):
    from sqlalchemy.exc import IntegrityError

    from lms.plans.models import FollowUpReminder

    plan_id = approve_plan(app, plan_world["trainee"], plan_world["cohort_a"])
    with app.app_context():
        user = plan_world["trainee"].id
        db.session.add(FollowUpReminder(plan_id=plan_id, user_id=user, round=1, sent_on=date(2026, 7, 1)))
        db.session.commit()
        for duplicate in (FollowUpReminder(plan_id=plan_id, user_id=user, round=1, sent_on=date(2026, 7, 2)),
                          FollowUpReminder(plan_id=plan_id, user_id=user, round=2, sent_on=date(2026, 7, 1))):
            with pytest.raises(IntegrityError):
                with db.session.begin_nested():
                    db.session.add(duplicate)


def test_reminders_without_smtp_say_so(app, runner, plan_world):
    result = runner.invoke(args=["plans", "remind-followups"])
    assert result.exit_code == 1 and "LMS_SMTP_HOST" in result.output


def test_outcomes_per_cohort_and_round(app, client, auth, reporting, make_user, enrol_user):
    from lms.plans.followups import cohort_outcomes

    report = started(app, client, auth, reporting)
    client.post("/courses/mini-a/follow-ups/1", data={**held_form(report), "action": "submit"})
    # A second trainee of the cohort reports one activity with other partners; a draft counts nothing.
    second = make_user(email="kedua@example.test", full_name="Nur Hasanah")
    enrol_user(second, reporting["cohort_a"])
    plan_id = approve_plan(app, second, reporting["cohort_a"], reporting["facilitator"])
    other = login(app, second)
    other.post("/courses/mini-a/follow-ups/1/start")
    mine = followup(app, plan_id)
    held = mine.held[0].id
    other.post("/courses/mini-a/follow-ups/1", data={
        f"item-{mine.items[0].id}-progress": "not_yet", f"held-{held}-title": "Kelas membaca anak",
        f"held-{held}-held_on": "2026-03-10", f"held-{held}-strategy": "information",
        f"held-{held}-male_child": "7", f"held-{held}-female_child": "9", f"held-{held}-partners": "SD Negeri 1; pkk",
        "action": "submit"})
    other.post("/courses/mini-a/follow-ups/2/start")  # a draft of month 3

    with app.app_context():
        outcomes = cohort_outcomes([reporting["cohort_a"].id, reporting["other_cohort"].id])
    assert outcomes[reporting["other_cohort"].id] == []
    (month1,) = outcomes[reporting["cohort_a"].id]
    assert (month1["round"], month1["months"], month1["reports"], month1["activities"]) == (1, 1, 2, 2)
    assert month1["by_strategy"] == {"information": 1, "engagement": 1, "advocacy": 0}
    assert month1["people"] == {"male": {"child": 7, "youth": 0, "adult": 2, "elderly": 0},
                                "female": {"child": 9, "youth": 0, "adult": 18, "elderly": 1250}}
    assert month1["people_total"] == 1286
    assert month1["partners"] == ["PKK", "Karang Taruna", "SD Negeri 1"]  # 'pkk' is the same partner
    assert [s["story"] for s in month1["stories"]] == ["Bu Rina kini menjual tas purun bermotif ke pasar kecamatan."]
    assert month1["plan_activities"] == {"done": 1, "partly": 1, "not_yet": 1}


def test_demo_seeds_followups_at_several_stages(app, runner, courses):
    from lms.cohorts.models import Cohort
    from lms.demo import DEMO_PASSWORD
    from lms.plans.followups import cohort_outcomes
    from lms.plans.models import FollowUp, HeldPhoto

    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "Demo follow-ups" in result.output
    with app.app_context():
        cohort = db.session.scalar(select(Cohort).where(Cohort.slug == "demo-kalsel-2026-juni"))
        stages = sorted(db.session.execute(select(FollowUp.round, FollowUp.status)).all())
        assert stages == [(1, "draft"), (1, "submitted"), (1, "submitted"), (2, "draft")]
        assert db.session.scalar(select(func.count(HeldPhoto.id))) == 2
        (month1,) = cohort_outcomes([cohort.id])[cohort.id]
        assert month1["reports"] == 2 and month1["activities"] == 3 and month1["people_total"] > 0
    staff = login(app, "fasilitator@demo.bimtek.id", DEMO_PASSWORD)
    queue = text_of(staff.get("/plans").data)
    assert "Bulan ke-1: 2 dari 4 terkirim" in queue and "laporan tindak lanjut terlambat" in queue
    trainee = login(app, "peserta-tl1@demo.bimtek.id", DEMO_PASSWORD)
    assert "Laporan tindak lanjut bulan ke-3" in text_of(trainee.get("/dashboard").data)
