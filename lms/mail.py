"""Sending email through the configured SMTP server (LMS_SMTP_*)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app


class MailNotConfigured(RuntimeError):
    pass


def mail_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def send_mails(messages: list[tuple[str, str, str]]) -> int:
    """Send (to, subject, body) messages over one SMTP connection; returns how many were sent."""
    config = current_app.config
    if not config.get("SMTP_HOST"):
        raise MailNotConfigured("set LMS_SMTP_HOST to send email")
    sent = 0
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=20) as smtp:
        if config.get("SMTP_STARTTLS") and smtp.has_extn("starttls"):
            smtp.starttls()
        if config.get("SMTP_USER"):
            smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
        for to, subject, body in messages:
            message = EmailMessage()
            message["From"] = config["MAIL_FROM"]
            message["To"] = to
            message["Subject"] = subject
            message.set_content(body)
            smtp.send_message(message)
            sent += 1
    return sent
