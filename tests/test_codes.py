"""Certificate codes and enrolment keys come from one alphabet (lms.util.codes)."""

from lms.certificates.rules import format_code, new_code, normalize_code
from lms.cohorts.operations import new_enrolment_key, normalize_key
from lms.util.codes import CODE_ALPHABET, random_code


def test_one_alphabet_without_look_alikes():
    assert len(CODE_ALPHABET) == len(set(CODE_ALPHABET)) == 32
    assert not set("01IO") & set(CODE_ALPHABET)


def test_certificate_codes_and_enrolment_keys_draw_from_it():
    for _ in range(50):
        code, key = new_code(), new_enrolment_key()
        assert len(code) == 16 and set(code) <= set(CODE_ALPHABET)
        assert len(key) == 10 and set(key) <= set(CODE_ALPHABET)
        # As typed back: grouped or lower case, with spaces.
        assert normalize_code(format_code(code).lower()) == code
        assert normalize_key(f" {key[:5].lower()} {key[5:]} ") == key
    assert len(random_code(7)) == 7
