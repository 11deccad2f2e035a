"""Editor forms: a file's text (with a lesson's front matter as fields), publishing, uploads."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from lms.content.loader import MAX_LESSON_BYTES


class FileForm(FlaskForm):
    """Any text file of the course (course.yml, module.yml, a quiz or a GIFT bank)."""

    text = TextAreaField(_l("Text of the file"), validators=[Length(max=MAX_LESSON_BYTES)],
                         render_kw={"rows": 24, "spellcheck": "false"})
    loaded_sha = HiddenField()
    rebase = HiddenField()


class LessonForm(FileForm):
    """A lesson: its title, minutes and whether it is required, and its Markdown body."""

    title = StringField(_l("Lesson title"), validators=[DataRequired(), Length(max=200)])
    minutes = IntegerField(_l("Reading time (minutes)"), validators=[Optional(), NumberRange(1, 600)])
    required = BooleanField(_l("Required for completion"))
    text = TextAreaField(_l("Lesson text (Markdown)"), validators=[Length(max=MAX_LESSON_BYTES)],
                         render_kw={"rows": 24},
                         description=_l("Sections start with ## and subsections with ###. "
                                        "Images: ![what the picture shows](images/name.png)."))


class PublishForm(FlaskForm):
    confirm_removals = BooleanField(_l("Yes, remove these lessons (learners' records are kept)"))


class ImageForm(FlaskForm):
    image = FileField(_l("Image (PNG, JPEG, GIF, WebP or SVG, at most 1 MB)"), validators=[
        FileRequired(), FileAllowed(["png", "jpg", "jpeg", "gif", "webp", "svg"],
                                    _l("Upload a PNG, JPEG, GIF, WebP or SVG image."))])
    folder = HiddenField(validators=[DataRequired()])
    alt = StringField(_l("Alternative text: what the picture shows"), validators=[DataRequired(), Length(max=200)])


class ZipForm(FlaskForm):
    archive = FileField(_l("Course zip"), validators=[FileRequired(), FileAllowed(["zip"], _l("Upload a .zip file."))])


class StructureForm(FlaskForm):
    """One change to the outline: which operation, on what, with which new title and short name."""

    op = SelectField(choices=["add_lesson", "add_module", "up", "down", "remove_lesson", "rename_module"],
                     validators=[DataRequired()])
    target = HiddenField()
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    slug = StringField(_l("Short name"), validators=[Optional(), Length(max=100), Regexp(
        r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message=_l("Lowercase letters, digits and hyphens."))],
        description=_l("Used in links; never change it once learners have started."))


class GiftForm(FlaskForm):
    gift = FileField(_l("GIFT question file (Moodle export, UTF-8)"), validators=[
        FileRequired(), FileAllowed(["gift", "txt"], _l("Upload a .gift or .txt file."))])
