"""HTTP for every vendor: one pooled session, timeouts, TLS verification, retries with backoff.

Retries cover 429, 5xx, connection errors and bodies broken mid-transfer, with exponential backoff
and jitter, honouring ``Retry-After`` (seconds or HTTP date) within a per-request retry budget. A
rejected credential (a 401, or :class:`~airflow_provider_lms.exceptions.LmsCredentialRejected` from a
response check) is renewed once through the auth strategy; an auth strategy or response check that
raises :class:`~airflow_provider_lms.exceptions.LmsRetryLater` is retried like a 503. Every URL and
message that leaves here is redacted.

What a hostile or broken server cannot do here:

* make us send credentials to another origin: redirects are followed by hand, only within the
  connection's own scheme, host and port (:mod:`airflow_provider_lms.http_origin`);
* hold a worker forever: one response (headers and whole body) is bounded by ``response_timeout``;
* exhaust memory: a body over ``max_response_bytes`` is refused while it is read;
* make us wait longer than ``retry_budget`` seconds between the attempts of one request.
"""

from __future__ import annotations

import email.utils
import http.client
import io
import json
import logging
import math
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin

import requests
import urllib3
from requests.adapters import HTTPAdapter

from airflow_provider_lms import __version__
from airflow_provider_lms.auth import Auth, NoAuth, SignedRequest
from airflow_provider_lms.exceptions import (
    LmsAuthError,
    LmsConfigError,
    LmsCredentialRejected,
    LmsHttpError,
    LmsResponseError,
    LmsRetryLater,
)
from airflow_provider_lms.http_origin import describe_origin, origin_of, same_origin
from airflow_provider_lms.page_request import PageRequest
from airflow_provider_lms.redaction import Redactor
from airflow_provider_lms.throttle import Throttle

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Same-origin redirects followed for one request before it is called a loop.
MAX_REDIRECTS = 5
#: Seconds one request may spend waiting between its attempts (extra ``retry_budget``).
DEFAULT_RETRY_BUDGET = 300.0
#: Seconds one response may take, headers and whole body (extra ``response_timeout``); never
#: less than twice the read timeout.
DEFAULT_RESPONSE_TIMEOUT = 300.0
#: Largest body read into memory (extra ``max_response_bytes``): 64 MiB, ten times a large vendor page;
#: a page costs about 4-5x its body in Python objects, so this bounds a page at ~300 MB of RSS.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
_CHUNK = 256 * 1024

#: What OpenSSL says when the other end does not speak TLS at all (1.1/3.0, 3.2+, LibreSSL).
_NOT_TLS_PHRASES = (
    "WRONG_VERSION_NUMBER",
    "wrong version number",
    "record layer failure",
    "packet length too long",
    "unknown protocol",
)
#: Fragments of urllib3/socket errors -> what they mean to someone filling in a connection.
_NETWORK_REASONS = (
    ("Connection refused", "connection refused"),
    ("Name or service not known", "host name not found"),
    ("Temporary failure in name resolution", "host name not found (DNS)"),
    ("nodename nor servname", "host name not found"),
    ("No route to host", "no route to host"),
    ("timed out", "connection timed out"),
    ("Connection reset", "connection reset by the server"),
    ("RemoteDisconnected", "the server closed the connection"),
)
#: getaddrinfo answers that will not change on a retry: the name does not exist.
_PERMANENT_DNS_ERRORS = frozenset(
    code
    for code in (getattr(socket, "EAI_NONAME", None), getattr(socket, "EAI_NODATA", None))
    if code is not None
)
#: Errors while reading a body that a retry may fix (a dropped connection, corrupt encoding).
_BODY_ERRORS = (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)


class TransientHttpError(LmsRetryLater):
    """The transport's own "retry later": 429, 5xx, a dropped connection, a broken body."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try.

    ``backoff_base`` doubles per attempt up to ``backoff_max``, with jitter. ``retry_budget`` is
    the most seconds one request waits between its attempts in total: a ``Retry-After`` beyond
    what is left of it fails at once instead of sleeping only to fail later.
    """

    max_attempts: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    retry_budget: float = DEFAULT_RETRY_BUDGET

    def backoff(self, attempt: int) -> float:
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # equal jitter: spread, never zero

    def pause(self, attempt: int, error: LmsRetryLater) -> float:
        """Seconds to wait after failed attempt number ``attempt``."""
        if error.retry_after is not None:
            return error.retry_after
        return self.backoff(attempt)


