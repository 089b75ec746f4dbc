"""The checks every page of an extract passes before its records go anywhere.

Paginators decide where the next page is; these checks decide whether the pages add up to the
source's records, exactly once each. One :class:`ExtractChecks` per extract (one parameter set):

* **repeats** — a page that repeats ANY earlier page of the extract (not only its neighbour) is an
  error: a server ignoring the page parameter, or two pages served in turn with "more" set forever,
  would otherwise write duplicates until the disk fills. One 17-byte digest per page is kept.
* **bounds** — a page past what the vendor declared (total pages, or total records / page size,
  plus :data:`SLACK_PAGES`) is an error, and so is a page past the extract's ``page_limit``.
* **totals** — a declared total that changes between pages, or a final count of distinct records
  that differs from it, raises :class:`~airflow_provider_lms.exceptions.LmsDataChangedError`: rows
  were added or removed while we paged. The operator restarts the extract once on that error.
* **offset shifts** — with the endpoint's ``id_field``, a record whose id was on the PREVIOUS page
  (what a row inserted in front of our offset produces) is skipped and counted. Only the previous
  page's ids are held: memory stays one page, whatever the extract's size.

Why digests this way: re-serialising a page with sorted keys cost as much as parsing it. With ids
known the digest covers only the ids; otherwise the page's compact JSON from orjson (C speed,
deterministic for equal parsed JSON; a pickle where orjson cannot encode a value) is hashed.
"""

from __future__ import annotations

import hashlib
import json
import math
import pickle
from collections.abc import Callable
from typing import Any

from airflow_provider_lms.exceptions import LmsConfigError, LmsDataChangedError, LmsPaginationError
from airflow_provider_lms.fast_json import content_bytes
from airflow_provider_lms.pagination import Declared

#: Pages tolerated past a declared end before it is an error (a last partial page, an empty one).
SLACK_PAGES = 2
#: Default ceiling on the pages of one extract: generous, but an end to any endless loop.
DEFAULT_PAGE_LIMIT = 100_000
PAGE_LIMIT_SETTING = "page_limit"

IdGetter = Callable[[dict[str, Any]], Any]


def id_getter(id_field: str | None) -> IdGetter | None:
    """``record -> id`` for a field name or dotted path (``course.id``); None without a field."""
    if not id_field:
        return None
    keys = id_field.split(".")
    if len(keys) == 1:
        key = keys[0]
        return lambda record: record.get(key)

    def nested(record: dict[str, Any]) -> Any:
        node: Any = record
        for key in keys:
            if not isinstance(node, dict):
                return None
            node = node.get(key)
        return node

    return nested


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return json.dumps(value, sort_keys=True, default=str)
    return value


def page_digest(records: list[dict[str, Any]], ids: list[Any] | None = None) -> bytes:
    """A short fingerprint of one page: of its ids when every record has one, else of its content."""
    if ids is not None and None not in ids:
        data = "\x1f".join(map(str, ids)).encode()
        return b"i" + hashlib.blake2b(data, digest_size=16).digest()
    data = content_bytes(records)  # orjson: ~3x cheaper than a pickle, equal for equal pages
    if data is None:  # a value orjson leaves to others (a subclass, a huge int): pickle it
        try:
            data = b"p" + pickle.dumps(records, protocol=5)
        except Exception:  # a record a parser made unpicklable: slower, still exact
            data = b"j" + json.dumps(records, default=str).encode()
    return b"c" + hashlib.blake2b(data, digest_size=16).digest()


class PageLoopGuard:
    """Raises when a page has the same records as ANY earlier page of the extract.

    Empty pages are never digested: for page numbers and offsets an empty page ends the extract
    (or is an error of its own), and for tokens an empty page with a fresh token is legitimate
    (the token check and the page limit stop a server that sends those forever).
    """

    def __init__(self) -> None:
        self._seen: dict[bytes, int] = {}

    def check(self, records: list[dict[str, Any]], page_number: int, ids: list[Any] | None = None) -> None:
        if not records:
            return
        digest = page_digest(records, ids)
        earlier = self._seen.get(digest)
        if earlier is not None:
            raise LmsPaginationError(
                f"page {page_number} repeats page {earlier} record for record: the server ignores the "
                "page parameter or lies about having more pages; stopped to avoid duplicates and an "
                "endless loop"
            )
        self._seen[digest] = page_number


def page_limit_from(value: Any, source: str) -> int:
    """A positive whole number of pages, or a config error naming where the value came from."""
    if value in (None, ""):
        return DEFAULT_PAGE_LIMIT
    try:
        limit = int(value)
    except (TypeError, ValueError):
        limit = 0
    if limit < 1:
        raise LmsConfigError(f"{source} {PAGE_LIMIT_SETTING}={value!r} must be a whole number of pages >= 1")
    return limit


