"""Downloads go through lms.util.downloads.attachment (Flask's send_file)."""

from lms.util.downloads import attachment


def test_names_outside_ascii_are_sent_as_rfc_5987(app):
    with app.test_request_context():
        plain = attachment(b"a;b\n", "mini-a-peserta.csv", "text/csv")
        assert plain.headers["Content-Disposition"] == "attachment; filename=mini-a-peserta.csv"
        assert plain.mimetype == "text/csv" and "Cache-Control" not in plain.headers  # the app's rule applies
        named = attachment(b"%PDF", "Sertifikat Désirée Ñuñez.pdf")
        assert named.mimetype == "application/pdf"  # guessed from the name
        assert named.headers["Content-Disposition"] == (
            "attachment; filename=\"Sertifikat Desiree Nunez.pdf\"; "
            "filename*=UTF-8''Sertifikat%20D%C3%A9sir%C3%A9e%20%C3%91u%C3%B1ez.pdf")