def parse_retry_after(value: str | None, now: Callable[[], datetime] | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date.

    Anything that is not a finite number or a date (``nan``, ``inf``, garbage) counts as absent,
    so the usual backoff applies; a negative delay or a past date means "now".
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    current = now() if now else datetime.now(timezone.utc)
    return max((moment - current).total_seconds(), 0.0)


def vendor_message(response: requests.Response, redactor: Redactor, limit: int = 300) -> str:
    """The vendor's own words about an error, from the usual JSON keys or the body text."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        body = _xml_body(response)
    message: Any = None
    if isinstance(body, dict):
        for key in ("message", "error_message", "error_description", "error", "Message", "errors", "detail"):
            if body.get(key):
                message = body[key]
                break
        if isinstance(message, dict):
            message = message.get("message") or message.get("error_message") or json.dumps(message)
    elif isinstance(body, str):
        message = body
    if message is None:
        message = response.text
    return redactor.text(" ".join(str(message).split()))[:limit]


def _xml_body(response: requests.Response) -> Any:
    """An XML error body as a dict (hardened parser), so its <message> reads like JSON's."""
    from airflow_provider_lms.xml_records import looks_like_xml, parse_xml  # only for XML errors

    if not looks_like_xml(response.headers.get("Content-Type"), response.content):
        return None
    try:
        return parse_xml(response.content)
    except LmsResponseError:
        return None


def _dns_error_code(exc: BaseException) -> int | None:
    """The getaddrinfo error code somewhere in a requests/urllib3 exception chain, if any."""
    seen: set[int] = set()
    pending: list[Any] = [exc]
    while pending:
        item = pending.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, socket.gaierror):
            return item.errno
        pending.extend((item.__cause__, item.__context__, getattr(item, "reason", None), *item.args))
    return None


def _keep_signed_headers(prepared: requests.PreparedRequest) -> requests.PreparedRequest:
    """An explicit no-op auth: with ``auth=None`` requests would take credentials from ``~/.netrc``
    and overwrite the connection's own ``Authorization`` header."""
    return prepared


@dataclass
class Exchange:
    """One request's 2xx answer: the response (headers case-insensitive) and its body, decoded once."""

    response: requests.Response
    body: Any


