"""How Absorb pages, sorts and filters: page-index ``_offset``, stable ``_sort``, OData ``_filter``
windows and the one-sided ``modifiedSince``."""

from __future__ import annotations

from datetime import timedelta

import pendulum

from airflow_provider_lms.page_request import PageRequest
from airflow_provider_lms.pagination import PageNumberPaginator, Paginator
from airflow_provider_lms.windows import Window, WindowMapping

MAX_PAGE_SIZE = 1000  # _limit ceiling
MAX_PAGE_INDEX = 65535  # _offset ceiling (a page index, not a row offset)
EDITED_FIELD = "dateEdited"


def odata_datetime(moment: pendulum.DateTime) -> str:
    """``datetime'2026-10-19T00:00:00Z'``: the literal Absorb's OData filter compares dates with."""
    return f"datetime'{moment.in_timezone('UTC').format('YYYY-MM-DDTHH:mm:ss')}Z'"


def ceil_to_second(moment: pendulum.DateTime) -> pendulum.DateTime:
    # Absorb literals carry whole seconds: round an exclusive end UP so no record is cut off.
    if moment.microsecond:
        return moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment


def AbsorbPaginator(unique_field: str | None = "id") -> Paginator:  # noqa: N802
    """``_limit`` + ``_offset`` as a page index from 0, stopping on ``totalItems``. An empty page
    before ``totalItems`` is reached is an error, not the end (see :mod:`~airflow_provider_lms.pagination`).

    A stable ``_sort`` is always sent (``unique_field`` appended to any user sort): without it
    ties may come back in another order on every page and records repeat or go missing.
    """
    return PageNumberPaginator(
        "_offset",
        "_limit",
        first_page=0,
        total_items_path="totalItems",
        served_page_size_path="limit",
        stable_sort=("_sort", unique_field) if unique_field else None,
        last_page=MAX_PAGE_INDEX,
    )


class ODataWindow(WindowMapping):
    """``dateEdited ge datetime'start' and dateEdited lt datetime'end'`` in ``_filter``.

    A ``_filter`` the DAG author passes is kept and AND-combined (each side in parentheses, so an
    ``or`` in theirs cannot swallow the window). Records are also checked against the window on
    our side, which costs nothing and guards against a server comparing in another time zone.
    """

    owned_params: tuple[str, ...] = ()  # _filter is shared with the DAG author, not owned

    def __init__(self, field: str = EDITED_FIELD, param: str = "_filter", *, confirmed: bool = True) -> None:
        self.field, self.param = field, param
        self.record_field, self.record_field_confirmed = field, confirmed

    def expression(self, window: Window) -> str:
        start, end = odata_datetime(window.start), odata_datetime(ceil_to_second(window.end))
        return f"{self.field} ge {start} and {self.field} lt {end}"

    def apply(self, request: PageRequest, window: Window) -> None:
        theirs = str(request.params.get(self.param) or "").strip()
        ours = self.expression(window)
        request.params[self.param] = f"({theirs}) and ({ours})" if theirs else ours

    def describe(self) -> str:
        text = f"{self.param}: {self.field} ge <start> and {self.field} lt <end>"
        return f"{text}, kept by {self.trim_field_text()}" if self.record_field != self.field else text


class ModifiedSinceWindow(WindowMapping):
    """``modifiedSince`` ("edited after this date"): a lower bound only, with undocumented edge.

    We ask from one second before the window start (so a record edited exactly at the start is
    not lost to a strict "after") and keep records whose ``dateEdited`` lies in ``[start, end)``.
    """

    def __init__(self, param: str = "modifiedSince", record_field: str = EDITED_FIELD) -> None:
        self.param, self.record_field = param, record_field
        self.owned_params = (param,)

    def apply(self, request: PageRequest, window: Window) -> None:
        since = window.start.in_timezone("UTC").replace(microsecond=0) - timedelta(seconds=1)
        request.params[self.param] = since.format("YYYY-MM-DDTHH:mm:ss") + "Z"

    def describe(self) -> str:
        return f"{self.param}=<start - 1 s>, then {self.trim_field_text()} < <end> on our side"


class RecordWindow(WindowMapping):
    """No server-side date filter: keep the records whose own timestamp lies in the window."""

    server_filter = False  # the trim is the whole window: window_trim="off" is refused

    def __init__(self, record_field: str = EDITED_FIELD) -> None:
        self.record_field = record_field

    def apply(self, request: PageRequest, window: Window) -> None:
        return None

    def describe(self) -> str:
        return f"{self.trim_field_text()} in [start, end), filtered on our side"
