"""Write the fill-in templates that the bundled course offers for download.

    python tools/course_templates.py [COURSE_FOLDER]

The lessons link to these files (files/*.xlsx, files/*.docx); tests/content/test_course_templates.py
opens each one and checks what a trainee will see. Run this again after changing a template here.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

COURSE = Path(__file__).resolve().parent.parent / "courses" / "strategi-pengembangan-perpustakaan-tik"
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")

# Sheet name -> (column title, width) in order. The lessons of module 2 and 4 name these columns.
ATTENDANCE = [("No", 5), ("Nama", 28), ("L/P", 6), ("Umur", 7), ("Dusun/RT", 14),
              ("Setuju difoto (Ya/Tidak)", 12), ("Tanda tangan atau cap jempol", 22)]
REGISTRATION = [("No", 5), ("Nama", 28), ("L/P", 6), ("Umur", 7), ("Dusun/RT", 14),
                ("Nomor ponsel", 16), ("Bantuan yang diperlukan", 24), ("Setuju difoto (Ya/Tidak)", 12)]
ACTIVITIES = [("Tanggal", 12), ("Kegiatan", 28), ("Jenis", 14), ("Strategi TPBIS", 18),
              ("Mitra atau narasumber", 22), ("Keterampilan yang dilatihkan", 26), ("L", 6), ("P", 6),
              ("Jumlah", 8), ("Folder foto", 24)]
PRESENT = [("Tanggal", 12), ("Kegiatan", 28), ("Nama atau kode", 24), ("L/P", 6), ("Umur", 7),
           ("Dusun/RT", 14), ("Setuju difoto (Ya/Tidak)", 12)]
DATA_ROWS = 200


def _table(sheet: Worksheet, columns: list[tuple[str, int]], first_row: int, rows: int) -> None:
    for index, (title, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=first_row, column=index, value=title)
        cell.font = Font(bold=True)
        cell.fill = HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.border = BOX
        sheet.column_dimensions[cell.column_letter].width = width
    for row in range(first_row + 1, first_row + 1 + rows):
        for index in range(1, len(columns) + 1):
            sheet.cell(row=row, column=index).border = BOX
    sheet.freeze_panes = sheet.cell(row=first_row + 1, column=1)
    sheet.print_title_rows = f"{first_row}:{first_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def attendance_workbook() -> Workbook:
    """Daftar hadir (printed, signed on the day) and lembar pendaftaran (kept by the manager)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Daftar hadir"
    sheet["A1"] = "DAFTAR HADIR KEGIATAN PERPUSTAKAAN DESA"
    sheet["A1"].font = Font(bold=True, size=13)
    for row, label in enumerate(("Kegiatan:", "Hari, tanggal:", "Tempat:", "Mitra/narasumber:"), start=2):
        sheet.cell(row=row, column=1, value=label).font = Font(bold=True)
    _table(sheet, ATTENDANCE, 7, 25)
    for row in range(8, 33):
        sheet.cell(row=row, column=1, value=row - 7)
    sheet["A34"] = ("Untuk anak, izin foto diberikan orang tua atau wali. Nomor ponsel dan bantuan "
                    "yang diperlukan dicatat di lembar pendaftaran, bukan di sini.")
    sheet["A34"].font = Font(italic=True, size=9)

    register = book.create_sheet("Pendaftaran")
    register["A1"] = "LEMBAR PENDAFTARAN (disimpan pengelola, tidak diedarkan)"
    register["A1"].font = Font(bold=True, size=13)
    register["A2"] = "Kegiatan:"
    register["A2"].font = Font(bold=True)
    _table(register, REGISTRATION, 4, 30)
    for row in range(5, 35):
        register.cell(row=row, column=1, value=row - 4)
    return book


