"""`flask demo seed`: demo accounts and a demo cohort on a new database; `flask dev seed`:
realistic data at scale for reports and benchmarks."""

from __future__ import annotations

import random
import secrets
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import func, insert, select
from werkzeug.security import generate_password_hash

from lms.accounts.models import Role, User
from lms.accounts.operations import create_user
from lms.accounts.regions import regencies
from lms.cohorts.models import Cohort, CohortStaff, Enrolment
from lms.cohorts.operations import create_cohort, enrol
from lms.content.models import Course, Lesson, Module
from lms.content.roles import grant_course_role
from lms.extensions import db
from lms.learning.models import LessonProgress
from lms.learning.progress import record_view, set_completed
from lms.learning.rollup import refresh_course
from lms.plans import followup_ops
from lms.plans import operations as plans
from lms.plans.models import HeldActivity, HeldPhoto
from lms.plans.rules import has_plan, plan_settings
from lms.quizzes import attempts as ops
from lms.quizzes.models import Answer, Attempt, Quiz
from lms.quizzes.signals import attempt_graded
from lms.quizzes.types import option_id
from lms.surveys.operations import submit_survey
from lms.surveys.queries import questions, survey_of
from lms.util import utcnow

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
                                  regency="Kabupaten Hulu Sungai Utara" if role is Role.TRAINEE else None,
                                  regency_code="63.08" if role is Role.TRAINEE else None,
                                  province="63" if role is Role.TRAINEE else None)
    # The demo course: the first with a post-test (so every stage exists), else the first.
    course = db.session.scalar(select(Course).join(Quiz, Quiz.course_id == Course.id)
                               .where(Quiz.kind == "posttest").order_by(Course.id).limit(1)) \
        or db.session.scalar(select(Course).order_by(Course.id).limit(1))
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

        grant_course_role(course, users[Role.FACILITATOR], "owner", None)
        grant_course_role(course, users[Role.ORGANIZER], "organizer", None)
        click.echo(f"Demo cohort '{cohort.name}', enrolment key {cohort.enrolment_key}")
        seeded = seed_cohort_stages(course, cohort, users[Role.FACILITATOR])
        click.echo(f"Demo trainees: {seeded} more, from not started to certified")
        certified = {user.id for user in db.session.scalars(select(User).where(User.email.in_(
            [f"peserta{index + 1}@demo.bimtek.id" for index, trainee in enumerate(DEMO_TRAINEES)
             if trainee[3] == "certified"])))}
        planned = seed_plans(cohort, users[Role.FACILITATOR], skip={users[Role.TRAINEE].id}, approve=certified)
        if planned:
            click.echo(f"Demo action plans: {planned} (draft, waiting for review, changes requested, approved)")
        answered = seed_survey_answers(cohort)
        if answered:
            click.echo(f"Demo evaluation: {answered} anonymous answers")
        reports = seed_followups(users[Role.FACILITATOR], users[Role.ORGANIZER])
        if reports:
            click.echo(f"Demo follow-ups: a cohort that ended 100 days ago, {reports} reports "
                       "(sent with photos, drafts, overdue)")
    db.session.commit()
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for role, email, _, _ in DEMO_ACCOUNTS:
        click.echo(f"  {role.value:<12} {email}")


