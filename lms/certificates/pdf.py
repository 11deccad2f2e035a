"""Certificate PDF: A4 landscape, DejaVu Sans embedded, a vector QR code to the verification page.

Speed: fpdf2 parses and subsets every font per document. We subset DejaVu Sans once per process
to the characters Indonesian names and texts use (Latin, Latin-1, Latin Extended-A,
punctuation), so a certificate embeds a ~25 KB font and renders in tens of milliseconds. A name
with any other character (Arabic, Cyrillic, emoji, ...) adds the full DejaVu Sans and the
configured fallback fonts (Symbola for emoji where installed) for that certificate only.
"""

from __future__ import annotations

import hashlib
import io
import logging
import tempfile
import threading
from datetime import date
from pathlib import Path
from typing import Any

import qrcode
from babel.dates import format_date
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
            tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
            tmp.write_bytes(buffer.getvalue())
            tmp.replace(path)
        _common_font_path = path
        return path


def warm_up() -> None:
    """Prepare fonts ahead of the first certificate (for benchmarks and workers)."""
    _common_font()


def indonesian_date(value: date) -> str:
    return format_date(value, format="d MMMM y", locale="id")


def date_range(start: date | None, end: date | None, locale: str = "id") -> str:
    """14–17 Juni 2021; 30 Juni – 2 Juli 2021; 30 Desember 2021 – 2 Januari 2022. In another
    language (the English verification page), Babel's interval: June 14 – 17, 2021."""
    if start is None and end is None:
        return ""
    if not str(locale).startswith("id"):
        from babel.dates import format_interval

        if start is None or end is None or start == end:
            return format_date(start or end, format="long", locale=locale)
        return format_interval(start, end, "yMMMMd", locale=locale)
    if start is None or end is None or start == end:
        return indonesian_date(start or end)
    if start.year == end.year and start.month == end.month:
        return f"{start.day}–{indonesian_date(end)}"
    if start.year == end.year:
        return f"{format_date(start, format='d MMMM', locale='id')} – {indonesian_date(end)}"
    return f"{indonesian_date(start)} – {indonesian_date(end)}"


def format_nip(nip: str) -> str:
    """18 digits written as on documents: 19680411 199303 1 009."""
    if len(nip) == 18 and nip.isdigit():
        return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"
    return nip


def format_score(value: float) -> str:
    """86.5 -> '86,5'; 90.0 -> '90' (Indonesian decimal comma, rounded half up)."""
    from decimal import ROUND_HALF_UP, Decimal

    rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


class CertificatePDF(FPDF):
    pass


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


