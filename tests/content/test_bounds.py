"""Bounded work for course files: pathological Markdown and YAML are refused quickly, with
file and line, before the renderer or the YAML walker can hold a worker for minutes."""

from __future__ import annotations

import time
import pytest

from lms.authoring import lessons, questions, structure
from lms.content.loader import load_course
from lms.content.markdown import MAX_MARKDOWN_CHARS, MarkdownError, check_markdown, render_markdown
from lms.content.yamlines import safe_load, yaml_problem
from tests.content.test_loader import copy_mini, errors_of

SIZE = 40_000  # the 40 KB preview that held a gunicorn worker for 92 s
BUDGET = 2.0  # CPU seconds (a busy machine does not count); generous, the work takes well under 0.5 s


def _repeat(unit: str, size: int = SIZE) -> str:
    return (unit * (size // len(unit) + 1))[:size]


ADVERSARIAL = {
    "open brackets": _repeat("["),
    "unclosed links": _repeat("[a]("),
    "images": _repeat("!["),
    "links with a quote": _repeat('[a](" '),
    "nested links": "[" * (SIZE // 3) + "a" + "](b)" * (SIZE // 6),
    "brackets and backticks": _repeat("[`"),
    "reference brackets": _repeat("[[a]"),
    "stars": "*" * (SIZE // 2) + "a" + "*" * (SIZE // 2),
    "nested emphasis": _repeat("*a _b "),
    "many emphasis runs": _repeat("*a"),
    "quotes": _repeat(">"),
    "quote lines": "".join(">" * (i % 300) + " a\n" for i in range(300)),
    "lists on one line": _repeat("- "),
    "numbered lists": _repeat("1. "),
    "indented lists": "".join("    " * i + "- a\n" for i in range(60)),
    "html elements": _repeat("<div>"),
    "markdown in html": _repeat('<div markdown="1">\n'),
    "unclosed tags": _repeat("<img "),
    "table columns": _repeat("|a") + "\n" + _repeat("|-"),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_pathological_markdown_renders_or_is_refused_quickly(name):
    text = ADVERSARIAL[name]
    started = time.process_time()
    try:
        html = render_markdown(text).html
    except MarkdownError as exc:
        assert exc.message  # says what
    else:
        assert "<script" not in html
    assert time.process_time() - started < BUDGET, name


def test_refusals_say_what_and_where():
    text = "# Judul\n\nParagraf biasa.\n\n" + "[" * 100 + "\n"
    problem = check_markdown(text)
    assert problem.line == 5 and "nested more than" in problem.message
    problem = check_markdown("a\n\n" + "> " * 40 + "kutipan\n")
    assert problem.line == 3 and "quotes (>) and lists" in problem.message
    problem = check_markdown("x" * (MAX_MARKDOWN_CHARS + 1))
    assert "longer than" in problem.message
    with pytest.raises(MarkdownError, match="unclosed"):
        render_markdown("Teks [a](" * 2000)


def test_ordinary_text_with_links_tables_and_emphasis_is_not_refused():
    text = "\n\n".join([
        "## Bagian\n\nLihat [laman](https://perpusnas.go.id \"Perpusnas\") dan **penting** _sekali_.",
        "| a | b |\n|---|---|\n" + "| **x** | [y](https://a.id) |\n" * 40,
        "- satu\n    - dua\n        - tiga\n",
        "> kutipan\n> > kutipan dalam\n",
        "Tanda kurung siku [ yang tidak ditutup, dan nama_berkas_saya.",
        '<div class="note" markdown="1">\n*catatan*\n</div>',
        "```\nkode [[[[[ [ [ ( ( (\n```",
        "- - - - - - - - - - - - - - - - - - - - - -\n\n* * * * * * * * * * * * * * * * * * * *",
    ] * 20)
    assert check_markdown(text) is None
    assert "<table>" in render_markdown(text).html


def test_real_course_is_within_the_bounds():
    from tests.content.test_loader import REAL_COURSE

    for path in sorted(REAL_COURSE.rglob("*.md")):
        assert check_markdown(path.read_text(encoding="utf-8")) is None, path


def test_lesson_beyond_the_bounds_is_an_error_with_file_and_line(tmp_path):
    course = copy_mini(tmp_path)
    lesson = course / "01-dasar" / "02-lanjutan.md"
    text = lesson.read_text(encoding="utf-8")
    body_start = text.index("---", 3) + 4
    lesson.write_text(text[:body_start] + "\nBaris pertama.\n\n" + "[a](" * 10_000 + "\n", encoding="utf-8")
    started = time.process_time()
    errors = errors_of(course)
    assert time.process_time() - started < BUDGET
    first_body_line = text[:body_start].count("\n") + 1
    assert errors == [f"01-dasar/02-lanjutan.md:{first_body_line + 3}: error: too many unclosed '[' or '](' "
                      "brackets (from this paragraph on): close them, or write \\[ for a bracket that is just "
                      "text; the lesson cannot be shown"]


def test_question_text_beyond_the_bounds_is_an_error_with_file_and_line(tmp_path):
    import shutil

    from tests.conftest import DATA

    course = tmp_path / "mini-q"
    shutil.copytree(DATA / "courses" / "mini-q", course)
    pre = course / "pre.yml"
    pre.write_text(pre.read_text(encoding="utf-8").replace("text: PKK", "text: '" + "![" * 5000 + "'"),
                   encoding="utf-8")
    started = time.process_time()
    errors = errors_of(course)
    assert time.process_time() - started < BUDGET
    assert errors == ["pre.yml:8: error: question text: brackets '[' are nested more than 16 deep in this paragraph"]


BILLION_LAUGHS = """slug: lol
title: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
modules: *i
"""


def test_billion_laughs_course_yml_is_an_error_with_file_and_line(tmp_path):
    course = copy_mini(tmp_path)
    (course / "course.yml").write_text(BILLION_LAUGHS, encoding="utf-8")
    started = time.process_time()
    errors = errors_of(course)
    assert time.process_time() - started < BUDGET
    assert errors == ["course.yml:2: error: invalid YAML: anchors (&name) and aliases (*name) are not allowed "
                      "in course files; write the value out"]


@pytest.mark.parametrize("text, line, words", [
    ("a: " + "[" * 100 + "]" * 100 + "\n", 1, "nested more than 32 levels"),
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", 1, "nest"),  # libyaml stops at 1000 levels itself
    ("a:\n" + "".join("  " * i + "- \n" for i in range(1, 60)), 33, "nested more than 32 levels"),
    ("a: 1\nb: *x\n", 2, "aliases"),
    ("a: &x 1\n", 1, "anchors"),
    ("a: " + "1" * 5000 + "\n", None, "digits"),
    ("a: [" + "1," * 60_000 + "]\n", 1, "more than 50000 values"),
])
def test_yaml_bounds_in_every_loader(tmp_path, text, line, words):
    started = time.process_time()
    # The course loader (course.yml, module.yml, quiz files, lesson front matter)
    course = copy_mini(tmp_path)
    (course / "01-dasar" / "module.yml").write_text(text, encoding="utf-8")
    errors = errors_of(course)
    assert len(errors) == 1 and words in errors[0], errors
    assert errors[0].startswith(f"01-dasar/module.yml:{line}: " if line else "01-dasar/module.yml: ")
    # The editor's round-trip readers and its outline
    assert words in yaml_problem(text)[1]
    with pytest.raises(structure.StructureError, match=words):
        questions.list_questions(text)
    with pytest.raises(structure.StructureError, match=words):
        structure._load({"course.yml": text.encode()}, "course.yml")
    assert structure.outline({"course.yml": text.encode()})[1] is not None
    assert structure.course_tests({"course.yml": text.encode()}) == []
    assert lessons.read_lesson("---\n" + text + "---\nTeks\n").title == ""
    assert time.process_time() - started < 3 * BUDGET


def test_safe_load_refuses_aliases():
    from lms.content.yamlines import YAMLError

    with pytest.raises(YAMLError, match="aliases"):
        safe_load(BILLION_LAUGHS)


def test_course_file_that_is_not_utf8_or_too_large_is_an_error(tmp_path):
    course = copy_mini(tmp_path)
    (course / "01-dasar" / "module.yml").write_bytes(b"slug: dasar\ntitle: Caf\xe9\n")
    assert errors_of(course) == ["01-dasar/module.yml:2: error: not valid UTF-8 text"]
    (course / "01-dasar" / "module.yml").write_text("# x\n" * 100_000, encoding="utf-8")
    assert errors_of(course) == ["01-dasar/module.yml: error: file is larger than 256 KB"]


def test_image_references_on_a_long_line_are_checked_in_linear_time(tmp_path):
    course = copy_mini(tmp_path)
    lesson = course / "01-dasar" / "02-lanjutan.md"
    text = lesson.read_text(encoding="utf-8")
    lesson.write_text(text + "\n" + "<img " * 20_000 + "\n", encoding="utf-8")
    started = time.process_time()
    errors = errors_of(course)
    assert time.process_time() - started < BUDGET
    assert len(errors) == 1 and "'<'" in errors[0]
