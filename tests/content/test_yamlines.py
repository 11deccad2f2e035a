"""The one YAML stack (ruamel.yaml on libyaml): plain values mean what they always meant in
course files (YAML 1.1 as PyYAML read it), and what the editor writes reads back the same."""

from __future__ import annotations

import datetime

import pytest

from lms.content.problems import Problems
from lms.content.yamlines import YAMLError, dump_scalar, load_mapping, safe_load


@pytest.mark.parametrize("text, value", [
    ("yes", True), ("No", False), ("on", True), ("OFF", False), ("true", True), ("y", "y"), ("n", "n"),
    ("017", 15), ("0o17", "0o17"), ("0x1F", 31), ("1_000", 1000), ("1:30", 90), ("08", "08"),
    ("1e3", "1e3"), ("1.5e3", "1.5e3"), ("1.0e+3", 1000.0), ("!!float 1e3", 1000.0), ("09.5", 9.5),
    ("~", None), ("null", None), ("", None), ("2026-07-01", datetime.date(2026, 7, 1)), ("'017'", "017"),
])
def test_plain_values_resolve_as_yaml_1_1(text, value):
    assert safe_load(f"v: {text}\n") == {"v": value}
    doc = load_mapping(f"v: {text}\n", "f.yml", Problems())
    assert doc == {"v": value} and type(doc["v"]) is type(value)


@pytest.mark.parametrize("value", ["Judul", "Judul: baru", "yes", "y", "017", "1e3", "1:30", "'kutip'", "a # b",
                                   "", "null", "- x", "[x]", "@x", "Bab 1 – Pengantar", 5, 2.5, True, False, None])
def test_a_written_scalar_reads_back_equal(value):
    assert safe_load(f"v: {dump_scalar(value)}\n") == {"v": value}


def test_duplicate_keys_are_errors_in_every_reader():
    problems = Problems()
    load_mapping("a: 1\nb: 2\na: 3\n", "f.yml", problems)
    assert [str(p) for p in problems] == ["f.yml:3: error: duplicate key 'a'"]
    with pytest.raises(YAMLError, match="duplicate key"):
        safe_load("a: 1\na: 2\n")
