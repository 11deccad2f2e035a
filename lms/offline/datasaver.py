"""The data saver: on this device (a cookie), a lesson's images load only when tapped."""

from __future__ import annotations

import re
from html import escape, unescape

from flask import request
from flask_babel import gettext as _
from markupsafe import Markup

COOKIE = "lms_datasaver"
_IMG = re.compile(r"<img\b([^>]*)>")
_ATTR = re.compile(r'\b(src|alt)="([^"]*)"')


def data_saver_on() -> bool:
    """Whether this device asked for images on tap."""
    return request.cookies.get(COOKIE) == "1"


def lesson_body(html: str, saver: bool) -> Markup:
    """The lesson's sanitized HTML; with the data saver, each image becomes a link to it (the
    page's script shows it in place when tapped; without a script the link opens the image)."""
    if not saver:
        return Markup(html)
    label = _("Show image")

    def link(match: re.Match) -> str:
        attrs = dict(_ATTR.findall(match.group(1)))
        if "src" not in attrs:
            return match.group(0)
        alt = unescape(attrs.get("alt", ""))
        text = f"{label}: {alt}" if alt else label
        return (f'<a class="img-tap" href="{attrs["src"]}" data-alt="{escape(alt)}">'
                f'{escape(text)}</a>')

    return Markup(_IMG.sub(link, html))
