"""Upgrades keep learner data: migrate a database that has rows, from the first revision to head."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from lms import create_app
from lms.extensions import db
from tests.conftest import base_config


def test_upgrade_with_data_in_every_step(tmp_path):
    app = create_app(base_config(f"sqlite:///{tmp_path / 'old.sqlite3'}"))
    with app.app_context():
        upgrade(revision="0002_quizzes")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO course (id, slug, title, description, language, created_at, updated_at) "
                              "VALUES (1, 'c', 'Kursus', '', 'id', '2026-01-01', '2026-01-01')"))
            conn.execute(text("INSERT INTO user (id, email, password_hash, role, full_name, locale, "
                              "is_active_account, created_at) VALUES (1, 'a@b.id', 'x', 'trainee', 'Ani', 'id', 1, "
                              "'2026-01-01')"))
            conn.execute(text("INSERT INTO cohort (id, course_id, slug, name, enrolment_key, is_open, notes, "
                              "created_at) VALUES (1, 1, 'k', 'Angkatan', 'KEY', 1, '', '2026-01-01')"))
            conn.execute(text("INSERT INTO enrolment (user_id, cohort_id, enrolled_at) VALUES (1, 1, '2026-01-01')"))
        upgrade()  # rebuilds cohort (new columns, foreign key) while enrolment points at it
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM enrolment")).scalar() == 1
            assert conn.execute(text("SELECT certificate_json FROM course")).scalar() == "{}"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        downgrade(revision="0002_quizzes")
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM cohort")).scalar() == "Angkatan"
        db.engine.dispose()


def test_migrated_database_matches_the_models(app):
    """The migrations build exactly the schema the models describe, on both databases."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], differences
