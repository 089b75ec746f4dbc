"""LmsHook: the shared engine every vendor hook builds on.

A vendor hook supplies only what differs: its base URL, how it authenticates, its catalog, its
default paginator and any response quirks. Everything else (pooled HTTP, retries, pacing,
pagination, record paths, windows, progress logs, secret masking) lives here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

import requests
from airflow.sdk import BaseHook

from airflow_provider_lms.auth import Auth
from airflow_provider_lms.catalog import Catalog, Endpoint, prepare_parameters, resolve_endpoint
from airflow_provider_lms.concurrent_pages import (
    PagePrefetcher,
    concurrency_from,
    page_width,
    predict_requests,
)
from airflow_provider_lms.exceptions import LmsConfigError, LmsError, LmsResponseError
from airflow_provider_lms.heap_freeze import frozen_heap
from airflow_provider_lms.json_body import check_non_finite_mode, parse_json_body
from airflow_provider_lms.lineage import report_hook_input
from airflow_provider_lms.page_checks import ExtractChecks, page_limit_from
from airflow_provider_lms.page_request import PageRequest, PageResponse
from airflow_provider_lms.pagination import Paginator
from airflow_provider_lms.progress import PageProgress
from airflow_provider_lms.redaction import Redactor, watch_third_party_logs
from airflow_provider_lms.throttle import Throttle
from airflow_provider_lms.transport import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_RETRY_BUDGET,
    HttpTransport,
    RetryPolicy,
)
from airflow_provider_lms.vendors import Vendor
from airflow_provider_lms.windows import Window, parse_window

if TYPE_CHECKING:
    from airflow_provider_lms.xml_records import XmlVocabulary

EndpointSpec = str | Mapping[str, Any] | Endpoint


@dataclass
class ExtractPlan:
    """A validated extract: everything checked, nothing sent yet."""

    endpoint: Endpoint
    request: PageRequest
    page_size: int | None
    window: Window | None
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass
class Page:
    """One page of an extract, after the window filter."""

    number: int
    records: list[dict[str, Any]]
    received: int  # records the vendor sent, before the window filter
    sent: requests.PreparedRequest | None = None  # what went on the wire (previews describe it)
    skipped: int = 0  # records already on the previous page (an offset shift), not repeated here


@dataclass
class Preview:
    """What :meth:`LmsHook.preview` returns: the requests it sent (secrets masked) and the records."""

    request: str  # the first request
    records: list[dict[str, Any]]
    requests: list[str] = field(default_factory=list)  # every request sent, in order


def normalize_url(host: str | None, *, default_domain: str | None = None, port: int | None = None) -> str:
    """``https://`` + host when no scheme is given; ``acme`` -> ``https://acme.<default_domain>``.

    ``port`` (the connection's Port field) is added when the host names none; a host URL that
    names a different port is a configuration error, not a silent choice between the two.
    """
    host = (host or "").strip().rstrip("/")
    if not host:
        raise LmsConfigError("the connection has no host: fill in the Host field")
    if "://" not in host:
        if default_domain and "." not in host and ":" not in host:
            host = f"{host}.{default_domain}"
        host = f"https://{host}"
    return _with_port(host, port)


def _with_port(url: str, port: int | None) -> str:
    if not port:
        return url
    parts = urlsplit(url)
    try:
        named = parts.port
    except ValueError:
        raise LmsConfigError(f"the Host {url!r} has an invalid port") from None
    if named is not None:
        if named != int(port):
            raise LmsConfigError(
                f"the Host {url!r} names port {named} but the Port field says {port}: clear one of them"
            )
        return url
    if (parts.scheme, int(port)) in (("https", 443), ("http", 80)):
        return url
    return urlunsplit(parts._replace(netloc=f"{parts.netloc}:{int(port)}"))


class LmsHook(BaseHook):
    """Base hook for LMS vendor APIs. Subclasses set the class attributes and vendor methods.

    :param conn_id: the Airflow connection id.
    :param max_attempts: attempts per request before giving up (default 6, or extra ``max_attempts``).
    :param backoff_base: first retry delay in seconds, doubled per attempt, with jitter.
    :param timeout: ``(connect, read)`` timeouts in seconds (extra ``timeout`` sets the read timeout).
    :param retry_budget: most seconds one request waits between its attempts (default 300, or
        extra ``retry_budget``); a ``Retry-After`` beyond what is left fails at once.
    :param response_timeout: most seconds one response may take, headers and whole body (default
        300 and at least twice the read timeout, or extra ``response_timeout``).
    :param max_response_bytes: largest response body read (default 64 MiB, or extra
        ``max_response_bytes``); a larger page is an error that names ``page_size`` as the fix.
    :param page_limit: most pages one extract may read before it fails (default 100000, or extra
        ``page_limit``): the end of any endless paging, whatever the server says.
    :param max_concurrency: most requests in flight at once (extra ``max_concurrency``; default
        the vendor's ``default_max_concurrency``). Pages are fetched ahead only where page 1 says
        how many there are; output is the same as with 1 (sequential), byte for byte.
    """

    #: Settings of the Test button and ``lms-preview``: answer within seconds, not minutes.
    QUICK_ATTEMPTS, QUICK_TIMEOUT, QUICK_BUDGET, QUICK_RESPONSE_TIMEOUT = 2, (5.0, 10.0), 10.0, 20.0

    conn_name_attr = "conn_id"
    default_conn_name = "lms_default"
    conn_type = ""
    hook_name = ""
    #: The vendor's descriptor (``vendors/<name>/__init__.py``): the hook's identity, said once.
    vendor: ClassVar[Vendor | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        descriptor = cls.__dict__.get("vendor")
        if descriptor is not None:
            cls.conn_type, cls.hook_name = descriptor.conn_type, descriptor.hook_name
            cls.default_conn_name = descriptor.default_conn_id

    catalog: ClassVar[Catalog]
    #: Largest page the vendor serves; endpoint entries may narrow it.
    max_page_size: ClassVar[int | None] = None
    #: Endpoint the Test button reads one page of.
    test_endpoint: ClassVar[str] = ""
    #: Query parameter names this vendor uses for secrets (masked in every URL we log).
    secret_param_names: ClassVar[tuple[str, ...]] = ()
    #: Connection extras that hold secrets.
    secret_extras: ClassVar[tuple[str, ...]] = ()
    #: Headers every request carries (``{"Accept": "application/json"}`` for a vendor that
    #: otherwise answers XML); auth headers are the auth strategy's.
    default_headers: ClassVar[Mapping[str, str]] = {}
    #: What the vendor's XML answers mean, for vendors that may answer XML (None: JSON only).
    xml_vocabulary: ClassVar[XmlVocabulary | None] = None
    #: Records of endpoints scoped by a path id (``/courses/{course_id}/users``) carry the ids they
    #: were read under in ``_parameters`` (``{"course_id": "c1"}``), so a batch file of several
    #: courses says which course each row came from.
    stamp_parameters: ClassVar[bool] = False
    #: Requests in flight at once unless the hook argument or extra says otherwise (1: sequential).
    default_max_concurrency: ClassVar[int] = 1

    def __init__(
        self,
        conn_id: str | None = None,
        *,
        max_attempts: int | None = None,
        backoff_base: float | None = None,
        timeout: tuple[float, float] | None = None,
        retry_budget: float | None = None,
        response_timeout: float | None = None,
        max_response_bytes: int | None = None,
        page_limit: int | None = None,
        max_concurrency: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id or self.default_conn_name
        self._max_attempts, self._backoff_base, self._timeout = max_attempts, backoff_base, timeout
        self._retry_budget, self._response_timeout = retry_budget, response_timeout
        self._max_response_bytes = max_response_bytes
        self._page_limit = page_limit
        self._max_concurrency = max_concurrency
        self._sleep = sleep

    # ---- connection -------------------------------------------------------------------------

    @classmethod
    def get_connection(cls, conn_id: str):
        """As ``BaseHook.get_connection``; outside a task it also reads the metadata database, as
        Airflow's CLI does (see :mod:`airflow_provider_lms.connections`)."""
        from airflow_provider_lms.connections import get_connection

        return get_connection(conn_id)

    @cached_property
    def connection(self):
        conn = self.get_connection(self.conn_id)
        for secret in (conn.password, *(conn.extra_dejson.get(k) for k in self.secret_extras)):
            self.redactor.add(secret if isinstance(secret, str) else None)
        return conn

    @cached_property
    def extras(self) -> dict[str, Any]:
        return dict(self.connection.extra_dejson)

    @cached_property
    def redactor(self) -> Redactor:
        redactor = Redactor(self.secret_param_names)
        watch_third_party_logs(redactor)
        return redactor

    def _credential(self, value: str | None, label: str) -> str:
        if not value:
            raise LmsConfigError(f"connection {self.conn_id!r} has no {label}: fill it in")
        return value

    @cached_property
    def page_limit(self) -> int:
        """Most pages one extract may read (hook argument, else extra ``page_limit``, else 100000)."""
        if self._page_limit is not None:
            return page_limit_from(self._page_limit, "hook argument")
        return page_limit_from(self.extras.get("page_limit"), f"connection {self.conn_id!r} extra")

    @cached_property
    def max_concurrency(self) -> int:
        """Most requests in flight (hook argument, else extra ``max_concurrency``, else the vendor's
        default); see :mod:`airflow_provider_lms.concurrent_pages`."""
        if self._max_concurrency is not None:
            return concurrency_from(self._max_concurrency, "hook argument", self.default_max_concurrency)
        return concurrency_from(
            self.extras.get("max_concurrency"),
            f"connection {self.conn_id!r} extra",
            self.default_max_concurrency,
        )

    # ---- vendor specifics (override) --------------------------------------------------------

    def base_url(self) -> str:
        """The API root every endpoint path is relative to."""
        raise NotImplementedError

    def create_auth(self) -> Auth:
        """The auth strategy for this connection."""
        raise NotImplementedError

    def create_throttle(self) -> Throttle:
        """Client-side pacing; none by default."""
        return Throttle()

    def default_paginator(self) -> Paginator:
        """The vendor's usual pagination, for catalog entries and custom endpoints without one."""
        raise NotImplementedError

    def accept_body(self, response: requests.Response, body: Any) -> Any:
        """Vendor hook point for a decoded 2xx body: raise for errors the vendor reports inside it
        (:class:`~airflow_provider_lms.exceptions.LmsError`, or the transport's retry signals), and
        return the body records are read from. Returns ``body`` unchanged by default."""
        return body

    def parse_body(self, response: requests.Response) -> Any:
        """Decode a response body once: strict JSON (:mod:`airflow_provider_lms.json_body`: declared
        charset, no NaN/Infinity unless the ``non_finite_numbers`` extra allows them), or XML parsed
        without DTDs or entities where the hook declares an ``xml_vocabulary``. The raw bytes are
        released from ``response`` once decoded."""
        if self.xml_vocabulary is not None:
            from airflow_provider_lms.xml_records import looks_like_xml, parse_xml  # only when needed

            if looks_like_xml(response.headers.get("Content-Type"), response.content):
                try:
                    return parse_xml(response.content, self.xml_vocabulary)
                except LmsResponseError as exc:
                    raise LmsResponseError(
                        f"{response.request.method} {self.redactor.url(response.url)}: {exc}"
                    ) from None
        return parse_json_body(response, self.redactor, non_finite=self.non_finite_numbers)

    @cached_property
    def non_finite_numbers(self) -> str:
        """What NaN / Infinity / 1e999 in a body become: ``error`` (default), ``null`` or ``string``."""
        return check_non_finite_mode(self.extras.get("non_finite_numbers"))

    def _number_extra(self, name: str, given: Any, default: float, kind: type = float) -> Any:
        """A numeric setting: the hook argument, else the connection extra, else the default."""
        value = given if given is not None else self.extras.get(name)
        if value in (None, ""):
            return kind(default)
        try:
            number = kind(float(value)) if kind is int else float(value)
        except (TypeError, ValueError, OverflowError):
            number = None
        if number is None or not number > 0 or number == float("inf"):
            raise LmsConfigError(f"connection {self.conn_id!r}: {name}={value!r} is not a positive number")
        return number

    # ---- transport --------------------------------------------------------------------------

    @cached_property
    def transport(self) -> HttpTransport:
        policy = RetryPolicy(
            max_attempts=self._number_extra("max_attempts", self._max_attempts, 6, int),
            backoff_base=float(self._backoff_base if self._backoff_base is not None else 1.0),
            retry_budget=self._number_extra("retry_budget", self._retry_budget, DEFAULT_RETRY_BUDGET),
        )
        timeout = self._timeout or (10.0, self._number_extra("timeout", None, 60.0))
        response_timeout = self._response_timeout
        if response_timeout is None and self.extras.get("response_timeout") not in (None, ""):
            response_timeout = self._number_extra("response_timeout", None, 0.0)
        verify = self.extras.get("verify", True)
        transport = HttpTransport(
            self.base_url(),
            auth=self.create_auth(),
            redactor=self.redactor,
            throttle=self.create_throttle(),
            policy=policy,
            timeout=timeout,
            verify=verify if isinstance(verify, (bool, str)) else True,
            sleep=self._sleep,
            decode=self.parse_body,
            accept_body=self.accept_body,
            connection_label=self.conn_id,
            response_timeout=response_timeout,
            max_response_bytes=self._number_extra(
                "max_response_bytes", self._max_response_bytes, DEFAULT_MAX_RESPONSE_BYTES, int
            ),
        )
        transport.session.headers.update(self.default_headers)
        return transport

    def quick(self) -> LmsHook:
        """Few attempts, short timeouts: for answers a person waits for (the Test button,
        ``lms-preview``). Explicit hook arguments win; has no effect once the transport exists."""
        self._max_attempts = self._max_attempts or self.QUICK_ATTEMPTS
        self._timeout = self._timeout or self.QUICK_TIMEOUT
        self._retry_budget = self._retry_budget if self._retry_budget is not None else self.QUICK_BUDGET
        if self._response_timeout is None:
            self._response_timeout = self.QUICK_RESPONSE_TIMEOUT
        return self

    def get_conn(self) -> HttpTransport:
        """The pooled transport (Airflow hooks' usual accessor)."""
        return self.transport

    # ---- extraction -------------------------------------------------------------------------

    def resolve(self, endpoint: EndpointSpec) -> Endpoint:
        """A catalog name, ``"/custom/path"`` or dict spec -> :class:`Endpoint`."""
        return resolve_endpoint(self.catalog, endpoint)

    def plan(
        self,
        endpoint: EndpointSpec,
        parameters: Mapping[str, Any] | None = None,
        window_start: Any = None,
        window_end: Any = None,
    ) -> ExtractPlan:
        """Validate an extract without sending anything: endpoint, parameters and window."""
        # The engine's reserved parameters (date_field, record_time_field, window_trim) configure the
        # endpoint; build_request then validates the rest once, vendor rules included.
        resolved, given = prepare_parameters(self.resolve(endpoint), parameters)
        if resolved.max_page_size is None and self.max_page_size is not None:
            resolved = replace(resolved, max_page_size=self.max_page_size)
        window = parse_window(window_start, window_end)
        resolved.check_window(window)
        request, page_size = resolved.build_request(given, window)
        report_hook_input(self, resolved)  # Airflow's hook lineage: this hook reads that endpoint
        return ExtractPlan(resolved, request, page_size, window, given)

    def iter_pages(self, plan: ExtractPlan, *, max_pages: int | None = None) -> Iterator[Page]:
        """Send the plan's requests page by page, yielding each page's records in the window.

        Every page passes :class:`~airflow_provider_lms.page_checks.ExtractChecks` first: a page
        repeating an earlier one, a page past the declared end or past ``page_limit`` is an error;
        records already on the previous page (by the endpoint's ``id_field``) are skipped and
        counted in ``Page.skipped``; and when the paginator ends, the pages must add up to the
        total the vendor declared, else :class:`~airflow_provider_lms.exceptions.LmsDataChangedError`.

        :param max_pages: stop quietly after this many pages (previews, the Test button); the
            end-of-extract total check is then skipped.
        """
        endpoint = plan.endpoint
        paginator = self._paginator(endpoint)
        selector = endpoint.selector()
        checks = ExtractChecks(
            f"{self.conn_type} {endpoint.name}",
            id_field=endpoint.id_field,
            page_limit=self.page_limit,
            page_size=plan.page_size,
        )
        request: PageRequest | None = paginator.start(plan.request.copy(), plan.page_size)
        progress = PageProgress(
            self.log, f"{self.conn_type} {endpoint.name}", plan.parameters, plan.page_size, self.redactor
        )
        stamp = self._stamp_for(plan)
        number = 0
        # Pages 2..N fetched ahead where page 1 declares N (never for previews); see concurrent_pages.
        fetcher = PagePrefetcher(
            self.transport.exchange, page_width(self.max_concurrency) if max_pages is None else 1
        )
        # The heap that predates the extract is frozen: collections walking it were ~40% of the CPU.
        # The fetcher is closed also when the consumer stops early or a check fails.
        with frozen_heap(), closing(fetcher):
            while request is not None and (max_pages is None or number < max_pages):
                number += 1
                checks.before_page(number)
                exchange = fetcher.send(number, request)  # the body decoded once, checked by the vendor
                records = selector.select(exchange.body)
                received = len(records)
                seen = PageResponse(exchange.response.headers, exchange.body, received)
                declared = paginator.declared(seen)
                records, skipped = checks.after_page(number, records, declared)
                if number == 1 and fetcher.width > 1:
                    fetcher.plan(predict_requests(paginator, request, seen, declared, self.page_limit))
                if plan.window is not None and endpoint.window is not None:
                    records = [r for r in records if endpoint.window.contains(r, plan.window, endpoint.name)]
                if stamp:
                    for record in records:
                        record["_parameters"] = dict(stamp)
                progress.page(number, len(records), declared, skipped)
                yield Page(number, records, received, exchange.response.request, skipped)
                request = paginator.advance(request, seen)
        if request is None:
            checks.finish()

    def _stamp_for(self, plan: ExtractPlan) -> dict[str, Any]:
        """The path ids records are stamped with (``stamp_parameters``); empty when off."""
        if not self.stamp_parameters:
            return {}
        return {
            p.name: plan.parameters[p.name]
            for p in plan.endpoint.params
            if p.location == "path" and p.name in plan.parameters
        }

    def _paginator(self, endpoint: Endpoint) -> Paginator:
        return endpoint.paginator() if endpoint.paginator else self.default_paginator()

    def iter_records(
        self,
        endpoint: EndpointSpec,
        parameters: Mapping[str, Any] | None = None,
        window_start: Any = None,
        window_end: Any = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield every record of ``endpoint``, page after page (for TaskFlow tasks and scripts).

        :param endpoint: a catalog name, ``"/custom/path"``, or a dict spec (see README).
        :param parameters: endpoint parameters (ids, filters, ``page_size``).
        :param window_start: start of the date window (inclusive); None for no window.
        :param window_end: end of the date window (exclusive).
        """
        plan = self.plan(endpoint, parameters, window_start, window_end)
        for page in self.iter_pages(plan):
            yield from page.records

    def preview(
        self,
        endpoint: EndpointSpec,
        parameters: Mapping[str, Any] | None = None,
        *,
        limit: int = 10,
        window_start: Any = None,
        window_end: Any = None,
        max_pages: int = 10,
    ) -> Preview:
        """The first ``limit`` records of an endpoint and the requests that fetched them (masked).

        Asks for pages of ``limit`` records (within the endpoint's ceiling) unless ``page_size`` is
        given, and stops after ``max_pages`` pages even when a window filter left fewer records.

        :param endpoint: a catalog name, ``"/custom/path"``, or a dict spec (as for the operator).
        :param parameters: endpoint parameters (ids, filters, ``page_size``).
        :param limit: how many records to return (at least 1).
        :param window_start: start of the date window (inclusive); None for no window.
        :param window_end: end of the date window (exclusive).
        :param max_pages: most pages to read looking for ``limit`` records.
        """
        if limit < 1 or max_pages < 1:
            raise LmsConfigError(f"preview needs limit >= 1 and max_pages >= 1 (got {limit}, {max_pages})")
        given = dict(parameters or {})
        resolved = self.resolve(endpoint)
        if "page_size" not in given and not resolved.fixed_page_size:  # a fixed size refuses one
            ceiling = resolved.max_page_size or self.max_page_size
            given["page_size"] = min(limit, ceiling) if ceiling else limit
        plan = self.plan(endpoint, given, window_start, window_end)
        records: list[dict[str, Any]] = []
        sent: list[str] = []
        for page in self.iter_pages(plan, max_pages=max_pages):
            sent.append(self.describe_sent(page.sent) if page.sent is not None else "")
            records.extend(page.records)
            if len(records) >= limit:
                break
        return Preview(sent[0] if sent else "", records[:limit], sent)

    #: Headers a preview shows; the session's defaults (User-Agent, Accept...) are left out.
    _QUIET_HEADERS = frozenset({"user-agent", "accept-encoding", "accept", "connection", "content-length"})
    _SECRET_HEADER_WORDS = ("auth", "token", "key", "secret", "cookie", "session", "signature", "password")

    def describe_sent(self, sent: requests.PreparedRequest) -> str:
        """What went on the wire, secrets masked: method, URL, headers and body (one per line)."""
        lines = [f"{sent.method} {self.redactor.url(sent.url or '')}"]
        for name, value in sent.headers.items():
            if name.lower() in self._QUIET_HEADERS:
                continue
            if any(word in name.lower() for word in self._SECRET_HEADER_WORDS):
                scheme, _, credential = str(value).partition(" ")
                value = f"{scheme} ***" if credential else "***"
            lines.append(f"{name}: {self.redactor.text(str(value))}")
        if sent.body:
            body = sent.body.decode(errors="replace") if isinstance(sent.body, bytes) else str(sent.body)
            lines.append(self.redactor.text(body[:2000]))
        return "\n".join(lines)

    def test_connection(self) -> tuple[bool, str]:
        """Authenticate and read one page: what the Airflow UI's Test button calls."""
        self.quick()
        try:
            plan = self.plan(self.test_endpoint, {"page_size": 1})
            page = next(self.iter_pages(plan, max_pages=1), None)
        except LmsError as exc:
            # The UI tests an unsaved form under a random temporary id: name "this connection".
            text = self.redactor.text(str(exc))  # already masked where raised; short secrets too
            return False, text.replace(f"connection {self.conn_id!r}", "this connection")
        except Exception as exc:  # the UI shows this text: keep it useful and secret-free
            return False, self.redactor.text(f"{type(exc).__name__}: {exc}")
        count = page.received if page else 0
        return True, (
            f"Connected to {self.redactor.url(self.base_url())}: "
            f"read {count} record(s) from {self.test_endpoint}"
        )
