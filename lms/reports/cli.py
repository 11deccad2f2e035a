"""`flask reports completion` for scheduled exports, and `flask dev seed` for demo-scale data."""

from __future__ import annotations

import json
import random
import sys
from datetime import date, timedelta
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import insert, select

from lms.cohorts.models import Cohort
from lms.extensions import db
from lms.reports import exports
from lms.reports.queries import cohort_report

reports_cli = AppGroup("reports", help="Completion reports for scheduled exports.")
dev_cli = AppGroup("dev", help="Development helpers: realistic data at scale.")


@reports_cli.command("completion")
@click.option("--cohort", "cohort_slug", required=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default="csv")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: standard output; required for xlsx).")
def completion_command(cohort_slug: str, fmt: str, output: Path | None) -> None:
    """Participants of a cohort with progress %, status and last activity."""
    cohort = db.session.scalar(select(Cohort).where(Cohort.slug == cohort_slug))
    if cohort is None:
        click.echo(f"error: no cohort with slug '{cohort_slug}'", err=True)
        sys.exit(1)
    report = cohort_report([cohort], with_details=False)
    header = ["name", "email", "institution", "regency", "cohort", "progress_percent", "status", "last_activity"]
    rows = [(p.name, p.email, p.institution, p.regency, p.cohort_name, p.percent, p.status,
             p.last_activity.isoformat() if p.last_activity else None) for p in report.participants]
    if fmt == "json":
        data = json.dumps({"cohort": cohort.slug, "funnel": dict(report.funnel()),
                           "participants": [dict(zip(header, row)) for row in rows]}, ensure_ascii=False,
                          indent=1).encode()
    elif fmt == "csv":
        data = exports.to_csv(header, rows)
    else:
        if output is None:
            click.echo("error: --output is required for xlsx", err=True)
            sys.exit(1)
        data = exports.to_xlsx(header, rows, cohort.slug)
    if output:
        output.write_bytes(data)
        click.echo(f"wrote {output} ({len(rows)} participants)")
    else:
        sys.stdout.buffer.write(data)


FIRST = ["Ahmad", "Siti", "Muhammad", "Nur", "Rahmat", "Fitri", "Hendra", "Dewi", "Rizki", "Aisyah", "Budi",
         "Lailatul", "Agus", "Rina", "Fauzan", "Wulan", "Hasan", "Yuliani", "Irfan", "Maya"]
LAST = ["Hidayat", "Rahmawati", "Saputra", "Hasanah", "Pratama", "Lestari", "Kurniawan", "Wahyuni", "Santoso",
        "Mubarokah", "Fauzi", "Anggraini", "Setiawan", "Maulida", "Ramadhan", "Safitri"]


