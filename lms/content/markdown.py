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

# Bounds on what one text may ask of the renderer. Python-Markdown scans forward from every
# '[' and '](' to find its end (quadratic in unclosed brackets) and recurses for nested quotes,
# lists, HTML elements and emphasis; texts beyond these bounds are refused before rendering.
MAX_MARKDOWN_CHARS = 100 * 1024
MAX_NESTING = 16  # quotes/lists inside each other, HTML elements, brackets
MAX_EMPHASIS_OPEN = 48  # '*' and '_' opened and not yet closed in one paragraph
MAX_EMPHASIS_RUNS = 10_000  # runs of '*' or '_' in the whole text
MAX_TABLE_COLUMNS = 128  # '|' on one line
MAX_BRACKET_WORK = 400_000  # characters the link and HTML parsers would scan for all brackets together
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


class MarkdownError(ValueError):
    """A text the renderer refuses: too large or too deeply nested. line is 1-based in the text."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line
        self.message = message


_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CONTAINER_RE = re.compile(r"[ \t]*(?:>|[-*+](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$))")
_RULE_RE = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")  # a horizontal rule such as "* * * *"
_LIST_ITEM_RE = re.compile(r"([ \t]*)(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]{0,30})\b[^<>]{0,2000}?(/?)>")
_VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_EMPHASIS_RE = re.compile(r"\*+|_+")


def lines_outside_code(text: str):
    """(line number, line, in_code) for each line; in_code is True for a fenced code block's lines,
    its opening and its closing fence (closed, as Python-Markdown does, by a fence of the same
    character at least as long). The one fence rule of the loader's and the bounds' checks."""
    fence = None
    for number, line in enumerate(text.split("\n"), start=1):
        opened = _FENCE_RE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            yield number, line, True
            continue
        if opened:
            fence = opened.group(1)
        yield number, line, bool(opened)


def _blocks(text: str):
    """(first line number, lines) of each paragraph-like block outside fenced code."""
    block: list[str] = []
    start = 1
    for number, line, in_code in lines_outside_code(text):
        if in_code or not line.strip():
            if block:
                yield start, block
            block, start = [], number + 1
            continue
        if not block:
            start = number
        block.append(line)
    if block:
        yield start, block


def _bracket_work(text: str) -> tuple[int, int]:
    """(characters the link parser scans, deepest '[' nesting) for one block.

    Each '[' is scanned to its ']' (or the end of the block when unclosed); each '](' to its
    ')', or, once a quote opens inside it, to the first matching quote followed by ')' (or the
    end). Linear: the closing positions are found in one pass each.
    """
    end = len(text)
    close_paren = [-1] * end
    next_quote = [end] * (end + 1)
    quote_close = {c: [end] * (end + 1) for c in "'\""}  # next position of the quote then ')'
    stack: list[int] = []
    escaped = False
    for i, c in enumerate(text):
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif c == "(":
            stack.append(i)
        elif c == ")" and stack:
            close_paren[stack.pop()] = i
    for c, positions in quote_close.items():  # positions[i]: end of the nearest `" )` starting after i
        starts = {m.start(): m.end() for m in re.finditer(re.escape(c) + r" *\)", text)}
        nearest = end
        for i in range(end - 1, -1, -1):
            positions[i] = nearest
            nearest = starts.get(i, nearest)
    for i in range(end - 1, -1, -1):
        next_quote[i] = i if text[i] in "'\"" else next_quote[i + 1]
    work = deepest = 0
    stack = []
    escaped = False
    for i, c in enumerate(text):
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif c == "[":
            stack.append(i)
            deepest = max(deepest, len(stack))
        elif c == "]" and stack:
            work += i - stack.pop()
            if i + 1 < end and text[i + 1] == "(":
                close, quote = close_paren[i + 1], next_quote[i + 1]
                if close != -1 and quote > close:
                    work += close - i
                elif quote < end:
                    work += quote_close[text[quote]][quote] - i
                else:
                    work += end - i
    work += sum(end - i for i in stack)
    return work, deepest


def _tag_work(text: str) -> int:
    """Characters the HTML parser scans from each '<' that may open a tag to the next '>'."""
    work = 0
    next_gt = len(text)
    for i in range(len(text) - 1, -1, -1):
        c = text[i]
        if c == ">":
            next_gt = i
        elif c == "<" and i + 1 < len(text) and (text[i + 1].isalpha() or text[i + 1] in "/!?"):
            work += next_gt - i
    return work


def _emphasis_depth(text: str) -> int:
    """The most '*'/'_' delimiters opened and not yet closed at any point of a block."""
    depth = deepest = 0
    for match in _EMPHASIS_RE.finditer(text):
        before = text[match.start() - 1] if match.start() else " "
        after = text[match.end()] if match.end() < len(text) else " "
        opens = not after.isspace() and (before.isspace() or not before.isalnum())
        closes = not before.isspace() and (after.isspace() or not after.isalnum())
        size = len(match.group())
        if opens and not closes:
            depth += size
            deepest = max(deepest, depth)
        elif closes and not opens:
            depth = max(0, depth - size)
    return deepest


def check_markdown(text: str) -> MarkdownError | None:
    """Why the renderer would refuse this text (size, nesting, brackets), or None. Linear time."""
    if len(text) > MAX_MARKDOWN_CHARS:
        return MarkdownError(None, f"the text is longer than {MAX_MARKDOWN_CHARS // 1024} KB")
    for number, line, in_code in lines_outside_code(text):
        if in_code:
            continue
        if line.count("|") - line.count("\\|") > MAX_TABLE_COLUMNS:
            return MarkdownError(number, f"more than {MAX_TABLE_COLUMNS} '|' on one line (table columns)")
        if _RULE_RE.match(line):
            continue
        depth, pos = 0, 0
        while depth <= MAX_NESTING and (marker := _CONTAINER_RE.match(line, pos)):
            depth, pos = depth + 1, marker.end()
        item = _LIST_ITEM_RE.match(line)
        if item:
            depth += len(item.group(1).expandtabs(4)) // 4
        if depth > MAX_NESTING:
            return MarkdownError(number, f"quotes (>) and lists are nested more than {MAX_NESTING} deep")
    depth = 0
    for number, line in enumerate(text.split("\n"), start=1):
        for tag in _TAG_RE.finditer(line):
            closing, name, self_closing = tag.groups()
            if name.lower() in _VOID_TAGS or self_closing:
                continue
            depth = max(0, depth - 1) if closing else depth + 1
            if depth > MAX_NESTING:
                return MarkdownError(number, f"HTML elements are nested more than {MAX_NESTING} deep")
    if sum(1 for _ in _EMPHASIS_RE.finditer(text)) > MAX_EMPHASIS_RUNS:
        return MarkdownError(None, f"more than {MAX_EMPHASIS_RUNS} runs of '*' or '_' (emphasis) in one text")
    if _tag_work(text) > MAX_BRACKET_WORK:
        return MarkdownError(None, "too many '<' that do not close with '>': write &lt; for a '<' that is just text")
    work = 0
    for start, lines in _blocks(text):
        block = "\n".join(lines)
        block_work, deepest = _bracket_work(block)
        if deepest > MAX_NESTING:
            return MarkdownError(start, f"brackets '[' are nested more than {MAX_NESTING} deep in this paragraph")
        work += block_work
        if work > MAX_BRACKET_WORK:
            return MarkdownError(start, "too many unclosed '[' or '](' brackets (from this paragraph on): close "
                                        "them, or write \\[ for a bracket that is just text")
        if _emphasis_depth(block) > MAX_EMPHASIS_OPEN:
            return MarkdownError(start, f"more than {MAX_EMPHASIS_OPEN} '*' or '_' are opened and not closed "
                                        "in this paragraph: close them, or write \\* for a star that is just text")
    return None


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
    Raises MarkdownError for a text beyond the bounds (check_markdown), before any rendering.
    """
    problem = check_markdown(body)
    if problem is not None:
        raise problem
    sizes: dict[str, tuple[int, int]] = {}
    md = markdown.Markdown(
        extensions=EXTENSIONS,
        extension_configs={"toc": {"permalink": False, "toc_depth": "2-3"}},
        output_format="html",
    )
    try:
        html = md.convert(body)
    except RecursionError:
        raise MarkdownError(None, "the text is nested too deeply to be shown") from None
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
