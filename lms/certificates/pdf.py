"""Certificate PDF: A4 landscape, DejaVu Sans embedded (the font stack: lms.util.pdf), a vector
QR code to the verification page."""

from __future__ import annotations

from datetime import date
from typing import Any

import qrcode
from babel.dates import format_date
from fpdf import FPDF

from lms.util.pdf import BRAND, INK, MUTED, add_fonts, bold


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


def _qr(pdf: FPDF, data: str, x: float, y: float, size: float) -> None:
    """The QR code as vector rectangles (fpdf2's public rect): one per run of dark modules in a row,
    a hair wider and taller than the modules, so no seam shows between neighbours."""
    # A fixed mask skips scoring all eight masks (most of qrcode's time); any mask is valid.
    qr = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M, mask_pattern=4)
    qr.add_data(data)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    cell = size / len(matrix)
    overlap = 0.05 / pdf.k  # 0.05 pt in mm
    with pdf.local_context(fill_color=(0, 0, 0)):
        for row, values in enumerate(matrix):
            col = 0
            while col < len(values):
                if not values[col]:
                    col += 1
                    continue
                start = col
                while col < len(values) and values[col]:
                    col += 1
                pdf.rect(x + start * cell, y + row * cell, (col - start) * cell + overlap, cell + overlap, style="F")


WIDTH, HEIGHT = 297.0, 210.0
CONTENT_W = 230.0
LEFT = (WIDTH - CONTENT_W) / 2
BASE = 150.0  # the top of the signature and verification blocks


def _new_document(snapshot: dict[str, Any], issuer: str, fallback_fonts: list[str] | None) -> FPDF:
    """An A4 landscape page with the document's metadata and fonts."""
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
    return pdf


def _frame(pdf: FPDF) -> None:
    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(1.6)
    pdf.rect(8, 8, WIDTH - 16, HEIGHT - 16)
    pdf.set_line_width(0.4)
    pdf.rect(12, 12, WIDTH - 24, HEIGHT - 24)
    pdf.set_fill_color(*BRAND)
    pdf.rect(12, 12, WIDTH - 24, 3.5, style="F")


def _title(pdf: FPDF, snapshot: dict[str, Any], issuer: str) -> None:
    """The issuer, SERTIFIKAT, the number and "diberikan kepada"."""
    pdf.set_text_color(*MUTED)
    pdf.set_font("Cert", size=11)
    pdf.set_xy(LEFT, 24)
    pdf.cell(CONTENT_W, 6, issuer.upper(), align="C")

    pdf.set_text_color(*BRAND)
    pdf.set_draw_color(*BRAND)
    pdf.set_font("Cert", size=34)
    pdf.set_xy(LEFT, 34)
    with bold(pdf):
        pdf.set_char_spacing(3)
        pdf.cell(CONTENT_W, 15, "SERTIFIKAT", align="C")
        pdf.set_char_spacing(0)
    pdf.set_text_color(*INK)
    pdf.set_font("Cert", size=11)
    pdf.set_xy(LEFT, 50)
    pdf.cell(CONTENT_W, 6, f"Nomor: {snapshot['number']}", align="C")

    pdf.set_xy(LEFT, 62)
    pdf.set_font("Cert", size=12)
    pdf.cell(CONTENT_W, 6, "diberikan kepada", align="C")


def _recipient(pdf: FPDF, snapshot: dict[str, Any]) -> float:
    """The name (one line, shrunk to fit; two lines if it is very long), a rule, NIP and place of
    work; returns the y below them."""
    name = snapshot["name"]
    pdf.set_font("Cert", size=26)
    pdf.set_draw_color(*INK)
    size = _fit_text(pdf, name, CONTENT_W, 26, 16)
    y = 71
    with bold(pdf):
        if pdf.get_string_width(name) <= CONTENT_W:
            pdf.set_xy(LEFT, y)
            pdf.cell(CONTENT_W, 12, name, align="C")
            y += 13
        else:
            pdf.set_font_size(size)
            pdf.set_xy(LEFT, y)
            pdf.multi_cell(CONTENT_W, 8, name, align="C", max_line_height=8)
            y = pdf.get_y() + 1
    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(0.3)
    pdf.line(LEFT + 40, y, LEFT + CONTENT_W - 40, y)
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
        _fit_text(pdf, line, CONTENT_W, 11, 8)
        pdf.set_xy(LEFT, y)
        pdf.cell(CONTENT_W, 5.5, line, align="C")
        y += 5.5
    return y + 4


def _sentence(snapshot: dict[str, Any]) -> str:
    """"sebagai Peserta <course> yang dilaksanakan pada <dates> di <place>, dengan jumlah <n> jam
    pelajaran (JP). Nilai akhir: <score>." (the parts the snapshot has)."""
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
    return sentence


def _signature(pdf: FPDF, snapshot: dict[str, Any]) -> None:
    """Place and date of issue, the signatory's title, name and NIP (right, anchored to the bottom)."""
    sig_x, sig_w = 180.0, 95.0
    pdf.set_font("Cert", size=11)
    pdf.set_xy(sig_x, BASE)
    city = snapshot.get("city") or snapshot.get("place") or ""
    issued = indonesian_date(date.fromisoformat(snapshot["issued_on"]))
    pdf.cell(sig_w, 5.5, f"{city}, {issued}" if city else issued, align="C")
    _centered_lines(pdf, sig_x, BASE + 5.5, sig_w, 5.5, snapshot.get("signatory_title") or "")
    pdf.set_xy(sig_x, BASE + 27)
    pdf.set_draw_color(*INK)
    with bold(pdf):
        pdf.cell(sig_w, 5.5, snapshot.get("signatory_name") or "", align="C")
    if snapshot.get("signatory_nip"):
        pdf.set_xy(sig_x, BASE + 32.5)
        pdf.cell(sig_w, 5.5, f"NIP. {format_nip(snapshot['signatory_nip'])}", align="C")


def _verification(pdf: FPDF, snapshot: dict[str, Any], verify_url: str) -> None:
    """The QR code, the verification address and code (left, anchored to the bottom)."""
    _qr(pdf, verify_url, 24, BASE - 4, 32)
    pdf.set_font("Cert", size=8.5)
    pdf.set_text_color(*MUTED)
    y = BASE
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


def render_certificate(snapshot: dict[str, Any], verify_url: str, *, issuer: str,
                       fallback_fonts: list[str] | None = None, status_note: str = "") -> bytes:
    """The certificate as PDF bytes. snapshot: the frozen data (see rules.make_snapshot)."""
    pdf = _new_document(snapshot, issuer, fallback_fonts)
    _frame(pdf)
    _title(pdf, snapshot, issuer)
    y = _recipient(pdf, snapshot)
    pdf.set_text_color(*INK)
    pdf.set_font("Cert", size=12.5)
    _centered_lines(pdf, LEFT + 10, y, CONTENT_W - 20, 6.5, _sentence(snapshot))
    _signature(pdf, snapshot)
    _verification(pdf, snapshot, verify_url)
    if status_note:
        pdf.set_text_color(160, 28, 28)
        pdf.set_font("Cert", size=28)
        pdf.set_xy(LEFT, 100)
        pdf.cell(CONTENT_W, 12, status_note, align="C")
    return bytes(pdf.output())
