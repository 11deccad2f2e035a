"""`flask demo seed`: demo accounts and a demo cohort on a new database."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from lms.accounts.models import Role, User
from lms.accounts.operations import create_user
from lms.cohorts.cli import create_cohort
from lms.cohorts.models import Cohort, CohortStaff
from lms.cohorts.operations import enrol
from lms.content.models import Course
from lms.extensions import db

demo_cli = AppGroup("demo", help="Demo data for trying the platform locally.")

DEMO_PASSWORD = "bimtek-demo-2026"
DEMO_KEY = "KALSEL2026"
DEMO_ACCOUNTS = [
    (Role.ADMIN, "admin@demo.bimtek.id", "Admin Demo", None),
    (Role.ORGANIZER, "penyelenggara@demo.bimtek.id", "Rina Penyelenggara", "Perpustakaan Nasional RI"),
    (Role.FACILITATOR, "fasilitator@demo.bimtek.id", "Budi Fasilitator, S.IP.", "Dispersip Kalimantan Selatan"),
    (Role.TRAINEE, "peserta@demo.bimtek.id", "Siti Rahmah", "Perpustakaan Desa Sungai Namang"),
]


@demo_cli.command("seed")
def seed_command() -> None:
    """Create demo accounts (one per role) and a demo cohort, only on a database without users."""
    if db.session.scalar(select(func.count(User.id))):
        click.echo("Users exist already: demo data not added (existing data kept).")
        return
    users = {}
    for role, email, name, institution in DEMO_ACCOUNTS:
        users[role] = create_user(email=email, full_name=name, password=DEMO_PASSWORD, role=role,
                                  institution=institution, position="Pengelola perpustakaan"
                                  if role is Role.TRAINEE else None,
                                  regency="Hulu Sungai Utara" if role is Role.TRAINEE else None,
                                  province="63" if role is Role.TRAINEE else None)
    course = db.session.scalar(select(Course).order_by(Course.id).limit(1))
    if course is not None and db.session.scalar(select(func.count(Cohort.id))) == 0:
        cohort = create_cohort(course=course, slug="demo-kalsel-2026", name="Angkatan Demo Kalimantan Selatan 2026",
                               key=DEMO_KEY, place="Banjarmasin", starts_on=date(2026, 12, 1),
                               ends_on=date(2026, 12, 4), city="Banjarmasin",
                               signatory_name="Nama Pejabat Demo, S.Sos., M.Si.",
                               signatory_title="Kepala Dinas Perpustakaan dan Kearsipan Provinsi Kalimantan Selatan")
        enrol(users[Role.TRAINEE], cohort)
        # The demo organizer and facilitator run the cohort; the facilitator owns (edits) its course
        # and the organizer may create more cohorts of it.
        db.session.add_all([CohortStaff(cohort_id=cohort.id, user_id=users[role].id, role=role.value)
                            for role in (Role.ORGANIZER, Role.FACILITATOR)])
        from lms.content.roles import grant_course_role

        grant_course_role(course, users[Role.FACILITATOR], "owner", None)
        grant_course_role(course, users[Role.ORGANIZER], "organizer", None)
        click.echo(f"Demo cohort '{cohort.name}', enrolment key {cohort.enrolment_key}")
        seeded = seed_test_results(course, cohort)
        if seeded:
            click.echo(f"Demo results: {seeded} more trainees with pre-test and post-test attempts")
        planned = seed_plans(cohort, users[Role.FACILITATOR], skip={users[Role.TRAINEE].id})
        if planned:
            click.echo(f"Demo action plans: {planned} (draft, waiting for review, changes requested, approved)")
        reports = seed_followups(course, users[Role.FACILITATOR], users[Role.ORGANIZER])
        if reports:
            click.echo(f"Demo follow-ups: a cohort that ended 100 days ago, {reports} reports "
                       "(sent with photos, drafts, overdue)")
    db.session.commit()
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for role, email, _, _ in DEMO_ACCOUNTS:
        click.echo(f"  {role.value:<12} {email}")


DEMO_TRAINEES = [
    ("Ahmad Fauzi", "Perpustakaan Desa Sungai Namang", "Hulu Sungai Utara"),
    ("Siti Aisyah", "Perpustakaan Desa Tampakang", "Hulu Sungai Utara"),
    ("Muhammad Rizki", "Perpustakaan Desa Barabai Darat", "Hulu Sungai Tengah"),
    ("Nur Hasanah", "Perpustakaan Desa Pantai Hambawang", "Hulu Sungai Tengah"),
    ("Rahmadi", "Perpustakaan Desa Sungai Danau", "Tanah Bumbu"),
    ("Fitriani", "Perpustakaan Desa Simpang Empat", "Tanah Bumbu"),
    ("Hendra Saputra", "Perpustakaan Desa Anjir Muara", "Barito Kuala"),
    ("Lailatul Mubarokah", "Perpustakaan Desa Jejangkit", "Barito Kuala"),
]


def _demo_form(questions_layout, skill: float, rng) -> dict:
    """Answers of a simulated trainee who knows each item with probability `skill`."""
    from werkzeug.datastructures import MultiDict

    form = MultiDict()
    for question, layout in questions_layout:
        data = question.data
        knows = rng.random() < skill
        field = f"q{question.id}"
        if question.qtype == "single":
            right = [o["id"] for o in data["options"] if o["fraction"] == 1.0]
            wrong = [o["id"] for o in data["options"] if o["fraction"] < 1.0]
            form.add(field, right[0] if knows or not wrong else rng.choice(wrong))
        elif question.qtype == "multiple":
            for option in data["options"]:
                if (option["fraction"] > 0) == knows or rng.random() < 0.3:
                    form.add(field, option["id"])
        elif question.qtype == "truefalse":
            form.add(field, "true" if data["answer"] == knows else "false")
    return form


def seed_test_results(course, cohort, count: int = len(DEMO_TRAINEES)) -> int:
    """Demo trainees who took the pre-test (weaker) and the post-test (stronger), so the
    organizer's results page shows item statistics and knowledge gain."""
    import random

    from lms.quizzes import attempts as ops
    from lms.quizzes.models import Quiz

    quizzes = {q.kind: q for q in db.session.scalars(select(Quiz).where(Quiz.course_id == course.id))}
    if "pretest" not in quizzes or "posttest" not in quizzes:
        return 0
    rng = random.Random(2021)
    for index, (name, institution, regency) in enumerate(DEMO_TRAINEES[:count]):
        user = create_user(email=f"peserta{index + 1}@demo.bimtek.id", full_name=name, password=DEMO_PASSWORD,
                           institution=institution, regency=regency, province="63",
                           position="Pengelola perpustakaan desa")
        enrol(user, cohort)
        skill = 0.2 + 0.08 * index  # a spread of abilities, as in a real cohort
        for kind, boost in (("pretest", 0.0), ("posttest", 0.25)):
            attempt = ops.start_attempt(user, quizzes[kind], rng)
            ops.save_answers(attempt, _demo_form(ops._questions_for(attempt), min(0.95, skill + boost), rng))
            db.session.flush()
            ops.submit_attempt(attempt.id, user.id)
    return count


