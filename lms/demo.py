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
            answered = seed_survey_answers(cohort)
            if answered:
                click.echo(f"Demo evaluation: {answered} anonymous answers")
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


DEMO_COMMENTS = ["Waktu praktik sebaiknya ditambah.", "Materi advokasi sangat bermanfaat bagi desa kami.",
                 "Contoh kegiatan dari perpustakaan lain sangat membantu.", "", "Mohon modul dapat diunduh."]


def seed_survey_answers(cohort, count: int = 5) -> int:
    """Five demo trainees (enough for one released batch) answer the cohort's evaluation, so the
    organizer's evaluation page shows aggregates; the others may still answer."""
    import random

    from lms.accounts.models import User
    from lms.surveys.operations import submit_survey
    from lms.surveys.queries import questions, survey_of

    survey = survey_of(cohort)
    if survey is None:
        return 0
    rng = random.Random(2026)
    asked = questions(survey, cohort)
    for index in range(count):
        user = db.session.scalar(select(User).where(User.email == f"peserta{index + 1}@demo.bimtek.id"))
        if user is None:
            return index
        form = {q.field_name: (str(rng.choice((3, 4, 4, 5, 5))) if q.item.kind == "likert"
                               else DEMO_COMMENTS[index % len(DEMO_COMMENTS)] if q.item.key == "saran-perbaikan" else "")
                for q in asked}
        submit_survey(user, cohort, survey, asked, form)
    return count
