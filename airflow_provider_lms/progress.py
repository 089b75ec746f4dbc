"""Progress lines a person can follow in a task log.

Each page line names the parameter set it belongs to (``course_id=5001``) and, where the vendor
declares a total, shows ``page 3/12``, the percentage and an ETA; the operator's summary names the
window. With a list of parameter sets there is one line per set and one total at the end.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from airflow_provider_lms.pagination import Declared
from airflow_provider_lms.redaction import Redactor

#: Parameters that shape paging or trimming rather than say which records: left out of labels.
_NOT_A_SELECTION = frozenset({"page_size", "record_time_field", "window_trim"})
_LABEL_LIMIT = 120


def parameter_label(parameters: Mapping[str, Any], redactor: Redactor) -> str:
    """``course_id=5001, status=3``: which parameter set a line belongs to ('' for none). Custom
    endpoints may take a key as a parameter: values go through ``redactor``."""
    parts = [
        f"{name}={redactor.parameter(name, _short(value))}"
        for name, value in parameters.items()
        if name not in _NOT_A_SELECTION
    ]
    label = ", ".join(parts)
    return label if len(label) <= _LABEL_LIMIT else label[: _LABEL_LIMIT - 1] + "…"


def _short(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return f"[{len(value)} values]" if len(value) > 3 else ",".join(map(str, value))
    return str(value)


def expected_pages(declared: Declared, page_size: int | None) -> int | None:
    """Pages the whole extract should take, from what the vendor declared (None when it did not)."""
    if declared.total_pages is not None:
        return max(declared.total_pages, 1)
    size = declared.page_size or page_size
    if declared.total_items is not None and size:
        return max(math.ceil(declared.total_items / size), 1)
    return None


def format_duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s``, ``2 h 10 min``."""
    seconds = max(int(round(seconds)), 0)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


class PageProgress:
    """The page lines of one parameter set's extract."""

    def __init__(
        self,
        log: Any,
        subject: str,
        parameters: Mapping[str, Any],
        page_size: int | None,
        redactor: Redactor,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log, self._clock = log, clock
        label = parameter_label(parameters, redactor)
        self.subject = f"{subject} [{label}]" if label else subject
        self.page_size = page_size
        self.started = clock()
        self.records = 0

    def page(self, number: int, kept: int, declared: Declared, skipped: int = 0) -> None:
        """Log one page: its records, the running total, and where the vendor says the end is."""
        self.records += kept
        elapsed = max(self._clock() - self.started, 1e-6)
        expected = expected_pages(declared, self.page_size)
        if expected is not None and number <= expected:
            eta = elapsed / number * (expected - number)
            where = f"page {number}/{expected} ({100 * number / expected:.0f}%, ETA {format_duration(eta)})"
        else:
            where = f"page {number}"
        self._log.info(
            "%s %s: %d records (%d so far, %.0f records/s)%s",
            self.subject,
            where,
            kept,
            self.records,
            self.records / elapsed,
            f", {skipped} already on the previous page skipped" if skipped else "",
        )


def window_label(start: str | None, end: str | None) -> str:
    """``window [2026-10-20T00:00:00+00:00, 2026-10-21T00:00:00+00:00)`` or ``no window``."""
    return f"window [{start}, {end})" if start or end else "no window"
