"""Login, registration and profile forms."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_babel import gettext as _
from markupsafe import Markup, escape
from wtforms import BooleanField, EmailField, Field, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError
from wtforms.widgets import html_params

from lms.accounts.regions import PROVINCES, labelled, match_regency, provinces, regencies, regency_groups, resolve_regency

LOCALES = [SelectChoice("id", "Bahasa Indonesia", {"lang": "id"}),
           SelectChoice("en", "English", {"lang": "en"})]


def _province_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("Choose a province"))] + [
        SelectChoice(code, labelled(code, name)) for code, name in sorted(PROVINCES.items(), key=lambda i: i[1])]


class RegencySelect:
    """A <select> of every regency/city, grouped by province (<optgroup data-province="63">), the
    abbreviations people use beside the official names: works without JavaScript; regions.js
    narrows it to the chosen province."""

    def __call__(self, field: Field, **kwargs) -> Markup:
        kwargs.setdefault("id", field.id)
        kwargs["data-regions"] = "regency"
        options = _regency_options().replace(f'value="{field.data}">', f'value="{field.data}" selected>', 1) \
            if field.data in regencies() else _regency_options()
        prompt = escape(_("Choose a regency or city"))  # outside the f-string, where pybabel extract sees it
        return Markup(f'<select {html_params(name=field.name, **kwargs)}>'
                      f'<option value="">{prompt}</option>{options}</select>')


_OPTIONS: list[str] = []


def _regency_options() -> str:
    """The optgroups and options (the same in every language), built once."""
    if not _OPTIONS:
        _OPTIONS.append("".join(
            f'<optgroup label="{escape(label)}" data-province="{province}">'
            + "".join(f'<option value="{code}">{escape(name)}</option>' for code, name in items) + "</optgroup>"
            for province, label, items in regency_groups()))
    return _OPTIONS[0]


class RegencyField(Field):
    """The regency/city: a Kemendagri code from the select, or (a client without the select) a
    name or abbreviation people write ('Kab. HSU', 'Batola'), checked against the list."""

    widget = RegencySelect()

    def process_data(self, value) -> None:
        self.data = value or ""

    def process_formdata(self, valuelist) -> None:
        if valuelist:
            self.data = (valuelist[0] or "").strip()[:200]

    def _value(self) -> str:
        return self.data or ""


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
    province = SelectField(_l("Province"), validators=[Optional()], choices=_province_choices,
                           render_kw={"data-regions": "province"})
    regency = RegencyField(_l("Regency / city"), validators=[DataRequired()],
                           description=_l("From the official list; abbreviations such as HSU or Batola are "
                                          "shown beside the names. Choose the province first to shorten it."))

    def validate_regency(self, field: RegencyField) -> None:
        """A regency/city of the list, in the chosen province; the province follows from it."""
        code, province = resolve_regency(field.data, self.province.data or None)
        if code is None:
            near = match_regency(field.data[:200], self.province.data or None).suggestions
            if near:
                raise ValidationError(_("'%(name)s' is not on the list of regencies and cities; did you mean "
                                        "%(options)s?", name=field.data, options=_(" or ").join(near)))
            raise ValidationError(_("'%(name)s' is not on the list of regencies and cities.", name=field.data))
        if self.province.data and self.province.data != province:
            raise ValidationError(_("%(regency)s is in %(right)s, not in %(wrong)s.", regency=regencies()[code][0],
                                    right=provinces()[province], wrong=provinces()[self.province.data]))
        field.data, self.province.data = code, province

    def region(self) -> dict[str, str]:
        """The validated place as stored: official name, code and province code."""
        return {"regency": regencies()[self.regency.data][0], "regency_code": self.regency.data,
                "province": self.province.data}


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
