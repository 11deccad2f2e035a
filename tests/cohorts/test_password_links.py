"""Set-password links are secrets: only their hashes are stored. The import's page offers them by
download, which issues new links (the earlier unused ones stop working); nothing in the database
lets someone who reads it (a backup, say) set a participant's password."""

from __future__ import annotations

import json
import re

from sqlalchemy import select, text

from lms.cohorts.models import ImportBatch
from lms.extensions import db
from tests.cohorts.test_import import organizer_client, upload

SHEET = b"Nama,Email\nAni Rahmawati,ani@perpusdes.id\nBudi Santoso,budi@perpusdes.id\n"


def _imported(app, world):
    client = organizer_client(app, world)
    batch = int(upload(client, world["cohort_a"].id, SHEET).headers["Location"].rsplit("/", 1)[1])
    client.post(f"/organizer/imports/{batch}/commit")
    return client, batch


def _links(client, batch) -> dict[str, str]:
    response = client.post(f"/organizer/imports/{batch}/links.csv")
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    text_ = response.data.decode("utf-8-sig")
    return {email: token for email, token in re.findall(r"([\w.+-]+@perpusdes\.id)[,;]\S*/set-password/([\w-]+)", text_)}


def _set(app, token: str) -> int:
    return app.test_client().post(f"/set-password/{token}", data={
        "password": "kata-sandi-baru", "password_confirm": "kata-sandi-baru"}).status_code


def test_no_token_is_stored_in_clear(app, world):
    client, batch = _imported(app, world)
    links = _links(client, batch)
    assert set(links) == {"ani@perpusdes.id", "budi@perpusdes.id"}
    with app.app_context():
        stored = db.session.get(ImportBatch, batch).result_json
        everything = " ".join(str(v) for row in db.session.execute(text("SELECT * FROM password_token")) for v in row)
    assert json.loads(stored)["links"] == [{"name": "Ani Rahmawati", "email": "ani@perpusdes.id"},
                                           {"name": "Budi Santoso", "email": "budi@perpusdes.id"}]
    for token in links.values():
        assert token not in stored and token not in everything
    page = client.get(f"/organizer/imports/{batch}").data.decode()
    assert "/set-password/" not in page and "ani@perpusdes.id" in page


def test_a_download_issues_new_links_and_ends_the_earlier_ones(app, world):
    client, batch = _imported(app, world)
    first = _links(client, batch)
    second = _links(client, batch)
    assert first["ani@perpusdes.id"] != second["ani@perpusdes.id"]
    assert app.test_client().get(f"/set-password/{first['ani@perpusdes.id']}").status_code == 404
    assert _set(app, second["ani@perpusdes.id"]) == 302
    # Ani has chosen her password: a later download leaves her out, Budi gets a new link.
    assert set(_links(client, batch)) == {"budi@perpusdes.id"}


def test_the_migration_drops_tokens_kept_by_earlier_imports(tmp_path):
    from flask_migrate import upgrade

    from lms import create_app
    from tests.conftest import base_config

    app = create_app(base_config(f"sqlite:///{tmp_path / 'old.sqlite3'}"))
    with app.app_context():
        upgrade(revision="0010_job_runner")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO course (id, slug, title, description, language, created_at, updated_at) "
                              "VALUES (1, 'c', 'Kursus', '', 'id', '2026-01-01', '2026-01-01')"))
            conn.execute(text("INSERT INTO cohort (id, course_id, slug, name, enrolment_key, is_open, notes, "
                              "created_at) VALUES (1, 1, 'k', 'Angkatan', 'KEY', 1, '', '2026-01-01')"))
            conn.execute(text("INSERT INTO user (id, email, password_hash, role, full_name, locale, "
                              "is_active_account, created_at) VALUES (1, 'o@b.id', 'x', 'organizer', 'Rina', 'id', 1, "
                              "'2026-01-01')"))
            conn.execute(text("INSERT INTO import_batch (id, cohort_id, created_by_id, filename, data, status, "
                              "result_json, created_at) VALUES (1, 1, 1, 'p.csv', x'', 'done', :result, '2026-01-01')"),
                         {"result": json.dumps({"created": 1, "links": [
                             {"name": "Ani", "email": "ani@perpusdes.id", "token": "rahasia-token-123"}]})})
        upgrade()
        with db.engine.connect() as conn:
            stored = conn.execute(select(ImportBatch.result_json)).scalar()
        assert json.loads(stored) == {"created": 1, "links": [{"name": "Ani", "email": "ani@perpusdes.id"}]}
        db.engine.dispose()
