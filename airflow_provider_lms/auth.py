"""Authentication strategies. The transport asks them to sign each attempt and, on a rejected
credential, whether a fresh one is worth one more try."""

from __future__ import annotations

import base64
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

from requests import PreparedRequest
from requests.auth import AuthBase

from airflow_provider_lms.exceptions import LmsConfigError

log = logging.getLogger(__name__)


@dataclass
class SignedRequest:
    """What an auth strategy may add to: headers, query parameters, the requests ``auth`` object."""

    headers: dict[str, str]
    params: dict[str, object]
    auth: object = None


class Auth(ABC):
    """Signs requests for one connection."""

    @abstractmethod
    def sign(self, request: SignedRequest) -> None:
        """Add credentials to one attempt."""

    def renew(self) -> bool:
        """The vendor rejected the credential: get a fresh one. True if a retry may now succeed."""
        return False


class NoAuth(Auth):
    def sign(self, request: SignedRequest) -> None:
        return None


def basic_token(username: str, password: str) -> str:
    """``base64(username:password)`` over UTF-8 (RFC 7617's charset); requests' own HTTPBasicAuth
    encodes Latin-1 and crashes on anything beyond it."""
    return base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def header_safe(value: str, *, connection: str, field: str) -> str:
    """A credential that travels in an HTTP header must be printable ASCII: header bytes are read
    as Latin-1 at best, so anything else would crash in http.client or reach the vendor garbled."""
    if not value.isascii() or not value.isprintable():
        raise LmsConfigError(
            f"connection {connection!r}: the {field} holds characters that cannot be sent in an HTTP "
            "header (only printable ASCII can); check it was copied correctly from the vendor"
        )
    return value


class _BasicHeader(AuthBase):
    # A requests auth object (not a bare header), so requests never swaps in ~/.netrc credentials.
    def __init__(self, token: str) -> None:
        self.header = f"Basic {token}"

    def __call__(self, prepared: PreparedRequest) -> PreparedRequest:
        prepared.headers["Authorization"] = self.header
        return prepared


class BasicAuth(Auth):
    """HTTP Basic (LearnUpon), UTF-8 encoded. ``token`` is the base64 part of the header."""

    def __init__(self, username: str, password: str) -> None:
        self.token = basic_token(username, password)
        self._auth = _BasicHeader(self.token)

    def sign(self, request: SignedRequest) -> None:
        request.auth = self._auth


@dataclass
class Token:
    value: str
    expires_in: float | None = None  # seconds; None: until the vendor rejects it


class TokenAuth(Auth):
    """A token fetched on first use, renewed shortly before it expires and when it is rejected.

    ``fetch`` performs the vendor's token call. ``place`` puts the token on a request; by default
    ``Authorization: Bearer``.
    """

    def __init__(
        self,
        fetch: Callable[[], Token],
        *,
        on_new_token: Callable[[str], None] = lambda token: None,
        refresh_margin: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch, self._on_new_token = fetch, on_new_token
        self.refresh_margin, self._clock = refresh_margin, clock
        self._token: str | None = None
        self._expires_at: float | None = None
        self._lock = threading.Lock()
        self._signed = threading.local()  # the token this thread last sent: what a 401 refers to
        self.fetch_count = 0

    @property
    def token(self) -> str:
        with self._lock:
            if self._token is None or self._expired():
                self._refresh()
            assert self._token is not None
            return self._token

    def _expired(self) -> bool:
        return self._expires_at is not None and self._clock() >= self._expires_at

    def _refresh(self) -> None:
        token = self._fetch()
        self.fetch_count += 1
        self._on_new_token(token.value)
        self._token = token.value
        if token.expires_in is None:
            self._expires_at = None
        else:
            # Renew early, but never sooner than halfway through a short-lived token's life.
            margin = min(self.refresh_margin, token.expires_in / 2)
            self._expires_at = self._clock() + token.expires_in - margin
        log.info("Obtained a new access token (fetch #%d)", self.fetch_count)

    def sign(self, request: SignedRequest) -> None:
        token = self.token
        self._signed.token = token
        self.place(request, token)

    def place(self, request: SignedRequest, token: str) -> None:
        request.headers["Authorization"] = f"Bearer {token}"

    def renew(self) -> bool:
        rejected = getattr(self._signed, "token", None)
        with self._lock:
            if self._token is not None and rejected is not None and self._token != rejected:
                return True  # another thread renewed it meanwhile: one renewal for all threads
            self._token = None
        log.info("The vendor rejected the access token; fetching a new one")
        return True


class QueryTokenAuth(TokenAuth):
    """A token carried in a query parameter (NexPort's ``access_token``): redact URLs everywhere."""

    def __init__(self, fetch: Callable[[], Token], param: str = "access_token", **kwargs) -> None:
        super().__init__(fetch, **kwargs)
        self.param = param

    def place(self, request: SignedRequest, token: str) -> None:
        request.params[self.param] = token
