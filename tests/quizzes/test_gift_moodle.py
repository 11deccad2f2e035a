"""GIFT as Moodle's importer reads it (question/format/gift): matching distractors, the '*'
catch-all in short-answer and numeric questions, [id:] and [tag:] comments, category context
prefixes, per-answer formats; and the writer puts each of them back."""

from __future__ import annotations

import dataclasses
import json

from sqlalchemy import select

from lms.content.models import Course
from lms.extensions import db
from lms.quizzes.gift import parse_gift, write_gift
from lms.quizzes.models import Question
from lms.quizzes.spec import QuestionSpec
from lms.quizzes.types import QUESTION_TYPES, option_id
from tests.conftest import DATA

MOODLE_GIFT = (DATA / "moodle" / "ekspor-moodle.gift").read_text(encoding="utf-8")


def essence(questions: list[QuestionSpec]) -> list[dict]:
    """Everything a question is made of, without where it was read."""
    return [{k: v for k, v in dataclasses.asdict(q).items() if k not in ("line", "key_lines")} for q in questions]


def by_key(text: str) -> dict[str, QuestionSpec]:
    result = parse_gift(text, "bank.gift")
    assert [str(p) for p in result.problems] == []
    return {q.key: q for q in result.questions}


def prepared(q: QuestionSpec) -> dict:
    return QUESTION_TYPES[q.qtype].prepare(q.data, q.text_format)


def test_a_moodle_export_is_read_whole():
    qs = by_key(MOODLE_GIFT)
    assert list(qs) == ["tiga-strategi", "jodoh-uu", "isian-kegiatan", "jp", "benar-salah", "uraian"]
    assert [q.qtype for q in qs.values()] == ["single", "matching", "short", "numeric", "truefalse", "essay"]


def test_categories_lose_their_context_prefix():
    qs = by_key(MOODLE_GIFT)
    assert qs["tiga-strategi"].category == "Default for Bimtek SPP-TIK/Modul 1"
    assert qs["jp"].category == "Bank Bersama"
    assert qs["uraian"].category == "Kuis Modul 1"
    plain = by_key("$CATEGORY: Bimtek/Modul 2\n\n::a::Soal {T}\n\n$CATEGORY: $course$/top\n\n::b::Soal {F}")
    assert plain["a"].category == "Bimtek/Modul 2" and plain["b"].category == ""


def test_idnumber_and_tags_come_from_the_comment_lines():
    qs = by_key(MOODLE_GIFT)
    assert (qs["tiga-strategi"].idnumber, qs["tiga-strategi"].tags) == ("TPBIS-01", ["modul-1", "tpbis"])
    assert (qs["jodoh-uu"].idnumber, qs["jodoh-uu"].tags) == ("TPBIS-02]a", ["dasar hukum"])
    assert (qs["isian-kegiatan"].idnumber, qs["isian-kegiatan"].tags) == ("", ["modul-1"])
    assert qs["jp"].idnumber == "" and qs["jp"].tags == []
    # A comment block apart from the question (blank line between) is not the question's.
    apart = by_key("// [tag:lepas]\n\n::c::Soal {T}")
    assert apart["c"].tags == []


def test_matching_distractors_are_extra_choices():
    q = by_key(MOODLE_GIFT)["jodoh-uu"]
    assert q.data["pairs"] == [{"left": "<p>UU 43/2007</p>", "right": "Perpustakaan"},
                               {"left": "<p>UU 6/2014</p>", "right": "Desa"},
                               {"left": "", "right": "Koperasi"}, {"left": "", "right": "Pemilihan umum"}]
    matching = QUESTION_TYPES["matching"]
    data = prepared(q)
    import random

    layout = matching.layout(data, random.Random(1), False)
    public = matching.public(data, layout)
    assert len(public["items"]) == 2  # the distractors are no items ...
    assert sorted(c["text"] for c in public["choices"]) == ["Desa", "Koperasi", "Pemilihan umum", "Perpustakaan"]
    items = {p["left"]: p["id"] for p in data["pairs"] if p["left"]}
    right = {"<p>UU 43/2007</p>": option_id("right:Perpustakaan"), "<p>UU 6/2014</p>": option_id("right:Desa")}
    assert matching.grade(data, {items[k]: v for k, v in right.items()}) == 1.0
    half = {items["<p>UU 43/2007</p>"]: option_id("right:Koperasi"), items["<p>UU 6/2014</p>"]: right["<p>UU 6/2014</p>"]}
    assert matching.grade(data, half) == 0.5
    assert len(matching.correct(data)) == 2
    # ... and the form cannot name a distractor as an item.
    form = {f"q1-{items['<p>UU 6/2014</p>']}": option_id("right:Desa")}
    assert matching.parse(data, layout, form, "q1") == {items["<p>UU 6/2014</p>"]: option_id("right:Desa")}


