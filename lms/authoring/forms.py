"""Editor forms: a file's text (with a lesson's front matter as fields), publishing, uploads."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (BooleanField, EmailField, FieldList, FloatField, Form, FormField, HiddenField, IntegerField, RadioField,
                     SelectField, StringField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

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
    # The drafts the summary showed (lms.authoring.publish.drafts_digest); empty from older pages.
    drafts = HiddenField(validators=[Optional(), Length(max=64)])


class ImageForm(FlaskForm):
    image = FileField(_l("Image (PNG, JPEG, GIF, WebP or SVG, at most 1 MB)"), validators=[
        FileRequired(), FileAllowed(["png", "jpg", "jpeg", "gif", "webp", "svg"],
                                    _l("Upload a PNG, JPEG, GIF, WebP or SVG image."))])
    folder = HiddenField(validators=[DataRequired()])
    lesson = HiddenField()  # the lesson being edited: without JavaScript the image line is added to it
    alt = StringField(_l("Alternative text: what the picture shows"), validators=[DataRequired(), Length(max=200)])


class ZipForm(FlaskForm):
    archive = FileField(_l("Course zip"), validators=[FileRequired(), FileAllowed(["zip"], _l("Upload a .zip file."))],
                        description=_l("A zip of the course folder, as the editor exports it; at most 50 MB."))


class StructureForm(FlaskForm):
    """One change to the outline: which operation, on what, with which new title and short name."""

    op = SelectField(choices=["add_lesson", "add_module", "add_quiz", "up", "down", "remove_lesson", "rename_module"],
                     validators=[DataRequired()])
    target = HiddenField()
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    slug = StringField(_l("Short name"), validators=[Optional(), Length(max=100), Regexp(
        r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message=_l("Lowercase letters, digits and hyphens."))],
        description=_l("Used in links; never change it once learners have started."))


class GiftForm(FlaskForm):
    gift = FileField(_l("Question file exported from Moodle: GIFT or Moodle XML (UTF-8)"), validators=[
        FileRequired(), FileAllowed(["gift", "txt", "xml"], _l("Upload a .gift, .txt or .xml file."))])


class CommaFloatField(FloatField):
    """A number as typed on an Indonesian keyboard: '0,5' is a half; whole numbers shown without '.0'."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, float) and self.data.is_integer():
            return str(int(self.data))
        return super()._value()

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [(valuelist[0] or "").strip().replace(",", ".")]
        super().process_formdata(valuelist)


class OptionForm(Form):
    text = TextAreaField(_l("Option"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 3})
    correct = BooleanField(_l("Correct"))
    weight = CommaFloatField(_l("Weight (%)"), validators=[Optional(), NumberRange(-100, 100)],
                             description=_l("Leave empty: a correct option earns full marks. "
                                            "Partial credit: e.g. 50; a penalty: e.g. -25."))
    feedback = TextAreaField(_l("Feedback when chosen"), validators=[Optional(), Length(max=4000)],
                             render_kw={"rows": 3})


class AnswerForm(Form):
    text = StringField(_l("Accepted answer"), validators=[Optional(), Length(max=500)])
    weight = CommaFloatField(_l("Weight (%)"), default=100, validators=[Optional(), NumberRange(-100, 100)])
    feedback = StringField(_l("Feedback"), validators=[Optional(), Length(max=2000)])


class PairForm(Form):
    left = StringField(_l("Item"), validators=[Optional(), Length(max=1000)])
    right = StringField(_l("Its match"), validators=[Optional(), Length(max=1000)])


