"""`flask backup OUT` and `flask restore IN`: consistent copies while the app runs.

SQLite: the online backup API (a consistent snapshot even with writers). PostgreSQL: pg_dump
in its custom format, and pg_restore --clean into the configured database.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from lms.extensions import db


def _pg_args(url) -> tuple[list[str], dict[str, str]]:
    args = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432), "--dbname", url.database]
    if url.username:
        args += ["--username", url.username]
    env = {"PGPASSWORD": url.password} if url.password else {}
    return args, env


def _private_file(output: Path) -> None:
    """Create OUTPUT readable by its owner only (0600), in a folder made for it 0700 if missing:
    a backup holds every account's data and password hashes."""
    output.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    os.chmod(output, 0o600)  # an existing file keeps its mode on open: narrow it


def backup_database(output: Path) -> None:
    """A consistent copy of the database in OUTPUT, readable by the owner only."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    mask = os.umask(0o077)  # anything written alongside (SQLite's journal) is private too
    try:
        _private_file(output)
        _write_backup(url, output)
    finally:
        os.umask(mask)


def _copy_sqlite(source_path, target_path) -> None:
    """Copy a SQLite database page by page through SQLite's online backup (consistent while in use)."""
    source, target = sqlite3.connect(source_path), sqlite3.connect(target_path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _write_backup(url, output: Path) -> None:
    if url.get_backend_name() == "sqlite":
        _copy_sqlite(url.database, output)
        return
    args, env = _pg_args(url)
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(output), *args], check=True,
                   env={**os.environ, **env})


def restore_database(source_file: Path) -> None:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    db.session.remove()
    db.engine.dispose()  # nothing of ours holds the database while it is replaced
    if url.get_backend_name() == "sqlite":
        _copy_sqlite(source_file, url.database)
        return
    args, env = _pg_args(url)
    subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", *args,
                    str(source_file)], check=True, env={**os.environ, **env})


@click.command("backup")
@with_appcontext
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(output: Path) -> None:
    """Write a consistent copy of the database to OUTPUT (safe while the app runs)."""
    backup_database(output)
    click.echo(f"wrote {output} ({output.stat().st_size // 1024} KB)")


@click.command("restore")
@with_appcontext
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask: the current data is replaced.")
def restore_command(source: Path, yes: bool) -> None:
    """Replace the database with a backup made by `flask backup`."""
    if not yes and not click.confirm("This replaces all current data. Continue?"):
        sys.exit(1)
    restore_database(source)
    click.echo(f"restored {source}")
