"""Certificates: eligibility, gapless numbering, snapshot, PDF with QR code, verification, Open Badges."""