def _fit_text(pdf: FPDF, text: str, max_width: float, size: float, min_size: float) -> float:
    """The largest font size (down to min_size) at which the text fits on one line."""
    while size > min_size:
        pdf.set_font_size(size)
        if pdf.get_string_width(text) <= max_width:
            return size
        size -= 1
    return min_size


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """Greedy word wrap by string width (much faster than fpdf2's general line breaker)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and pdf.get_string_width(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def _centered_lines(pdf: FPDF, x: float, y: float, width: float, line_height: float, text: str) -> float:
    """Write text centred in lines of the given width; returns the y below the last line."""
    for line in _wrap(pdf, text, width):
        pdf.set_xy(x, y)
        pdf.cell(width, line_height, line, align="C")
        y += line_height
    return y


def _bold(pdf: FPDF):
    return pdf.local_context(text_mode=TextMode.FILL_STROKE, line_width=0.25)


def _qr(pdf: FPDF, data: str, x: float, y: float, size: float) -> None:
    """The QR code as one vector path: a rectangle per run of dark modules in a row."""
    # A fixed mask skips scoring all eight masks (most of qrcode's time); any mask is valid.
    qr = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M, mask_pattern=4)
    qr.add_data(data)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    k = pdf.k  # points per mm
    cell = size / len(matrix)
    parts = ["q 0 g"]
    for row, values in enumerate(matrix):
        col = 0
        top = (pdf.h - (y + row * cell)) * k
        while col < len(values):
            if values[col]:
                start = col
                while col < len(values) and values[col]:
                    col += 1
                parts.append(f"{(x + start * cell) * k:.2f} {top:.2f} {(col - start) * cell * k + 0.05:.2f} "
                             f"{-cell * k - 0.05:.2f} re")
            else:
                col += 1
    parts.append("f Q")
    pdf._out("\n".join(parts))  # fpdf2's own way of writing page content


def render_certificate(snapshot: dict[str, Any], verify_url: str, *, issuer: str,
                       fallback_fonts: list[str] | None = None, status_note: str = "") -> bytes:
    """The certificate as PDF bytes. snapshot: the frozen data (see rules.make_snapshot)."""
    pdf = CertificatePDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_title(f"Sertifikat {snapshot['number']}")
    pdf.set_author(issuer)
    pdf.set_creator("Bimtek LMS")
    texts = [snapshot.get(k) or "" for k in ("name", "institution", "regency", "course_title", "place",
                                             "signatory_name", "signatory_title", "city")]
    add_fonts(pdf, "Cert", texts, fallback_fonts)
    pdf.add_page()
    width, height = 297.0, 210.0

    # Frame
    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(1.6)
    pdf.rect(8, 8, width - 16, height - 16)
    pdf.set_line_width(0.4)
    pdf.rect(12, 12, width - 24, height - 24)
    pdf.set_fill_color(*BRAND)
    pdf.rect(12, 12, width - 24, 3.5, style="F")

    content_w = 230.0
    left = (width - content_w) / 2
    pdf.set_text_color(*MUTED)
    pdf.set_font("Cert", size=11)
    pdf.set_xy(left, 24)
    pdf.cell(content_w, 6, issuer.upper(), align="C")

    pdf.set_text_color(*BRAND)
    pdf.set_draw_color(*BRAND)
    pdf.set_font("Cert", size=34)
    pdf.set_xy(left, 34)
    with _bold(pdf):
        pdf.set_char_spacing(3)
        pdf.cell(content_w, 15, "SERTIFIKAT", align="C")
        pdf.set_char_spacing(0)
    pdf.set_text_color(*INK)
    pdf.set_font("Cert", size=11)
    pdf.set_xy(left, 50)
    pdf.cell(content_w, 6, f"Nomor: {snapshot['number']}", align="C")

    pdf.set_xy(left, 62)
    pdf.set_font("Cert", size=12)
    pdf.cell(content_w, 6, "diberikan kepada", align="C")

    # The name: one line, shrunk to fit; two lines if it is very long.
    name = snapshot["name"]
    pdf.set_font("Cert", size=26)
    pdf.set_draw_color(*INK)
    size = _fit_text(pdf, name, content_w, 26, 16)
    y = 71
    with _bold(pdf):
        if pdf.get_string_width(name) <= content_w:
            pdf.set_xy(left, y)
            pdf.cell(content_w, 12, name, align="C")
            y += 13
        else:
            pdf.set_font_size(size)
            pdf.set_xy(left, y)
            pdf.multi_cell(content_w, 8, name, align="C", max_line_height=8)
            y = pdf.get_y() + 1
    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(0.3)
    pdf.line(left + 40, y, left + content_w - 40, y)
    y += 3
    pdf.set_font("Cert", size=11)
    pdf.set_text_color(*MUTED)
    details = []
    if snapshot.get("nip"):
        details.append(f"NIP. {format_nip(snapshot['nip'])}")
    where = ", ".join(part for part in (snapshot.get("institution"), snapshot.get("regency")) if part)
    if where:
        details.append(where)
    for line in details:
        _fit_text(pdf, line, content_w, 11, 8)
        pdf.set_xy(left, y)
        pdf.cell(content_w, 5.5, line, align="C")
        y += 5.5
    y += 4

    pdf.set_text_color(*INK)
    pdf.set_font("Cert", size=12.5)
    dates = date_range(date.fromisoformat(snapshot["starts_on"]) if snapshot.get("starts_on") else None,
                       date.fromisoformat(snapshot["ends_on"]) if snapshot.get("ends_on") else None)
    sentence = f"sebagai Peserta {snapshot['course_title']}"
    if dates:
        sentence += f" yang dilaksanakan pada {dates}"
    if snapshot.get("place"):
        sentence += f" di {snapshot['place']}"
    if snapshot.get("jp_hours"):
        jp = snapshot["jp_hours"]
        jp_text = str(int(jp)) if float(jp).is_integer() else str(jp).replace(".", ",")
        sentence += f", dengan jumlah {jp_text} jam pelajaran (JP)"
    sentence += "."
    if snapshot.get("score") is not None:
        sentence += f" Nilai akhir: {format_score(snapshot['score'])}."
    _centered_lines(pdf, left + 10, y, content_w - 20, 6.5, sentence)

    # Signature block (right) and verification (left), anchored to the bottom.
    base = 150.0
    sig_x, sig_w = 180.0, 95.0
    pdf.set_font("Cert", size=11)
    pdf.set_xy(sig_x, base)
    city = snapshot.get("city") or snapshot.get("place") or ""
    issued = indonesian_date(date.fromisoformat(snapshot["issued_on"]))
    pdf.cell(sig_w, 5.5, f"{city}, {issued}" if city else issued, align="C")
    _centered_lines(pdf, sig_x, base + 5.5, sig_w, 5.5, snapshot.get("signatory_title") or "")
    pdf.set_xy(sig_x, base + 27)
    pdf.set_draw_color(*INK)
    with _bold(pdf):
        pdf.cell(sig_w, 5.5, snapshot.get("signatory_name") or "", align="C")
    if snapshot.get("signatory_nip"):
        pdf.set_xy(sig_x, base + 32.5)
        pdf.cell(sig_w, 5.5, f"NIP. {format_nip(snapshot['signatory_nip'])}", align="C")

    _qr(pdf, verify_url, 24, base - 4, 32)
    pdf.set_font("Cert", size=8.5)
    pdf.set_text_color(*MUTED)
    y = base
    for line in ("Pindai kode QR atau buka alamat berikut", "untuk memeriksa keaslian sertifikat ini:"):
        pdf.set_xy(60, y)
        pdf.cell(95, 4.3, line)
        y += 4.3
    pdf.set_text_color(*BRAND)
    pdf.set_xy(60, y + 1)
    _fit_text(pdf, verify_url, 95, 8.5, 6)
    pdf.cell(95, 4.3, verify_url, link=verify_url)
    pdf.set_font_size(8.5)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(60, y + 6.3)
    pdf.cell(95, 4.3, f"Kode verifikasi: {snapshot['code']}")
    if status_note:
        pdf.set_text_color(160, 28, 28)
        pdf.set_font("Cert", size=28)
        pdf.set_xy(left, 100)
        pdf.cell(content_w, 12, status_note, align="C")
    return bytes(pdf.output())
