"""Facts the quizzes package announces; other packages subscribe (lms.certificates.receivers,
lms.learning.receivers; create_app connects them), so that quizzes never import the packages that
react to a grade. Receivers run in the sender's transaction: they flush, never commit."""

from blinker import Namespace

_signals = Namespace()

# sender: the Attempt, just started (when=its start time). Receivers note the trainee's activity
# (lms.learning.receivers: her course's last quiz activity).
attempt_started = _signals.signal("attempt-started")

# sender: the Attempt whose score was just computed or computed again: on submit (graded, or
# waiting for a grader), by a grader, by a regrade (locked=True: the trainee's user row is locked
# and loaded already; first_grade=True: on submit, the attempt's first score, so the caches may
# follow from it alone). Sent by lms.quizzes.attempts before any attempt_graded / grade_changed,
# so the caches that follow a score (lms.learning.receivers) are recounted in the grading
# transaction.
attempt_scored = _signals.signal("attempt-scored")

# sender: the Attempt, just graded on submit. Receivers may return certificates they issued.
attempt_graded = _signals.signal("attempt-graded")

# sender: the Attempt whose result a person or a regrade changed after it was graded.
grade_changed = _signals.signal("grade-changed")

# sender: the Quiz a trainee opens or starts (user=, course=). Receivers return why it stays
# closed to her (a sentence shown on the page), or None (lms.learning.receivers: the post-test
# waits until every module is complete).
quiz_opening = _signals.signal("quiz-opening")

# sender: the Course of a quiz page that shows a trainee's own way through it (user=, and
# organizers=True: list whom to ask; None: only when she is stuck; False: never). Receivers return
# a dict of what the page shows around the quiz: "step" (her next step), "outline", "statuses"
# (quiz id -> QuizStatus) and "organizers" (lms.learning.receivers).
trainee_guidance = _signals.signal("trainee-guidance")
