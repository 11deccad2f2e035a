"""Grading rules of each question type, on the server."""

from __future__ import annotations

import random

import pytest
from werkzeug.datastructures import MultiDict

from lms.quizzes.types import QUESTION_TYPES, TamperError, option_id, parse_number


def prepared(qtype, data):
    return QUESTION_TYPES[qtype].prepare(data, "markdown")


def grade(qtype, data, form):
    t = QUESTION_TYPES[qtype]
    layout = t.layout(data, random.Random(1), False)
    return t.grade(data, t.parse(data, layout, MultiDict(form), "q1"))


CHOICES = {"options": [{"text": "A", "fraction": 0.5, "feedback": ""}, {"text": "B", "fraction": 0.5, "feedback": ""},
                       {"text": "C", "fraction": 0.0, "feedback": ""}, {"text": "D", "fraction": 0.0, "feedback": ""}]}


def test_multiple_response_partial_credit_and_no_credit_for_everything():
    data = prepared("multiple", CHOICES)
    a, b, c, d = (option_id(x) for x in "ABCD")
    assert grade("multiple", data, [("q1", a), ("q1", b)]) == 1.0
    assert grade("multiple", data, [("q1", a)]) == 0.5
    assert grade("multiple", data, [("q1", a), ("q1", c)]) == 0.0
    assert grade("multiple", data, [("q1", x) for x in (a, b, c, d)]) == 0.0
    assert grade("multiple", data, [("q1", a), ("q1", b), ("q1", c)]) == 0.5


def test_multiple_response_with_explicit_negative_weights():
    data = prepared("multiple", {"options": [
        {"text": "A", "fraction": 0.5, "feedback": ""}, {"text": "B", "fraction": 0.5, "feedback": ""},
        {"text": "C", "fraction": -1.0, "feedback": ""}]})
    a, b, c = (option_id(x) for x in "ABC")
    assert grade("multiple", data, [("q1", a), ("q1", b), ("q1", c)]) == 0.0
    assert grade("multiple", data, [("q1", a), ("q1", b)]) == 1.0


def test_single_choice_with_partial_option():
    data = prepared("single", {"options": [{"text": "A", "fraction": 1.0, "feedback": ""},
                                           {"text": "B", "fraction": 0.25, "feedback": ""}]})
    assert grade("single", data, {"q1": option_id("B")}) == 0.25


def test_option_of_another_question_is_rejected():
    data = prepared("single", {"options": [{"text": "A", "fraction": 1.0, "feedback": ""},
                                           {"text": "B", "fraction": 0.0, "feedback": ""}]})
    with pytest.raises(TamperError):
        grade("single", data, {"q1": option_id("Z")})
    with pytest.raises(TamperError):
        grade("single", data, [("q1", option_id("A")), ("q1", option_id("B"))])


def test_short_answer_ignores_case_and_spaces():
    data = prepared("short", {"answers": [{"text": "Badan Permusyawaratan Desa", "fraction": 1.0, "feedback": ""},
                                          {"text": "BPD", "fraction": 1.0, "feedback": ""}]})
    assert grade("short", data, {"q1": "  badan   permusyawaratan DESA "}) == 1.0
    assert grade("short", data, {"q1": "bpd"}) == 1.0
    assert grade("short", data, {"q1": "kepala desa"}) == 0.0


@pytest.mark.parametrize("typed", ["APBDes.", "apbdes", " \u201cAPBDes\u201d ", "'APBDes'", "APBDes!"])
def test_short_answer_ignores_punctuation_and_quotes_around_it(typed):
    data = prepared("short", {"answers": [{"text": "APBDes", "fraction": 1.0, "feedback": ""}]})
    assert grade("short", data, {"q1": typed}) == 1.0
    assert grade("short", data, {"q1": "APB"}) == 0.0  # a different word is still wrong


def test_an_answer_that_is_punctuation_is_compared_as_it_is():
    data = prepared("short", {"answers": [{"text": "?", "fraction": 1.0, "feedback": ""}]})
    assert grade("short", data, {"q1": "?"}) == 1.0
    assert grade("short", data, {"q1": "!"}) == 0.0


@pytest.mark.parametrize("typed, expected", [("32", 1.0), ("32,4", 1.0), ("31.5", 1.0), ("33", 0.0), ("tiga", 0.0)])
def test_numeric_with_tolerance_and_indonesian_decimal_comma(typed, expected):
    data = prepared("numeric", {"answers": [{"value": 32.0, "tolerance": 0.5, "fraction": 1.0, "feedback": ""}]})
    assert grade("numeric", data, {"q1": typed}) == expected


def test_number_parsing():
    assert parse_number("1.000") == 1000 and parse_number("3,5") == 3.5 and parse_number("1.000,5") == 1000.5
    assert parse_number("") is None and parse_number("abc") is None and parse_number("inf") is None


def test_matching_counts_each_pair():
    data = prepared("matching", {"pairs": [{"left": "UU 43/2007", "right": "Perpustakaan"},
                                           {"left": "UU 6/2014", "right": "Desa"}]})
    first, second = data["pairs"]
    perpus, desa = (c["id"] for c in data["choices"])
    assert grade("matching", data, {f"q1-{first['id']}": perpus, f"q1-{second['id']}": desa}) == 1.0
    assert grade("matching", data, {f"q1-{first['id']}": perpus, f"q1-{second['id']}": perpus}) == 0.5
    with pytest.raises(TamperError):
        grade("matching", data, {f"q1-{first['id']}": "o-bogus"})


def test_public_view_reveals_no_answer():
    data = prepared("single", {"options": [{"text": "A", "fraction": 1.0, "feedback": "benar"},
                                           {"text": "B", "fraction": 0.0, "feedback": "salah"}]})
    public = QUESTION_TYPES["single"].public(data, {"options": [o["id"] for o in data["options"]]})
    text = repr(public)
    assert "fraction" not in text and "benar" not in text and "salah" not in text


def test_essay_waits_for_a_person():
    assert grade("essay", {}, {"q1": "Rencana saya ..."}) is None
    assert grade("essay", {}, {"q1": ""}) == 0.0
