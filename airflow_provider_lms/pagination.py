"""Pagination strategies: each a small class that sets up the first request and derives the next.

Every strategy stops on its own signal and says what the vendor declared about the whole extract
(:class:`Declared`: totals, the page size it served); :mod:`airflow_provider_lms.page_checks` holds
those declarations against the pages that actually arrive (repeats, bounds, totals).

Two rules every strategy follows, because a silent end is silent data loss:

* an empty page while the vendor still says "more" (a has-next header, a total not reached) is an
  error, never the end;
* a short page is the end only where the vendor says how many records it serves per page; where
  nothing tells, paging goes on to an empty page (one extra request, never a lost tail).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from airflow_provider_lms.exceptions import LmsConfigError, LmsPaginationError
from airflow_provider_lms.page_request import PageRequest, PageResponse
from airflow_provider_lms.records import get_dotted, get_int


@dataclass(frozen=True)
class Declared:
    """What one page says about the whole extract; None where the vendor did not say."""

    total_items: int | None = None
    total_pages: int | None = None
    page_size: int | None = None  # records per page the server says it served
    items_field: str = "total"  # where the totals came from, for messages
    pages_field: str = "total pages"


class Paginator(ABC):
    """Drives one extract's pages. A fresh instance is made per extract (it holds state)."""

    page_size_param: str | None = None
    location: str = "query"
    #: With ``location="body"``: the body object holding the paging fields (``{"paging": {...}}``).
    container: str | None = None

    def start(self, request: PageRequest, page_size: int | None) -> PageRequest:
        """Prepare the first page's request."""
        self.page_size = page_size
        if page_size is not None and self.page_size_param:
            self._target(request)[self.page_size_param] = page_size
        return request

    @abstractmethod
    def advance(self, request: PageRequest, response: PageResponse) -> PageRequest | None:
        """Return the next page's request, or None after the last page."""

    def declared(self, response: PageResponse) -> Declared:
        """What this page declares about the whole extract (nothing by default)."""
        return Declared()

    def _target(self, request: PageRequest) -> dict[str, Any]:
        if self.location == "query":
            return request.params
        body = request.body_dict()
        return body.setdefault(self.container, {}) if self.container else body


class SinglePage(Paginator):
    """The endpoint answers in one response.

    :param total_items_path: where the response says how many records the whole list holds,
        for lists the vendor serves in one response with no way to ask for the rest: fewer
        records than that is an error (``short_hint`` says what to do), never a silent cut.
    """

    def __init__(self, *, total_items_path: str | None = None, short_hint: str = "") -> None:
        self.total_items_path, self.short_hint = total_items_path, short_hint

    def declared(self, response: PageResponse) -> Declared:
        if not self.total_items_path:
            return Declared()
        return Declared(
            total_items=get_int(response.body, self.total_items_path), items_field=self.total_items_path
        )

    def advance(self, request: PageRequest, response: PageResponse) -> PageRequest | None:
        total = get_int(response.body, self.total_items_path) if self.total_items_path else None
        if total is not None and total > response.record_count:
            raise LmsPaginationError(
                f"{request.path} answered {response.record_count} records but says "
                f"{self.total_items_path}={total}, and there is no way to read the rest"
                + (f"; {self.short_hint}" if self.short_hint else "")
            )
        return None


def _truthy_header(value: str) -> bool:
    # Header values are strings: "false" must not count as true (a bug seen in public clients).
    return value.strip().lower() in ("true", "1", "yes")


def _served_page_size(response: PageResponse, header: str | None, path: str | None) -> int | None:
    value: Any = response.headers.get(header) if header else None
    if value is None and path:
        value = get_dotted(response.body, path)
    try:
        size = int(value)
    except (TypeError, ValueError):
        return None
    return size if size > 0 else None


def empty_page_error(where: str, signal: str, records_seen: int) -> LmsPaginationError:
    """An empty page although the vendor says more follow: stopping here would lose the rest."""
    return LmsPaginationError(
        f"{where} came back empty although {signal} ({records_seen} records read so far): ending "
        "here would silently lose the rest, so the extract stopped. The server lost its place or "
        "records were removed while paging: re-run the task; if it happens again, a smaller "
        "page_size or a narrower window may help, and the vendor should hear about it"
    )


#: What a page without any stop signal means (:class:`PageNumberPaginator` ``without_signal``).
WITHOUT_SIGNAL = ("read_on", "error", "last_page")


