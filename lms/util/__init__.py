"""Small helpers shared by several packages."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(timezone.utc)


def assign_changed(obj: object, values: dict) -> bool:
    """Set the attributes whose values differ (a sync leaves unchanged rows untouched, so their
    updated_at and version stay put); True if anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed
