"""`flask translate extract|update|compile|check`: keep the id and en catalogs complete."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import click
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask.cli import AppGroup

from lms.config import ROOT

TRANSLATIONS = ROOT / "lms" / "translations"
POT = TRANSLATIONS / "messages.pot"
LOCALES = ("id", "en")

translate_cli = AppGroup("translate", help="Translation catalogs (Flask-Babel).")


def _pybabel(*args: str) -> None:
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(pybabel), *args], check=True, cwd=ROOT)


def compile_catalogs() -> list[Path]:
    """Compile every catalog (messages.po, and wtforms.po: WTForms' own messages) to .mo; returns
    the files compiled. A .mo that would not change is left alone; a new one replaces the old at
    once, through a temporary file of this process: other processes (parallel test workers, a
    running server) read the old file or the new, never half of one."""
    compiled = []
    for po_path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as fh:
            catalog = read_po(fh)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.read_bytes() != buffer.getvalue():
            fd, tmp = tempfile.mkstemp(dir=mo_path.parent, prefix=f".{mo_path.name}.", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(buffer.getvalue())
            os.chmod(tmp, 0o644)
            os.replace(tmp, mo_path)
        compiled.append(mo_path)
    return compiled


def missing_translations() -> dict[str, list[str]]:
    """For each locale, the template's messages with no (or a fuzzy) translation."""
    with POT.open("rb") as fh:
        template = read_po(fh)
    result: dict[str, list[str]] = {}
    for locale in LOCALES:
        with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
            catalog = read_po(fh)
        missing = []
        for message in template:
            if not message.id:
                continue
            found = catalog.get(message.id, message.context)
            strings = found.string if found else None
            if isinstance(strings, tuple):
                ok = all(strings)
            else:
                ok = bool(strings)
            if found is None or not ok or found.fuzzy:
                missing.append(message.id if isinstance(message.id, str) else message.id[0])
        result[locale] = missing
    return result


@translate_cli.command("extract")
def extract_command() -> None:
    """Collect the translatable strings into messages.pot and merge them into each catalog."""
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--sort-output",
             "-o", str(POT), ".")
    _pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "--no-fuzzy-matching", "--ignore-obsolete")


@translate_cli.command("compile")
def compile_command() -> None:
    """Compile the catalogs the app reads."""
    for path in compile_catalogs():
        click.echo(f"compiled {path.relative_to(ROOT)}")


@translate_cli.command("check")
def check_command() -> None:
    """Exit non-zero if any catalog lacks a translation."""
    failed = False
    for locale, missing in missing_translations().items():
        for message_id in missing:
            failed = True
            click.echo(f"{locale}: untranslated: {message_id}", err=True)
    sys.exit(1 if failed else 0)