class PageNumberPaginator(Paginator):
    """``page`` (or a page index) and a page size, stopping on the first signal the vendor gives.

    Stop signals, in order: a has-next header, a has-more body field, a total-pages field, a
    total-items field (counted against records seen, so a server that caps the page size below our
    request still works), and finally an empty page, or a page shorter than the page size the
    server says it served (``served_page_size_header`` / ``served_page_size_path``). An empty page
    while one of the first four still says "more" is an error. Without any of these signals a short
    page is not trusted as the last one: servers cap ``per_page`` below what we ask without saying so.

    Options for what vendors do differently, each off by default:

    :param has_more_path: a body field saying whether more pages follow (``has_more_data``).
    :param declared_items_path: a total-items field that is held against the records read (the
        page checks) but does not stop paging (when ``total_pages_path`` is the stop signal).
    :param served_page_path: the body field naming the page actually served; a page other than
        the one asked for is an error (servers that answer past the end with the last page again).
    :param without_signal: what a page carrying none of the stop signals above means:
        ``"read_on"`` (default: page on to an empty or short page), ``"error"`` (servers that never
        serve an empty page, so paging on could loop) or ``"last_page"`` (a list that is not paged
        comes without paging fields).
    :param stable_sort: ``(sort parameter, unique field)``: the unique field is appended to any
        sort the DAG author gave, so ties cannot change order between pages.
    :param last_page: the highest page number the vendor serves; paging beyond it is an error.
    :param location: ``"query"`` or ``"body"`` (with ``container``: a nested body object).
    """

    def __init__(
        self,
        page_param: str = "page",
        page_size_param: str | None = "per_page",
        *,
        first_page: int = 1,
        has_next_header: str | None = None,
        has_more_path: str | None = None,
        total_pages_path: str | None = None,
        total_items_path: str | None = None,
        declared_items_path: str | None = None,
        served_page_size_header: str | None = None,
        served_page_size_path: str | None = None,
        served_page_path: str | None = None,
        without_signal: str = "read_on",
        stable_sort: tuple[str, str] | None = None,
        last_page: int | None = None,
        location: str = "query",
        container: str | None = None,
    ) -> None:
        self.page_param, self.page_size_param, self.first_page = page_param, page_size_param, first_page
        self.has_next_header, self.has_more_path = has_next_header, has_more_path
        self.total_pages_path, self.total_items_path = total_pages_path, total_items_path
        self.declared_items_path = declared_items_path
        self.served_page_size_header, self.served_page_size_path = (
            served_page_size_header,
            served_page_size_path,
        )
        if without_signal not in WITHOUT_SIGNAL:
            raise LmsConfigError(f"without_signal={without_signal!r} is not one of {list(WITHOUT_SIGNAL)}")
        self.served_page_path, self.without_signal = served_page_path, without_signal
        self.stable_sort, self.last_page = stable_sort, last_page
        self.location, self.container = location, container
        self.page = first_page
        self.records_seen = 0

    def start(self, request: PageRequest, page_size: int | None) -> PageRequest:
        super().start(request, page_size)
        self.page, self.records_seen = self.first_page, 0
        self._target(request)[self.page_param] = self.page
        if self.stable_sort and self.stable_sort[1]:
            param, unique_field = self.stable_sort
            request.params[param] = stable_sort(request.params.get(param), unique_field)
        return request

    def advance(self, request: PageRequest, response: PageResponse) -> PageRequest | None:
        self._check_served_page(response)
        self.records_seen += response.record_count
        if not self._has_more(response):
            return None
        self.page += 1
        if self.last_page is not None and self.page > self.last_page:
            raise LmsPaginationError(
                f"the server serves at most {self.last_page - self.first_page + 1} pages "
                f"({self.page_param} <= {self.last_page}) and {self.records_seen} records have been read "
                f"at page_size={self.page_size}: raise page_size or narrow the window or filter"
            )
        following = request.copy()
        self._target(following)[self.page_param] = self.page
        return following

    def declared(self, response: PageResponse) -> Declared:
        items_path = self.total_items_path or self.declared_items_path
        return Declared(
            total_items=get_int(response.body, items_path) if items_path else None,
            total_pages=get_int(response.body, self.total_pages_path) if self.total_pages_path else None,
            page_size=_served_page_size(response, self.served_page_size_header, self.served_page_size_path),
            items_field=items_path or "total",
            pages_field=self.total_pages_path or "total pages",
        )

    def _check_served_page(self, response: PageResponse) -> None:
        if not self.served_page_path:
            return
        served = get_int(response.body, self.served_page_path)
        if served is not None and served != self.page:
            raise LmsPaginationError(
                f"asked for page {self.page} but the server served page {served} "
                f"({self.served_page_path}): its page count was wrong or changed while paging (a page "
                "past the end may repeat the last one); stopped to avoid duplicates"
            )

    def _has_more(self, response: PageResponse) -> bool:
        count = response.record_count
        more, signal = self._stop_signal(response)
        if more is not None:
            if more and count == 0:
                raise empty_page_error(f"page {self.page_param}={self.page}", signal, self.records_seen)
            return more
        if self.without_signal == "last_page":
            return False
        if self.without_signal == "error":
            raise LmsPaginationError(
                f"page {self.page_param}={self.page} carries no {self._signal_names()}: this server "
                "does not end its paging with an empty page, so paging on could loop; set "
                "pagination='none' on the endpoint if this list is not paged"
            )
        if count == 0:
            return False
        served = _served_page_size(response, self.served_page_size_header, self.served_page_size_path)
        return served is None or count >= served

    def _stop_signal(self, response: PageResponse) -> tuple[bool | None, str]:
        """Whether the vendor says more pages follow (None: it does not say), and how it says it."""
        if self.has_next_header:
            value = response.headers.get(self.has_next_header)
            if value is not None:
                return _truthy_header(value), f"the {self.has_next_header} header says {value!r}"
        if self.has_more_path:
            value = get_dotted(response.body, self.has_more_path)
            if isinstance(value, bool):
                return value, f"{self.has_more_path} says {value}"
            if value is not None:
                raise LmsPaginationError(
                    f"page {self.page_param}={self.page}: {self.has_more_path} is a "
                    f"{type(value).__name__}, not true or false, so whether more pages follow is unknown"
                )
        if self.total_pages_path:
            total_pages = get_int(response.body, self.total_pages_path)
            if total_pages is not None:
                more = self.page - self.first_page + 1 < total_pages
                return more, f"{self.total_pages_path} says {total_pages} pages"
        if self.total_items_path:
            total = get_int(response.body, self.total_items_path)
            if total is not None:
                return self.records_seen < total, f"{self.total_items_path} says {total} records"
        return None, ""

    def _signal_names(self) -> str:
        names = [
            self.has_next_header and f"{self.has_next_header} header",
            self.has_more_path,
            self.total_pages_path,
            self.total_items_path,
        ]
        return " or ".join(n for n in names if n) or "stop signal"


