"""HTTP for every vendor: one pooled session, timeouts, TLS verification, retries with backoff.

Retries (via tenacity) cover 429, 5xx and connection errors with exponential backoff and jitter,
honouring ``Retry-After`` (seconds or HTTP date, capped). A rejected credential is renewed once
through the auth strategy. Every URL and message that leaves here is redacted.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from airflow_provider_lms import __version__
from airflow_provider_lms.auth import Auth, NoAuth, SignedRequest
from airflow_provider_lms.exceptions import LmsAuthError, LmsConfigError, LmsHttpError, LmsResponseError
from airflow_provider_lms.origins import same_origin
from airflow_provider_lms.page_request import PageRequest
from airflow_provider_lms.redaction import Redactor
from airflow_provider_lms.throttle import Throttle

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

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


class TransientHttpError(Exception):
    """An attempt failed in a way that retrying may fix."""

    def __init__(self, summary: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(summary)
        self.summary, self.status, self.retry_after = summary, status, retry_after


class CredentialRejected(Exception):
    """Raised by a vendor's response check when a 2xx body says the token is invalid or expired."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. ``backoff_base`` doubles per attempt up to ``backoff_max``, with jitter."""

    max_attempts: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    max_retry_after: float = 300.0

    def wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, TransientHttpError) and error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_retry_after)
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (state.attempt_number - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # equal jitter: spread, never zero


def parse_retry_after(value: str | None, now: Callable[[], datetime] | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    current = now() if now else datetime.now(timezone.utc)
    return max((moment - current).total_seconds(), 0.0)


def vendor_message(response: requests.Response, redactor: Redactor, limit: int = 300) -> str:
    """The vendor's own words about an error, from the usual JSON keys or the body text."""
    try:
        body = response.json()
    except ValueError:
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


class HttpTransport:
    """Sends :class:`PageRequest` objects relative to ``base_url``."""

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
        check_response: Callable[[requests.Response], None] | None = None,
        connection_label: str = "",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = auth or NoAuth()
        self.redactor = redactor or Redactor()
        self.throttle = throttle or Throttle()
        self.policy = policy or RetryPolicy()
        self.timeout, self.verify, self._sleep = timeout, verify, sleep
        self.check_response = check_response
        self.connection_label = connection_label
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=8)
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
                f"{self.redactor.url(url)!r}: it is not on the connection's own host "
                f"{self.redactor.url(self.base_url)!r}"
            )
        return url

    def send(self, request: PageRequest, *, authenticated: bool = True) -> requests.Response:
        """Send with retries; return a 2xx response or raise :class:`LmsHttpError`."""
        retrying = Retrying(
            stop=stop_after_attempt(self.policy.max_attempts),
            wait=self.policy.wait,
            retry=retry_if_exception_type(TransientHttpError),
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._send_renewing_credentials(request, authenticated)
        except TransientHttpError as error:
            raise LmsHttpError(
                f"{error.summary} (gave up after {self.policy.max_attempts} attempts)", error.status
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _log_retry(self, state: RetryCallState) -> None:
        self.retry_count += 1
        error = state.outcome.exception() if state.outcome else None
        pause = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "%s (attempt %d/%d); retrying in %.2f s",
            getattr(error, "summary", error),
            state.attempt_number,
            self.policy.max_attempts,
            pause,
        )

    def _send_renewing_credentials(self, request: PageRequest, authenticated: bool) -> requests.Response:
        try:
            return self._send_once(request, authenticated)
        except CredentialRejected:
            if authenticated and self.auth.renew():
                try:
                    return self._send_once(request, authenticated)
                except CredentialRejected:
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
        url = requests.Request("GET", self.url_for(request.path), params=request.params).prepare().url
        return self.redactor.url(url or request.path)

    def _send_once(self, request: PageRequest, authenticated: bool) -> requests.Response:
        url = self.url_for(request.path)  # before signing: a foreign URL gets no credential at all
        signed = SignedRequest(headers=dict(request.headers), params=dict(request.params))
        if authenticated:
            self.auth.sign(signed)
        self.throttle.before_request()
        self.request_count += 1
        try:
            response = self.session.request(
                request.method,
                url,
                params=signed.params,
                json=request.body if request.body is not None else None,
                data=request.form,
                headers=signed.headers,
                auth=signed.auth,
                timeout=self.timeout,
                verify=self.verify,
            )
        except requests.exceptions.SSLError as exc:
            raise LmsHttpError(
                f"{self._label(request)}: TLS verification failed: {self._clean(exc)}"
            ) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientHttpError(f"{self._label(request)}: {self._network_reason(exc)}") from None
        self.throttle.after_response(response.headers)
        status = response.status_code
        if status == 401:
            raise CredentialRejected()
        if status in RETRY_STATUSES:
            raise TransientHttpError(
                f"{self._label(request)} answered HTTP {status}: {vendor_message(response, self.redactor)}",
                status,
                parse_retry_after(response.headers.get("Retry-After")),
            )
        if status >= 400:
            error_class = LmsAuthError if status == 403 else LmsHttpError
            raise error_class(
                f"{self._label(request)} answered HTTP {status}: {vendor_message(response, self.redactor)}",
                status,
            )
        if self.check_response is not None:
            self.check_response(response)
        return response

    def _network_reason(self, exc: Exception) -> str:
        """A short reason for a failed connection instead of urllib3's nested repr."""
        text = str(exc)
        for phrase, reason in _NETWORK_REASONS:
            if phrase in text:
                return f"{reason}: is the host right and reachable from this worker?"
        if isinstance(exc, requests.Timeout):
            return f"no answer within the {self.timeout[1]:.0f} s read timeout"
        return f"{type(exc).__name__}: {self._clean(exc)}"

    def _clean(self, exc: Exception) -> str:
        # requests puts the path and query in connection errors ("...with url: /x?access_token=...").
        return self.redactor.scrub(str(exc))[:300]

    def close(self) -> None:
        self.session.close()