# The demo cohort's other trainees, one or more at every stage a real cohort has, so that each page
# (dashboard, course, results, report, stragglers, certificates) shows something true:
# (name, institution, regency code, stage, days since their last activity).
STAGES = ("not_started", "mid_course", "failed_quiz", "stuck_posttest", "certified")
DEMO_TRAINEES = [
    ("Ahmad Fauzi", "Perpustakaan Desa Sungai Namang", "63.08", "certified", 0),
    ("Siti Aisyah", "Perpustakaan Desa Tampakang", "63.08", "certified", 0),
    ("Rina Marlina", "Perpustakaan Desa Haur Gading", "63.08", "certified", 0),
    ("Taufik Hidayat", "Perpustakaan Desa Murung Sari", "63.07", "certified", 0),
    ("Muhammad Rizki", "Perpustakaan Desa Barabai Darat", "63.07", "stuck_posttest", 1),
    ("Nur Hasanah", "Perpustakaan Desa Pantai Hambawang", "63.07", "failed_quiz", 2),
    ("Rahmadi", "Perpustakaan Desa Sungai Danau", "63.10", "mid_course", 9),
    ("Fitriani", "Perpustakaan Desa Simpang Empat", "63.10", "mid_course", 1),
    ("Hendra Saputra", "Perpustakaan Desa Anjir Muara", "63.04", "not_started", None),
    ("Lailatul Mubarokah", "Perpustakaan Desa Jejangkit", "63.04", "not_started", None),
]


def _demo_form(questions_layout, share: float, rng) -> tuple[dict, dict[int, bool]]:
    """Answers of a simulated trainee who knows `share` of the items (which ones drawn by rng),
    and which items she knew (for the essays a facilitator grades)."""
    from werkzeug.datastructures import MultiDict

    form = MultiDict()
    ids = [question.id for question, _layout in questions_layout]
    known = set(rng.sample(ids, round(share * len(ids))))
    knew = {}
    for question, _layout in questions_layout:
        data = question.data
        knows = knew[question.id] = question.id in known
        field = f"q{question.id}"
        if question.qtype == "single":
            right = [o["id"] for o in data["options"] if o["fraction"] == 1.0]
            wrong = [o["id"] for o in data["options"] if o["fraction"] < 1.0]
            form.add(field, right[0] if knows or not wrong else rng.choice(wrong))
        elif question.qtype == "multiple":
            for option in data["options"]:
                if (option["fraction"] > 0) == knows:
                    form.add(field, option["id"])
        elif question.qtype == "truefalse":
            form.add(field, "true" if data["answer"] == knows else "false")
        elif question.qtype == "short":
            best = max(data["answers"], key=lambda a: a["fraction"])
            form.add(field, best["text"].replace("*", "") if knows else "tidak tahu")
        elif question.qtype == "numeric":
            best = max((a for a in data["answers"] if a["value"] != "*"), key=lambda a: a["fraction"])
            form.add(field, f"{best['value']:g}" if knows else f"{best['value'] + best['tolerance'] + 1000:g}")
        elif question.qtype == "matching":
            choices = [c["id"] for c in data["choices"]]
            for pair in data["pairs"]:
                if pair["left"]:
                    right = option_id("right:" + pair["right"])
                    others = [c for c in choices if c != right] or choices
                    form.add(f"{field}-{pair['id']}", right if knows else rng.choice(others))
        elif question.qtype == "essay":
            form.add(field, "Kami mengadakan kelas membaca bersama kader PKK setiap Sabtu." if knows else "Belum tahu.")
    return form, knew


def _take(user, quiz, share: float, rng, grader):
    """One attempt at the quiz, submitted and graded (the demo facilitator grades any essay)."""
    attempt = ops.start_attempt(user, quiz, rng)
    form, knew = _demo_form(ops._questions_for(attempt), share, rng)
    ops.save_answers(attempt, form)
    db.session.flush()
    attempt = ops.submit_attempt(attempt.id, user.id)
    if attempt.state == "graded":  # as the quiz page does: a passed post-test may issue the certificate

        attempt_graded.send(attempt)
    for answer in db.session.scalars(select(Answer).where(Answer.attempt_id == attempt.id, Answer.fraction.is_(None))):
        ops.grade_manually(answer, grader, 1.0 if knew.get(answer.question_id) else 0.0,
                           "Sudah sesuai." if knew.get(answer.question_id) else "Belum menjawab pertanyaan.")
    return attempt


def _read(user, lessons) -> None:
    for lesson in lessons:
        record_view(user, lesson)
        set_completed(user, lesson, True)


