"""Whole numbers as Indonesians write them: rupiah amounts and counts.

Dots group thousands ("1.500.000"), a comma starts decimals ("1.500.000,00"); "Rp" in front and
",-" behind are common. Words ("1,5 juta", "500 ribu") are refused with a hint that spells the
number out, so that one format is stored and read back the same way everywhere.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

MAX_AMOUNT = 10**12  # a village plan never spends a trillion rupiah: a typo, not a budget
MAX_COUNT = 1_000_000

_WORDS = {"ribu": 10**3, "rb": 10**3, "k": 10**3, "juta": 10**6, "jt": 10**6,
          "miliar": 10**9, "milyar": 10**9, "m": 10**9, "triliun": 10**12, "t": 10**12}
_WORD_RE = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(ribu|rb|k|juta|jt|miliar|milyar|m|triliun|t)\.?$", re.I)
_GROUPED_RE = re.compile(r"^\d{1,3}(?:\.\d{3})+$")  # 1.500.000
_PLAIN_RE = re.compile(r"^\d+$")


class NumberError(ValueError):
    """Text that is not a whole number in an accepted format; str() is the hint to show."""

    def __init__(self, code: str, suggestion: int | None = None) -> None:
        super().__init__(code)
        self.code = code  # "words", "decimals", "format", "negative", "too_large"
        self.suggestion = suggestion


def group(value: int) -> str:
    """1500000 -> '1.500.000' (the input format, whatever the page language)."""
    return f"{value:,}".replace(",", ".")


def parse_whole(text: str, *, maximum: int, currency: bool = False) -> int | None:
    """The whole number written in text, or None for empty text; NumberError otherwise."""
    value = (text or "").strip()
    if currency:
        value = re.sub(r"^rp\.?\s*", "", value, flags=re.I)
        value = re.sub(r",-$", "", value)
    value = value.replace(" ", "").replace("\u00a0", "")
    if not value:
        return None
    if value.startswith("-"):
        raise NumberError("negative")
    words = _WORD_RE.match(value)
    if words:
        try:
            number = Decimal(words.group(1).replace(",", ".")) * _WORDS[words.group(2).lower()]
        except InvalidOperation:  # pragma: no cover - the pattern admits only digits
            number = None
        raise NumberError("words", int(number) if number is not None and number == int(number) else None)
    whole, _, decimals = value.partition(",")
    if decimals:
        if not re.fullmatch(r"0{1,2}", decimals):
            raise NumberError("decimals")
    if _GROUPED_RE.match(whole) or _PLAIN_RE.match(whole):
        number = int(whole.replace(".", ""))
    else:
        raise NumberError("format")
    if number > maximum:
        raise NumberError("too_large")
    return number


def parse_rupiah(text: str) -> int | None:
    """'Rp 1.500.000' -> 1500000; empty -> None; '1,5 juta' -> NumberError('words', 1500000)."""
    return parse_whole(text, maximum=MAX_AMOUNT, currency=True)


def parse_count(text: str) -> int | None:
    """'1.250' -> 1250 (people, sessions); empty -> None."""
    return parse_whole(text, maximum=MAX_COUNT)
