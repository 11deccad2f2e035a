"""Moodle XML as Moodle 4.x exports it: every supported type, what is refused and where, errors
with lines and nothing imported, and a round trip through our bank back to the same questions."""

from __future__ import annotations

import dataclasses
import json
import shutil

from sqlalchemy import select

from lms.extensions import db
from lms.quizzes.models import Question, QuestionBank
from lms.quizzes.moodlexml import parse_moodle_xml, write_moodle_xml
from lms.quizzes.types import QUESTION_TYPES, option_id
from tests.conftest import DATA

EXPORT = DATA / "moodle" / "ekspor-moodle.xml"


def essence(questions):
    return [{k: v for k, v in dataclasses.asdict(q).items() if k not in ("line", "key_lines")} for q in questions]


def parsed():
    result = parse_moodle_xml(EXPORT.read_bytes(), "ekspor-moodle.xml")
    assert not result.problems.has_errors, [str(p) for p in result.problems]
    return result


def wrap(questions: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n{questions}</quiz>\n'.encode()


def test_every_supported_type_is_read():
    qs = {q.key: q for q in parsed().questions}
    assert {k: q.qtype for k, q in qs.items()} == {
        "tiga-strategi": "single", "mitra-desa": "multiple", "perpustakaan-umum": "truefalse",
        "isian-kegiatan": "short", "jp-empat-hari": "numeric", "luas-ruang": "numeric", "jodoh-uu": "matching",
        "rencana": "essay", "pengantar": "description"}
    single = qs["tiga-strategi"]
    assert single.text_format == "html" and single.stem == "<p>Apa <strong>tiga</strong> strategi TPBIS?</p>"
    assert single.general_feedback == "<p>Lihat materi 2.</p>"
    assert [o["fraction"] for o in single.data["options"]] == [1.0, 0.25, 0.0]
    assert single.data["options"][1]["feedback_format"] == "plain"
    assert single.data["options"][2]["text"] == "<p>Koleksi, gedung &amp; staf</p>"
    assert (single.idnumber, single.tags, single.category) == ("TPBIS-01", ["modul-1", "tpbis"],
                                                               "Default for Bimtek SPP-TIK/Modul 1")
    assert qs["mitra-desa"].mark == 2.0
    assert [round(o["fraction"], 7) for o in qs["mitra-desa"].data["options"]] == [0.3333333] * 3 + [-1.0]
    tf = qs["perpustakaan-umum"]
    assert tf.penalty == 1.0 and tf.text_format == "moodle"
    assert tf.data == {"answer": True, "feedback_true": "Tepat.", "feedback_false":
                       "<p>Keliru, lihat <em>Pasal 20</em>.</p>", "feedback_false_format": "html"}
    assert qs["isian-kegiatan"].category == "Default for Bimtek SPP-TIK/Modul 2"
    assert qs["jp-empat-hari"].data["answers"][1] == {"value": 32.0, "tolerance": 2.0, "fraction": 0.5,
                                                      "feedback": "Hampir."}
    assert qs["jodoh-uu"].data["pairs"][2] == {"left": "", "right": "Koperasi"}
    essay = qs["rencana"]
    assert (essay.mark, essay.penalty, essay.general_feedback, essay.feedback_format) == (
        5.0, 0.0, "Dinilai fasilitator.", "plain")
    assert qs["pengantar"].text_format == "markdown" and qs["pengantar"].mark == 0.0


def test_what_is_left_out_is_reported_with_its_line():
    warnings = [str(p) for p in parsed().problems]
    assert "ekspor-moodle.xml:88: warning: question 'mitra-desa': <correctfeedback> is not shown here; left out" \
        in warnings
    assert ("ekspor-moodle.xml:268: warning: question 'luas-ruang': units (m²) are left out; answers are graded "
            "as plain numbers") in warnings
    assert len(warnings) == 4


def test_fractions_and_catch_alls_grade_as_in_moodle():
    qs = {q.key: q for q in parsed().questions}
    multiple = qs["mitra-desa"]
    data = QUESTION_TYPES["multiple"].prepare(multiple.data, multiple.text_format)
    three = [option_id(t) for t in ("PKK", "Karang Taruna", "BUMDes")]
    assert QUESTION_TYPES["multiple"].grade(data, three) == 1.0
    assert QUESTION_TYPES["multiple"].grade(data, three + [option_id("Tidak ada")]) == 0.0
    short = qs["isian-kegiatan"]
    data = QUESTION_TYPES["short"].prepare(short.data, short.text_format)
    assert QUESTION_TYPES["short"].grade(data, "Aktivitas") == 0.5
    assert QUESTION_TYPES["short"].feedback(data, "buku") == ["<p>Baca lagi materi 1.</p>"]
    numeric = qs["jp-empat-hari"]
    data = QUESTION_TYPES["numeric"].prepare(numeric.data, numeric.text_format)
    assert QUESTION_TYPES["numeric"].feedback(data, "24") == ["Hitung lagi: 4 × 8 JP."]


def test_round_trip_gives_the_same_questions():
    first = parsed().questions
    written = write_moodle_xml(first)
    again = parse_moodle_xml(written, "ditulis.xml")
    assert [str(p) for p in again.problems] == []
    assert essence(again.questions) == essence(first)
    assert write_moodle_xml(again.questions) == written
    assert '<answer fraction="33.33333" format="html">' in written
    assert "<tags>\n      <tag><text>modul-1</text>" in written
    assert "<text>$course$/top/Default for Bimtek SPP-TIK/Modul 2</text>" in written


def test_unsupported_types_are_refused_with_name_and_line():
    xml = wrap('  <question type="multichoice">\n    <name><text>baik</text></name>\n'
               '    <questiontext format="html"><text>Pilih</text></questiontext>\n'
               '    <answer fraction="100"><text>a</text></answer><answer fraction="0"><text>b</text></answer>\n'
               '  </question>\n'
               '  <question type="cloze">\n    <name><text>isian-rumpang</text></name>\n'
               '    <questiontext format="html"><text>{1:SHORTANSWER:=ya}</text></questiontext>\n  </question>\n'
               '  <question type="calculated">\n    <name><text>hitung</text></name>\n  </question>\n'
               '  <question type="ddwtos">\n    <name><text>seret</text></name>\n  </question>\n')
    result = parse_moodle_xml(xml, "lain.xml")
    assert [str(p) for p in result.problems] == [
        "lain.xml:8: error: question 'isian-rumpang': Moodle's cloze (embedded answers) questions are not "
        "supported (supported: multichoice, truefalse, shortanswer, numerical, matching, essay, description)",
        "lain.xml:12: error: question 'hitung': Moodle's calculated questions are not supported (supported: "
        "multichoice, truefalse, shortanswer, numerical, matching, essay, description)",
        "lain.xml:15: error: question 'seret': Moodle's drag and drop into text questions are not supported "
        "(supported: multichoice, truefalse, shortanswer, numerical, matching, essay, description)"]


def test_bad_questions_and_bad_xml_name_their_lines():
    xml = wrap('  <question type="multichoice">\n    <name><text>tanpa-kunci</text></name>\n'
               '    <questiontext format="html"><text>Pilih</text></questiontext>\n'
               '    <answer fraction="50"><text>a</text></answer>\n'
               '    <answer fraction="abc"><text>b</text></answer>\n  </question>\n'
               '  <question type="numerical">\n    <name><text>angka</text></name>\n'
               '    <questiontext format="wiki"><text>Berapa?</text></questiontext>\n'
               '    <answer fraction="100"><text>tiga puluh</text><tolerance>0</tolerance></answer>\n  </question>\n')
    assert [str(p) for p in parse_moodle_xml(xml, "b.xml").problems] == [
        "b.xml:7: error: fraction 'abc' must be a percentage from -100 to 100",
        "b.xml:3: error: a single-choice question needs one fully correct option",
        "b.xml:11: error: unknown text format 'wiki' (known: html, moodle_auto_format, plain_text, markdown)",
        "b.xml:12: error: question 'angka': answer 'tiga puluh' is not a number"]
    broken = parse_moodle_xml(b'<?xml version="1.0"?>\n<quiz>\n  <question type="essay">\n</quiz>\n', "r.xml")
    assert [str(p) for p in broken.problems] == ["r.xml:4: error: not well-formed XML: mismatched tag"]
    other = parse_moodle_xml(b"<questions/>", "o.xml")
    assert [str(p) for p in other.problems] == ["o.xml:1: error: the root element is <questions>, not Moodle's <quiz>"]


def test_entities_and_dtds_are_refused():
    laughs = (b'<?xml version="1.0"?>\n<!DOCTYPE quiz [\n <!ENTITY a "aaaaaaaaaa">\n <!ENTITY b "&a;&a;&a;&a;">\n]>\n'
              b"<quiz><question type=\"essay\"><name><text>&b;</text></name></question></quiz>")
    result = parse_moodle_xml(laughs, "bom.xml")
    assert result.questions == [] and result.problems.has_errors
    assert "refused" in str(result.problems[0]) and str(result.problems[0]).startswith("bom.xml:2: error:")
    external = parse_moodle_xml(b'<?xml version="1.0"?>\n<!DOCTYPE quiz SYSTEM "http://example.test/x.dtd">\n<quiz/>',
                                "ext.xml")
    assert external.problems.has_errors and external.questions == []


def test_size_is_bounded():
    from lms.quizzes import moodlexml

    big = b" " * (moodlexml.MAX_XML_BYTES + 1)
    assert [str(p) for p in parse_moodle_xml(big, "besar.xml").problems] == [
        "besar.xml: error: the file is larger than 10 MB"]


def test_cli_import_and_export_round_trip_through_the_bank(app, runner, courses, tmp_path):
    result = runner.invoke(args=["quizzes", "import-xml", str(EXPORT), "--course", "mini-q", "--bank", "Moodle"])
    assert result.exit_code == 0, result.output
    assert "9 added" in result.output
    assert "units (m²) are left out" in result.output  # warnings are shown, and do not stop the import
    with app.app_context():
        bank = db.session.scalar(select(QuestionBank).where(QuestionBank.name == "Moodle"))
        stored = db.session.scalar(select(Question).where(Question.bank_id == bank.id, Question.key == "tiga-strategi"))
        assert (stored.idnumber, json.loads(stored.tags_json), stored.penalty) == ("TPBIS-01", ["modul-1", "tpbis"],
                                                                                    0.3333333)
        essay = db.session.scalar(select(Question).where(Question.bank_id == bank.id, Question.key == "rencana"))
        assert essay.general_feedback_html == "<p>Dinilai fasilitator.</p>"
    exported = tmp_path / "keluar.xml"
    result = runner.invoke(args=["quizzes", "export-xml", "--course", "mini-q", "--bank", "Moodle", "-o", str(exported)])
    assert result.exit_code == 0, result.output
    assert essence(parse_moodle_xml(exported.read_bytes()).questions) == essence(parsed().questions)
    again = runner.invoke(args=["quizzes", "import-xml", str(exported), "--course", "mini-q", "--bank", "Moodle"])
    assert "0 added, 0 changed, 9 unchanged" in again.output, again.output
    # The same bank as GIFT keeps everything GIFT can say.
    gift = runner.invoke(args=["quizzes", "export-gift", "--course", "mini-q", "--bank", "Moodle"])
    assert "// [id:TPBIS-01] [tag:modul-1] [tag:tpbis]" in gift.output and "= -> Koperasi" in gift.output


def test_a_file_with_one_bad_question_imports_nothing(app, runner, courses, tmp_path):
    source = tmp_path / "campur.xml"
    text = EXPORT.read_text(encoding="utf-8").replace('<question type="essay">', '<question type="multianswer">')
    source.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["quizzes", "import-xml", str(source), "--course", "mini-q", "--bank", "Campur"])
    assert result.exit_code == 1
    assert f"{source}:326: error: question 'rencana': Moodle's cloze (embedded answers) questions" in result.output
    assert "1 error(s): nothing was imported." in result.output
    with app.app_context():
        assert db.session.scalar(select(QuestionBank).where(QuestionBank.name == "Campur")) is None


