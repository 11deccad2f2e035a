"""Numbers in query strings, read one way: a clear 400 (or a clamped value) instead of a 500."""

from __future__ import annotations

import re

from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

_WHOLE = re.compile(r"[+-]?[0-9]{1,18}")


class BadParameter(BadRequest):
    """A query parameter out of range or not a number; detail says which, for the error page."""

    def __init__(self, detail: str) -> None:
        super().__init__(description=detail)
        self.detail = detail


def int_arg(name: str, default: int | None = None, *, low: int, high: int, clamp: bool = False) -> int | None:
    """The whole-number query parameter `name`: default when absent or empty. Outside low..high
    it is clamped (clamp=True, e.g. a page number past the end) or refused with 400, as is
    anything that is not a plain number (ASCII digits only, at most 18 of them)."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not _WHOLE.fullmatch(raw):
        if clamp and re.fullmatch(r"[+-]?[0-9]+", raw):  # too many digits: as far as it goes
            return low if raw.startswith("-") else high
        raise BadParameter(_("'%(name)s' must be a whole number from %(low)s to %(high)s.",
                             name=name, low=low, high=high))
    value = int(raw)
    if low <= value <= high:
        return value
    if clamp:
        return min(max(value, low), high)
    raise BadParameter(_("'%(name)s' must be a whole number from %(low)s to %(high)s.", name=name, low=low, high=high))


class IdConverter(IntegerConverter):
    """`<int:...>` in URLs, at most PostgreSQL's integer (2**31 - 1): a longer id is a 404, not a
    database error. Registered as the app's "int" converter."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - Werkzeug's name
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)