class ExtractChecks:
    """Every check of one extract (one parameter set), fed page by page by the hook's engine.

    :param label: names the extract in messages (``"<connection type> users"``).
    :param id_field: the endpoint's record id (field or dotted path), or None.
    :param page_limit: most pages this extract may read before it is an error.
    :param page_size: the page size asked for (a fallback for the declared-pages bound).
    """

    def __init__(
        self,
        label: str,
        *,
        id_field: str | None = None,
        page_limit: int = DEFAULT_PAGE_LIMIT,
        page_size: int | None = None,
    ) -> None:
        self.label, self.page_limit, self.page_size = label, page_limit, page_size
        self._id_of = id_getter(id_field)
        self._guard = PageLoopGuard()
        self._previous_ids: set[Any] = set()
        self._first_totals: dict[str, tuple[int, int]] = {}  # kind -> (value, page it was first seen)
        self._declared = Declared()
        self._first_page_count: int | None = None
        self.pages = 0
        self.received = 0  # records the vendor sent
        self.skipped = 0  # of them, repeats of the previous page's ids

    def before_page(self, number: int) -> None:
        """Refuse to send page ``number`` beyond the extract's page limit."""
        if number > self.page_limit:
            raise LmsPaginationError(
                f"{self.label}: stopped before page {number}: {self.page_limit} pages were read and the "
                f"server still says there are more. If the endpoint really has more pages, raise the "
                f"connection extra {PAGE_LIMIT_SETTING!r} (or the hook argument {PAGE_LIMIT_SETTING}=), "
                "or read fewer pages with a larger page_size or a narrower window"
            )

    def after_page(
        self, number: int, records: list[dict[str, Any]], declared: Declared
    ) -> tuple[list[dict[str, Any]], int]:
        """Check page ``number`` as received; return its records without offset-shift repeats and
        how many were skipped."""
        self.pages = number
        self.received += len(records)
        if self._first_page_count is None:
            self._first_page_count = len(records)
        self._watch_totals(number, declared)
        ids = [self._id_of(r) for r in records] if self._id_of is not None else None
        self._guard.check(records, number, ids)
        self._check_bound(number)
        if ids is None:
            return records, 0
        try:
            current = set(ids)
        except TypeError:  # an id that is an object or a list: compare its JSON form instead
            ids = [_hashable(i) for i in ids]
            current = set(ids)
        current.discard(None)  # a record without an id is never taken for a repeat
        previous, self._previous_ids = self._previous_ids, current
        if not previous:
            return records, 0
        kept = [r for r, key in zip(records, ids, strict=True) if key not in previous]
        skipped = len(records) - len(kept)
        self.skipped += skipped
        return kept, skipped

    def finish(self) -> None:
        """The paginator ended on its own: the pages must add up to what the vendor declared."""
        declared, distinct = self._declared, self.received - self.skipped
        repeated = f" ({self.skipped} repeated from the page before were skipped)" if self.skipped else ""
        if declared.total_items is not None and distinct != declared.total_items:
            raise LmsDataChangedError(
                f"{self.label}: the vendor declared {declared.total_items} records "
                f"({declared.items_field}) but the extract read {distinct} distinct records in "
                f"{self.pages} pages{repeated}: {self._changed_help()}"
            )
        if declared.total_pages is not None and self.pages != max(declared.total_pages, 1):
            raise LmsDataChangedError(
                f"{self.label}: the vendor declared {declared.total_pages} pages "
                f"({declared.pages_field}) but the extract ended after {self.pages}: "
                f"{self._changed_help()}"
            )

    # ---- internals ------------------------------------------------------------------------

    def _watch_totals(self, number: int, declared: Declared) -> None:
        for kind, value, field in (
            ("records", declared.total_items, declared.items_field),
            ("pages", declared.total_pages, declared.pages_field),
        ):
            if value is None:
                continue
            first, page = self._first_totals.setdefault(kind, (value, number))
            if value != first:
                raise LmsDataChangedError(
                    f"{self.label}: the vendor declared {first} {kind} ({field}) on page {page} and "
                    f"{value} on page {number}: {self._changed_help()}"
                )
        self._declared = Declared(
            total_items=declared.total_items
            if declared.total_items is not None
            else self._declared.total_items,
            total_pages=declared.total_pages
            if declared.total_pages is not None
            else self._declared.total_pages,
            page_size=declared.page_size or self._declared.page_size,
            items_field=declared.items_field,
            pages_field=declared.pages_field,
        )

    def _check_bound(self, number: int) -> None:
        declared = self._declared
        bounds: list[tuple[int, str]] = []
        if declared.total_pages is not None:
            bounds.append(
                (max(declared.total_pages, 1), f"{declared.total_pages} pages ({declared.pages_field})")
            )
        if declared.total_items is not None:
            size = declared.page_size or self._first_page_count or self.page_size
            if size:
                pages = max(math.ceil(declared.total_items / size), 1)
                bounds.append(
                    (pages, f"{declared.total_items} records ({declared.items_field}) in pages of {size}")
                )
        for expected, what in bounds:
            if number > expected + SLACK_PAGES:
                raise LmsPaginationError(
                    f"{self.label}: page {number} is past the end the vendor declared ({what}, so at "
                    f"most {expected} pages): the server keeps saying there is more than it said there "
                    "was; stopped to avoid duplicates and an endless extract"
                )

    @staticmethod
    def _changed_help() -> str:
        return (
            "records were added or removed while paging, so offsets shifted and records could be "
            "duplicated or missing. The extract operator restarts such an extract once from page 1 "
            "(discarding what it had read); if the source keeps changing, run it when it is quieter "
            "or narrow the window"
        )
