"""Date windows: parsing the task's window and mapping it onto each vendor's date filter.

A window is half-open, ``[start, end)``, so adjacent DAG runs never share a record.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pendulum

from airflow_provider_lms.exceptions import LmsConfigError, LmsRecordTimeError, LmsWindowError
from airflow_provider_lms.record_times import record_instant
from airflow_provider_lms.records import get_dotted

if TYPE_CHECKING:
    from airflow_provider_lms.page_request import PageRequest

ZERO_WIDTH_HELP = (
    "Airflow 3 gives cron and @daily schedules zero-width data intervals by default. Schedule the DAG "
    "with CronDataIntervalTimetable / DeltaDataIntervalTimetable (airflow.timetables), set "
    "[scheduler] create_cron_data_intervals = True, or pass window_start/window_end explicitly."
)


#: Windows must lie within these bounds: room for vendor filters to widen them by days.
EARLIEST = pendulum.datetime(1, 2, 1)
LATEST = pendulum.datetime(9999, 12, 1)


@dataclass(frozen=True)
class Window:
    """A half-open UTC time range ``[start, end)``."""

    start: pendulum.DateTime
    end: pendulum.DateTime

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def as_strings(self) -> tuple[str, str]:
        return self.start.isoformat(), self.end.isoformat()


def _to_datetime(value: Any, name: str) -> pendulum.DateTime | None:
    if value is None or (isinstance(value, str) and value.strip() in ("", "None")):
        return None
    try:
        if isinstance(value, datetime):
            moment = pendulum.instance(value)
        elif isinstance(value, date):
            moment = pendulum.datetime(value.year, value.month, value.day)
        else:
            moment = pendulum.parse(str(value).strip())
    except (ValueError, TypeError, OverflowError, pendulum.parsing.exceptions.ParserError) as exc:
        raise LmsWindowError(
            f"{name}={value!r} is not a date or datetime (ISO 8601 expected): {exc}"
        ) from None
    if not isinstance(moment, pendulum.DateTime):
        raise LmsWindowError(f"{name}={value!r} is a {type(moment).__name__}, not a datetime")
    try:
        return moment.in_timezone("UTC")
    except (OverflowError, ValueError):
        raise LmsWindowError(f"{name}={value!r} is outside the calendar once converted to UTC") from None


def parse_window(start: Any, end: Any) -> Window | None:
    """Parse the task's window. Both empty means "no window"; one empty or start > end is an error."""
    start_dt, end_dt = _to_datetime(start, "window_start"), _to_datetime(end, "window_end")
    if start_dt is None and end_dt is None:
        return None
    if start_dt is None or end_dt is None:
        raise LmsWindowError(
            f"window_start={start!r} and window_end={end!r}: give both ends of the window or neither"
        )
    if start_dt > end_dt:
        raise LmsWindowError(f"window_start {start_dt} is after window_end {end_dt}")
    if start_dt < EARLIEST or end_dt > LATEST:
        # Vendor filters widen a window by a day or more and format it: at the calendar's ends
        # that overflows. No LMS holds records from year 1 or 9999.
        raise LmsWindowError(
            f"the window {start_dt.isoformat()} .. {end_dt.isoformat()} reaches the end of the calendar; "
            f"give dates between {EARLIEST.date()} and {LATEST.date()}"
        )
    return Window(start_dt, end_dt)


