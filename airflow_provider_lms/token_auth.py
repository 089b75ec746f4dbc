"""Token authentication configured by data: one class for every vendor that trades credentials
for an access token.

A vendor describes its token call with a :class:`TokenSpec`: the request (:class:`TokenRequest`:
path, JSON or form, fields and headers with ``{placeholders}`` for the connection's values), the
reply (:class:`TokenReply`: where the token and its lifetime are, or a bare JSON string), where the
token goes on each call (:class:`TokenPlacement`: header templates and/or a query parameter), what to
do when a token is rejected (:class:`Renewal`: retry at once, or retry later after the transport's
backoff) and how to tell a person to fix refused credentials. :class:`TokenAuth` does the rest:

- the token is fetched on first use and renewed shortly before it expires (never sooner than half
  way through a short-lived token's life) and when the vendor rejects it;
- it is registered with the redactor the moment it arrives, before anything can log it;
- it lives in a :class:`TokenStore` (this hook's memory by default); a store shared between
  processes (a file, a lease-guarded record) plugs in, so that one process fetches for all, and
  after a rejection a process first looks whether another one already renewed it;
- a reply body is never quoted in an error: it may hold a credential in an unexpected shape.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import requests

from airflow_provider_lms.auth import Auth, SignedRequest, header_safe
from airflow_provider_lms.exceptions import (
    LmsAuthError,
    LmsConfigError,
    LmsError,
    LmsHttpError,
    LmsResponseError,
    LmsRetryLater,
)
from airflow_provider_lms.page_request import PageRequest
from airflow_provider_lms.records import get_dotted
from airflow_provider_lms.redaction import Redactor

if TYPE_CHECKING:
    from airflow_provider_lms.transport import Exchange

log = logging.getLogger(__name__)


# ---- the spec -----------------------------------------------------------------------------------


def _fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with its ``{name}`` placeholders replaced (the values are never re-read)."""
    return template.format_map(values)


@dataclass(frozen=True)
class TokenRequest:
    """The token call. Values of ``fields`` and ``headers`` (and ``path``) may hold placeholders:
    ``{login}``, ``{password}`` and whatever else the hook passes (an extra, the API root...).

    :param form: send ``fields`` form-encoded instead of as a JSON object.
    """

    path: str
    fields: Mapping[str, str]
    method: str = "POST"
    form: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)

    def build(self, values: Mapping[str, str]) -> PageRequest:
        filled = {name: _fill(value, values) for name, value in self.fields.items()}
        return PageRequest(
            self.method,
            _fill(self.path, values),
            body=None if self.form else filled,
            form=filled if self.form else None,
            headers={name: _fill(value, values) for name, value in self.headers.items()},
        )


@dataclass(frozen=True)
class TokenReply:
    """Where the reply holds the token.

    :param token_path: dotted path of the token; ``None``: the whole body is the token (a JSON string).
    :param expires_path: dotted path of its lifetime in seconds, if the vendor says it.
    :param lifetime: seconds a token lives when the reply does not say; ``None``: until rejected.
    :param refused_path: a field whose value ``false`` means the vendor refused (inside a 2xx reply).
    :param errors_path: where the vendor explains a refusal (quoted, redacted, shortened).
    :param missing_is_refusal: a reply without a token means refused credentials (an auth error),
        not an unreadable reply from the wrong host (a response error).
    :param missing_hint: what to check when the reply holds no token.
    """

    token_path: str | None = "access_token"
    expires_path: str | None = "expires_in"
    lifetime: float | None = None
    refused_path: str | None = None
    errors_path: str | None = None
    missing_is_refusal: bool = False
    missing_hint: str = "is the host the vendor's API host?"


@dataclass(frozen=True)
class TokenPlacement:
    """Where the token goes on each call: header templates (``{token}`` and the hook's values)
    and/or a query parameter (then every URL must be redacted: the hook lists it as secret)."""

    headers: Mapping[str, str] = field(default_factory=lambda: {"Authorization": "Bearer {token}"})
    query: str | None = None


@dataclass(frozen=True)
class Renewal:
    """What follows a rejected token once a fresh one is fetched.

    ``later=False``: retry at once. ``later=True``: retry after the transport's backoff, with
    ``reason`` in its log line: for vendors where a new token invalidates the previous one, so
    another client holding the same user is given time to notice instead of racing it.
    A token another process renewed meanwhile is always retried at once.
    """

    later: bool = False
    reason: str = "the vendor rejected the access token; fetched a new one"