def _backdate(user, days: int) -> None:
    """Her records as if made `days` ago (the report's last activity and stragglers tell the truth)."""
    from sqlalchemy import update

    when = utcnow() - timedelta(days=days)
    db.session.execute(update(LessonProgress).where(LessonProgress.user_id == user.id).values(
        first_viewed_at=when, last_viewed_at=when).execution_options(synchronize_session=False))
    db.session.execute(update(LessonProgress).where(LessonProgress.user_id == user.id,
                                                    LessonProgress.completed_at.is_not(None))
                       .values(completed_at=when).execution_options(synchronize_session=False))
    db.session.execute(update(Attempt).where(Attempt.user_id == user.id).values(
        started_at=when, submitted_at=when, graded_at=when).execution_options(synchronize_session=False))


def play_stage(user, course, stage: str, rng, grader) -> None:
    """Bring the trainee to the stage, as she would get there: the pre-test first, each module's
    lessons then its quiz, the post-test only after every module."""
    if stage == "not_started":
        return
    modules = list(db.session.scalars(select(Module).where(Module.course_id == course.id, Module.archived_at.is_(None))
                                      .order_by(Module.position)))
    quizzes = list(db.session.scalars(select(Quiz).where(Quiz.course_id == course.id, Quiz.archived_at.is_(None))))
    by_module = {q.module_id: q for q in quizzes if q.kind == "module" and q.module_id}
    pretest = next((q for q in quizzes if q.kind == "pretest"), None)
    posttest = next((q for q in quizzes if q.kind == "posttest"), None)

    def lessons_of(module):
        return list(db.session.scalars(select(Lesson).where(Lesson.module_id == module.id, Lesson.archived_at.is_(None),
                                                            Lesson.required.is_(True)).order_by(Lesson.position)))

    if pretest is not None:
        _take(user, pretest, 0.4 + 0.2 * rng.random(), rng, grader)  # before the course: some of it known
    if stage == "mid_course":  # the first module read and passed, half of the next one read
        _read(user, lessons_of(modules[0]))
        if len(modules) > 1:
            if modules[0].id in by_module:
                _take(user, by_module[modules[0].id], 1.0, rng, grader)
            second = lessons_of(modules[1])
            _read(user, second[:max(1, len(second) // 2)])
        return
    if stage == "failed_quiz":  # the first module read, its quiz failed once (attempts left)
        _read(user, lessons_of(modules[0]))
        if modules[0].id in by_module:
            _take(user, by_module[modules[0].id], 0.25, rng, grader)
        return
    for module in modules:  # stuck_posttest, certified: every module read and passed
        _read(user, lessons_of(module))
        if module.id in by_module:
            _take(user, by_module[module.id], 1.0, rng, grader)
    if posttest is not None:
        _take(user, posttest, 0.25 if stage == "stuck_posttest" else 1.0, rng, grader)


def seed_cohort_stages(course, cohort, grader, count: int = len(DEMO_TRAINEES)) -> int:
    """The demo trainees, enrolled in the cohort and brought to their stages (DEMO_TRAINEES)."""
    rng = random.Random(2021)
    for index, (name, institution, code, stage, days) in enumerate(DEMO_TRAINEES[:count]):
        regency, province = regencies()[code]
        user = create_user(email=f"peserta{index + 1}@demo.bimtek.id", full_name=name, password=DEMO_PASSWORD,
                           institution=institution, regency=regency, regency_code=code, province=province,
                           position="Pengelola perpustakaan desa")
        enrol(user, cohort)
        play_stage(user, course, stage, rng, grader)
        if days:
            _backdate(user, days)
    refresh_course(course.id)  # the caches follow the back-dated records
    return count


def seed_plans(cohort, facilitator, skip: set[int] = frozenset(), approve: set[int] = frozenset()) -> int:
    """Action plans of the cohort's trainees at each stage (draft, submitted, changes requested,
    approved), if the course collects plans, so the facilitator's queue has something to show.
    The trainees in `approve` (those who finished the course) get approved plans: the approval
    is what their certificate waited for."""
    course = db.session.get(Course, cohort.course_id)
    if not has_plan(course):
        return 0
    enrolled = (select(User).join(Enrolment, Enrolment.user_id == User.id)
                .where(Enrolment.cohort_id == cohort.id).order_by(User.id))
    trainees = db.session.scalars(enrolled.where(User.id.not_in(set(skip) | set(approve) or {0})).limit(4)).all()
    stages = list(enumerate(trainees))
    if approve:
        stages += [(3, user) for user in db.session.scalars(enrolled.where(User.id.in_(approve)))]
    rubric = plan_settings(course)["rubric"]
    for stage, user in stages:
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
    return len(stages)


DEMO_COMMENTS = ["Waktu praktik sebaiknya ditambah.", "Materi advokasi sangat bermanfaat bagi desa kami.",
                 "Contoh kegiatan dari perpustakaan lain sangat membantu.", "", "Mohon modul dapat diunduh."]


def seed_survey_answers(cohort) -> int:
    """The demo trainees who have taken the post-test (when the evaluation opens; five, enough for
    one released batch) answer the cohort's evaluation, so its page shows aggregates."""
    survey = survey_of(cohort)
    if survey is None:
        return 0
    rng = random.Random(2026)
    asked = questions(survey, cohort)
    took_posttest = db.session.scalars(
        select(User).join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.cohort_id == cohort.id, User.email.like("peserta%@demo.bimtek.id"),
               select(Attempt.id).join(Quiz, Quiz.id == Attempt.quiz_id)
               .where(Attempt.user_id == User.id, Quiz.kind == "posttest", Attempt.state == "graded").exists())
        .order_by(User.id)).all()
    for index, user in enumerate(took_posttest):
        form = {q.field_name: (str(rng.choice((3, 4, 4, 5, 5))) if q.item.kind == "likert"
                               else DEMO_COMMENTS[index % len(DEMO_COMMENTS)] if q.item.key == "saran-perbaikan" else "")
                for q in asked}
        submit_survey(user, cohort, survey, asked, form)
    return len(took_posttest)


FOLLOWUP_TRAINEES = [
    ("Rusdiana", "Perpustakaan Desa Paminggir", "63.08"),
    ("Abdul Gani", "Perpustakaan Desa Murung Kupang", "63.08"),
    ("Yuliana", "Perpustakaan Desa Kayu Bawang", "63.07"),
    ("Samsul Bahri", "Perpustakaan Desa Sungai Loban", "63.10"),
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


def seed_followups(facilitator, organizer) -> int:
    """A second demo cohort that ended 100 days ago (so the reports at months 1 and 3 have fallen
    due), with four approved plans whose follow-ups are at different stages: month 1 sent with
    activities and photos and month 3 in draft; month 1 sent, month 3 not started; month 1 in
    draft (overdue); nothing yet (overdue)."""
    # The first course that collects plans and asks for follow-ups (not necessarily the demo cohort's).
    course = next((c for c in db.session.scalars(select(Course).order_by(Course.id))
                   if has_plan(c) and plan_settings(c).get("follow_ups")), None)
    if course is None:
        return 0

    grant_course_role(course, organizer, "organizer", None)
    today = date.today()
    cohort = create_cohort(course=course, slug="demo-kalsel-2026-juni", name="Angkatan Demo Kalsel, selesai 100 hari lalu",
                           key="KALSELTL", place="Banjarmasin", starts_on=today - timedelta(days=104),
                           ends_on=today - timedelta(days=100), city="Banjarmasin")
    cohort.is_open = False
    db.session.add_all([CohortStaff(cohort_id=cohort.id, user_id=user.id, role=user.role)
                        for user in (organizer, facilitator)])
    reports = 0
    for stage, (name, institution, code) in enumerate(FOLLOWUP_TRAINEES):
        regency, province = regencies()[code]
        user = create_user(email=f"peserta-tl{stage + 1}@demo.bimtek.id", full_name=name, password=DEMO_PASSWORD,
                           institution=institution, regency=regency, regency_code=code, province=province,
                           position="Pengelola perpustakaan desa")
        enrol(user, cohort)
        plan = _demo_approved_plan(user, course, facilitator, today)
        if stage == 3:
            continue  # nothing reported: both reports overdue or due
        reports += 1
        report = followup_ops.start_followup(plan, 1)
        if stage == 2:
            continue  # a draft, overdue
        _demo_month_one(report, plan, cohort, stage)
        followup_ops.submit_followup(report)
        if stage == 0:
            followup_ops.start_followup(plan, 2)  # month 3: a draft
            reports += 1
    return reports


def _demo_approved_plan(user, course, facilitator, today):
    """A two-activity plan, submitted and approved with every rubric item met."""
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
                      {c["key"]: {"title": c["title"], "met": True, "comment": ""}
                       for c in plan_settings(course)["rubric"]})
    return plan


def _demo_month_one(report, plan, cohort, stage: int) -> None:
    """The month-1 report filled in: progress of both activities, one held (with two photos and
    a second activity for the first trainee)."""
    import hashlib

    first, second = plan.activities[0], plan.activities[1]
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


# --- `flask dev seed`: realistic data at scale (reports, benchmarks) ----------------------------

dev_cli = AppGroup("dev", help="Development helpers: realistic data at scale.")

FIRST = ["Ahmad", "Siti", "Muhammad", "Nur", "Rahmat", "Fitri", "Hendra", "Dewi", "Rizki", "Aisyah", "Budi",
         "Lailatul", "Agus", "Rina", "Fauzan", "Wulan", "Hasan", "Yuliani", "Irfan", "Maya"]
LAST = ["Hidayat", "Rahmawati", "Saputra", "Hasanah", "Pratama", "Lestari", "Kurniawan", "Wahyuni", "Santoso",
        "Mubarokah", "Fauzi", "Anggraini", "Setiawan", "Maulida", "Ramadhan", "Safitri"]


@dataclass
class _Scale:
    """What a seeding run draws from: the course's lessons and quizzes, the regencies, one password."""

    rng: random.Random
    lessons: list[tuple[int, int]]  # (lesson id, module id) in course order
    quizzes: list[Quiz]
    kalsel: list[str]
    others: list[str]
    password: str
    tag: int
    now: datetime


def _scale(course: Course, seed: int) -> _Scale:
    rng = random.Random(seed)
    lessons = [tuple(row) for row in db.session.execute(
        select(Lesson.id, Lesson.module_id).where(Lesson.course_id == course.id, Lesson.archived_at.is_(None))
        .join(Lesson.module).order_by(Module.position, Lesson.position))]
    quizzes = list(db.session.scalars(select(Quiz).where(Quiz.course_id == course.id, Quiz.archived_at.is_(None))))
    kalsel = [code for code, (_, province) in regencies().items() if province == "63"]
    others = rng.sample(sorted(regencies()), 40)
    password = generate_password_hash(secrets.token_urlsafe(16), method="pbkdf2:sha256:1000")
    tag = secrets.randbelow(10**6)  # unique per run: seeding twice adds more cohorts
    return _Scale(rng, lessons, quizzes, kalsel, others, password, tag, utcnow())


def _trainee_row(scale: _Scale, i: int) -> dict:
    rng = scale.rng
    code = rng.choice(scale.kalsel) if rng.random() < 0.7 else rng.choice(scale.others)
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    return {"email": f"seed{scale.tag}-{i}@peserta.example", "password_hash": scale.password, "role": "trainee",
            "full_name": name, "regency": regencies()[code][0], "regency_code": code,
            "province": regencies()[code][1], "institution": f"Perpustakaan Desa {rng.randrange(1, 400)}",
            "position": "Pengelola perpustakaan", "locale": "id", "is_active_account": True,
            "created_at": scale.now}


def _activity_rows(scale: _Scale, uid: int) -> tuple[list[dict], list[dict]]:
    """A trainee's lesson progress and quiz attempts, spread as real cohorts go."""
    rng, lessons = scale.rng, scale.lessons
    share = rng.choice([0, 0, 0.1, 0.3, 0.5, 0.7, 0.9, 1, 1, 1])
    done = int(len(lessons) * share)
    last = scale.now - timedelta(days=rng.randrange(0, 30), hours=rng.randrange(24))
    progress = [{"user_id": uid, "lesson_id": lesson_id, "first_viewed_at": last,
                 "last_viewed_at": last, "completed_at": last} for lesson_id, _module_id in lessons[:done]]
    # As a trainee goes: the pre-test on starting, a module's quiz once its lessons are
    # read, the post-test only after every lesson.
    open_modules = {m for _l, m in lessons[done:]}
    taken = [q for q in scale.quizzes if (q.kind == "pretest" and done) or (q.kind == "posttest" and share == 1)
             or (q.kind not in ("pretest", "posttest") and done and q.module_id is not None
                 and q.module_id not in open_modules)]
    attempts = []
    for quiz in taken:
        percent = round(rng.uniform(40, 100), 2)
        attempts.append({"quiz_id": quiz.id, "user_id": uid, "number": 1, "state": "graded",
                         "layout_json": "[]", "started_at": last, "submitted_at": last,
                         "graded_at": last, "score": percent / 10, "max_score": 10.0,
                         "percent": percent, "passed": percent >= quiz.pass_mark})
    return progress, attempts


def _seed_batch(scale: _Scale, made: list[Cohort], start: int, count: int) -> None:
    """count trainees from number start, enrolled in the seeded cohorts, with their activity."""
    users = [_trainee_row(scale, i) for i in range(start, start + count)]
    db.session.execute(insert(User), users)
    ids = list(db.session.scalars(select(User.id).where(User.email.in_([u["email"] for u in users]))))
    enrolments, progress, attempts = [], [], []
    for uid in ids:
        cohort = made[scale.rng.randrange(len(made))]
        enrolments.append({"user_id": uid, "cohort_id": cohort.id, "enrolled_at": scale.now})
        lesson_rows, attempt_rows = _activity_rows(scale, uid)
        progress += lesson_rows
        attempts += attempt_rows
    db.session.execute(insert(Enrolment), enrolments)
    if progress:
        db.session.execute(insert(LessonProgress), progress)
    if attempts:
        db.session.execute(insert(Attempt), attempts)
    db.session.commit()


@dev_cli.command("seed")
@click.option("--participants", type=int, default=1000)
@click.option("--cohorts", type=int, default=5)
@click.option("--course", "course_slug", default=None, help="Default: the first course.")
@click.option("--seed", type=int, default=2021)
def dev_seed_command(participants: int, cohorts: int, course_slug: str | None, seed: int) -> None:
    """Cohorts of trainees from real regencies with a realistic spread of progress and quiz attempts."""
    course = db.session.scalar(select(Course).where(Course.slug == course_slug) if course_slug
                               else select(Course).order_by(Course.id))
    if course is None:
        click.echo("error: import a course first", err=True)
        sys.exit(1)
    scale = _scale(course, seed)
    tag = scale.tag
    made = [create_cohort(course=course, slug=f"seed-{tag}-{k + 1}", name=f"Angkatan Uji {k + 1}",
                          key=f"SEED{tag}{k + 1}", place="Banjarmasin",
                          starts_on=date.today() - timedelta(days=30), ends_on=date.today() + timedelta(days=30))
            for k in range(cohorts)]
    batch = 2000
    for start in range(0, participants, batch):
        _seed_batch(scale, made, start, min(batch, participants - start))
    refresh_course(course.id)  # the reports' caches: lessons, modules, quiz results
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # Fresh planner statistics after a bulk load (autovacuum would take a minute to notice).
        # (Committed: an ANALYZE in a transaction that is rolled back leaves no statistics.)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE").close()
    click.echo(f"seeded {participants} participants in {cohorts} cohorts: " + ", ".join(c.slug for c in made))