def parse_record_time(value: Any) -> pendulum.DateTime | None:
    """Read a record's timestamp: ISO 8601 text, ``YYYY-MM-DD HH:MM:SS`` or unix seconds."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        if isinstance(value, (int, float)):
            return pendulum.from_timestamp(float(value))
        moment = pendulum.parse(str(value), strict=False)
    except (ValueError, TypeError, OverflowError, pendulum.parsing.exceptions.ParserError):
        return None
    if isinstance(moment, pendulum.DateTime):
        return moment.in_timezone("UTC")
    if isinstance(moment, pendulum.Date):
        return pendulum.datetime(moment.year, moment.month, moment.day)
    return None


#: Reserved parameters every windowed endpoint accepts (like ``page_size``): they steer the trim.
RECORD_TIME_FIELD = "record_time_field"
WINDOW_TRIM = "window_trim"
TRIM_MODES = ("strict", "off")


def _missing_marker(record: dict[str, Any], path: str) -> str:
    """Why ``path`` gives no timestamp: "is missing", "is null" or "is not a timestamp (a str)"."""
    node: Any = record
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return "is missing"
        node = node[key]
    if node is None or node == "":
        return "is empty" if node == "" else "is null"
    # Never the value itself: record fields may be personal data.
    return f"is not a timestamp (a {type(node).__name__} value)"


class WindowMapping(ABC):
    """How one endpoint expresses a window in its requests, and which records fall inside it."""

    #: Dotted path of the record's own timestamp; when set, records outside the window are dropped
    #: (needed where the vendor filter is coarser than the window, e.g. whole days).
    record_field: str | None = None

    #: Whether the vendor's own docs show ``record_field`` in its records (False: our guess).
    record_field_confirmed: bool = True

    #: Whether the vendor filters by date at all (False: the trim IS the window, it cannot be off).
    server_filter: bool = True

    #: Parameter names the mapping writes; a user passing them directly would fight the window.
    owned_params: tuple[str, ...] = ()

    @abstractmethod
    def apply(self, request: PageRequest, window: Window) -> None:
        """Write the window into ``request`` (query, body or headers)."""

    def contains(self, record: dict[str, Any], window: Window, endpoint: str = "") -> bool:
        """Whether ``record`` belongs to ``window``.

        Strict: a record whose ``record_field`` is missing or unreadable cannot be placed, and
        keeping it would leak neighbouring days into this window (and duplicate it in the next
        run's), so it stops the extract with :class:`LmsRecordTimeError` saying how to fix it.
        """
        if self.record_field is None:
            return True
        moment = record_instant(get_dotted(record, self.record_field))  # fast path, same instant
        if moment is None:
            raise LmsRecordTimeError(self._untrimmable(record, endpoint))
        return window.contains(moment)

    def _untrimmable(self, record: dict[str, Any], endpoint: str) -> str:
        fields = ", ".join(sorted(map(str, record))) if isinstance(record, dict) else "(none)"
        where = f"endpoint {endpoint!r}" if endpoint else "this endpoint"
        guess = "" if self.record_field_confirmed else " (a field name the vendor's docs do not confirm)"
        off = (
            f" or parameters={{'{WINDOW_TRIM}': 'off'}} to keep every record the vendor's coarser date "
            "filter returns (records near the window's edges may then be extracted by two adjacent runs)"
            if self.server_filter
            else ""
        )
        return (
            f"{where} trims the window by each record's {self.record_field!r}{guess}, but a record's "
            f"{self.record_field!r} {_missing_marker(record, self.record_field)}, so it cannot be placed "
            f"in the window (fields it has: {fields}). Fix: pass parameters={{'{RECORD_TIME_FIELD}': "
            f"'<field>'}} naming the record's time field (dotted for nested fields){off}."
        )

    def with_trim(
        self, record_time_field: Any = None, window_trim: Any = None, endpoint: str = ""
    ) -> WindowMapping:
        """A copy trimming by ``record_time_field`` instead, or not trimming (``window_trim="off"``)."""
        mode = "strict" if window_trim in (None, "") else str(window_trim).strip().lower()
        if mode not in TRIM_MODES:
            raise LmsConfigError(
                f"endpoint {endpoint!r}: {WINDOW_TRIM}={window_trim!r} is not one of {list(TRIM_MODES)}"
            )
        if record_time_field is not None and (
            not isinstance(record_time_field, str) or not record_time_field.strip()
        ):
            raise LmsConfigError(
                f"endpoint {endpoint!r}: {RECORD_TIME_FIELD}={record_time_field!r} must be a field name "
                "(dotted for nested fields, e.g. 'dates.updated')"
            )
        if mode == "off" and not self.server_filter:
            raise LmsConfigError(
                f"endpoint {endpoint!r} has no vendor date filter: the trim by "
                f"{self.record_field!r} is the window, so {WINDOW_TRIM}='off' would extract every record. "
                f"Name the record's time field with {RECORD_TIME_FIELD}, or pass window_start=None and "
                "window_end=None for a full snapshot"
            )
        if mode == "off" and record_time_field is not None:
            raise LmsConfigError(
                f"endpoint {endpoint!r}: {RECORD_TIME_FIELD} names a field to trim by and "
                f"{WINDOW_TRIM}='off' turns trimming off; give one of them"
            )
        mapping = copy.copy(self)
        if mode == "off":
            mapping.record_field = None
        elif record_time_field is not None:
            mapping.record_field = record_time_field.strip()
            mapping.record_field_confirmed = True  # the DAG author's own knowledge
        return mapping

    def describe(self) -> str:
        """One line for the endpoint table: which vendor filter carries the window."""
        text = " / ".join(f"`{p}`" for p in self.owned_params)
        return f"{text} on {self.trim_field_text()}" if self.record_field else text

    def trim_field_text(self) -> str:
        """``record_field`` for the endpoint table, flagged when the vendor's docs do not show it."""
        if not self.record_field:
            return ""
        return f"`{self.record_field}`" + ("" if self.record_field_confirmed else " (unconfirmed)")


def format_moment(moment: pendulum.DateTime, fmt: str) -> Any:
    """``unix`` (seconds), ``iso`` (``2024-02-01T00:00:00Z``) or a strftime pattern."""
    if fmt == "unix":
        return int(moment.timestamp())
    if fmt == "iso":
        return moment.format("YYYY-MM-DDTHH:mm:ss") + "Z"
    return moment.strftime(fmt)


class DateRangeFilter(WindowMapping):
    """Window as a pair of request parameters (``date_from`` / ``date_to``) or one joined parameter.

    With ``whole_days`` the vendor filter takes dates only and its inclusivity at the edges is
    unknown, so we ask for one extra day on each side and keep records by ``record_field``.
    """

    def __init__(
        self,
        start_param: str,
        end_param: str | None = None,
        *,
        fmt: str = "iso",
        whole_days: bool = False,
        record_field: str | None = None,
        joiner: str | None = None,
        location: str = "query",
        record_field_confirmed: bool = True,
    ) -> None:
        self.start_param, self.end_param = start_param, end_param
        self.fmt, self.whole_days, self.joiner, self.location = fmt, whole_days, joiner, location
        self.record_field = record_field
        self.record_field_confirmed = record_field_confirmed
        self.owned_params = tuple(p for p in (start_param, end_param) if p)

    def describe(self) -> str:
        text = super().describe()
        return f"{text} (whole days, widened, trimmed)" if self.whole_days else text

    def apply(self, request: PageRequest, window: Window) -> None:
        start, end = window.start, window.end
        if self.whole_days:
            start = start.start_of("day") - timedelta(days=1)
            end = end.start_of("day") + timedelta(days=1)
        target = request.params if self.location == "query" else request.body_dict()
        first, last = format_moment(start, self.fmt), format_moment(end, self.fmt)
        if self.joiner is not None:
            target[self.start_param] = f"{first}{self.joiner}{last}"
        else:
            target[self.start_param] = first
            if self.end_param:
                target[self.end_param] = last
