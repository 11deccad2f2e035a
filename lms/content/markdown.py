"""Render lesson Markdown to sanitized HTML, once, at import time."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Callable

import markdown
import nh3
from html import unescape as html_unescape

# Bump when rendering or sanitizing changes, so the next import re-renders stored lessons.
RENDER_VERSION = "4"  # 3: download links to course files; 4: images get loading="lazy" and their width/height

EXTENSIONS = ["tables", "fenced_code", "admonition", "toc", "sane_lists", "md_in_html"]

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div",
    "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "s", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"title", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "h1": {"id"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
}
ALLOWED_CLASSES = {
    "div": {"admonition", "note", "tip", "warning", "example", "important", "danger"},
    "p": {"admonition-title"},
    "code": {f"language-{name}" for name in (
        "text", "python", "bash", "sh", "sql", "html", "css", "javascript", "json", "yaml",
        "csv", "markdown")},
    "a": {"headerlink"},
}
URL_SCHEMES = {"http", "https", "mailto"}
TABLE_OPEN = '<div class="table-scroll" tabindex="0" role="region" aria-label="Tabel"><table>'


DOWNLOAD_SUFFIXES = (".xlsx", ".docx", ".pdf")


def is_download(href: str) -> bool:
    """A relative link to a file of the course folder that lessons offer for download."""
    return (not re.match(r"^[a-z][a-z0-9+.-]*:|^/|^#", href, re.IGNORECASE)
            and href.lower().endswith(DOWNLOAD_SUFFIXES))


@dataclass
class Rendered:
    html: str
    toc: list[dict]  # [{"id", "name", "level"}] for h2/h3


def _flatten(tokens: list[dict], out: list[dict]) -> list[dict]:
    for token in tokens:
        if token["level"] in (2, 3):
            out.append({"id": token["id"], "name": token["name"], "level": token["level"]})
        _flatten(token.get("children", []), out)
    return out


def render_markdown(body: str, *, source_dir: str = "",
                    asset_url: Callable[[str], str] | None = None,
                    image_size: Callable[[str], tuple[int, int] | None] | None = None) -> Rendered:
    """Markdown to sanitized HTML plus a table of contents.

    source_dir is the lesson file's folder relative to the course folder; relative image
    paths are resolved against it and passed to asset_url to become served URLs. image_size
    gives an image's (width, height) in pixels from its path, when known: written on the <img>
    so that the page does not jump while it loads. Every image loads lazily.
    """
    sizes: dict[str, tuple[int, int]] = {}
    md = markdown.Markdown(
        extensions=EXTENSIONS,
        extension_configs={"toc": {"permalink": False, "toc_depth": "2-3"}},
        output_format="html",
    )
    html = md.convert(body)
    toc = _flatten(getattr(md, "toc_tokens", []), [])

    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        if tag == "img" and attr == "src":
            if re.match(r"^[a-z][a-z0-9+.-]*:|^/", value, re.IGNORECASE):
                return None  # only images from the course folder
            path = posixpath.normpath(posixpath.join(source_dir, value))
            if path.startswith("../") or asset_url is None:
                return None
            url = asset_url(path)
            size = image_size(path) if image_size else None
            if size:
                sizes[url] = size
            return url
        if tag == "a" and attr == "href" and asset_url is not None and is_download(value):
            # A template the course ships (files/x.xlsx): served like an image, as an attachment.
            path = posixpath.normpath(posixpath.join(source_dir, value))
            return None if path.startswith("../") else asset_url(path)
        return value

    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=attribute_filter,
        url_schemes=URL_SCHEMES,
        allowed_classes=ALLOWED_CLASSES,
        link_rel="noopener noreferrer",
    )
    # Wide tables scroll sideways on a phone; the scrolling box must be reachable by keyboard.
    clean = clean.replace("<table>", TABLE_OPEN).replace("</table>", "</table></div>")
    clean = _IMG.sub(lambda m: _lazy_image(m.group(0), sizes), clean)
    return Rendered(html=clean, toc=toc)


_IMG = re.compile(r"<img\b[^>]*>")
_SRC = re.compile(r'\ssrc="([^"]*)"')


def _lazy_image(tag: str, sizes: dict[str, tuple[int, int]]) -> str:
    """<img src=...> -> <img loading="lazy" width=.. height=.. src=...> (sanitized output only)."""
    extra = ' loading="lazy" decoding="async"'
    found = _SRC.search(tag)
    if found and " width=" not in tag and " height=" not in tag:
        size = sizes.get(html_unescape(found.group(1)))
        if size:
            extra += f' width="{size[0]}" height="{size[1]}"'
    return "<img" + extra + tag[4:]


_SVG_SIZE = re.compile(rb"<svg\b[^>]*?\swidth=[\"']([0-9.]+)(?:px)?[\"'][^>]*?\sheight=[\"']([0-9.]+)(?:px)?[\"']", re.S)


def image_size(asset) -> tuple[int, int] | None:
    """(width, height) in pixels of a course image (an AssetSpec: PNG, JPEG, GIF, WebP, or an
    SVG with numeric width and height), or None when it cannot be told cheaply."""
    if asset is None:
        return None
    if asset.content_type == "image/svg+xml":
        found = _SVG_SIZE.search(asset.data[:4096])
        return (round(float(found.group(1))), round(float(found.group(2)))) if found else None
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(asset.data)) as image:  # reads the header only
            return image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def sanitize_html(html: str) -> str:
    """Sanitize author-written HTML with the same rules as rendered Markdown."""
    return nh3.clean(
        html, tags=ALLOWED_TAGS, clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES, allowed_classes=ALLOWED_CLASSES,
        link_rel="noopener noreferrer",
        attribute_filter=lambda tag, attr, value: None if tag == "img" and attr == "src" and
        re.match(r"^[a-z][a-z0-9+.-]*:|^/", value, re.IGNORECASE) else value,
    )


def render_text(text: str, text_format: str = "markdown", *, inline: bool = False) -> str:
    """Render a short author text (question, option, feedback) to sanitized HTML.

    text_format: markdown (default), html, plain or moodle (Moodle's auto-format: plain text
    whose line breaks are kept). inline drops the paragraph around a one-paragraph result.
    """
    import html as html_lib

    if not text:
        return ""
    if text_format == "html":
        result = sanitize_html(text)
    elif text_format in ("plain", "moodle"):
        result = "<p>" + html_lib.escape(text).replace("\n", "<br>") + "</p>"
    else:
        result = render_markdown(text).html
    result = result.strip()
    if inline and result.startswith("<p>") and result.endswith("</p>") and result.count("<p>") == 1:
        result = result[3:-4]
    return result
