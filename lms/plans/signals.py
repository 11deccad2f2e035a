"""Facts the plans package announces; downstream packages subscribe (create_app wires them)."""

from blinker import Namespace

_signals = Namespace()

# sender: the ActionPlan, just approved (in the reviewer's transaction; receivers flush only).
plan_approved = _signals.signal("plan-approved")
