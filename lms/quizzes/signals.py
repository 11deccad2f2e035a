"""Facts the quizzes package announces; other packages subscribe (lms.certificates.receivers),
so that quizzes never import the packages that react to a grade. Receivers run in the sender's
transaction: they flush, never commit."""

from blinker import Namespace

_signals = Namespace()

# sender: the Attempt, just graded on submit. Receivers may return certificates they issued.
attempt_graded = _signals.signal("attempt-graded")

# sender: the Attempt whose result a person or a regrade changed after it was graded.
grade_changed = _signals.signal("grade-changed")
