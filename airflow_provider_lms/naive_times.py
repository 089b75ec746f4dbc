"""Say it when a window end has no timezone: such a value is taken as UTC.

``{{ data_interval_start }}`` renders with its offset, so the default window never triggers this; a
hand-written ``window_start="2026-10-20"`` or a naive ``datetime`` does. The operator logs one line
per task naming each such value and the UTC moment it became.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


def is_naive(value: Any) -> bool:
    """True for a datetime or ISO 8601 text without a UTC offset, and for a bare date."""
    if isinstance(value, datetime):
        return value.tzinfo is None or value.utcoffset() is None
    if isinstance(value, date):
        return True
    if not isinstance(value, str) or not value.strip() or value.strip() == "None":
        return False
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return False  # not plain ISO: the window parser decides (and names the problem)
    return parsed.tzinfo is None


def naive_window_note(window_start: Any, window_end: Any) -> str | None:
    """One sentence naming the window ends given without a timezone, or None when there are none."""
    naive = [
        f"{name}={value!r}"
        for name, value in (("window_start", window_start), ("window_end", window_end))
        if is_naive(value)
    ]
    if not naive:
        return None
    return (
        f"{' and '.join(naive)} {'has' if len(naive) == 1 else 'have'} no timezone: taken as UTC. "
        "Give an offset (e.g. 2026-10-20T00:00:00+02:00) to mean another zone."
    )