def activity_workbook() -> Workbook:
    """Catatan kegiatan: one row per activity, one row per attendance, and a monthly summary."""
    book = Workbook()
    activities = book.active
    activities.title = "Kegiatan"
    _table(activities, ACTIVITIES, 1, DATA_ROWS)
    for row in range(2, DATA_ROWS + 2):
        activities.cell(row=row, column=9, value=f'=IF(COUNT(G{row}:H{row})=0,"",G{row}+H{row})')
        activities.cell(row=row, column=1).number_format = "DD/MM/YYYY"

    present = book.create_sheet("Hadir")
    _table(present, PRESENT, 1, DATA_ROWS)
    for row in range(2, DATA_ROWS + 2):
        present.cell(row=row, column=1).number_format = "DD/MM/YYYY"

    summary = book.create_sheet("Rekap")
    summary.column_dimensions["A"].width = 46
    summary.column_dimensions["B"].width = 14
    summary["A1"] = "REKAP (dihitung otomatis dari lembar Kegiatan dan Hadir)"
    summary["A1"].font = Font(bold=True, size=13)
    last = DATA_ROWS + 1
    rows = [
        ("Jumlah kegiatan", f"=COUNTA(Kegiatan!B2:B{last})"),
        ("Jumlah kehadiran", f"=SUM(Kegiatan!G2:H{last})"),
        ("Kehadiran laki-laki", f"=SUM(Kegiatan!G2:G{last})"),
        ("Kehadiran perempuan", f"=SUM(Kegiatan!H2:H{last})"),
        ("Kegiatan berjenis pelatihan", f'=COUNTIF(Kegiatan!C2:C{last},"Pelatihan")'),
        ("Kegiatan layanan informasi", f'=COUNTIF(Kegiatan!D2:D{last},"Layanan informasi")'),
        ("Kegiatan pelibatan masyarakat", f'=COUNTIF(Kegiatan!D2:D{last},"Pelibatan masyarakat")'),
        ("Kegiatan advokasi", f'=COUNTIF(Kegiatan!D2:D{last},"Advokasi")'),
        ("Baris kehadiran di lembar Hadir", f"=COUNTA(Hadir!C2:C{last})"),
        ("Yang tidak setuju difoto (lembar Hadir)", f'=COUNTIF(Hadir!G2:G{last},"Tidak")'),
    ]
    for offset, (label, formula) in enumerate(rows, start=3):
        summary.cell(row=offset, column=1, value=label).border = BOX
        summary.cell(row=offset, column=2, value=formula).border = BOX
    summary["A14"] = ("Kehadiran bukan jumlah orang: satu warga yang datang empat kali tercatat empat "
                      "kehadiran. Hitung nama yang berbeda untuk mengetahui jumlah orang.")
    summary["A14"].alignment = Alignment(wrap_text=True)
    summary["A14"].font = Font(italic=True, size=9)
    return book


ADVOCACY_SECTIONS = [
    ("Kebutuhan warga", "Siapa, berapa orang, dan apa masalahnya (2-3 kalimat)."),
    ("Yang sudah dilakukan", "Periode, paling banyak tiga angka, dan asal angkanya "
                             "(misalnya: menurut daftar hadir Januari-Juni)."),
    ("Kisah warga", "Dua atau tiga kalimat tentang satu warga, dengan izinnya."),
    ("Usulan dan rincian biaya", "Apa, untuk siapa, kapan; pos biaya dengan volume x harga satuan; jumlah."),
    ("Manfaat bagi desa", "Kaitan dengan RPJM Desa atau visi-misi kepala desa; kapan hasilnya dilaporkan."),
    ("Dasar", "UU 43/2007; UU 6/2014; Peraturan Kepala Perpusnas 6/2017 (SNP Desa/Kelurahan); "
              "Peraturan Perpusnas 3/2023 (TPBIS); peraturan prioritas Dana Desa tahun ini, "
              "nomor dan bagiannya sudah Anda periksa."),
    ("Kontak", "Nama, jabatan, nomor telepon."),
]


def advocacy_document() -> Document:
    """The one-page advocacy sheet of module 3, with a prompt under each of its seven parts."""
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(11)
    doc.add_heading("USULAN: (kegiatan) untuk (RKP Desa/APB Desa tahun ...)", level=1)
    intro = doc.add_paragraph("Perpustakaan Desa ..................., Kecamatan ..................., "
                              "Kabupaten ...................")
    intro.runs[0].italic = True
    for title, prompt in ADVOCACY_SECTIONS:
        doc.add_heading(title, level=2)
        paragraph = doc.add_paragraph(prompt)
        paragraph.runs[0].italic = True
        paragraph.runs[0].font.size = Pt(9)
        doc.add_paragraph("")
    return doc


def write_all(course: Path = COURSE) -> list[Path]:
    folder = course / "files"
    folder.mkdir(exist_ok=True)
    written = []
    for name, book in (("daftar-hadir.xlsx", attendance_workbook()), ("catatan-kegiatan.xlsx", activity_workbook())):
        book.save(folder / name)
        written.append(folder / name)
    advocacy_document().save(folder / "lembar-advokasi.docx")
    written.append(folder / "lembar-advokasi.docx")
    return written


if __name__ == "__main__":
    for path in write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else COURSE):
        print(path)
