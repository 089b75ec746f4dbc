"""How Absorb pages, sorts and filters: page-index ``_offset``, stable ``_sort``, OData ``_filter``
windows and the one-sided ``modifiedSince``."""

from __future__ import annotations

from datetime import timedelta

from airflow_provider_lms.pagination import PageNumberPaginator, Paginator
from airflow_provider_lms.windows import DateWindow

MAX_PAGE_SIZE = 1000  # _limit ceiling
MAX_PAGE_INDEX = 65535  # _offset ceiling (a page index, not a row offset)
EDITED_FIELD = "dateEdited"


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


def odata_window(field: str = EDITED_FIELD, param: str = "_filter", *, confirmed: bool = True) -> DateWindow:
    """``dateEdited ge datetime'start' and dateEdited lt datetime'end'`` in ``_filter``.

    A ``_filter`` the DAG author passes is kept and AND-combined (each side in parentheses, so an
    ``or`` in theirs cannot swallow the window). Absorb literals carry whole seconds: the exclusive
    end rounds UP so no record is cut off. Records are also checked against the window on our side,
    which costs nothing and guards against a server comparing in another time zone.
    """
    return DateWindow(
        param,
        template=f"{field} ge {{start}} and {field} lt {{end}}",
        combine="({theirs}) and ({ours})",
        fmt="odata_datetime",
        round_outward=True,
        record_field=field,
        record_field_confirmed=confirmed,
    )


def modified_since_window(param: str = "modifiedSince", record_field: str = EDITED_FIELD) -> DateWindow:
    """``modifiedSince`` ("edited after this date"): a lower bound only, with undocumented edge.

    We ask from one second before the window start (so a record edited exactly at the start is
    not lost to a strict "after") and keep records whose ``dateEdited`` lies in ``[start, end)``.
    """
    return DateWindow(param, margin_before=timedelta(seconds=1), record_field=record_field)


def record_window(record_field: str = EDITED_FIELD) -> DateWindow:
    """No server-side date filter: keep the records whose own timestamp lies in the window
    (the trim is the whole window: ``window_trim="off"`` is refused)."""
    return DateWindow(record_field=record_field)
