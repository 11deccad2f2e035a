"""Moodle GIFT and Aiken: every type, errors with line numbers, a round trip back to GIFT."""

from __future__ import annotations

from lms.quizzes.gift import parse_aiken, parse_gift, write_gift

BANK = r"""// A Moodle bank with every question type
$CATEGORY: $course$/Bimtek/Modul 1

::tiga-strategi::[markdown]Apa **tiga** strategi TPBIS?{
  =Layanan informasi, pelibatan masyarakat, advokasi#Benar\: ketiganya.
  ~%25%Layanan informasi saja#Baru sebagian.
  ~Koleksi, gedung, staf#Itu sarana.
  ####Lihat materi 2.
}

::umum::Perpustakaan desa termasuk perpustakaan umum.{TRUE#Keliru: lihat Pasal 20#Tepat}

::isian::Perpustakaan adalah pusat {=kegiatan =%50%acara#Kurang tepat} masyarakat.

::jp::Berapa JP Bimtek empat hari? {#=32:0#Tepat =%50%30..34#Hampir ~#Hitung lagi}

::rentang::Angka 1 sampai 5? {#1..5}

::jodoh::Jodohkan.{
  =UU 43/2007 -> Perpustakaan
  =UU 6/2014 -> Desa
  =PP 24/2014 -> Pelaksanaan UU Perpustakaan
}

$CATEGORY: $course$/Bimtek/Modul 2

::banyak::Mana mitra desa?{
  ~%50%PKK#Ya
  ~%50%Karang Taruna#Ya
  ~%-100%Tidak ada#Keliru
}

::uraian::[html]<p>Tuliskan rencana Anda.</p>{}

Keterangan bagian ini memakai kurung \{ dan \} serta tanda \= dan \~ dan \#.

::baris::Baris satu\nbaris dua{T}
"""


def test_every_type_is_read():
    result = parse_gift(BANK, "bank.gift")
    assert [str(p) for p in result.problems] == []
    by_key = {q.key: q for q in result.questions}
    assert [q.qtype for q in result.questions] == [
        "single", "truefalse", "short", "numeric", "numeric", "matching", "multiple", "essay", "description", "truefalse"]
    q = by_key["tiga-strategi"]
    assert q.text_format == "markdown" and q.stem == "Apa **tiga** strategi TPBIS?"
    assert q.category == "Bimtek/Modul 1"  # the context prefix is stripped, as Moodle does
    assert [o["fraction"] for o in q.data["options"]] == [1.0, 0.25, 0.0]
    assert q.data["options"][0]["feedback"] == "Benar: ketiganya."
    assert q.general_feedback == "Lihat materi 2."
    tf = by_key["umum"].data
    assert tf == {"answer": True, "feedback_true": "Tepat", "feedback_false": "Keliru: lihat Pasal 20"}
    short = by_key["isian"]
    assert short.stem == "Perpustakaan adalah pusat _____ masyarakat."
    assert short.data["answers"][1] == {"text": "acara", "fraction": 0.5, "feedback": "Kurang tepat"}
    jp = by_key["jp"].data
    assert jp["answers"] == [{"value": 32.0, "tolerance": 0.0, "fraction": 1.0, "feedback": "Tepat"},
                             {"value": 32.0, "tolerance": 2.0, "fraction": 0.5, "feedback": "Hampir"}]
    assert jp["wrong_feedback"] == "Hitung lagi"
    assert by_key["rentang"].data["answers"][0]["value"] == 3.0
    assert by_key["jodoh"].data["pairs"][2] == {"left": "PP 24/2014", "right": "Pelaksanaan UU Perpustakaan"}
    assert by_key["banyak"].category == "Bimtek/Modul 2"
    assert by_key["uraian"].text_format == "html"
    description = next(q for q in result.questions if q.qtype == "description")
    assert description.stem == "Keterangan bagian ini memakai kurung { dan } serta tanda = dan ~ dan #."
    assert by_key["baris"].stem == "Baris satu\nbaris dua"


def test_round_trip_gives_equivalent_questions():
    first = parse_gift(BANK).questions
    again = parse_gift(write_gift(first))
    assert [str(p) for p in again.problems] == []

    def essence(qs):
        return [(q.key, q.qtype, q.stem, q.data, q.general_feedback, q.category, q.text_format) for q in qs]

    assert essence(again.questions) == essence(first)


def test_errors_name_their_lines_and_nothing_is_kept():
    text = ("::ok::Baik {=ya ~tidak}\n\n"
            "::kurung::Tanpa tutup {=a ~b\n\n"
            "::bobot::Bobot salah {~%abc%a ~b}\n\n"
            "::pilihan::Tunggal tanpa jawaban benar {~a ~b}\n\n"
            "::jodoh::Jodoh {=a -> 1 =b}\n\n"
            "::angka::Angka {#tiga}\n")
    result = parse_gift(text, "buruk.gift")
    assert [str(p) for p in result.problems] == [
        "buruk.gift:3: error: unbalanced braces: an answer block needs both '{' and '}' (write \\{ or \\} for a literal brace)",
        "buruk.gift:5: error: bad weight in '~%abc%a': write %50% or %-25%",
        "buruk.gift:7: error: a multiple-response question needs at least one correct option",
        "buruk.gift:9: error: matching answer 'b' has no '->'",
        "buruk.gift:11: error: numeric answer 'tiga' is not a number, number:tolerance or min..max",
    ]


def test_multiple_response_weights_must_add_up():
    result = parse_gift("Pilih {~%50%a ~%40%b ~c}", "w.gift")
    assert "add up to 90.0%, not 100%" in str(result.problems[0])


def test_aiken():
    text = ("Apa singkatan TPBIS?\nA. Transformasi Perpustakaan Berbasis Inklusi Sosial\n"
            "B) Taman Perpustakaan\nANSWER: A\n\nSoal rusak\nA. satu\nB. dua\nANSWER: C\n")
    result = parse_aiken(text, "a.txt")
    assert [str(p) for p in result.problems] == ["a.txt:9: error: ANSWER C is not one of the options A, B"]
    assert result.questions[0].data["options"][0]["fraction"] == 1.0
