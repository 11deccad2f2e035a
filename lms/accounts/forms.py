"""Login, registration and profile forms."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from lms.accounts.regions import PROVINCES

LOCALES = [SelectChoice("id", "Bahasa Indonesia", {"lang": "id"}),
           SelectChoice("en", "English", {"lang": "en"})]


def _province_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("Choose a province"))] + [
        SelectChoice(code, name) for code, name in PROVINCES.items()]


def _nip(form: FlaskForm, field: StringField) -> None:
    """NIP is optional; when given, 18 digits (spaces as printed on documents are fine)."""
    if field.data:
        digits = re.sub(r"\s+", "", field.data)
        if not re.fullmatch(r"\d{18}", digits):
            raise ValidationError(_l("NIP must be 18 digits."))
        field.data = digits


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me logged in"))


class ProfileFields(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)],
                            render_kw={"autocomplete": "name"},
                            description=_l("As it should appear on your certificate, with degrees."))
    nip = StringField(_l("NIP (optional)"), validators=[Optional(), Length(max=30), _nip],
                      render_kw={"inputmode": "numeric"},
                      description=_l("Civil servants only: 18 digits."))
    position = StringField(_l("Position"), validators=[DataRequired(), Length(max=120)],
                           description=_l("For example: library manager, librarian, village secretary."))
    institution = StringField(_l("Institution"), validators=[DataRequired(), Length(max=200)],
                              render_kw={"autocomplete": "organization"},
                              description=_l("Your library or office."))
    regency = StringField(_l("Regency / city"), validators=[DataRequired(), Length(max=120)])
    province = SelectField(_l("Province"), validators=[DataRequired()], choices=_province_choices)


class RegisterForm(ProfileFields):
    enrolment_key = StringField(_l("Enrolment key"), validators=[DataRequired(), Length(max=64)],
                                render_kw={"autocapitalize": "characters", "autocomplete": "off"},
                                description=_l("The key your organizer gave you."))
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)],
                       render_kw={"autocomplete": "email"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8, max=200)],
                             render_kw={"autocomplete": "new-password"},
                             description=_l("At least 8 characters."))
    password_confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )


class ProfileForm(ProfileFields):
    locale = SelectField(_l("Language"), choices=LOCALES)


class JoinForm(FlaskForm):
    enrolment_key = StringField(_l("Enrolment key"), validators=[DataRequired(), Length(max=64)],
                                render_kw={"autocapitalize": "characters", "autocomplete": "off"})


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=LOCALES)


class LogoutForm(FlaskForm):
    """Logout is a POST with a CSRF token, so another site cannot log a user out."""
