"""One checker for course images (importer and editor): SVG allowlist with the known bypasses,
raster size and pixel bounds."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from lms.content.assets import MAX_IMAGE_SIDE, image_problem, svg_problem
from tests.conftest import ROOT
from tests.content.test_loader import copy_mini, errors_of

NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'


def svg(body: str, attrs: str = "") -> bytes:
    return f'<svg {NS} viewBox="0 0 10 10"{attrs}>{body}</svg>'.encode()


BYPASSES = {
    "script element": svg("<script>alert(1)</script>"),
    "script in CDATA": svg("<script><![CDATA[alert(1)]]></script>"),
    "script in another namespace": svg('<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>'),
    "foreignObject": svg('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>'),
    "event handler": svg('<rect width="1" height="1" onclick="alert(1)"/>'),
    "event handler on root": svg("", ' onload="alert(1)"'),
    "event handler mixed case": svg('<rect OnMouseOver="alert(1)"/>'),
    "javascript href": svg('<a href="javascript:alert(1)"><rect/></a>'),
    "javascript xlink:href on use": svg('<use xlink:href="javascript:alert(1)"/>'),
    "entity-encoded javascript": svg('<use href="&#106;avascript:alert(1)"/>'),
    "hex entity javascript": svg('<use href="&#x6A;&#x61;vascript:alert(1)"/>'),
    "tab inside scheme": svg('<use href="java&#9;script:alert(1)"/>'),
    "newline and case": svg('<use href=" JaVa&#10;ScRiPt:alert(1)"/>'),
    "control character": svg('<use href="java\x01script:alert(1)"/>'.replace("\x01", "&#x1;")),
    "set href": svg('<a><set attributeName="href" to="javascript:alert(1)"/><rect/></a>'),
    "animate xlink:href": svg('<use><animate attributeName="xlink:href" values="#a;#b"/></use>'),
    "animate href with spaces and case": svg('<use><animate attributeName=" HREF " values="#a"/></use>'),
    "set an event attribute": svg('<rect><set attributeName="onclick" to="alert(1)"/></rect>'),
    "external use": svg('<use href="https://evil.example/x.svg#a"/>'),
    "external image": svg('<image href="https://evil.example/track.png"/>'),
    "svg inside a data URL": svg('<image href="data:image/svg+xml;base64,PHN2Zz4="/>'),
    "html data URL": svg('<image href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;"/>'),
    "external url() in fill": svg('<rect fill="url(https://evil.example/x.svg#g)"/>'),
    "css import": svg('<style>@import url(https://evil.example/x.css);</style>'),
    "css url in style attribute": svg('<rect style="fill: url( \'https://evil.example/p\' )"/>'),
    "css javascript url": svg('<style>rect { background: url(javascript:alert(1)) }</style>'),
    "css escape": svg('<rect style="background:u\\72l(https://evil.example)"/>'),
    "DTD with entities": b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaa">]>' + svg("<text>&a;</text>"),
    "billion laughs": b'<!DOCTYPE l [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                      b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>' + svg("<text>&c;</text>"),
    "external entity": b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + svg("<text>&x;</text>"),
    "processing instruction": b'<?xml-stylesheet href="https://evil.example/x.css"?>' + svg("<rect/>"),
    "xml:base": svg('<use xml:base="https://evil.example/" href="#a"/>'),
    "unknown attribute namespace": svg('<rect xmlns:e="urn:e" e:onclick="x"/>'),
    "iframe": svg('<iframe src="https://evil.example"/>'),
    "feImage": svg('<filter><feImage href="https://evil.example/x.png"/></filter>'),
    "not svg at all": b"<html><script>alert(1)</script></html>",
    "svg without namespace": b'<svg viewBox="0 0 1 1"><rect/></svg>',
    "not xml": b"<svg " + b"a" * 100,
}


@pytest.mark.parametrize("name", sorted(BYPASSES))
def test_svg_bypasses_are_refused(name):
    assert svg_problem(BYPASSES[name]) is not None, name


def test_static_drawings_pass_including_the_real_course_and_drawing_program_files():
    for path in sorted((ROOT / "courses").rglob("*.svg")):
        assert svg_problem(path.read_bytes()) is None, path
    inkscape = (b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<!-- Created with Inkscape -->\n'
                b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
                b'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" '
                b'xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" width="10" height="10" '
                b'inkscape:version="1.3" sodipodi:docname="x.svg">'
                b'<sodipodi:namedview id="nv" inkscape:zoom="1"/>'
                b'<defs><linearGradient id="g"><stop offset="0" style="stop-color:#fff"/></linearGradient></defs>'
                b'<g inkscape:label="Layer 1" inkscape:groupmode="layer"><rect fill="url(#g)" width="5" height="5"/>'
                b'<use xlink:href="#g"/><text x="1" y="1" xml:space="preserve">Teks <tspan>javascript</tspan></text>'
                b'<image href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/>'
                b'<animateTransform attributeName="transform" type="rotate" from="0" to="360" dur="2s"/>'
                b'</g></svg>')
    assert svg_problem(inkscape) is None


def test_a_huge_svg_is_refused_quickly():
    started = time.process_time()
    assert "elements" in svg_problem(svg("<g/>" * 60_000))
    deep = svg("<g>" * 20_000 + "</g>" * 20_000)
    svg_problem(deep)  # expat and ElementTree do not recurse: refused or accepted, but quickly
    assert time.process_time() - started < 2.0


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def test_raster_images_are_bounded_by_size_and_pixels():
    assert image_problem(png(20, 20), ".png") is None
    huge = png(MAX_IMAGE_SIDE + 1, 10)
    assert len(huge) < 10_000 and image_problem(huge, ".png").kind == "pixels"
    bomb = png(9_000, 9_000)  # 81 million pixels of one colour: a few kilobytes
    assert len(bomb) < 100_000 and image_problem(bomb, ".png").kind == "pixels"
    assert image_problem(png(20, 20), ".jpg").kind == "not_image"  # a PNG called .jpg
    assert image_problem(b"GIF89a nope", ".gif").kind == "not_image"
    assert image_problem(b"\0" * (1024 * 1024 + 1), ".png").kind == "size"


def test_the_importer_refuses_what_the_editor_refuses(tmp_path):
    course = copy_mini(tmp_path)
    image = course / "01-dasar" / "images" / "diagram.svg"
    for name in ("javascript xlink:href on use", "set href", "entity-encoded javascript"):
        image.write_bytes(BYPASSES[name])
        errors = errors_of(course)
        assert len(errors) == 1 and "SVG images must be static drawings" in errors[0], (name, errors)
        assert errors[0].startswith("01-dasar/01-pengantar.md:")
    image.unlink()
    big = course / "01-dasar" / "images" / "besar.png"
    big.write_bytes(png(9_000, 9_000))
    lesson = course / "01-dasar" / "02-lanjutan.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\n![besar](images/besar.png)\n", encoding="utf-8")
    assert any("pixels" in e and e.startswith("01-dasar/02-lanjutan.md:") for e in errors_of(course))
