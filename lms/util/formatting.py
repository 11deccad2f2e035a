"""Numbers, percentages, dates and times as people read them: Babel's formats in the page
language, times in the cohort's zone followed by its abbreviation (WIB, WITA, WIT).

One place for every template (the Jinja filters `number`, `percent`, `local_datetime`,
`local_date`, `local_time`, registered by `register`), the exports and the certificates.
"""

from __future__ import annotations

from datetime import date, datetime, timezone as dt_timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_decimal, format_percent

from lms.util.timezones import abbreviation


def babel_locale(locale: str | Locale | None = None) -> Locale:
    """The given locale, else the page's, else the default (outside requests)."""
    if locale is not None:
        return locale if isinstance(locale, Locale) else Locale.parse(locale)
    from flask_babel import get_locale

    return get_locale() or Locale.parse(_default_locale())


def _default_locale() -> str:
    from flask import current_app

    return current_app.config.get("BABEL_DEFAULT_LOCALE", "id") if current_app else "id"


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Jakarta")


def format_number(value: float | int | None, digits: int = 2, locale: str | Locale | None = None) -> str:
    """6.75 -> '6,75' (id) / '6.75' (en); at most `digits` decimals, none when whole ('8')."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "#" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=babel_locale(locale))


def format_percentage(value: float | int | None, digits: int = 1, locale: str | Locale | None = None) -> str:
    """A percentage given as 0-100: 84.44 -> '84,4%' (id) / '84.4%' (en), Babel's pattern."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "#" * digits if digits > 0 else "") + "%"
    return format_percent(value / 100, format=pattern, locale=babel_locale(locale))


def to_zone(value: datetime, zone: str) -> datetime:
    """An aware (or UTC-naive) datetime in the given IANA zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt_timezone.utc)
    return value.astimezone(_zone(zone))


def format_local_datetime(value: datetime | None, style: str = "medium", zone: str | None = None,
                          time_style: str = "short", locale: str | Locale | None = None) -> str:
    """'5 Mar 2026 09.30 WITA' (id) / 'Mar 5, 2026, 9:30 AM WITA' (en): date in the given style,
    hours and minutes (time_style "medium": with seconds), and the zone's abbreviation."""
    if value is None:
        return "–"
    zone = zone or page_timezone()
    loc = babel_locale(locale)
    local = to_zone(value, zone)
    combined = get_datetime_format(style, locale=loc).format(
        format_time(local, time_style, locale=loc), format_date(local, style, locale=loc))
    return f"{combined} {abbreviation(zone)}"


def format_local_time(value: datetime | None, zone: str | None = None, locale: str | Locale | None = None) -> str:
    """'09.30 WITA' (id) / '9:30 AM WITA' (en)."""
    if value is None:
        return "–"
    zone = zone or page_timezone()
    return f"{format_time(to_zone(value, zone), 'short', locale=babel_locale(locale))} {abbreviation(zone)}"


def format_local_date(value: date | datetime | None, style: str = "long", zone: str | None = None,
                      locale: str | Locale | None = None) -> str:
    """'5 Maret 2026' (id) / 'March 5, 2026' (en); a datetime is first put in the zone, so the
    date is the one its people saw on their calendar."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = to_zone(value, zone or page_timezone()).date()
    return format_date(value, style, locale=babel_locale(locale))


def page_timezone() -> str:
    """The IANA zone for times on this page: the cohort the URL names, else the cohort of the
    course the URL names that the user is in, else the user's latest cohort (as a trainee, then
    as staff), else the configured default (BABEL_DEFAULT_TIMEZONE). Outside a request: the default.
    Looked up once per request."""
    from flask import current_app, g, has_request_context, request

    default = current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta")
    if not has_request_context():
        return default
    cached = g.get("lms_timezone")
    if cached:
        return cached
    request_zone = current_app.extensions.get("lms.request_zone")  # lms.cohorts.timezones.request_zone
    zone = (request_zone(request.view_args or {}) if request_zone else None) or default
    g.lms_timezone = zone
    return zone


def use_timezone(zone: str | None) -> None:
    """A view that knows its page's cohort (not named in the URL) says so."""
    from flask import g

    if zone:
        g.lms_timezone = zone


def register(app) -> None:
    """The Jinja filters and globals; Flask-Babel's own date filters follow the same zone."""
    app.jinja_env.filters.update({
        "number": format_number,
        "percent": format_percentage,
        "local_datetime": format_local_datetime,
        "local_date": format_local_date,
        "local_time": format_local_time,
    })
    app.jinja_env.globals.update(page_timezone=page_timezone, zone_abbreviation=abbreviation)