def test_matching_still_needs_two_real_pairs():
    result = parse_gift("::m::Jodohkan {=a -> 1 = -> 2 = -> 3}", "m.gift")
    assert [str(p) for p in result.problems] == ["m.gift:1: error: a matching question needs at least two pairs"]


def test_catch_all_short_answer_is_graded_and_its_feedback_shown():
    q = by_key(MOODLE_GIFT)["isian-kegiatan"]
    assert q.data["answers"][2] == {"text": "*", "fraction": 0.0, "feedback": "Jawaban lain: baca lagi materi 1."}
    short, data = QUESTION_TYPES["short"], prepared(q)
    assert short.grade(data, "Kegiatan") == 1.0 and short.feedback(data, "Kegiatan") == ["<p>Tepat.</p>"]
    # 'keg*an' is Moodle's wildcard: any characters in place of the star.
    assert short.grade(data, "kegiatan-kegiatan") == 0.5
    assert short.feedback(data, "kegiatan-kegiatan") == ["<p>Hampir: kegiatan.</p>"]
    assert short.grade(data, "pameran") == 0.0
    assert short.feedback(data, "pameran") == ["<p>Jawaban lain: baca lagi materi 1.</p>"]
    assert short.correct(data) == ["kegiatan"]


def test_catch_all_numeric_answer_is_graded_and_its_feedback_shown():
    q = by_key(MOODLE_GIFT)["jp"]
    assert q.data["answers"][2] == {"value": "*", "tolerance": 0.0, "fraction": 0.0,
                                    "feedback": "<p>Hitung lagi: 4 × 8 JP.</p>", "feedback_format": "html"}
    numeric, data = QUESTION_TYPES["numeric"], prepared(q)
    assert numeric.grade(data, "32") == 1.0 and numeric.feedback(data, "32") == ["<p>Tepat.</p>"]
    assert numeric.grade(data, "33,5") == 0.5
    assert numeric.grade(data, "40") == 0.0
    assert numeric.feedback(data, "40") == ["<p>Hitung lagi: 4 × 8 JP.</p>"]
    assert numeric.correct(data) == ["32"]
    # A catch-all that gives credit is graded as written, after the exact answers.
    generous = by_key("::n::Angka? {#=10 =%30%*#Ada usaha}")["n"]
    assert numeric.grade(prepared(generous), "7") == 0.3 and numeric.grade(prepared(generous), "10") == 1.0


def test_answer_and_feedback_formats_are_kept_and_rendered():
    qs = by_key(MOODLE_GIFT)
    options = qs["tiga-strategi"].data["options"]
    assert options[0] == {"text": "<p>Layanan informasi, pelibatan masyarakat, advokasi</p>", "fraction": 1.0,
                          "feedback": "Benar: ketiganya.", "feedback_format": "plain"}
    assert options[2] == {"text": "Koleksi, gedung, staf", "fraction": 0.0, "feedback": "Itu **sarana**, bukan strategi.",
                          "format": "plain", "feedback_format": "markdown"}
    data = prepared(qs["tiga-strategi"])
    assert data["options"][2]["feedback_html"] == "<p>Itu <strong>sarana</strong>, bukan strategi.</p>"
    tf = qs["benar-salah"]
    assert tf.text_format == "markdown"
    assert tf.data == {"answer": True, "feedback_true": "<p>Tepat.</p>", "feedback_false": "Keliru, lihat Pasal 20.",
                       "feedback_true_format": "html", "feedback_false_format": "plain"}
    essay = qs["uraian"]
    assert (essay.general_feedback, essay.feedback_format) == ("Dinilai fasilitator.", "plain")
    # Feedback in plain text shows as text, not as markup.
    plain = by_key("::p::[html]Soal{=ya#[plain]<b>tebal</b> ~tidak}")["p"]
    assert prepared(plain)["options"][0]["feedback_html"] == "<p>&lt;b&gt;tebal&lt;/b&gt;</p>"


