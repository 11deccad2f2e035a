"""A cohort's time zone when the organizer leaves it to us: from the province its place is in."""

from __future__ import annotations

import re

from lms.accounts.regions import match_regency, provinces, simplify
from lms.util.timezones import WIB, zone_for_province


def province_of(*texts: str | None) -> str | None:
    """The province a cohort's place, city or name points to ("Banjarmasin" -> "63",
    "Bimtek Kalimantan Selatan 2026" -> "63"), or None when nothing matches."""
    for text in texts:
        wanted = f" {simplify(text or '')} "
        if not wanted.strip():
            continue
        for code, name in provinces().items():  # a province named anywhere in the text
            if f" {simplify(name)} " in wanted:
                return code
        for part in re.split(r"[,;/()]", text or ""):  # "Aula Dinas, Banjarmasin" -> each part
            found = match_regency(part)
            if found.code:
                return found.province_code
    return None


def default_zone(*texts: str | None, fallback: str = WIB) -> str:
    """The IANA zone for a cohort from its place, city and name; the fallback if none is known."""
    province = province_of(*texts)
    return zone_for_province(province, fallback) if province else fallback
