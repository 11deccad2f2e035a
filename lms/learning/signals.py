"""Facts the learning package announces; downstream packages subscribe (create_app connects
them), so that learning never imports the packages that react to a trainee's progress. Receivers
run in the sender's transaction: they flush, never commit."""

from blinker import Namespace

_signals = Namespace()

# sender: the Lesson a trainee just marked done (user=, course=). Receivers may return the
# certificates they issued (lms.certificates.receivers: completing the course may issue one).
lesson_completed = _signals.signal("lesson-completed")


def reactions(results: list) -> list:
    """What the receivers of a signal returned (e.g. certificates issued), as one list."""
    return [item for _, found in results for item in (found or [])]
