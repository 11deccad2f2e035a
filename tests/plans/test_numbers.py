"""Budgets as Indonesians write them: accepted formats, and words refused with a hint."""

from __future__ import annotations

import pytest

from lms.util.numbers import NumberError, group, parse_count, parse_rupiah


@pytest.mark.parametrize("text, value", [
    ("1.500.000", 1_500_000), ("Rp 1.500.000", 1_500_000), ("Rp1.500.000", 1_500_000),
    ("rp. 1.500.000,-", 1_500_000), ("1.500.000,00", 1_500_000), ("1500000", 1_500_000),
    ("750.000", 750_000), ("0", 0), ("  ", None), ("", None), ("Rp 12.000", 12_000),
])
def test_rupiah_in_indonesian_formats(text, value):
    assert parse_rupiah(text) == value


@pytest.mark.parametrize("text, code, suggestion", [
    ("1,5 juta", "words", 1_500_000), ("Rp 1,5 juta", "words", 1_500_000), ("500 ribu", "words", 500_000),
    ("2 jt", "words", 2_000_000), ("1,5", "decimals", None), ("1,500,000", "decimals", None),
    ("1.5", "format", None), ("15.00.000", "format", None), ("satu juta", "format", None),
    ("-50.000", "negative", None), ("9.000.000.000.000", "too_large", None),
])
def test_rupiah_refused_with_the_reason(text, code, suggestion):
    with pytest.raises(NumberError) as caught:
        parse_rupiah(text)
    assert caught.value.code == code
    assert caught.value.suggestion == suggestion


def test_counts_and_grouping():
    assert parse_count("1.250") == 1250
    assert group(1_500_000) == "1.500.000"
    with pytest.raises(NumberError):
        parse_count("Rp 5")
