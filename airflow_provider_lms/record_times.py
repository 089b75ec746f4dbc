"""Record timestamps for the window trim, at C speed for the usual ISO 8601 shapes.

The trim reads one timestamp per record. :func:`~airflow_provider_lms.windows.parse_record_time`
(pendulum, every format vendors use) costs tens of microseconds; the shapes vendors nearly always
send (``2026-10-20T08:30:00Z``, ``2026-10-20 08:30:00.123+02:00``) are read by
:meth:`datetime.fromisoformat` in a fraction of that, to the same instant. Anything else, and any
string ``fromisoformat`` refuses, goes to ``parse_record_time`` unchanged. Recent answers are
cached: date-only fields and coarse timestamps repeat across a page.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

#: Date, time to the second, up to 6 fractional digits, Z or a +-HH:MM offset (or none: UTC).
_PLAIN_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})?")


def record_instant(value: Any) -> datetime | None:
    """The UTC instant of a record's timestamp (as ``parse_record_time``), or None if unreadable."""
    if isinstance(value, str):
        return _text_instant(value)
    from airflow_provider_lms.windows import parse_record_time

    return parse_record_time(value)


@lru_cache(maxsize=4096)
def _text_instant(text: str) -> datetime | None:
    if _PLAIN_ISO.fullmatch(text):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:  # 2026-02-30, hour 24: let the full parser decide
            pass
        else:
            if moment.tzinfo is None:
                return moment.replace(tzinfo=timezone.utc)  # as pendulum: a naive time is UTC
            return moment.astimezone(timezone.utc)
    from airflow_provider_lms.windows import parse_record_time

    return parse_record_time(text)
