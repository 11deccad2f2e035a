"""Backup and restore round trip: nothing lost, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.extensions import db
from tests.quizzes.test_concurrency import live_db  # noqa: F401  (fixture: committed data)


def test_backup_and_restore_round_trip(live_db, tmp_path):  # noqa: F811
    app = live_db
    if app.config["BACKEND"] == "postgresql" and not shutil.which("pg_dump"):
        pytest.skip("pg_dump not installed")
    from lms.accounts.operations import create_user
    from tests.conftest import DATA, PASSWORD, import_course_folder

    import_course_folder(app, DATA / "courses")
    with app.app_context():
        for i in range(3):
            create_user(email=f"cadang{i}@perpusdes.id", full_name=f"Cadangan {i}", password=PASSWORD)
        db.session.commit()
    runner = app.test_cli_runner()
    backup = tmp_path / "cadangan" / "cadangan.bak"  # a folder that does not exist yet
    result = runner.invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    # Every account's data and password hash: readable by the owner only.
    assert (backup.stat().st_mode & 0o777, backup.parent.stat().st_mode & 0o777) == (0o600, 0o700)
    backup.chmod(0o644)  # a second backup over a file someone opened up closes it again
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    assert backup.stat().st_mode & 0o777 == 0o600
    with app.app_context():
        db.session.execute(User.__table__.delete().where(User.email.like("cadang%")))
        db.session.commit()
        assert db.session.scalar(select(func.count(User.id))) == 0
    result = runner.invoke(args=["restore", "--yes", str(backup)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        names = sorted(db.session.scalars(select(User.full_name)))
        assert names == ["Cadangan 0", "Cadangan 1", "Cadangan 2"]
        from lms.content.models import Lesson

        assert db.session.scalar(select(func.count(Lesson.id))) == 5
