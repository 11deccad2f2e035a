"""Bars for the charts shown beside report tables (templates/_macros.html `bars`), and shares in
percent: values computed in Python, so that templates only display them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lms.util.formatting import format_number, format_percentage


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its length `value` out of `max`, and the value as printed beside it."""

    label: str
    value: float
    max: float
    shown: str


@dataclass(frozen=True)
class Share:
    """A row of a table of counts: a label, a count and its share of the whole in percent."""

    label: str
    count: int
    percent: float


def share(part: float, whole: float) -> float:
    """`part` as a percentage of `whole` (0 when the whole is 0)."""
    return 100 * part / whole if whole else 0


def percent_bar(label: Any, rate: float | None) -> Bar:
    return Bar(str(label), rate if rate is not None else 0, 100, format_percentage(rate))


def count_bar(label: Any, count: int, whole: int, shown: str | None = None) -> Bar:
    return Bar(str(label), count, whole or 1, str(count) if shown is None else shown)


def rating_bar(label: Any, mean: float) -> Bar:
    """A mean rating on the 1-5 scale."""
    return Bar(str(label), mean, 5, format_number(mean, 2))
