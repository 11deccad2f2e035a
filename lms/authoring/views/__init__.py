"""The course editor: files as drafts, preview, publish, history, restore, images, zip round trip.

One blueprint ("authoring", lms.authoring.views.base), its views in a module per concern; the
logic they call lives in plain modules of lms.authoring (publish, structure, questions, settings,
question_forms, uploads)."""

from lms.authoring.views import editor, file_settings, people, publishing, quiz, uploads  # noqa: F401  (routes)
from lms.authoring.views.base import bp

__all__ = ["bp"]
