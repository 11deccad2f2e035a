"""The PDF font stack of every document (certificates, action plans): DejaVu Sans embedded, with
fallback fonts for characters it lacks, and the house colours.

Speed: fpdf2 parses and subsets every font per document. We subset DejaVu Sans once per process
to the characters Indonesian names and texts use (Latin, Latin-1, Latin Extended-A,
punctuation), so a document embeds a ~25 KB font and renders in tens of milliseconds. A text
with any other character (Arabic, Cyrillic, emoji, ...) adds the full DejaVu Sans and the
configured fallback fonts (Symbola for emoji where installed) for that document only.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
import threading
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import TextMode

FONT_DIR = Path(__file__).parent / "fonts"
MAIN_FONT = FONT_DIR / "DejaVuSans.ttf"
# Fonts tried, in order, for characters DejaVu Sans lacks (only those that exist are used).
DEFAULT_FALLBACK_FONTS = [
    "/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansSymbols2-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
]
COMMON_CODEPOINTS = frozenset(
    list(range(0x20, 0x7F)) + list(range(0xA0, 0x180)) + list(range(0x2010, 0x2027))
    + [0x2030, 0x2039, 0x203A, 0x20AC, 0x2116, 0x2122]
)
BRAND = (11, 79, 138)
INK = (27, 31, 36)
MUTED = (74, 85, 96)

logging.getLogger("fpdf").setLevel(logging.ERROR)  # missing-glyph notices for exotic names
logging.getLogger("fontTools").setLevel(logging.ERROR)

_lock = threading.Lock()
_common_font_path: Path | None = None


def _common_font() -> Path:
    """DejaVu Sans cut down to COMMON_CODEPOINTS, made once per process (cached on disk)."""
    global _common_font_path
    with _lock:
        if _common_font_path is not None and _common_font_path.exists():
            return _common_font_path
        digest = hashlib.sha256(MAIN_FONT.read_bytes()).hexdigest()[:12]
        path = Path(tempfile.gettempdir()) / f"lms-dejavu-common-{digest}.ttf"
        if not path.exists():
            font = TTFont(MAIN_FONT)
            options = subset.Options()
            options.notdef_outline = True
            options.layout_features = []
            options.hinting = False
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=sorted(COMMON_CODEPOINTS))
            subsetter.subset(font)
            buffer = io.BytesIO()
            font.save(buffer)
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")  # per process and thread
            tmp.write_bytes(buffer.getvalue())
            tmp.replace(path)
        _common_font_path = path
        return path


def warm_up() -> None:
    """Prepare fonts ahead of the first certificate (for benchmarks and workers)."""
    _common_font()


def _needs_fallback(texts: list[str]) -> bool:
    return any(ord(ch) not in COMMON_CODEPOINTS for text in texts for ch in text if ch not in "\n\r\t")


def add_fonts(pdf: FPDF, family: str, texts: list[str], fallback_fonts: list[str] | None = None) -> None:
    """Add DejaVu Sans as `family`: the common subset, plus the full font and the fallback fonts
    when a text needs other characters (the certificate's stack; also the action plan's PDF)."""
    pdf.add_font(family, "", str(_common_font()))
    if _needs_fallback(texts):
        pdf.add_font(f"{family}Full", "", str(MAIN_FONT))
        names = [f"{family}Full"]
        for index, path in enumerate(fallback_fonts if fallback_fonts is not None else DEFAULT_FALLBACK_FONTS):
            if Path(path).is_file():
                pdf.add_font(f"Fallback{index}", "", path)
                names.append(f"Fallback{index}")
        pdf.set_fallback_fonts(names)


def bold(pdf: FPDF):
    """A context in which text is drawn bold (filled and stroked: DejaVu Sans has one weight here)."""
    return pdf.local_context(text_mode=TextMode.FILL_STROKE, line_width=0.25)