def test_a_course_quiz_draws_from_a_moodle_xml_file(app, runner, courses, tmp_path):
    course = tmp_path / "mini-q"
    shutil.copytree(DATA / "courses" / "mini-q", course)
    shutil.copy(EXPORT, course / "01-modul" / "soal.xml")
    (course / "01-modul" / "kuis.yml").write_text(
        "slug: kuis-modul\ntitle: Kuis dari Moodle\ngift: soal.xml\ncategory: Default for Bimtek SPP-TIK/Modul 1\n")
    result = runner.invoke(args=["courses", "import", str(course)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from lms.quizzes.attempts import quiz_questions
        from lms.quizzes.models import Quiz

        quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "kuis-modul"))
        assert sorted(q.key for q in quiz_questions(quiz)) == ["mitra-desa", "perpustakaan-umum", "tiga-strategi"]
    (course / "01-modul" / "soal.xml").write_text("<quiz>\n<question type=\"random\"><name><text>acak</text>"
                                                 "</name></question>\n</quiz>\n", encoding="utf-8")
    result = runner.invoke(args=["courses", "import", str(course)])
    assert result.exit_code != 0
    assert "01-modul/soal.xml:2: error: question 'acak': Moodle's random questions are not supported" in result.output


def test_the_examples_in_the_docs_are_read_as_they_say():
    import re

    from lms.quizzes.gift import parse_gift

    doc = (DATA.parent.parent / "docs" / "question-formats.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```(\w*)\n(.*?)^```$", doc, re.S | re.M)
    xml = next(text for lang, text in blocks if lang == "xml")
    result = parse_moodle_xml(xml, "doc.xml")
    assert [str(p) for p in result.problems] == [] and write_moodle_xml(result.questions) == xml
    for lang, block in blocks:
        if not lang and "{" in block and not block.startswith("soal.xml"):
            gift = parse_gift(block, "doc.gift")
            assert [str(p) for p in gift.problems] == [] and gift.questions, block


def test_round_trip_through_a_course_quiz_file_gives_the_same_questions():
    """Moodle XML -> our quiz YAML (questions: in a quiz file) -> Moodle XML."""
    from lms.content.yamlines import dump, load_mapping
    from lms.content.problems import Problems
    from lms.quizzes.spec import question_to_yaml, quiz_from_yaml

    first = parsed().questions
    text = dump({"slug": "kuis-moodle", "title": "Kuis dari Moodle",
                 "questions": [question_to_yaml(q) for q in first]})
    assert "value: '*'" in text and "idnumber: TPBIS-01" in text and "weight: 33.33333" in text
    problems = Problems()
    quiz = quiz_from_yaml(load_mapping(text, "kuis.yml", problems), "kuis.yml", "module", problems)
    assert [str(p) for p in problems] == []
    assert essence(quiz.questions) == essence(first)
    assert write_moodle_xml(quiz.questions) == write_moodle_xml(first)
