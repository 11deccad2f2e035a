"""The survey form: its questions come from the file, so the fields are the questions' radio
groups and text areas (checked by operations.check_answers); this form carries the CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

# The five answers of every rating item, from "strongly disagree" to "strongly agree".
SCALE = ((1, _l("Strongly disagree")), (2, _l("Disagree")), (3, _l("Neither agree nor disagree")),
         (4, _l("Agree")), (5, _l("Strongly agree")))

SECTION_TITLES = {"materi": _l("Materials"), "fasilitator": _l("Facilitators"),
                  "penyelenggaraan": _l("Organization"), "platform": _l("Learning platform"),
                  "umum": _l("General")}


class SurveyForm(FlaskForm):
    """CSRF only: the answers are read by check_answers."""