class QuestionForm(FlaskForm):
    """One question of a quiz file; which fields count depends on its type."""

    key = StringField(_l("Question id"), validators=[DataRequired(), Length(max=100), Regexp(
        r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", message=_l("Letters, digits, hyphens, dots and underscores."))],
        description=_l("A short name that never changes: learners' answers are kept under it."))
    text = TextAreaField(_l("Question text (Markdown)"), validators=[Optional(), Length(max=20000)],
                         render_kw={"rows": 6})
    mark = CommaFloatField(_l("Mark"), default=1, validators=[Optional(), NumberRange(0, 100)])
    options = FieldList(FormField(OptionForm), min_entries=0)
    answer = RadioField(_l("The statement is"), choices=[SelectChoice("true", _l("True")),
                                                         SelectChoice("false", _l("False"))],
                         validators=[Optional()])
    feedback_true = TextAreaField(_l("Feedback for the answer 'true'"), validators=[Optional(), Length(max=4000)],
                                  render_kw={"rows": 2})
    feedback_false = TextAreaField(_l("Feedback for the answer 'false'"), validators=[Optional(), Length(max=4000)],
                                   render_kw={"rows": 2})
    answers = FieldList(FormField(AnswerForm), min_entries=0)
    number = CommaFloatField(_l("Correct answer (a number)"), validators=[Optional()])
    tolerance = CommaFloatField(_l("Accepted margin (±)"), default=0, validators=[Optional(), NumberRange(0)])
    feedback_wrong = TextAreaField(_l("Feedback for a wrong number"), validators=[Optional(), Length(max=4000)],
                                   render_kw={"rows": 2})
    pairs = FieldList(FormField(PairForm), min_entries=0)
    feedback = TextAreaField(_l("General feedback (shown after the attempt)"),
                             validators=[Optional(), Length(max=8000)], render_kw={"rows": 3})
    loaded_sha = HiddenField()
    base = HiddenField()


class _SettingsForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 5})
    loaded_sha = HiddenField()
    base = HiddenField()


class CourseSettingsForm(_SettingsForm):
    jp_hours = CommaFloatField(_l("Lesson hours (JP)"), validators=[Optional(), NumberRange(0.5, 1000)],
                               description=_l("1 JP is 45 minutes of training. Printed on the certificate."))
    certificate_enabled = BooleanField(_l("Trainees who complete the course get a certificate"))
    certificate_title = StringField(_l("Title on the certificate"), validators=[Optional(), Length(max=300)],
                                    description=_l("Leave empty to print the course title."))
    certificate_number_pattern = StringField(_l("Certificate number pattern"), validators=[
        DataRequired(), Length(max=100)], description=_l(
            "Placeholders: {seq:04d} running number, {year}, {month}, {course}, {cohort}."))
    certificate_min_posttest = CommaFloatField(_l("Minimum post-test score for a certificate (%)"),
                                               validators=[Optional(), NumberRange(0, 100)])
    certificate_show_score = BooleanField(_l("Print the post-test score on the certificate"))


class ModuleSettingsForm(_SettingsForm):
    pass


class QuizSettingsForm(_SettingsForm):
    required = BooleanField(_l("Required for completing the course"))
    pass_mark = CommaFloatField(_l("Pass mark (%)"), validators=[InputRequired(), NumberRange(0, 100)])
    attempts = IntegerField(_l("Attempts allowed (0 = unlimited)"), validators=[Optional(), NumberRange(0, 100)])
    grading = RadioField(_l("The score that counts"), choices=[
        SelectChoice("highest", _l("The highest attempt")), SelectChoice("last", _l("The last attempt"))])
    shuffle_questions = BooleanField(_l("Shuffle the questions"))
    shuffle_options = BooleanField(_l("Shuffle the options"))
    time_limit = IntegerField(_l("Time limit (minutes)"), validators=[Optional(), NumberRange(1, 600)],
                              description=_l("Leave empty for no limit."))
    review_attempt = RadioField(_l("After an attempt, while the trainee may try again, she sees"), choices=[
        SelectChoice("score", _l("Her score only")),
        SelectChoice("wrong", _l("Which questions she got right or wrong (not the correct answers)")),
        SelectChoice("answers", _l("The correct answers and the feedback"))])
    review_final = RadioField(_l("Once she passed or has no attempt left, she sees"), choices=[
        SelectChoice("score", _l("Her score only")),
        SelectChoice("wrong", _l("Which questions she got right or wrong (not the correct answers)")),
        SelectChoice("answers", _l("The correct answers and the feedback"))])


class CourseRoleForm(FlaskForm):
    """Give someone a role on the course, by email."""

    email = EmailField(_l("Email of a facilitator or organizer"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[], validators=[DataRequired()])
