"""Facts the content package announces; downstream packages subscribe (create_app wires them),
so that content never imports the packages that react to a course changing. Receivers run in
the sender's transaction: they flush, never commit."""

from blinker import Namespace

_signals = Namespace()

# sender: the Course row, just synced from its files (lms.content.sync.sync_course), with
# report=SyncReport (what was added, changed or removed; report.is_noop if nothing).
course_synced = _signals.signal("course-synced")
