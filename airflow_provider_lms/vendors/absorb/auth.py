"""Absorb ``/authenticate`` tokens: one per user, four hours, shared between a worker's processes.

The rule that breaks naive clients: a new ``/authenticate`` invalidates the user's previous token.
:class:`AbsorbTokenAuth` therefore never authenticates while a usable token is in the shared
cache (:mod:`airflow_provider_lms.vendors.absorb.token_cache`), and on a 401 it first looks whether
another process already renewed it. Only when the cache still holds the rejected token does it
authenticate, under the cache lock, so one process renews for all.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from airflow_provider_lms.auth import Auth, SignedRequest
from airflow_provider_lms.redaction import Redactor
from airflow_provider_lms.transport import TransientHttpError
from airflow_provider_lms.vendors.absorb.token_cache import CachedToken, TokenStore

log = logging.getLogger(__name__)

TOKEN_LIFETIME = 4 * 3600.0  # Absorb: "valid for four hours after generation"
REFRESH_MARGIN = 300.0  # renew five minutes early so no page straddles the expiry
API_VERSION = "2"


def api_headers(private_key: str) -> dict[str, str]:
    """Headers every Absorb v2 call carries, ``/authenticate`` included."""
    return {"x-api-key": private_key, "x-api-version": API_VERSION}


class AbsorbTokenAuth(Auth):
    """Signs with ``Authorization: Bearer``, ``x-api-key`` and ``x-api-version: 2``.

    :param authenticate: performs ``POST /authenticate`` and returns the token string.
    :param private_key: the portal's API private key (sent as ``x-api-key``).
    :param store: where the token is shared (a file store for the worker, or process memory).
    :param redactor: every token is registered here before anything can log it.
    """

    def __init__(
        self,
        authenticate: Callable[[], str],
        *,
        private_key: str,
        store: TokenStore,
        redactor: Redactor,
        lifetime: float = TOKEN_LIFETIME,
        refresh_margin: float = REFRESH_MARGIN,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._authenticate, self._private_key = authenticate, private_key
        self.store, self._redactor = store, redactor
        self.lifetime, self.refresh_margin, self._clock = lifetime, refresh_margin, clock
        self._token: CachedToken | None = None
        self._lock = threading.Lock()  # threads of one process; the store locks across processes
        self._signed = threading.local()  # the token this thread last sent: what a 401 refers to
        #: ``/authenticate`` calls made through this object (successful ones).
        self.authenticate_calls = 0
        #: tokens taken over from the shared cache instead of authenticating.
        self.reused_tokens = 0

    # ---- Auth ---------------------------------------------------------------------------------

    def sign(self, request: SignedRequest) -> None:
        token = self._current().token
        self._signed.token = token
        request.headers.update(api_headers(self._private_key))
        request.headers["Authorization"] = f"Bearer {token}"

    def renew(self) -> bool:
        """Absorb answered 401. Retry at once with a token another process renewed; otherwise
        authenticate and retry after the transport's backoff (another client may hold the user)."""
        rejected = getattr(self._signed, "token", None)
        with self._lock:
            if self._token is not None and self._token.token != rejected:
                return True  # another thread of this process renewed it meanwhile
            reused = self._obtain(rejected=rejected)
        if reused:
            return True
        raise TransientHttpError(
            "Absorb rejected the API token (it expired, or another client authenticated as the same "
            "user: Absorb keeps one token per user); authenticated again",
            401,
        )

    # ---- token lifecycle ----------------------------------------------------------------------

    def _current(self) -> CachedToken:
        with self._lock:
            if self._token is None or not self._token.usable(self._clock(), self.refresh_margin):
                self._obtain(rejected=None)
            assert self._token is not None
            return self._token

    def _obtain(self, *, rejected: str | None) -> bool:
        """Make ``self._token`` usable; True when taken from the cache rather than authenticated."""
        with self.store.locked():
            cached = self.store.read()
            now = self._clock()
            if cached is not None and cached.token != rejected and cached.usable(now, self.refresh_margin):
                self._take(cached)
                self.reused_tokens += 1
                log.info(
                    "Absorb: reusing the token shared on this worker (%s); %d /authenticate call(s) by "
                    "this task's hook",
                    self.store.location,
                    self.authenticate_calls,
                )
                return True
            token = self._authenticate()
            self._redactor.add(token)  # before anything else can see it
            self.authenticate_calls += 1
            previous = cached.authentications if cached is not None else 0
            fresh = CachedToken(token, now, now + self.lifetime, previous + 1)
            self.store.write(fresh)
            self._take(fresh)
            log.info(
                "Absorb: /authenticate call #%d by this task's hook (%d recorded in the token cache %s)",
                self.authenticate_calls,
                fresh.authentications,
                self.store.location,
            )
            return False

    def _take(self, token: CachedToken) -> None:
        self._redactor.add(token.token)
        self._token = token