def seed_plans(cohort, facilitator, skip: set[int] = frozenset()) -> int:
    """Action plans of the cohort's trainees at each stage (draft, submitted, changes requested,
    approved), if the course collects plans, so the facilitator's queue has something to show."""
    from lms.accounts.models import User
    from lms.cohorts.models import Enrolment
    from lms.plans import operations as plans
    from lms.plans.rules import has_plan, plan_settings

    course = db.session.get(Course, cohort.course_id)
    if not has_plan(course):
        return 0
    trainees = db.session.scalars(select(User).join(Enrolment, Enrolment.user_id == User.id)
                                  .where(Enrolment.cohort_id == cohort.id, User.id.not_in(skip or {0}))
                                  .order_by(User.id).limit(4)).all()
    rubric = plan_settings(course)["rubric"]
    for stage, user in enumerate(trainees):
        plan = plans.start_plan(user, course)
        plan.team = "Pengelola perpustakaan, ketua PKK, ketua Karang Taruna, satu anggota BPD"
        plan.needs[0].need = "Sekitar 30 ibu perajin menjual anyaman dengan harga rendah kepada pengepul"
        if stage == 0:  # a draft, half filled
            continue
        plan.period_from, plan.period_to = date(2027, 3, 1), date(2027, 8, 1)
        plan.needs[0].evidence = "Rapat perencanaan bersama 22 warga; catatan kader PKK"
        plan.general_goal = "Perajin memperoleh penghasilan yang lebih baik dari anyamannya"
        plan.goals[0].text = "Pada akhir Mei 2027, sekurang-kurangnya 15 dari 20 peserta membuat produk baru"
        activity = plan.activities[0]
        activity.title = "Pelatihan desain anyaman, 4 sesi, materi disusun bersama PKK"
        activity.strategies, activity.target_group = "engagement", "20 ibu perajin"
        activity.partners = "PKK mengajak peserta dan mencatat daftar hadir; perajin desa tetangga sebagai narasumber"
        activity.budget, activity.budget_source = 2_310_000, "apbdes"
        activity.starts_on, activity.ends_on = date(2027, 4, 1), date(2027, 5, 1)
        activity.indicator, activity.target = "Peserta yang membuat sendiri satu produk baru", "15 orang, akhir Mei"
        plans.submit_plan(plan)
        if stage == 1:  # waiting for review
            continue
        criteria = {c["key"]: {"title": c["title"], "met": True, "comment": ""} for c in rubric}
        if stage == 2:
            criteria[rubric[0]["key"]].update(met=False, comment="Tambahkan data dari profil desa.")
        plans.review_plan(plan, facilitator, "changes" if stage == 2 else "approve",
                          "Rencana sudah runtut." if stage == 3 else "", criteria)
    return len(trainees)