def stable_sort(requested: str | None, unique_field: str) -> str:
    """The user's sort with a unique field appended as tie-breaker (pages must not shift)."""
    fields = [f.strip() for f in (requested or "").split(",") if f.strip()]
    if unique_field.lower() not in {f.lstrip("+-").lower() for f in fields}:
        fields.append(unique_field)
    return ",".join(fields)


class TokenPaginator(Paginator):
    """Opaque continuation tokens (``pageToken`` / ``nextPageToken``). A repeated token is an error.

    :param also_token_paths: other spellings of the next-token field, read when
        ``next_token_path`` is empty (a vendor's documented typo, say).
    """

    def __init__(
        self,
        token_param: str = "pageToken",
        next_token_path: str = "nextPageToken",
        page_size_param: str | None = "pageSize",
        *,
        also_token_paths: tuple[str, ...] = (),
        location: str = "query",
        container: str | None = None,
    ) -> None:
        self.token_param, self.next_token_path = token_param, next_token_path
        self.also_token_paths = tuple(also_token_paths)
        self.page_size_param, self.location, self.container = page_size_param, location, container
        self.seen_tokens: set[str] = set()

    def advance(self, request: PageRequest, response: PageResponse) -> PageRequest | None:
        token = None
        for path in (self.next_token_path, *self.also_token_paths):
            token = get_dotted(response.body, path)
            if token not in (None, ""):
                break
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
    """Row offsets (``offset`` / ``limit``), stopping on a total, an empty page, or a page shorter
    than the page size the server says it served. An empty page before the total is an error."""

    def __init__(
        self,
        offset_param: str = "offset",
        page_size_param: str | None = "limit",
        *,
        total_items_path: str | None = None,
        served_page_size_header: str | None = None,
        served_page_size_path: str | None = None,
        location: str = "query",
        container: str | None = None,
    ) -> None:
        self.offset_param, self.page_size_param = offset_param, page_size_param
        self.total_items_path, self.location, self.container = total_items_path, location, container
        self.served_page_size_header, self.served_page_size_path = (
            served_page_size_header,
            served_page_size_path,
        )
        self.offset = 0

    def start(self, request: PageRequest, page_size: int | None) -> PageRequest:
        super().start(request, page_size)
        self.offset = 0
        self._target(request)[self.offset_param] = 0
        return request

    def declared(self, response: PageResponse) -> Declared:
        return Declared(
            total_items=get_int(response.body, self.total_items_path) if self.total_items_path else None,
            page_size=_served_page_size(response, self.served_page_size_header, self.served_page_size_path),
            items_field=self.total_items_path or "total",
        )

    def advance(self, request: PageRequest, response: PageResponse) -> PageRequest | None:
        count = response.record_count
        total = get_int(response.body, self.total_items_path) if self.total_items_path else None
        if total is not None:
            if count == 0 and self.offset < total:
                raise empty_page_error(
                    f"the page at {self.offset_param}={self.offset}",
                    f"{self.total_items_path} says {total} records",
                    self.offset,
                )
            self.offset += count
            if self.offset >= total:
                return None
        else:
            self.offset += count
            if count == 0:
                return None
            served = _served_page_size(response, self.served_page_size_header, self.served_page_size_path)
            if served is not None and count < served:
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
