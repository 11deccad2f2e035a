"""PostgreSQL restarted under the running app: 503 with Retry-After while it is down, then
normal pages again without restarting the app (the pool pings before use)."""

from __future__ import annotations

from flask_migrate import upgrade

from lms import create_app
from lms.extensions import db
from tests.conftest import PASSWORD, base_config, login, text_of
from tests.operations.conftest import captured_log


def test_database_restart_gives_503_then_recovers_by_itself(private_postgres):
    app = create_app(base_config(private_postgres.url))
    with app.app_context():
        upgrade()
        from lms.accounts.models import Role
        from lms.accounts.operations import create_user

        create_user(email="peserta@example.test", full_name="Ani", password=PASSWORD, role=Role.TRAINEE,
                    institution="Perpustakaan Desa", position="Pengelola", regency="Banjar", province="63")
        db.session.commit()
    try:
        client = login(app, "peserta@example.test")
        assert client.get("/dashboard").status_code == 200

        private_postgres.stop()
        with captured_log("lms.core.views") as log:
            down = client.get("/dashboard")
            again = client.get("/profile")
        assert down.status_code == 503 and again.status_code == 503
        assert down.headers["Retry-After"] == "30"
        page = text_of(down.data)  # the friendly page, in Bahasa Indonesia once translated
        assert "503" in page and ("tidak tersedia" in page or "briefly unavailable" in page)
        assert "WARNING database unavailable" in log.text
        assert app.test_client().get("/login").status_code == 200  # a page that needs no database

        private_postgres.start()
        back = client.get("/dashboard")
        assert back.status_code == 200
        assert "Keluar" in text_of(back.data)  # still logged in ("Log out"): the same session cookie
    finally:
        with app.app_context():
            db.engine.dispose()
