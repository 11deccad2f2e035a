"""Indonesia's three time zones: the IANA names we store and the abbreviations people read."""

from __future__ import annotations

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"

# The zones a cohort can be in, with the abbreviation printed after every time (both languages).
ZONES: dict[str, str] = {WIB: "WIB", WITA: "WITA", WIT: "WIT"}
# IANA names that mean the same zone (Kalimantan Barat and Tengah use Asia/Pontianak).
ABBREVIATIONS: dict[str, str] = {**ZONES, "Asia/Pontianak": "WIB"}

# Kemendagri province code -> zone (Keppres 41/1987).
PROVINCE_ZONES: dict[str, str] = {
    **{code: WIB for code in ("11", "12", "13", "14", "15", "16", "17", "18", "19", "21",  # Sumatera
                              "31", "32", "33", "34", "35", "36",  # Jawa
                              "61", "62")},  # Kalimantan Barat, Tengah
    **{code: WITA for code in ("51", "52", "53",  # Bali, Nusa Tenggara
                               "63", "64", "65",  # Kalimantan Selatan, Timur, Utara
                               "71", "72", "73", "74", "75", "76")},  # Sulawesi, Gorontalo
    **{code: WIT for code in ("81", "82", "91", "92", "93", "94", "95", "96")},  # Maluku, Papua
}


def zone_for_province(code: str | None, default: str = WIB) -> str:
    """The IANA zone of a province ("63" -> "Asia/Makassar"), or the default."""
    return PROVINCE_ZONES.get((code or "")[:2], default)


def abbreviation(zone: str) -> str:
    """'Asia/Makassar' -> 'WITA'; another zone keeps its IANA name ('UTC')."""
    return ABBREVIATIONS.get(zone, zone)
