"""Pagination strategies: each a small class that sets up the first request and derives the next.

Every strategy stops on its own signal; :class:`PageLoopGuard` stops any of them when a vendor
serves the same page twice, so a lying server produces an error instead of an endless extract.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from typing import Any

from airflow_provider_lms.exceptions import LmsConfigError, LmsPaginationError
from airflow_provider_lms.page_request import PageRequest, PageResponse
from airflow_provider_lms.records import get_dotted, get_int


class Paginator(ABC):
    """Drives one extract's pages. A fresh instance is made per extract (it holds state)."""

    page_size_param: str | None = None
    location: str = "query"

    def start(self, request: PageRequest, page_size: int | None) -> PageRequest:
        """Prepare the first page's request."""
        self.page_size = page_size
        if page_size is not None and self.page_size_param:
            self._target(request)[self.page_size_param] = page_size
        return request

    @abstractmethod
    def advance(self, request: PageRequest, response: PageResponse) -> PageRequest | None:
        """Return the next page's request, or None after the last page."""

    def _target(self, request: PageRequest) -> dict[str, Any]:
        return request.params if self.location == "query" else request.body_dict()


class SinglePage(Paginator):
    """The endpoint answers in one response."""

    def advance(self, request: PageRequest, response: PageResponse) -> PageRequest | None:
        return None


def _truthy_header(value: str) -> bool:
    # Header values are strings: "false" must not count as true (a bug seen in public clients).
    return value.strip().lower() in ("true", "1", "yes")


class PageNumberPaginator(Paginator):
    """``page`` (or a page index) and a page size, stopping on the first signal the vendor gives.

    Stop signals, in order: a has-next header, a total-pages field, a total-items field (counted
    against records seen, so a server that caps the page size below our request still works),
    and finally a short or empty page.
    """

    def __init__(
        self,
        page_param: str = "page",
        page_size_param: str | None = "per_page",
        *,
        first_page: int = 1,
        has_next_header: str | None = None,
        total_pages_path: str | None = None,
        total_items_path: str | None = None,
        location: str = "query",
    ) -> None:
        self.page_param, self.page_size_param, self.first_page = page_param, page_size_param, first_page
        self.has_next_header = has_next_header
        self.total_pages_path, self.total_items_path = total_pages_path, total_items_path
        self.location = location
        self.page = first_page
        self.records_seen = 0

    def start(self, request: PageRequest, page_size: int | None) -> PageRequest:
        super().start(request, page_size)
        self.page, self.records_seen = self.first_page, 0
        self._target(request)[self.page_param] = self.page
        return request

    def advance(self, request: PageRequest, response: PageResponse) -> PageRequest | None:
        self.records_seen += response.record_count
        if not self._has_more(response):
            return None
        self.page += 1
        following = request.copy()
        self._target(following)[self.page_param] = self.page
        return following

    def _has_more(self, response: PageResponse) -> bool:
        if self.has_next_header:
            value = _header(response.headers, self.has_next_header)
            if value is not None:
                return _truthy_header(value) and response.record_count > 0
        if self.total_pages_path:
            total_pages = get_int(response.body, self.total_pages_path)
            if total_pages is not None:
                return self.page - self.first_page + 1 < total_pages
        if self.total_items_path:
            total = get_int(response.body, self.total_items_path)
            if total is not None:
                return self.records_seen < total and response.record_count > 0
        if response.record_count == 0:
            return False
        return self.page_size is None or response.record_count >= self.page_size


class TokenPaginator(Paginator):
    """Opaque continuation tokens (``pageToken`` / ``nextPageToken``). A repeated token is an error."""

    def __init__(
        self,
        token_param: str = "pageToken",
        next_token_path: str = "nextPageToken",
        page_size_param: str | None = "pageSize",
        *,
        location: str = "query",
    ) -> None:
        self.token_param, self.next_token_path = token_param, next_token_path
        self.page_size_param, self.location = page_size_param, location
        self.seen_tokens: set[str] = set()

    def advance(self, request: PageRequest, response: PageResponse) -> PageRequest | None:
        token = get_dotted(response.body, self.next_token_path)
        if token in (None, ""):
            return None
        token = str(token)
        if token in self.seen_tokens:
            raise LmsPaginationError(
                f"the server sent page token {token!r} twice: its pagination loops, stopping the extract"
            )
        self.seen_tokens.add(token)
        following = request.copy()
        self._target(following)[self.token_param] = token
        return following


class OffsetPaginator(Paginator):
    """Row offsets (``offset`` / ``limit``), stopping on a total or a short page."""

    def __init__(
        self,
        offset_param: str = "offset",
        page_size_param: str | None = "limit",
        *,
        total_items_path: str | None = None,
        location: str = "query",
    ) -> None:
        self.offset_param, self.page_size_param = offset_param, page_size_param
        self.total_items_path, self.location = total_items_path, location
        self.offset = 0

    def start(self, request: PageRequest, page_size: int | None) -> PageRequest:
        super().start(request, page_size)
        self.offset = 0
        self._target(request)[self.offset_param] = 0
        return request

    def advance(self, request: PageRequest, response: PageResponse) -> PageRequest | None:
        self.offset += response.record_count
        total = get_int(response.body, self.total_items_path) if self.total_items_path else None
        if response.record_count == 0 or (total is not None and self.offset >= total):
            return None
        if total is None and self.page_size is not None and response.record_count < self.page_size:
            return None
        following = request.copy()
        self._target(following)[self.offset_param] = self.offset
        return following


PAGINATORS: dict[str, type[Paginator]] = {
    "none": SinglePage,
    "page_number": PageNumberPaginator,
    "token": TokenPaginator,
    "offset": OffsetPaginator,
}


def paginator_from_spec(spec: dict[str, Any] | str) -> type[Paginator] | Any:
    """Build a paginator factory from a DAG author's spec: ``"none"`` or ``{"type": ..., **options}``."""
    if isinstance(spec, str):
        spec = {"type": spec}
    spec = dict(spec)
    kind = spec.pop("type", None)
    if kind not in PAGINATORS:
        raise LmsConfigError(f"pagination type {kind!r} is unknown; use one of {sorted(PAGINATORS)}")
    cls = PAGINATORS[kind]
    try:
        cls(**spec)
    except TypeError as exc:
        raise LmsConfigError(f"pagination {kind!r}: {exc}") from None
    return lambda: cls(**spec)


class PageLoopGuard:
    """Raises when a page has the same records as the page before it (a server ignoring ``page``)."""

    def __init__(self) -> None:
        self._previous: str | None = None

    def check(self, records: list[dict[str, Any]], page_number: int) -> None:
        if not records:
            self._previous = None
            return
        digest = hashlib.sha256(json.dumps(records, sort_keys=True, default=str).encode()).hexdigest()
        if digest == self._previous:
            raise LmsPaginationError(
                f"page {page_number} repeats page {page_number - 1} record for record: the server "
                "ignores the page parameter or lies about having more pages; stopped to avoid "
                "duplicates and an endless loop"
            )
        self._previous = digest


def _header(headers: dict[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None
