"""Redis configured but down: the app keeps serving. Login rate limits go on in memory (with a
warning in the log); background jobs run in a thread of the app process instead of on a worker."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

SCRIPT = """
import json, logging, sys, time

records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append(f"{record.name} {record.levelname} {record.getMessage()}")
for name in ("flask-limiter", "lms.jobs"):
    logging.getLogger(name).addHandler(Keep())
    logging.getLogger(name).setLevel(logging.INFO)

from flask_migrate import upgrade
from lms import create_app
from lms.extensions import db
from lms import jobs
from lms.accounts.models import Role
from lms.accounts.operations import create_user

app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": sys.argv[1], "WTF_CSRF_ENABLED": False,
                  "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
assert app.config["RATELIMIT_STORAGE_URI"] == app.config["REDIS_URL"] == "redis://127.0.0.1:1/0"
with app.app_context():
    upgrade()
    create_user(email="ani@example.test", full_name="Ani", password="benar-sekali-42", role=Role.TRAINEE,
                institution="Perpustakaan Desa", position="Pengelola", regency="Banjar", province="63")
    db.session.commit()
client = app.test_client()
out = {"login_page": client.get("/login").status_code}
out["right_password"] = client.post("/login", data={"email": "ani@example.test", "password": "benar-sekali-42"}
                                    ).status_code
client.post("/logout")
out["wrong_passwords"] = [client.post("/login", data={"email": "ani@example.test", "password": "salah"}
                                      ).status_code for _ in range(6)]

jobs.HANDLERS["test_echo"] = lambda job, progress: (b"isi", "hasil.txt")
with app.app_context():
    job = jobs.enqueue("test_echo", {}, None)
    db.session.commit()
    jobs.start(job)
    job_id = job.id
deadline = time.monotonic() + 60  # the thread finishes in milliseconds; a busy machine may take longer
while True:  # wait for the job's state, not for a set time
    with app.app_context():
        status = db.session.get(jobs.Job, job_id).status
        db.session.remove()
    if status in ("done", "failed") or time.monotonic() > deadline:
        break
    time.sleep(0.05)
out["job"] = status
out["log"] = records
print(json.dumps(out))
"""


def test_app_serves_logins_and_jobs_while_redis_is_down(tmp_path):
    script = tmp_path / "redis_down.py"
    script.write_text(SCRIPT)
    env = {"PATH": "/usr/bin:/bin", "LMS_REDIS_URL": "redis://127.0.0.1:1/0", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, str(script), f"sqlite:///{tmp_path / 'lms.sqlite3'}"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])

    assert out["login_page"] == 200
    assert out["right_password"] == 302  # logged in
    # Still limited, in this process's memory: five failures shown again, then "too many attempts".
    assert out["wrong_passwords"] == [400, 400, 400, 400, 400, 429]
    assert any(line.startswith("flask-limiter WARNING") and "unreachable" in line for line in out["log"])

    assert out["job"] == "done"  # ran in a thread of the app process
    assert any(line.startswith("lms.jobs WARNING") and "Redis unreachable" in line for line in out["log"])