def test_writer_puts_everything_back():
    first = parse_gift(MOODLE_GIFT, "bank.gift").questions
    written = write_gift(first)
    assert "// [id:TPBIS-01] [tag:modul-1] [tag:tpbis]\n::tiga-strategi::" in written
    assert "[id:TPBIS-02\\]a]" in written
    assert "$CATEGORY: $course$/top/Default for Bimtek SPP-TIK/Modul 1" in written
    assert "\t= -> Koperasi" in written
    assert "=%0%*#Jawaban lain\\: baca lagi materi 1." in written
    again = parse_gift(written, "again.gift")
    assert [str(p) for p in again.problems] == []
    assert essence(again.questions) == essence(first)
    assert write_gift(again.questions) == written


def test_import_stores_tags_and_idnumber_and_export_gives_the_same_bank(app, courses):
    from lms.quizzes.cli import bank_specs
    from lms.quizzes.sync import get_or_create_bank, sync_bank

    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "mini-q"))
        bank, _ = get_or_create_bank(course, "Moodle")
        first = parse_gift(MOODLE_GIFT, "bank.gift").questions
        sync_bank(bank, first, archive_missing=False)
        db.session.commit()
        stored = db.session.scalar(select(Question).where(Question.bank_id == bank.id, Question.key == "tiga-strategi"))
        assert (stored.idnumber, json.loads(stored.tags_json)) == ("TPBIS-01", ["modul-1", "tpbis"])
        essay = db.session.scalar(select(Question).where(Question.bank_id == bank.id, Question.key == "uraian"))
        assert essay.general_feedback_html == "<p>Dinilai fasilitator.</p>"
        exported = bank_specs(bank)
        assert essence(exported) == essence(first)
        assert sync_bank(bank, parse_gift(write_gift(exported)).questions)["unchanged"] == [q.key for q in first]


def test_round_trip_through_a_course_quiz_file():
    """GIFT -> our quiz YAML -> GIFT keeps distractors, catch-alls, id, tags and formats."""
    from lms.content.problems import Problems
    from lms.content.yamlines import dump, load_mapping
    from lms.quizzes.spec import question_to_yaml, quiz_from_yaml

    first = parse_gift(MOODLE_GIFT, "bank.gift").questions
    text = dump({"slug": "k", "title": "K", "questions": [question_to_yaml(q) for q in first]})
    problems = Problems()
    quiz = quiz_from_yaml(load_mapping(text, "k.yml", problems), "k.yml", "module", problems)
    assert [str(p) for p in problems] == []
    assert essence(quiz.questions) == essence(first)
    assert write_gift(quiz.questions) == write_gift(first)


def test_a_quiz_file_with_an_unknown_answer_format_names_its_line():
    from lms.content.problems import Problems
    from lms.content.yamlines import load_mapping
    from lms.quizzes.spec import quiz_from_yaml

    text = ("slug: k\ntitle: K\nquestions:\n  - id: a\n    type: single\n    text: Pilih\n    options:\n"
            "      - {text: ya, correct: true, format: wiki}\n      - tidak\n")
    problems = Problems()
    quiz_from_yaml(load_mapping(text, "k.yml", problems), "k.yml", "module", problems)
    assert [str(p) for p in problems] == ["k.yml:4: error: unknown text format 'wiki' (known: markdown, html, plain, moodle)"]
