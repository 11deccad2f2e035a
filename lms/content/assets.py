"""Course images, checked the same way by the importer and the editor: size, type, pixels, and
SVG drawings against an allowlist of elements and attributes.

An SVG is parsed with defusedxml (no DTD, no entities, no external references) and every
element and attribute must be on the lists below: no scripts, no foreignObject, no event
handlers, no links out of the drawing (href only to '#id', or a raster image as a data: URL),
no `javascript:` however spelled, no SMIL animation of href or of event attributes.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError, ProcessingInstruction, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}
RASTER_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}
MAX_IMAGE_BYTES = 1024 * 1024
MAX_IMAGE_SIDE = 10_000  # pixels, width or height
MAX_IMAGE_PIXELS = 25_000_000  # width x height (a photo of 5000 x 5000)
MAX_SVG_ELEMENTS = 20_000

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"
# Drawing programs' own notes (Inkscape, Sodipodi, RDF licence metadata): browsers ignore them.
INERT = {
    "http://www.inkscape.org/namespaces/inkscape", "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://creativecommons.org/ns#",
    "http://purl.org/dc/elements/1.1/",
}

ELEMENTS = {
    "svg", "g", "defs", "symbol", "use", "title", "desc", "metadata", "switch", "style",
    "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "tspan", "textPath",
    "linearGradient", "radialGradient", "stop", "pattern", "clipPath", "mask", "marker", "image",
    "filter", "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite", "feConvolveMatrix",
    "feDiffuseLighting", "feDisplacementMap", "feDistantLight", "feDropShadow", "feFlood", "feFuncA",
    "feFuncB", "feFuncG", "feFuncR", "feGaussianBlur", "feMerge", "feMergeNode", "feMorphology",
    "feOffset", "fePointLight", "feSpecularLighting", "feSpotLight", "feTile", "feTurbulence",
    "animate", "animateMotion", "animateTransform", "set", "mpath",
}
ATTRIBUTES = {
    # core, accessibility
    "id", "class", "style", "lang", "role", "tabindex", "focusable", "aria-label", "aria-labelledby",
    "aria-describedby", "aria-hidden", "systemLanguage", "requiredExtensions", "requiredFeatures",
    # geometry and layout
    "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "fr", "width", "height", "d",
    "points", "pathLength", "transform", "viewBox", "preserveAspectRatio", "version", "baseProfile", "dx", "dy",
    "rotate", "textLength", "lengthAdjust", "startOffset", "method", "spacing", "side", "href",
    # painting
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin",
    "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "stroke-opacity", "opacity", "color", "display",
    "visibility", "overflow", "clip", "clip-path", "clip-rule", "clipPathUnits", "mask", "maskUnits",
    "maskContentUnits", "marker-start", "marker-mid", "marker-end", "markerWidth", "markerHeight", "markerUnits",
    "refX", "refY", "orient", "filter", "filterUnits", "primitiveUnits", "gradientUnits", "gradientTransform",
    "spreadMethod", "offset", "stop-color", "stop-opacity", "patternUnits", "patternContentUnits",
    "patternTransform", "vector-effect", "paint-order", "shape-rendering", "text-rendering", "image-rendering",
    "color-interpolation", "color-interpolation-filters", "color-rendering", "mix-blend-mode", "isolation",
    "enable-background", "solid-color", "solid-opacity",
    # text
    "font", "font-family", "font-size", "font-size-adjust", "font-weight", "font-style", "font-variant",
    "font-stretch", "text-anchor", "dominant-baseline", "alignment-baseline", "baseline-shift", "letter-spacing",
    "word-spacing", "text-decoration", "writing-mode", "direction", "unicode-bidi", "white-space", "line-height",
    "kerning",
    # filters
    "in", "in2", "result", "stdDeviation", "mode", "type", "values", "operator", "k1", "k2", "k3", "k4",
    "flood-color", "flood-opacity", "lighting-color", "radius", "baseFrequency", "numOctaves", "seed",
    "stitchTiles", "scale", "xChannelSelector", "yChannelSelector", "tableValues", "slope", "intercept",
    "amplitude", "exponent", "edgeMode", "order", "kernelMatrix", "divisor", "bias", "targetX", "targetY",
    "preserveAlpha", "surfaceScale", "diffuseConstant", "specularConstant", "specularExponent", "azimuth",
    "elevation", "z", "pointsAtX", "pointsAtY", "pointsAtZ", "limitingConeAngle", "kernelUnitLength",
    # animation (SMIL); attributeName is checked below
    "attributeName", "attributeType", "begin", "dur", "end", "min", "max", "restart", "repeatCount", "repeatDur",
    "calcMode", "keyTimes", "keySplines", "from", "to", "by", "additive", "accumulate", "path", "keyPoints",
}
XLINK_ATTRIBUTES = {"href", "title"}
XML_ATTRIBUTES = {"lang", "space"}
DATA_IMAGE_RE = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[a-z0-9+/=\s]*$", re.IGNORECASE)
URL_RE = re.compile(r"url\(\s*([\"']?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]+")
DANGEROUS = ("javascript:", "vbscript:", "livescript:", "data:text/html", "data:application", "data:image/svg",
             "expression(", "@import", "-moz-binding", "behavior:", "<script", "<!entity")


@dataclass(frozen=True)
class ImageProblem:
    """Why an image is refused. kind: size | type | not_image | pixels | svg; message in English."""

    kind: str
    message: str


def _squeezed(value: str) -> str:
    """The value as a browser's URL or CSS parser may read it: without whitespace and control
    characters (which they skip inside a scheme), lower case."""
    return _INVISIBLE.sub("", value).lower()


def _local(name: str) -> tuple[str | None, str]:
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return None, name


def _css_problem(css: str) -> str | None:
    if "\\" in css:  # CSS escapes spell words the checks below would not see
        return "CSS escapes (\\) are not allowed"
    squeezed = _squeezed(css)
    for word in DANGEROUS:
        if word in squeezed:
            return f"'{word}' is not allowed"
    for match in URL_RE.finditer(squeezed):
        if not match.group(2).startswith("#"):
            return "url() may only point inside the drawing (url(#id))"
    return None


class _Builder(TreeBuilder):
    """Counts processing instructions anywhere, also before the root (which ElementTree drops)."""

    instructions = 0

    def pi(self, target, text=None):
        self.instructions += 1
        return super().pi(target, text)


def svg_problem(data: bytes) -> str | None:
    """Why an SVG is not a static, self-contained drawing (English, names the element and
    attribute), or None."""
    builder = _Builder(insert_pis=True)
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as exc:
        return f"a DTD, entities or external references are not allowed ({type(exc).__name__})"
    except ParseError as exc:
        return f"not well-formed XML ({exc})"
    except (ValueError, LookupError) as exc:
        return f"not readable as XML ({exc})"
    if builder.instructions:
        return "processing instructions (<?...?>) are not allowed"
    namespace, local = _local(root.tag) if isinstance(root.tag, str) else (None, "")
    if namespace != SVG or local != "svg":
        return "the drawing must start with <svg xmlns=\"http://www.w3.org/2000/svg\">"
    count = 0
    for element in root.iter():
        count += 1
        if count > MAX_SVG_ELEMENTS:
            return f"more than {MAX_SVG_ELEMENTS} elements"
        if element.tag is ProcessingInstruction:
            return "processing instructions (<?...?>) are not allowed"
        if not isinstance(element.tag, str):
            continue
        namespace, local = _local(element.tag)
        inert = namespace in INERT
        if not inert and (namespace != SVG or local not in ELEMENTS):
            return f"element <{local}> is not allowed"
        if local == "style" and not inert:
            problem = _css_problem("".join(element.itertext()))
            if problem:
                return f"<style>: {problem}"
        for name, value in element.attrib.items():
            problem = _attribute_problem(local, inert, name, value)
            if problem:
                return problem
    return None


def _attribute_problem(local: str, inert: bool, name: str, value: str) -> str | None:
    """Why an attribute of an element (local name; inert: in a namespace browsers do not run) is not
    allowed, or None."""
    attr_ns, attr = _local(name)
    squeezed = _squeezed(value)
    for word in DANGEROUS:
        if word in squeezed:
            return f"<{local} {attr}>: '{word}' is not allowed"
    if attr.lower().startswith("on"):
        return f"<{local} {attr}>: event handlers are not allowed"
    if inert or attr_ns in INERT:
        return None
    if attr_ns == XLINK:
        allowed = attr in XLINK_ATTRIBUTES
    elif attr_ns == XML:
        allowed = attr in XML_ATTRIBUTES
    elif attr_ns is None:
        allowed = attr in ATTRIBUTES or attr.startswith("data-")
    else:
        allowed = False
    if not allowed:
        return f"<{local} {attr}>: attribute not allowed"
    if attr == "href":
        if not (squeezed.startswith("#") or (local == "image" and DATA_IMAGE_RE.match(value.strip()))):
            return f"<{local} href>: links may only point inside the drawing (#id)"
    elif attr == "attributeName":
        target = squeezed.rpartition(":")[2]
        if target == "href" or target.startswith("on") or target == "style":
            return f"<{local} attributeName=\"{value}\">: animating links, styles or event attributes is not allowed"
    elif attr == "style" or "url(" in squeezed:
        problem = _css_problem(value)
        if problem:
            return f"<{local} {attr}>: {problem}"
    return None


def image_problem(data: bytes, suffix: str, max_bytes: int = MAX_IMAGE_BYTES) -> ImageProblem | None:
    """Why these bytes are not an acceptable course image with this file suffix, or None.
    max_bytes: a larger limit for photos that are re-encoded smaller (activity photos)."""
    suffix = suffix.lower()
    if len(data) > max_bytes:
        return ImageProblem("size", f"the image is {len(data) // 1024} KB; the limit is {max_bytes // 1024} KB")
    if suffix not in IMAGE_TYPES:
        return ImageProblem("type", f"unsupported type (allowed: {', '.join(sorted(IMAGE_TYPES))})")
    if suffix == ".svg":
        problem = svg_problem(data)
        return ImageProblem("svg", f"SVG images must be static drawings: {problem}") if problem else None
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
                if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS:
                    return ImageProblem("pixels", f"the image is {width} x {height} pixels; the limit is "
                                                  f"{MAX_IMAGE_SIDE} pixels a side and {MAX_IMAGE_PIXELS // 1_000_000} "
                                                  "million pixels")
                image.verify()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        return ImageProblem("pixels", "the image has too many pixels")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        return ImageProblem("not_image", "not a readable image")
    if kind != RASTER_FORMATS[suffix]:
        return ImageProblem("not_image", f"the file is {kind or 'unknown'}, not {RASTER_FORMATS[suffix]}")
    return None
