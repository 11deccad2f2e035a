"""Cohort settings, staff and participant-import forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError
from wtforms.fields.choices import SelectChoice

from lms.content.loader import parse_follow_up_months


class CohortForm(FlaskForm):
    course_id = SelectField(_l("Course"), coerce=int, validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)],
                       description=_l("For example: Bimtek SPP-TIK Kalimantan Selatan 2026, Angkatan 1"))
    slug = StringField(_l("Short name"), validators=[DataRequired(), Length(max=100),
                                                      Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                                                             message=_l("Lowercase letters, digits and hyphens."))],
                       description=_l("Used in links and exports, e.g. kalsel-2026-1."))
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    starts_on = DateField(_l("Start date"), validators=[Optional()])
    ends_on = DateField(_l("End date"), validators=[Optional()])
    enrolment_key = StringField(_l("Enrolment key"), validators=[Optional(), Length(min=4, max=64)],
                                description=_l("Leave empty for a random key. Changing it stops the old key."))
    is_open = BooleanField(_l("Open for registration"), default=True)
    signatory_name = StringField(_l("Certificate signatory"), validators=[Optional(), Length(max=200)],
                                 description=_l("Name with degrees, as printed."))
    signatory_title = StringField(_l("Signatory's position"), validators=[Optional(), Length(max=200)])
    signatory_nip = StringField(_l("Signatory's NIP"), validators=[Optional(), Length(max=30)])
    city = StringField(_l("City on the certificate"), validators=[Optional(), Length(max=100)])
    timezone = SelectField(_l("Time zone"), choices=[
        SelectChoice("", _l("From the place (automatic)")),
        SelectChoice("Asia/Jakarta", _l("WIB (Western Indonesia Time)")),
        SelectChoice("Asia/Makassar", _l("WITA (Central Indonesia Time)")),
        SelectChoice("Asia/Jayapura", _l("WIT (Eastern Indonesia Time)"))],
        default="", description=_l("Every time its trainees and staff read is shown in this zone."))
    follow_ups = StringField(_l("Follow-up reports (months after the end date)"),
                             validators=[Optional(), Length(max=40)],
                             description=_l("E.g. 1, 3: trainees report what their library did 1 and 3 months after "
                                            "the training. Empty: the course's setting; 0: none."))

    def validate_follow_ups(self, field) -> None:
        if field.data and field.data.strip() and isinstance(parse_follow_up_months(field.data), str):
            raise ValidationError(_l("Give whole months after the end date, increasing, separated by commas "
                                     "(e.g. 1, 3), at most 6 of them, each from 1 to 36; or 0 for none."))

    def validate_ends_on(self, field: DateField) -> None:
        """A cohort ends on or after the day it starts (both are printed on certificates)."""
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end date is before the start date."))


class StaffForm(FlaskForm):
    email = EmailField(_l("Email of a facilitator or organizer"), validators=[DataRequired(), Length(max=254)])


class ImportForm(FlaskForm):
    file = FileField(_l("Participant sheet (CSV or XLSX)"), validators=[
        FileRequired(), FileAllowed(["csv", "xlsx", "txt"], _l("Upload a .csv or .xlsx file."))])
    sheet = StringField(_l("Sheet name (optional)"), validators=[Optional(), Length(max=100)],
                        description=_l("For a workbook with several sheets; without it the first sheet is read."))


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=200)],
                             render_kw={"autocomplete": "new-password"}, description=_l("At least 8 characters."))
    password_confirm = PasswordField(_l("Repeat password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"})