class HttpTransport:
    """Sends :class:`PageRequest` objects relative to ``base_url``, to that origin only."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: Auth | None = None,
        redactor: Redactor | None = None,
        throttle: Throttle | None = None,
        policy: RetryPolicy | None = None,
        timeout: tuple[float, float] = (10.0, 60.0),
        verify: bool | str = True,
        sleep: Callable[[float], None] = time.sleep,
        decode: Callable[[requests.Response], Any] | None = None,
        accept_body: Callable[[requests.Response, Any], Any] | None = None,
        connection_label: str = "",
        response_timeout: float | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.origin = origin_of(self.base_url)
        self.auth = auth or NoAuth()
        self.redactor = redactor or Redactor()
        self.throttle = throttle or Throttle()
        self.policy = policy or RetryPolicy()
        self.timeout, self.verify, self._sleep = timeout, verify, sleep
        self.response_timeout = (
            response_timeout
            if response_timeout is not None
            else max(DEFAULT_RESPONSE_TIMEOUT, 2 * float(timeout[1]))
        )
        self.max_response_bytes = max_response_bytes
        self.decode, self.accept_body = decode, accept_body
        self.connection_label = connection_label
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16)  # max_concurrency <= 16
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers["User-Agent"] = f"airflow-provider-lms/{__version__}"
        self.request_count = 0
        self.retry_count = 0

    def url_for(self, path: str) -> str:
        """The URL for ``path``; one on another origin than the base URL's is refused, whatever
        built it (defence in depth behind the catalog's path check): credentials never leave."""
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"
        if not same_origin(url, self.base_url):
            raise LmsConfigError(
                f"refusing to send connection {self.connection_label!r}'s credentials to "
                f"{describe_origin(origin_of(url))}: it is not the connection's origin "
                f"{describe_origin(self.origin)} (requests only go to the connection's own host); "
                "give a path relative to it"
            )
        return url

    # ---- retries --------------------------------------------------------------------------------

    def send(self, request: PageRequest, *, authenticated: bool = True) -> requests.Response:
        """Send with retries; return a 2xx response (body read) or raise :class:`LmsHttpError`."""
        return self.exchange(request, authenticated=authenticated).response

    def exchange(self, request: PageRequest, *, authenticated: bool = True) -> Exchange:
        """As :meth:`send`, with the body decoded once (``decode``) and accepted (``accept_body``:
        it may raise for an error reported inside a 2xx body, retryable or not)."""
        policy = self.policy
        waited = 0.0
        for attempt in range(1, policy.max_attempts + 1):
            try:
                return self._send_renewing_credentials(request, authenticated)
            except LmsRetryLater as error:  # ours, or an auth strategy's / response check's
                if attempt == policy.max_attempts:
                    raise LmsHttpError(
                        f"{error.summary} (gave up after {attempt} attempts)", error.status
                    ) from None
                remaining = policy.retry_budget - waited
                pause = policy.pause(attempt, error)
                if pause > remaining:
                    raise LmsHttpError(
                        self._over_budget(error, attempt, pause, remaining), error.status
                    ) from None
                self._log_retry(error, attempt, pause, remaining)
                if error.status == 429:  # the whole pool waits, not only this thread
                    self.throttle.hold(pause)
                waited += pause
                self._sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    def _over_budget(self, error: LmsRetryLater, attempt: int, pause: float, remaining: float) -> str:
        budget = self.policy.retry_budget
        if error.retry_after is not None:
            return (
                f"{error.summary}: the server asks to retry after {pause:.0f} s, more than the "
                f"{max(remaining, 0):.0f} s left of this request's {budget:.0f} s retry budget; failing "
                f"now rather than waiting to fail. Run later, or raise the connection extra retry_budget"
            )
        return (
            f"{error.summary} (gave up after {attempt} attempts and {budget - remaining:.0f} s of "
            f"waiting: the retry budget is {budget:.0f} s, connection extra retry_budget)"
        )

    def _log_retry(self, error: LmsRetryLater, attempt: int, pause: float, remaining: float) -> None:
        self.retry_count += 1
        log.warning(
            "%s (attempt %d/%d); retrying in %.2f s (%.0f s left of the %.0f s retry budget)",
            error.summary,
            attempt,
            self.policy.max_attempts,
            pause,
            remaining - pause,
            self.policy.retry_budget,
        )

    def _send_renewing_credentials(self, request: PageRequest, authenticated: bool) -> Exchange:
        try:
            return self._send_once(request, authenticated)
        except LmsCredentialRejected:
            # A 401, or a response check saying so. renew() may also raise LmsRetryLater: the
            # fresh credential is then tried after the backoff, by send()'s next attempt.
            if authenticated and self.auth.renew():
                try:
                    return self._send_once(request, authenticated)
                except LmsCredentialRejected:
                    pass
            raise LmsAuthError(
                f"{request.method} {self.safe_url(request)}: the vendor rejected the credentials of "
                f"connection {self.connection_label!r}; check its login, password and keys",
                401,
            ) from None

    def _label(self, request: PageRequest) -> str:
        # Built only when something failed: success should not pay for URL redaction.
        return f"{request.method} {self.safe_url(request)}"

    def safe_url(self, request: PageRequest) -> str:
        try:
            url = requests.Request("GET", self.url_for(request.path), params=request.params).prepare().url
        except requests.exceptions.RequestException:
            url = None
        return self.redactor.url(url or self.url_for(request.path))

    # ---- one attempt ----------------------------------------------------------------------------

    def _send_once(self, request: PageRequest, authenticated: bool) -> Exchange:
        url = self.url_for(request.path)  # refuses another origin before anything is signed
        signed = SignedRequest(headers=dict(request.headers), params=dict(request.params))
        if authenticated:
            self.auth.sign(signed)
        method, json_body, form = request.method, request.body, request.form
        started = time.monotonic()
        for hop in range(MAX_REDIRECTS + 1):
            response = self._request(request, method, url, signed, json_body, form)
            if response.status_code not in REDIRECT_STATUSES or not response.headers.get("Location"):
                break
            response.close()
            if hop == MAX_REDIRECTS:
                raise LmsHttpError(
                    f"{self._label(request)} was redirected more than {MAX_REDIRECTS} times (a redirect "
                    f"loop?), last to {self.redactor.url(response.headers['Location'])}",
                    response.status_code,
                )
            url = self._follow(request, url, response)
            if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                method, json_body, form = "GET", None, None  # what every client does: the body is not resent
            # The Location carries its own query: only what the auth adds goes on top of it.
            signed = SignedRequest(headers=dict(request.headers), params={})
            if authenticated:
                self.auth.sign(signed)
        self._read_body(request, response, started)
        self.throttle.after_response(response.headers)
        status = response.status_code
        if status == 401:
            raise LmsCredentialRejected(f"{self._label(request)} answered HTTP 401")
        if status in RETRY_STATUSES:
            raise TransientHttpError(
                f"{self._label(request)} answered HTTP {status}: {vendor_message(response, self.redactor)}",
                status,
                parse_retry_after(response.headers.get("Retry-After")),
            )
        if not 200 <= status < 300:
            error_class = LmsAuthError if status == 403 else LmsHttpError
            raise error_class(
                f"{self._label(request)} answered HTTP {status}: {vendor_message(response, self.redactor)}",
                status,
            )
        body = self.decode(response) if self.decode is not None else None
        if self.accept_body is not None:
            body = self.accept_body(response, body)
        return Exchange(response, body)

    def _follow(self, request: PageRequest, current: str, response: requests.Response) -> str:
        """The next URL of a same-origin redirect; a redirect elsewhere is refused, never sent."""
        target = urljoin(current, response.headers["Location"].strip())
        if origin_of(target) != self.origin:
            raise LmsHttpError(
                f"{self._label(request)} answered HTTP {response.status_code}, a redirect to "
                f"{describe_origin(origin_of(target))}, which is not the connection's origin "
                f"{describe_origin(self.origin)}: refused, so that no credential leaves the connection's "
                f"host. If the vendor moved, change the connection's Host",
                response.status_code,
            )
        log.info("Following a same-origin redirect (HTTP %d)", response.status_code)
        return target

    def _request(
        self,
        request: PageRequest,
        method: str,
        url: str,
        signed: SignedRequest,
        json_body: Any,
        form: Any,
    ) -> requests.Response:
        held = self.throttle.held_for()  # another thread was told 429: wait as it does
        if held > 0:
            self._sleep(held)
        self.throttle.before_request()
        self.request_count += 1
        try:
            return self.session.request(
                method,
                url,
                params=signed.params,
                json=json_body,
                data=form,
                headers=signed.headers,
                auth=signed.auth or _keep_signed_headers,
                timeout=self.timeout,
                verify=self.verify,
                allow_redirects=False,
                stream=True,  # the body is read by _read_body: bounded in time and size
            )
        except requests.exceptions.SSLError as exc:
            raise LmsHttpError(f"{self._label(request)}: {self._tls_reason(exc)}") from None
        except (
            requests.exceptions.InvalidURL,
            requests.exceptions.InvalidSchema,
            requests.exceptions.MissingSchema,
        ) as exc:
            raise LmsConfigError(
                f"{self._label(request)}: not a usable URL ({self._clean(exc)}): check the connection's Host"
            ) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            if _dns_error_code(exc) in _PERMANENT_DNS_ERRORS:
                raise LmsHttpError(
                    f"{self._label(request)}: host name not found: is the connection's Host right? "
                    f"(not retried: a name that does not exist will not resolve on a retry)"
                ) from None
            raise TransientHttpError(f"{self._label(request)}: {self._network_reason(exc)}") from None
        finally:  # headers in (the server has counted it) or failed: pacing may move on
            self.throttle.request_finished()

    # ---- the body ---------------------------------------------------------------------------------

    def _read_body(self, request: PageRequest, response: requests.Response, started: float) -> None:
        """Read the whole body into ``response.content``, within ``response_timeout`` (counted from
        the first request of this attempt) and ``max_response_bytes``."""
        limit = self.max_response_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit and not response.headers.get("Content-Encoding"):
            response.close()
            raise self._too_large(request, f"{int(declared)} bytes (Content-Length)")
        deadline = started + self.response_timeout
        buffer = io.BytesIO()
        raw = response.raw
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._too_slow(request, buffer.tell())
                self._bound_socket_wait(raw, remaining)
                try:
                    chunk = raw.read1(_CHUNK, decode_content=True)
                except _BODY_ERRORS as exc:
                    if deadline - time.monotonic() <= 0:
                        raise self._too_slow(request, buffer.tell()) from None
                    raise TransientHttpError(f"{self._label(request)}: {self._body_reason(exc)}") from None
                if not chunk:
                    break
                buffer.write(chunk)
                if buffer.tell() > limit:
                    raise self._too_large(request, f"more than {limit} bytes")
        except BaseException:
            response.close()  # a half-read connection cannot go back to the pool
            raise
        response._content = buffer.getvalue()  # shares BytesIO's buffer: no second copy
        response._content_consumed = True
        raw.release_conn()

    def _bound_socket_wait(self, raw: Any, remaining: float) -> None:
        # Each socket read waits at most the read timeout, and never past the response deadline.
        sock = getattr(getattr(raw, "connection", None), "sock", None)
        if sock is not None:
            try:
                sock.settimeout(max(min(float(self.timeout[1]), remaining), 0.001))
            except OSError:
                pass

    def _too_slow(self, request: PageRequest, received: int) -> TransientHttpError:
        return TransientHttpError(
            f"{self._label(request)}: the response took longer than {self.response_timeout:.0f} s "
            f"(connection extra response_timeout; {received} body bytes received)"
        )

    def _too_large(self, request: PageRequest, size: str) -> LmsResponseError:
        return LmsResponseError(
            f"{self._label(request)}: the response is {size}, over the {self.max_response_bytes} byte "
            f"limit (connection extra max_response_bytes). Ask for smaller pages with the page_size "
            f"parameter, or raise max_response_bytes"
        )

    def _body_reason(self, exc: Exception) -> str:
        if isinstance(exc, urllib3.exceptions.DecodeError):
            encoding = "the declared Content-Encoding"
            return f"the response body could not be decoded ({encoding} is corrupt)"
        if isinstance(exc, (urllib3.exceptions.ReadTimeoutError, socket.timeout)):
            return f"no data within the {self.timeout[1]:.0f} s read timeout, in the middle of the body"
        return f"the connection broke in the middle of the response body ({type(exc).__name__})"

    def _network_reason(self, exc: Exception) -> str:
        """A short reason for a failed connection instead of urllib3's nested repr."""
        text = str(exc)
        for phrase, reason in _NETWORK_REASONS:
            if phrase in text:
                return f"{reason}: is the host right and reachable from this worker?"
        if isinstance(exc, requests.Timeout):
            return f"no answer within the {self.timeout[1]:.0f} s read timeout"
        return f"{type(exc).__name__}: {self._clean(exc)}"

    def _tls_reason(self, exc: Exception) -> str:
        # An https URL on a plain-http port fails the handshake, not the certificate check: saying
        # "verification failed" would send people to verify=false, which cannot help.
        text = str(exc)
        if any(phrase in text for phrase in _NOT_TLS_PHRASES):
            return (
                "the server does not speak TLS on this port (it answered the handshake with something "
                "else, e.g. plain HTTP): use http:// or the port that serves https; "
                f"verify=false would not help ({self._clean(exc)})"
            )
        return f"TLS verification failed: {self._clean(exc)}"

    def _clean(self, exc: Exception) -> str:
        # requests puts the path and query in connection errors ("...with url: /x?access_token=...").
        return self.redactor.scrub(str(exc))[:300]

    def close(self) -> None:
        self.session.close()