@dev_cli.command("seed")
@click.option("--participants", type=int, default=1000)
@click.option("--cohorts", type=int, default=5)
@click.option("--course", "course_slug", default=None, help="Default: the first course.")
@click.option("--seed", type=int, default=2021)
def seed_command(participants: int, cohorts: int, course_slug: str | None, seed: int) -> None:
    """Cohorts of trainees from real regencies with a realistic spread of progress and quiz attempts."""
    import secrets

    from werkzeug.security import generate_password_hash

    from lms.accounts.models import User
    from lms.accounts.regions import regencies
    from lms.cohorts.cli import create_cohort
    from lms.cohorts.models import Enrolment
    from lms.content.models import Course, Lesson, Module
    from lms.learning.models import LessonProgress
    from lms.quizzes.models import Attempt, Quiz
    from lms.util import utcnow

    rng = random.Random(seed)
    course = db.session.scalar(select(Course).where(Course.slug == course_slug) if course_slug
                               else select(Course).order_by(Course.id))
    if course is None:
        click.echo("error: import a course first", err=True)
        sys.exit(1)
    lessons = [tuple(row) for row in db.session.execute(
        select(Lesson.id, Lesson.module_id).where(Lesson.course_id == course.id, Lesson.archived_at.is_(None))
        .join(Lesson.module).order_by(Module.position, Lesson.position))]
    quizzes = list(db.session.scalars(select(Quiz).where(Quiz.course_id == course.id, Quiz.archived_at.is_(None))))
    kalsel = [code for code, (_, province) in regencies().items() if province == "63"]
    others = rng.sample(sorted(regencies()), 40)
    password = generate_password_hash(secrets.token_urlsafe(16), method="pbkdf2:sha256:1000")
    now = utcnow()
    tag = secrets.randbelow(10**6)  # unique per run: seeding twice adds more cohorts
    made = []
    for k in range(cohorts):
        made.append(create_cohort(course=course, slug=f"seed-{tag}-{k + 1}", name=f"Angkatan Uji {k + 1}",
                                  key=f"SEED{tag}{k + 1}", place="Banjarmasin",
                                  starts_on=date.today() - timedelta(days=30), ends_on=date.today() + timedelta(days=30)))
    batch = 2000
    for start in range(0, participants, batch):
        users, enrolments, progress, attempts = [], [], [], []
        count = min(batch, participants - start)
        for i in range(start, start + count):
            code = rng.choice(kalsel) if rng.random() < 0.7 else rng.choice(others)
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            users.append({"email": f"seed{tag}-{i}@peserta.example", "password_hash": password, "role": "trainee",
                          "full_name": name, "regency": regencies()[code][0], "regency_code": code,
                          "province": regencies()[code][1], "institution": f"Perpustakaan Desa {rng.randrange(1, 400)}",
                          "position": "Pengelola perpustakaan", "locale": "id", "is_active_account": True,
                          "created_at": now})
        db.session.execute(insert(User), users)
        ids = list(db.session.scalars(select(User.id).where(User.email.in_([u["email"] for u in users]))))
        for uid in ids:
            cohort = made[rng.randrange(len(made))]
            enrolments.append({"user_id": uid, "cohort_id": cohort.id, "enrolled_at": now})
            share = rng.choice([0, 0, 0.1, 0.3, 0.5, 0.7, 0.9, 1, 1, 1])
            done = int(len(lessons) * share)
            last = now - timedelta(days=rng.randrange(0, 30), hours=rng.randrange(24))
            for lesson_id, _module_id in lessons[:done]:
                progress.append({"user_id": uid, "lesson_id": lesson_id, "first_viewed_at": last,
                                 "last_viewed_at": last, "completed_at": last})
            # As a trainee goes: the pre-test on starting, a module's quiz once its lessons are
            # read, the post-test only after every lesson.
            open_modules = {m for _l, m in lessons[done:]}
            taken = [q for q in quizzes if (q.kind == "pretest" and done) or (q.kind == "posttest" and share == 1)
                     or (q.kind not in ("pretest", "posttest") and done and q.module_id is not None
                         and q.module_id not in open_modules)]
            if taken:
                for quiz in taken:
                    percent = round(rng.uniform(40, 100), 2)
                    attempts.append({"quiz_id": quiz.id, "user_id": uid, "number": 1, "state": "graded",
                                     "layout_json": "[]", "started_at": last, "submitted_at": last,
                                     "graded_at": last, "score": percent / 10, "max_score": 10.0,
                                     "percent": percent, "passed": percent >= quiz.pass_mark})
        db.session.execute(insert(Enrolment), enrolments)
        if progress:
            db.session.execute(insert(LessonProgress), progress)
        if attempts:
            db.session.execute(insert(Attempt), attempts)
        db.session.commit()
    from lms.learning.rollup import refresh_course

    refresh_course(course.id)  # the reports' caches: lessons, modules, quiz results
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # Fresh planner statistics after a bulk load (autovacuum would take a minute to notice).
        # (Committed: an ANALYZE in a transaction that is rolled back leaves no statistics.)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE").close()
    click.echo(f"seeded {participants} participants in {cohorts} cohorts: " + ", ".join(c.slug for c in made))
