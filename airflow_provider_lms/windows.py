"""Date windows: parsing the task's window and mapping it onto each vendor's date filter.

A window is half-open, ``[start, end)``, so adjacent DAG runs never share a record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, replace
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


@dataclass(frozen=True)
class MomentFormat:
    """How a window bound is written on the wire.

    ``render`` writes a moment; ``render_just_before`` (where the format is finer than a datetime)
    writes the last instant the format can express before the moment, so a strict "after" filter
    given it still includes the moment itself.
    """

    render: Callable[[pendulum.DateTime], Any]
    render_just_before: Callable[[pendulum.DateTime], Any] | None = None


def _iso_seconds(moment: pendulum.DateTime) -> str:
    return moment.in_timezone("UTC").format("YYYY-MM-DDTHH:mm:ss") + "Z"


def _ticks(moment: pendulum.DateTime) -> str:
    # Seven fractional digits (100 ns ticks); a datetime holds microseconds, so the 7th is 0.
    return moment.in_timezone("UTC").strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def _one_tick_before(moment: pendulum.DateTime) -> str:
    # One tick (100 ns) before: the microsecond before, with the 7th digit 9.
    return (moment - timedelta(microseconds=1)).in_timezone("UTC").strftime("%Y-%m-%dT%H:%M:%S.%f") + "9Z"


#: Named formats a window can write its bounds in; any other ``fmt`` is a strftime pattern.
FORMATS: dict[str, MomentFormat] = {
    "iso": MomentFormat(_iso_seconds),  # 2024-02-01T00:00:00Z (whole seconds)
    "unix": MomentFormat(lambda moment: int(moment.timestamp())),  # whole seconds since 1970
    "iso_ticks": MomentFormat(_ticks, _one_tick_before),  # 2024-02-01T00:00:00.0000000Z
    "odata_datetime": MomentFormat(lambda moment: f"datetime'{_iso_seconds(moment)}'"),
}

#: ``margin_before=JUST_BEFORE``: start at the format's last instant before the window start.
JUST_BEFORE = "just before"


def floor_to_second(moment: pendulum.DateTime) -> pendulum.DateTime:
    return moment.replace(microsecond=0)


def ceil_to_second(moment: pendulum.DateTime) -> pendulum.DateTime:
    return moment.replace(microsecond=0) + timedelta(seconds=1) if moment.microsecond else moment


def _span_text(span: timedelta) -> str:
    if span.days and not span.seconds and not span.microseconds:
        return f"{span.days} day" + ("s" if span.days > 1 else "")
    seconds = span.total_seconds()
    return f"{seconds:g} s"


@dataclass(frozen=True)
class DateWindow:
    """How one endpoint expresses a window in its requests, and which records fall inside it.

    Every vendor date filter is this one mechanism configured by data: where the bounds go
    (``start_param``/``end_param`` in the query or body, both joined into one parameter, or one
    ``template`` expression such as OData's AND-combined with the DAG author's own), how they are
    written (``fmt``), how far the request reaches past the window (``margin_before``/``margin_after``,
    after rounding to whole days or outward to whole seconds), and the record field that keeps
    records inside ``[start, end)`` on our side (the trim). No ``start_param``: the vendor has no
    date filter and the trim is the whole window.
    """

    start_param: str | None = None
    end_param: str | None = None
    _: KW_ONLY
    location: str = "query"  # "query" or "body"
    fmt: str = "iso"
    #: How far before the start / after the end the request reaches (the vendor's edges are
    #: undocumented or strict); ``JUST_BEFORE``: the format's last instant before the start.
    margin_before: timedelta | str = timedelta(0)
    margin_after: timedelta = timedelta(0)
    #: The vendor filter takes dates only: both ends fall to their midnight before the margins.
    whole_days: bool = False
    #: The vendor filter takes whole seconds: the start rounds down and the end up (nothing cut off).
    round_outward: bool = False
    #: ``start_param`` carries ``<start><joiner><end>`` (``date_range=2024-01-01,2024-01-02``).
    joiner: str | None = None
    #: ``start_param`` carries this expression (``{start}``/``{end}`` filled in); a value the DAG
    #: author passes there is kept and combined by ``combine`` (``{theirs}``/``{ours}``).
    template: str | None = None
    combine: str = "({theirs}) and ({ours})"
    #: Dotted path of the record's own timestamp; when set, records outside the window are dropped
    #: (needed where the vendor filter is coarser than the window, e.g. whole days).
    record_field: str | None = None
    #: Whether the vendor's own docs show ``record_field`` in its records (False: our guess).
    record_field_confirmed: bool = True

    def __post_init__(self) -> None:
        if self.location not in ("query", "body"):
            raise ValueError(f"window location {self.location!r} is not 'query' or 'body'")
        if self.margin_before == JUST_BEFORE and not self._format().render_just_before:
            raise ValueError(f"format {self.fmt!r} cannot write the instant just before a moment")
        if self.start_param is None and self.record_field is None:
            raise ValueError("a window without a vendor filter needs a record_field to trim by")

    @property
    def server_filter(self) -> bool:
        """Whether the vendor filters by date at all (False: the trim IS the window, never off)."""
        return self.start_param is not None

    @property
    def owned_params(self) -> tuple[str, ...]:
        """Parameter names the window writes; a user passing them directly would fight the window.
        A ``template`` parameter is shared with the DAG author, not owned."""
        if self.template is not None:
            return ()
        return tuple(p for p in (self.start_param, self.end_param) if p)

    def _format(self) -> MomentFormat:
        return FORMATS.get(self.fmt) or MomentFormat(lambda moment: moment.strftime(self.fmt))

    def bounds(self, window: Window) -> tuple[Any, Any]:
        """The window's two ends as the vendor filter receives them (rounded, widened, formatted)."""
        start, end = window.start, window.end
        if self.whole_days:
            start, end = start.start_of("day"), end.start_of("day")
        if self.round_outward:
            start, end = floor_to_second(start), ceil_to_second(end)
        fmt = self._format()
        if self.margin_before == JUST_BEFORE:
            first = fmt.render_just_before(start)  # type: ignore[misc]  # checked in __post_init__
        else:
            first = fmt.render(start - self.margin_before)  # type: ignore[operator]
        return first, fmt.render(end + self.margin_after)

    def apply(self, request: PageRequest, window: Window) -> None:
        """Write the window into ``request`` (query or body); nothing without a vendor filter."""
        if self.start_param is None:
            return
        target = request.params if self.location == "query" else request.body_dict()
        first, last = self.bounds(window)
        if self.template is not None:
            ours = self.template.format(start=first, end=last)
            theirs = str(target.get(self.start_param) or "").strip()
            target[self.start_param] = self.combine.format(theirs=theirs, ours=ours) if theirs else ours
        elif self.joiner is not None:
            target[self.start_param] = f"{first}{self.joiner}{last}"
        else:
            target[self.start_param] = first
            if self.end_param:
                target[self.end_param] = last

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
    ) -> DateWindow:
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
        if mode == "off":
            return replace(self, record_field=None)
        if record_time_field is not None:
            # The DAG author's own knowledge: confirmed.
            return replace(self, record_field=record_time_field.strip(), record_field_confirmed=True)
        return self

    def describe(self) -> str:
        """One line for the endpoint table: which vendor filter carries the window."""
        trim = self.trim_field_text()
        if self.start_param is None:
            return f"{trim} in [start, end), filtered on our side"
        if self.template is not None:
            text = f"{self.start_param}: " + self.template.format(start="<start>", end="<end>")
            kept_elsewhere = self.record_field and self.record_field not in self.template.split()
            return f"{text}, kept by {trim}" if kept_elsewhere else text
        if self.end_param is None and self.joiner is None and self.record_field:
            # A lower bound only: the end is ours to hold.
            return f"{self.start_param}={self._start_text()}, then {trim} < <end> on our side"
        text = " / ".join(f"`{p}`" for p in self.owned_params)
        text = f"{text} on {trim}" if self.record_field else text
        return f"{text} (whole days, widened, trimmed)" if self.whole_days else text

    def _start_text(self) -> str:
        if self.margin_before == JUST_BEFORE:
            return "<just before start>"
        if self.margin_before:
            return f"<start - {_span_text(self.margin_before)}>"  # type: ignore[arg-type]
        return "<start>"

    def trim_field_text(self) -> str:
        """``record_field`` for the endpoint table, flagged when the vendor's docs do not show it."""
        if not self.record_field:
            return ""
        return f"`{self.record_field}`" + ("" if self.record_field_confirmed else " (unconfirmed)")
