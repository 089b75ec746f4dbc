"""LearnWorlds (API v2): OAuth2 client-credentials token with the ``Lw-Client`` header, ``page`` /
``items_per_page`` pagination that must stop on ``meta.totalPages`` (a page past the end repeats the
last page), and a 30 requests / 10 s rolling rate limit paced on the client side."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from airflow_provider_lms.auth import Auth, SignedRequest, Token, TokenAuth, header_safe
from airflow_provider_lms.exceptions import LmsAuthError, LmsConfigError
from airflow_provider_lms.hooks.base import LmsHook, normalize_url
from airflow_provider_lms.page_request import PageRequest
from airflow_provider_lms.pagination import Paginator
from airflow_provider_lms.records import get_dotted
from airflow_provider_lms.throttle import EvenPaceThrottle, Throttle
from airflow_provider_lms.vendors.learnworlds import VENDOR
from airflow_provider_lms.vendors.learnworlds.catalog import LEARNWORLDS_CATALOG, LearnWorldsPaginator

#: LearnWorlds allows 30 requests per rolling 10 s per school (the connection extras can change it).
RATE_LIMIT_REQUESTS = 30
RATE_LIMIT_SECONDS = 10.0

TOKEN_PATH = "/oauth2/access_token"


# ---- rate limit -----------------------------------------------------------------------------


# ---- auth -----------------------------------------------------------------------------------


class LearnWorldsAuth(TokenAuth):
    """Bearer token plus the ``Lw-Client`` header LearnWorlds wants on every call."""

    def __init__(self, fetch: Callable[[], Token], client_id: str, **kwargs: Any) -> None:
        super().__init__(fetch, **kwargs)
        self.client_id = client_id

    def place(self, request: SignedRequest, token: str) -> None:
        request.headers["Authorization"] = f"Bearer {token}"
        request.headers["Lw-Client"] = self.client_id


# ---- hook -----------------------------------------------------------------------------------


def api_root(url: str) -> str:
    """The school's ``.../admin/api`` root, whichever form of the URL the connection holds."""
    url = re.sub(r"/v2$", "", url.rstrip("/"))
    return url if url.endswith("/admin/api") else f"{url}/admin/api"


class LearnWorldsHook(LmsHook):
    """LearnWorlds API v2 hook.

    Connection: host = the school's URL (``https://academy.example.com``, ``acme.learnworlds.com``,
    just ``acme``) or its API URL (``https://acme.learnworlds.com/admin/api``); login = client ID;
    password = client secret. Extras ``rate_limit_requests`` / ``rate_limit_seconds`` (default 30 /
    10) set the pace; with N tasks sharing the school in parallel give each 30 / N. Records of
    endpoints scoped by an id (``course_users``...) carry ``_parameters``, e.g. ``{"course_id": ...}``
    (the engine's ``stamp_parameters`` option).

    :param conn_id: the Airflow connection id (type ``learnworlds``).
    """

    vendor = VENDOR  # conn_type, hook_name and default_conn_name come from the descriptor
    catalog = LEARNWORLDS_CATALOG
    test_endpoint = "users"
    stamp_parameters = True  # course_users returns bare users: say which course each came from

    def api_root(self) -> str:
        return api_root(
            normalize_url(self.connection.host, default_domain="learnworlds.com", port=self.connection.port)
        )

    def base_url(self) -> str:
        return f"{self.api_root()}/v2"

    def create_auth(self) -> Auth:
        conn = self.connection
        client_id = header_safe(  # it travels in the Lw-Client header
            self._credential(conn.login, "client ID (login)"),
            connection=self.conn_id,
            field="client ID (login)",
        )
        self._credential(conn.password, "client secret (password)")
        return LearnWorldsAuth(self._fetch_token, client_id, on_new_token=self.redactor.add)

    def _fetch_token(self) -> Token:
        conn = self.connection
        request = PageRequest(
            "POST",
            f"{self.api_root()}{TOKEN_PATH}",
            headers={"Lw-Client": conn.login},
            body={
                "client_id": conn.login,
                "client_secret": conn.password,
                "grant_type": "client_credentials",
            },
        )
        try:
            body = self.transport.exchange(request, authenticated=False).body
        except LmsAuthError as exc:
            raise LmsAuthError(
                f"LearnWorlds refused a token to connection {self.conn_id!r} ({exc}); check the client "
                "ID (login) and client secret (password) under Settings > Developers > API",
                exc.status,
            ) from None
        token = get_dotted(body, "tokenData.access_token")
        if not isinstance(body, dict) or body.get("success") is False or not token:
            errors = body.get("errors") if isinstance(body, dict) else None
            raise LmsAuthError(
                f"LearnWorlds issued no access token for connection {self.conn_id!r} "
                f"({self.redactor.text(str(errors or 'no tokenData.access_token in the reply'))[:200]}); "
                "check the client ID (login) and client secret (password)"
            )
        expires = get_dotted(body, "tokenData.expires_in")
        return Token(str(token), float(expires) if isinstance(expires, (int, float)) else None)

    def create_throttle(self) -> Throttle:
        requests_ = self._positive_extra("rate_limit_requests", RATE_LIMIT_REQUESTS, int)
        seconds = self._positive_extra("rate_limit_seconds", RATE_LIMIT_SECONDS, float)
        return EvenPaceThrottle(requests_, seconds, sleep=self._sleep)

    def _positive_extra(self, name: str, default: float, kind: type) -> Any:
        value = self.extras.get(name)
        if value in (None, ""):
            return kind(default)
        try:
            number = kind(value)
        except (TypeError, ValueError, OverflowError):
            number = 0
        if not 0 < number < float("inf"):  # also refuses nan and inf, which would crash sleep()
            raise LmsConfigError(
                f"connection {self.conn_id!r}: extra {name}={value!r} must be a positive number"
            )
        return number

    def default_paginator(self) -> Paginator:
        # Custom paths may be unpaged objects: stop when there is no meta instead of failing.
        return LearnWorldsPaginator(require_total=False)
