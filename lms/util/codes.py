"""Random codes people read off paper or a phone and type back: certificate verification codes
and cohort enrolment keys draw from one alphabet."""

from __future__ import annotations

import secrets

# 32 characters (5 bits each), no 0/O and no 1/I: easy to type from paper. Every code issued so far
# was drawn from exactly these; they are looked up as stored, after normalization.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def random_code(length: int) -> str:
    """`length` characters drawn uniformly from CODE_ALPHABET (5 bits each)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