RETRY_NOW = Renewal()


@dataclass(frozen=True)
class TokenSpec:
    """Everything vendor-specific about a token: pure data.

    :param vendor: the vendor's name as people know it, for messages and log lines.
    :param credentials: placeholder -> label of a value the connection must hold, in the order
        they are checked (``{"login": "client ID (login)"}``).
    :param header_values: placeholders whose values travel in a header: they must be printable ASCII.
    :param secret_values: placeholders whose values are secrets: registered with the redactor, so
        not even a vendor's error text quoting them reaches a message or a log.
    :param refused_statuses: statuses of the token call that mean "wrong credentials".
    :param hint: how to fix refused credentials (where the vendor shows them).
    :param refresh_margin: seconds before expiry a token is renewed.
    """

    vendor: str
    request: TokenRequest
    reply: TokenReply
    credentials: Mapping[str, str]
    hint: str
    placement: TokenPlacement = TokenPlacement()
    renewal: Renewal = RETRY_NOW
    header_values: tuple[str, ...] = ()
    secret_values: tuple[str, ...] = ("password",)
    refused_statuses: tuple[int, ...] = (401, 403)
    refresh_margin: float = 60.0

    def checked(self, connection: str, values: Mapping[str, Any]) -> dict[str, str]:
        """``values`` once every credential is present (and header-safe where it must be)."""
        for name, label in self.credentials.items():
            if not values.get(name):
                raise LmsConfigError(f"connection {connection!r} has no {label}: fill it in")
        for name in self.header_values:
            header_safe(str(values[name]), connection=connection, field=self.credentials.get(name, name))
        return {name: str(value) for name, value in values.items() if value is not None}

    def for_hook(
        self,
        hook: Any,
        values: Mapping[str, Any],
        *,
        store: TokenStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> TokenAuth:
        """The :class:`TokenAuth` of an :class:`~airflow_provider_lms.hooks.base.LmsHook`'s
        connection: token calls go unauthenticated through its transport (which decodes the body
        once and lets the hook's ``accept_body`` see it), tokens to its redactor."""
        return self.auth(
            values,
            call=lambda request: hook.transport.exchange(request, authenticated=False),
            redactor=hook.redactor,
            connection=hook.conn_id,
            store=store,
            clock=clock,
        )

    def auth(
        self,
        values: Mapping[str, Any],
        *,
        call: Callable[[PageRequest], Exchange],
        redactor: Redactor,
        connection: str,
        store: TokenStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> TokenAuth:
        """The :class:`TokenAuth` of one connection. ``call`` performs an unauthenticated call and
        returns the response with its decoded body (the hook's ``transport.exchange``)."""
        checked = self.checked(connection, values)
        for name in self.secret_values:
            redactor.add(checked.get(name))
        exchange = TokenExchange(self, checked, call=call, redactor=redactor, connection=connection)
        return TokenAuth(
            exchange,
            placement=self.placement,
            values=checked,
            store=store,
            renewal=self.renewal,
            refresh_margin=self.refresh_margin,
            default_lifetime=self.reply.lifetime,
            on_new_token=redactor.add,
            clock=clock,
            label=self.vendor,
            call=re.sub(r"\{[^}]*\}", "", self.request.path),  # "/oauth2/access_token", not the API root
        )


# ---- the token call -------------------------------------------------------------------------


@dataclass
class Token:
    value: str
    expires_in: float | None = None  # seconds; None: the spec's default lifetime, else until rejected


class TokenExchange:
    """Performs a :class:`TokenSpec`'s token call and reads the token out of the reply."""

    def __init__(
        self,
        spec: TokenSpec,
        values: Mapping[str, str],
        *,
        call: Callable[[PageRequest], Exchange],
        redactor: Redactor,
        connection: str,
    ) -> None:
        self.spec, self._values = spec, values
        self._call, self._redactor, self._connection = call, redactor, connection

    def __call__(self) -> Token:
        spec, reply = self.spec, self.spec.reply
        request = spec.request.build(self._values)
        try:
            exchange = self._call(request)
        except LmsHttpError as exc:
            if exc.status in spec.refused_statuses:
                raise LmsAuthError(
                    f"{spec.vendor} rejected the credentials of connection {self._connection!r}: "
                    f"{spec.hint}. ({exc})",
                    exc.status,
                ) from None
            raise
        response, body = exchange.response, exchange.body
        token = body if reply.token_path is None else get_dotted(body, reply.token_path)
        refused = reply.refused_path is not None and get_dotted(body, reply.refused_path) is False
        if refused or not isinstance(token, str) or not token.strip():
            raise self._no_token(request, response, body, refused)
        self._redactor.add(token.strip())  # before anything else can log a URL or header holding it
        expires = get_dotted(body, reply.expires_path) if reply.expires_path else None
        return Token(token.strip(), _seconds(expires))

    def _no_token(
        self, request: PageRequest, response: requests.Response, body: Any, refused: bool
    ) -> LmsError:
        # Never quote the body: whatever it holds may be a credential. Only the vendor's own
        # explanation, redacted.
        spec, reply = self.spec, self.spec.reply
        where = f"{request.method} {self._redactor.url(response.url or request.path)}"
        if refused:
            what = f"{reply.refused_path}: false"
        elif reply.token_path is None:
            what = f"a JSON {type(body).__name__} instead of the token string"
        else:
            what = f"no {reply.token_path}"
        errors = get_dotted(body, reply.errors_path) if reply.errors_path else None
        reason = f": {self._redactor.text(str(errors))[:200]}" if errors else ""
        if refused or reply.missing_is_refusal:
            return LmsAuthError(
                f"{spec.vendor} issued no access token for connection {self._connection!r} ({where} "
                f"answered {what}{reason}); {spec.hint}",
                response.status_code,
            )
        return LmsResponseError(
            f"{spec.vendor} {where} answered {what} for connection {self._connection!r}; {reply.missing_hint}"
        )


def _seconds(value: Any) -> float | None:
    """A lifetime from a reply, or None when absent or unreadable (the default lifetime applies)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None


# ---- where tokens live ------------------------------------------------------------------------


@dataclass(frozen=True)
class CachedToken:
    token: str
    obtained_at: float  # wall-clock seconds (time.time): comparable across processes
    expires_at: float  # math.inf: until the vendor rejects it
    authentications: int = 1  # token calls recorded in this store entry's lifetime

    def usable(self, now: float, margin: float) -> bool:
        """Not yet within ``margin`` of its expiry (at most half its life: short tokens get used)."""
        margin = min(margin, (self.expires_at - self.obtained_at) / 2)
        return now < self.expires_at - margin

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str | bytes | None) -> CachedToken | None:
        """The token a store holds, or None for empty, torn or foreign content (fetch afresh)."""
        if not text:
            return None
        try:
            data = json.loads(text)
            return cls(
                token=str(data["token"]),
                obtained_at=float(data["obtained_at"]),
                expires_at=float(data["expires_at"]),
                authentications=int(data.get("authentications", 1)),
            )
        except (ValueError, KeyError, TypeError):
            return None


class TokenStore(Protocol):
    """Where a connection's token lives. ``locked()`` makes "read, else fetch and write" atomic
    for everyone sharing the store; ``lock_free_reads``: a usable token may be read without it
    (the lock is expensive, e.g. a lease across hosts)."""

    location: str

    def locked(self) -> contextlib.AbstractContextManager[None]: ...

    def read(self) -> CachedToken | None: ...

    def write(self, token: CachedToken) -> None: ...


class MemoryTokenStore:
    """A store private to one hook (the default)."""

    location = "memory of this hook; token cache off"

    def __init__(self) -> None:
        self._token: CachedToken | None = None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        yield

    def read(self) -> CachedToken | None:
        return self._token

    def write(self, token: CachedToken) -> None:
        self._token = token


# ---- the auth strategy --------------------------------------------------------------------------


class TokenAuth(Auth):
    """A token fetched on first use, renewed before it expires and when it is rejected.

    Usually built by :meth:`TokenSpec.auth`. ``fetch`` performs the token call (a
    :class:`TokenExchange`, or any callable returning a :class:`Token`).
    """

    def __init__(
        self,
        fetch: Callable[[], Token],
        *,
        placement: TokenPlacement | None = None,
        values: Mapping[str, str] | None = None,
        store: TokenStore | None = None,
        renewal: Renewal = RETRY_NOW,
        refresh_margin: float = 60.0,
        default_lifetime: float | None = None,
        on_new_token: Callable[[str], None] = lambda token: None,
        clock: Callable[[], float] = time.time,
        label: str = "token",
        call: str = "token",
    ) -> None:
        self._fetch, self._on_new_token, self._clock = fetch, on_new_token, clock
        self.placement = placement or TokenPlacement()
        self._values = dict(values or {})
        self.store: TokenStore = store if store is not None else MemoryTokenStore()
        self.renewal, self.refresh_margin, self.default_lifetime = renewal, refresh_margin, default_lifetime
        self.label, self.call = label, call  # for log lines: "<vendor>: /token call #2 ..."
        self._token: CachedToken | None = None
        self._lock = threading.Lock()  # threads of one process; the store locks across processes
        self._signed = threading.local()  # the token this thread last sent: what a rejection refers to
        #: token calls this object made (successful ones).
        self.fetch_count = 0
        #: tokens taken over from a shared store instead of fetching.
        self.reused_count = 0

    # ---- Auth ---------------------------------------------------------------------------------

    @property
    def token(self) -> str:
        """The current token, fetched or renewed first if needed."""
        with self._lock:
            if self._token is None or not self._token.usable(self._clock(), self.refresh_margin):
                self._obtain(rejected=None)
            assert self._token is not None
            return self._token.token

    def sign(self, request: SignedRequest) -> None:
        token = self.token
        self._signed.token = token
        values = {**self._values, "token": token}
        for name, template in self.placement.headers.items():
            request.headers[name] = _fill(template, values)
        if self.placement.query:
            request.params[self.placement.query] = token

    def renew(self) -> bool:
        """The vendor rejected the token this thread sent. A token renewed meanwhile (by another
        thread or process) is retried at once; otherwise a fresh one is fetched, and retried at once
        or, with ``Renewal(later=True)``, after the transport's backoff (:class:`LmsRetryLater`)."""
        rejected = getattr(self._signed, "token", None)
        with self._lock:
            if self._token is not None and self._token.token != rejected:
                return True  # another thread of this process renewed it meanwhile
            reused = self._obtain(rejected=rejected)
        if reused or not self.renewal.later:
            return True
        raise LmsRetryLater(self.renewal.reason, 401)

    # ---- token lifecycle ----------------------------------------------------------------------

    def _reusable(self, cached: CachedToken | None, rejected: str | None) -> bool:
        return (
            cached is not None
            and cached.token != rejected
            and cached.usable(self._clock(), self.refresh_margin)
        )

    def _obtain(self, *, rejected: str | None) -> bool:
        """Make ``self._token`` usable; True when taken from the store rather than fetched."""
        if getattr(self.store, "lock_free_reads", False):
            cached = self.store.read()
            if self._reusable(cached, rejected):
                self._take(cached)
                log.info("%s: using the token shared through %s", self.label, self.store.location)
                return True
        with self.store.locked():
            cached = self.store.read()
            if self._reusable(cached, rejected):
                self._take(cached)
                log.info(
                    "%s: reusing the token shared on this worker (%s); %d %s call(s) by this task's hook",
                    self.label,
                    self.store.location,
                    self.fetch_count,
                    self.call,
                )
                return True
            token = self._fetch()
            self._on_new_token(token.value)  # before anything else can see it
            self.fetch_count += 1
            now = self._clock()
            lifetime = token.expires_in if token.expires_in is not None else self.default_lifetime
            previous = cached.authentications if cached is not None else 0
            fresh = CachedToken(token.value, now, now + lifetime if lifetime else math.inf, previous + 1)
            self.store.write(fresh)
            self._token = fresh
            log.info(
                "%s: %s call #%d by this task's hook (%d recorded in the token cache %s)",
                self.label,
                self.call,
                self.fetch_count,
                fresh.authentications,
                self.store.location,
            )
            return False

    def _take(self, cached: CachedToken | None) -> None:
        assert cached is not None
        self._on_new_token(cached.token)
        self._token = cached
        self.reused_count += 1
