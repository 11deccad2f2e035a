"""Problems found in content files, each located by file and line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a content file, located by file and line (1-based)."""

    file: str
    line: int | None
    message: str
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity}: {self.message}"


class Problems(list):
    """A list of Problem with helpers to add errors and warnings."""

    def error(self, file: str, line: int | None, message: str) -> None:
        self.append(Problem(file, line, message))

    def warning(self, file: str, line: int | None, message: str) -> None:
        self.append(Problem(file, line, message, "warning"))

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self)


class SyncError(Exception):
    """Content that validated on its own but does not fit the database (e.g. a missing bank):
    raised by a course part's sync, reported with file and line like a Problem."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        super().__init__(message)
        self.file, self.line, self.message = file, line, message
