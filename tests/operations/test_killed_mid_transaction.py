"""An app process killed (SIGKILL: OOM killer, gunicorn timeout) in the middle of a quiz submission
or a participant import leaves no partial rows: each runs in one transaction. The trainee's
autosaved answers survive, and she can submit again.

The process under test is a child that runs the real view through Flask's test client; only the
child's script (not the app) wraps one function to say "inside the transaction" and wait to be
killed there."""

from __future__ import annotations

import select
import signal
import subprocess
import sys

from flask_migrate import upgrade
from sqlalchemy import func, select as sa_select

from lms import create_app
from lms.extensions import db
from tests.cohorts.test_import import kalsel_csv
from tests.conftest import DATA, PASSWORD, ROOT, base_config, import_course_folder, login

CHILD = """
import sys, time
from lms import create_app
from lms.extensions import db

url, mode, email, target = sys.argv[1:5]
app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": url,
                  "WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://", "JOBS_INLINE": True})

def stop_here(original, count):
    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        db.session.flush()  # everything so far is written, not committed
        print("INSIDE", count(), flush=True)
        time.sleep(600)  # killed here
        return result
    return wrapper

if mode == "submit":
    from lms.quizzes import attempts
    from lms.quizzes.models import Answer
    attempts._recompute = stop_here(attempts._recompute, lambda: db.session.query(Answer).filter(
        Answer.fraction.is_not(None)).count())
    path = f"/attempts/{target}/submit"
else:
    import lms.cohorts.participants as participants  # the import job calls it from here
    from lms.accounts.models import User
    participants.apply_rows = stop_here(participants.apply_rows, lambda: db.session.query(User).count())
    path = f"/organizer/imports/{target}/commit"
client = app.test_client()
assert client.post("/login", data={"email": email, "password": sys.argv[5]}).status_code == 302
client.post(path)
print("NOT KILLED", flush=True)
"""


def kill_inside(tmp_path, url: str, mode: str, email: str, target: int) -> int:
    """Run the child until it reports being inside the transaction; SIGKILL it; return what it had written."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    child = subprocess.Popen([sys.executable, str(script), url, mode, email, str(target), PASSWORD], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([child.stdout], [], [], 120)
        line = child.stdout.readline() if ready else ""
        assert line.startswith("INSIDE"), (line, child.stderr.read() if not ready or not line else "")
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
        return int(line.split()[1])
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()


def test_killed_submission_and_import_leave_no_partial_rows(tmp_path):
    from lms.accounts.models import Role, User
    from lms.accounts.operations import create_user
    from lms.cohorts.operations import create_cohort
    from lms.cohorts.models import CohortStaff, Enrolment, ImportBatch
    from lms.cohorts.operations import enrol
    from lms.content.models import Course
    from lms.quizzes import attempts as ops
    from lms.quizzes.models import Answer, Attempt, Quiz
    from tests.quizzes.conftest import correct_form

    url = f"sqlite:///{tmp_path / 'lms.sqlite3'}"
    app = create_app(base_config(url))
    with app.app_context():
        upgrade()
    import_course_folder(app, DATA / "courses")
    with app.app_context():
        profile = {"institution": "Perpustakaan Desa", "position": "Pengelola", "regency": "Banjar", "province": "63"}
        trainee = create_user(email="ani@example.test", full_name="Ani", password=PASSWORD, role=Role.TRAINEE,
                              **profile)
        organizer = create_user(email="org@example.test", full_name="Budi", password=PASSWORD,
                                role=Role.ORGANIZER, **profile)
        cohort = create_cohort(course=db.session.scalar(sa_select(Course).where(Course.slug == "mini-q")),
                               slug="mini-q-1", name="Angkatan 1", key="KUNCI1")
        db.session.flush()
        db.session.add(CohortStaff(cohort_id=cohort.id, user_id=organizer.id, role="organizer"))
        enrol(trainee, cohort)
        quiz = db.session.scalar(sa_select(Quiz).where(Quiz.slug == "kuis-modul"))
        attempt = ops.start_attempt(trainee, quiz)
        db.session.commit()
        saved = ops.save_answers(attempt, correct_form(app, essay=""))  # autosave
        batch = ImportBatch(cohort_id=cohort.id, created_by_id=organizer.id, filename="peserta.csv",
                            data=kalsel_csv())
        db.session.add(batch)
        db.session.commit()
        attempt_id, batch_id, users_before = attempt.id, batch.id, db.session.scalar(sa_select(func.count(User.id)))
        answers_before = {a.question_id: a.response_json for a in db.session.scalars(
            sa_select(Answer).where(Answer.attempt_id == attempt_id))}
    assert saved == len(answers_before) == 6

    # Quiz submission killed after grading every answer, before the commit.
    assert kill_inside(tmp_path, url, "submit", "ani@example.test", attempt_id) == 6
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert (attempt.state, attempt.submitted_at, attempt.score) == ("in_progress", None, None)
        answers = list(db.session.scalars(sa_select(Answer).where(Answer.attempt_id == attempt_id)))
        assert {a.question_id: a.response_json for a in answers} == answers_before  # her answers are all there
        assert all(a.fraction is None and a.mark is None for a in answers)
        db.session.remove()

    # Participant import killed after creating its 43 accounts, before the commit.
    assert kill_inside(tmp_path, url, "import", "org@example.test", batch_id) == users_before + 43
    with app.app_context():
        assert db.session.scalar(sa_select(func.count(User.id))) == users_before
        assert db.session.scalar(sa_select(func.count(Enrolment.id))) == 1  # only Ani
        assert db.session.get(ImportBatch, batch_id).status != "done"
        db.session.remove()

    # Nothing is stuck: she submits and is graded; the organizer imports the sheet.
    client = login(app, "ani@example.test")
    assert client.post(f"/attempts/{attempt_id}/submit").status_code == 302
    organizer_client = login(app, "org@example.test")
    assert organizer_client.post(f"/organizer/imports/{batch_id}/commit").status_code == 302
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).state == "graded"
        assert db.session.scalar(sa_select(func.count(User.id))) == users_before + 43
        db.session.remove()
        db.engine.dispose()
