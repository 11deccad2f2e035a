"""Both catalogs complete; Bahasa Indonesia by default, English on request."""

from __future__ import annotations

from lms.translate import missing_translations
from tests.conftest import login, text_of


def test_every_message_is_translated_in_both_catalogs():
    assert missing_translations() == {"id": [], "en": []}


def test_catalog_template_is_up_to_date(tmp_path):
    """Every string wrapped in the code is in messages.pot (run `flask translate extract`)."""
    import subprocess
    import sys
    from pathlib import Path

    from babel.messages.pofile import read_po

    from lms.translate import POT, ROOT

    fresh = tmp_path / "fresh.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(pybabel), "-q", "extract", "-F", "babel.cfg", "-k", "_l", "--no-location",
                    "-o", str(fresh), "."], check=True, cwd=ROOT)
    with fresh.open("rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    with POT.open("rb") as fh:
        have = {m.id for m in read_po(fh) if m.id}
    assert wanted - have == set()


def test_interface_is_indonesian_by_default(client):
    page = text_of(client.get("/login").data)
    assert "Masuk" in page and "Kata sandi" in page


def test_anonymous_visitor_can_switch_to_english(client):
    response = client.post("/language", data={"locale": "en", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    page = text_of(client.get("/login").data)
    assert "Password" in page and "Kata sandi" not in page


def test_language_choice_is_kept_on_the_account(client, make_user, auth, app):
    user = make_user("trainee", email="bahasa@example.test")
    auth.login(user.email)
    client.post("/language", data={"locale": "en", "next": "/dashboard"})
    other_client = login(app, user)
    assert "My courses" in text_of(other_client.get("/dashboard").data)


def test_language_switch_refuses_offsite_redirect(client):
    response = client.post("/language", data={"locale": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_no_translated_message_hides_in_an_f_string():
    """pybabel extract does not look inside f-strings: a message wrapped there is never extracted,
    drops out of the catalogs at the next `flask translate extract`, and shows in English."""
    import ast

    from lms.translate import ROOT

    names = {"_", "_l", "gettext", "ngettext", "lazy_gettext", "pgettext"}
    hidden = []
    for path in sorted((ROOT / "lms").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                for call in ast.walk(node):
                    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in names:
                        hidden.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert hidden == []