FOLLOWUP_TRAINEES = [
    ("Rusdiana", "Perpustakaan Desa Paminggir", "Hulu Sungai Utara"),
    ("Abdul Gani", "Perpustakaan Desa Murung Kupang", "Hulu Sungai Utara"),
    ("Yuliana", "Perpustakaan Desa Kayu Bawang", "Hulu Sungai Tengah"),
    ("Samsul Bahri", "Perpustakaan Desa Sungai Loban", "Tanah Bumbu"),
]


def _demo_photo(color: tuple[int, int, int]) -> bytes:
    """A small generated picture standing in for an activity photo (no real person in demo data)."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), color)
    draw = ImageDraw.Draw(image)
    for x in range(20, 300, 40):
        draw.ellipse((x, 120, x + 28, 148), fill=(250, 235, 200))
        draw.rectangle((x + 4, 150, x + 24, 210), fill=(60, 60, 120))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def seed_followups(course, facilitator, organizer) -> int:
    """A second demo cohort that ended 100 days ago (so the reports at months 1 and 3 have fallen
    due), with four approved plans whose follow-ups are at different stages: month 1 sent with
    activities and photos and month 3 in draft; month 1 sent, month 3 not started; month 1 in
    draft (overdue); nothing yet (overdue)."""
    import hashlib
    from datetime import timedelta

    from lms.plans import followup_ops
    from lms.plans import operations as plans
    from lms.plans.models import HeldActivity, HeldPhoto
    from lms.plans.rules import has_plan, plan_settings

    if not has_plan(course) or not plan_settings(course).get("follow_ups"):
        return 0
    today = date.today()
    cohort = create_cohort(course=course, slug="demo-kalsel-2026-juni", name="Angkatan Demo Kalsel, selesai 100 hari lalu",
                           key="KALSELTL", place="Banjarmasin", starts_on=today - timedelta(days=104),
                           ends_on=today - timedelta(days=100), city="Banjarmasin")
    cohort.is_open = False
    db.session.add_all([CohortStaff(cohort_id=cohort.id, user_id=user.id, role=user.role)
                        for user in (organizer, facilitator)])
    rubric = plan_settings(course)["rubric"]
    reports = 0
    for stage, (name, institution, regency) in enumerate(FOLLOWUP_TRAINEES):
        user = create_user(email=f"peserta-tl{stage + 1}@demo.bimtek.id", full_name=name, password=DEMO_PASSWORD,
                           institution=institution, regency=regency, province="63",
                           position="Pengelola perpustakaan desa")
        enrol(user, cohort)
        plan = plans.start_plan(user, course)
        plan.team, plan.general_goal = "Pengelola, ketua PKK, Karang Taruna", "Warga memanfaatkan perpustakaan"
        plan.period_from, plan.period_to = today.replace(day=1) - timedelta(days=120), today.replace(day=1)
        plan.needs[0].need, plan.needs[0].evidence = "Anak-anak jarang membaca di luar sekolah", "Rapat warga"
        plan.goals[0].text = "Dalam tiga bulan, 30 anak ikut kelas membaca setiap pekan"
        first = plan.activities[0]
        first.title, first.strategies, first.target_group = "Kelas membaca anak setiap Sabtu", "information", "Anak SD"
        first.starts_on, first.indicator, first.target = plan.period_from, "Anak yang hadir", "30 anak"
        second = plans.add_row(plan, "activity")
        second.title, second.strategies, second.target_group = "Audiensi dengan kepala desa", "advocacy", "Pemdes"
        second.starts_on, second.indicator, second.target = plan.period_from, "Anggaran disetujui", "Rp 5.000.000"
        plans.submit_plan(plan)
        plans.review_plan(plan, facilitator, "approve", "Rencana sudah runtut.",
                          {c["key"]: {"title": c["title"], "met": True, "comment": ""} for c in rubric})
        if stage == 3:
            continue  # nothing reported: both reports overdue or due
        report = followup_ops.start_followup(plan, 1)
        reports += 1
        if stage == 2:
            continue  # a draft, overdue
        report.items[0].progress, report.items[0].note = "done", "Berjalan tiap Sabtu sejak bulan pertama"
        report.items[1].progress = "partly" if stage == 0 else "not_yet"
        held = report.held[0]
        held.title, held.strategy, held.plan_activity_id = "Kelas membaca anak", "information", first.id
        held.held_on = cohort.ends_on + timedelta(days=20)
        held.male_child, held.female_child, held.female_adult = 11 + stage, 14, 3
        held.partners, held.skills = "SD Negeri 1, PKK", "Membaca nyaring"
        held.story = ("Dimas, kelas 3, dulu belum lancar membaca; kini ia membacakan cerita untuk adiknya "
                      "di kelas Sabtu.")
        if stage == 0:
            held.photo_consent = True
            for color in ((120, 170, 90), (200, 140, 60)):
                data = _demo_photo(color)
                held.photos.append(HeldPhoto(content_type="image/jpeg", data=data, width=320, height=240,
                                             sha256=hashlib.sha256(data).hexdigest()))
            report.held.append(HeldActivity(
                position=2, title="Audiensi dengan kepala desa dan BPD", strategy="advocacy",
                held_on=cohort.ends_on + timedelta(days=25), male_adult=4, female_adult=2,
                partners="BPD", plan_activity_id=second.id,
                story="Kepala desa berjanji memasukkan kelas membaca ke usulan APB Desa tahun depan."))
        db.session.flush()
        followup_ops.submit_followup(report)
        if stage == 0:
            followup_ops.start_followup(plan, 2)  # month 3: a draft
            reports += 1
    return reports
