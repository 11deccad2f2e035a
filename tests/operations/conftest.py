"""A private PostgreSQL server the fault tests may stop and start, and Redis helpers."""

from __future__ import annotations

import glob
import logging
import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest


def _pg_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PrivatePostgres:
    """A throw-away cluster in a temp dir; run as the postgres user when we are root."""

    directory: Path
    port: int
    pg_ctl: str
    as_postgres: bool

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = list(args)
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(self.pg_ctl, "start", "-w", "-D", str(self.directory / "data"), "-o", options,
                  "-l", str(self.directory / "server.log"))

    def stop(self) -> None:
        self._run(self.pg_ctl, "stop", "-w", "-m", "fast", "-D", str(self.directory / "data"))


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """initdb + pg_ctl start on a free port; stopped and removed afterwards."""
    initdb, pg_ctl = _pg_binary("initdb"), _pg_binary("pg_ctl")
    if not initdb or not pg_ctl:
        if os.environ.get("CI"):
            pytest.fail("initdb/pg_ctl (PostgreSQL server binaries) are needed in CI")
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not installed")
    as_postgres = os.geteuid() == 0  # initdb refuses to run as root
    directory = Path(tempfile.mkdtemp(prefix="lms-pg-"))
    if as_postgres:
        shutil.chown(directory, "postgres", "postgres")
    server = PrivatePostgres(directory, free_port(), pg_ctl, as_postgres)
    try:
        server._run(initdb, "-D", str(directory / "data"), "-A", "trust", "-U", "postgres", "--no-sync",
                    "-E", "UTF8", "--locale", "C")
        server.start()
        yield server
    finally:
        try:
            server.stop()
        except Exception:
            pass  # not running (failed to start, or the test stopped it)
        shutil.rmtree(directory, ignore_errors=True)


class LogRecords(logging.Handler):
    """Collects the records of one logger (works with -p no:logging, unlike caplog)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @property
    def text(self) -> str:
        return "\n".join(f"{r.levelname} {r.getMessage()}" for r in self.records)


@contextmanager
def captured_log(name: str) -> Iterator[LogRecords]:
    logger = logging.getLogger(name)
    handler, level = LogRecords(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
