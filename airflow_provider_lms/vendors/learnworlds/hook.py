"""LearnWorlds (API v2): OAuth2 client-credentials token with the ``Lw-Client`` header, ``page`` /
``items_per_page`` pagination that must stop on ``meta.totalPages`` (a page past the end repeats the
last page), and a 30 requests / 10 s rolling rate limit paced on the client side."""

from __future__ import annotations

import re
from typing import Any

from airflow_provider_lms.auth import Auth
from airflow_provider_lms.exceptions import LmsConfigError
from airflow_provider_lms.hooks.base import LmsHook, normalize_url
from airflow_provider_lms.pagination import Paginator
from airflow_provider_lms.throttle import EvenPaceThrottle, Throttle
from airflow_provider_lms.token_auth import TokenPlacement, TokenReply, TokenRequest, TokenSpec
from airflow_provider_lms.vendors.learnworlds import VENDOR
from airflow_provider_lms.vendors.learnworlds.catalog import LEARNWORLDS_CATALOG, LearnWorldsPaginator

#: LearnWorlds allows 30 requests per rolling 10 s per school (the connection extras can change it).
RATE_LIMIT_REQUESTS = 30
RATE_LIMIT_SECONDS = 10.0

TOKEN_PATH = "/oauth2/access_token"


# ---- rate limit -----------------------------------------------------------------------------


# ---- auth -----------------------------------------------------------------------------------

#: OAuth2 client credentials; the token goes in ``Authorization: Bearer`` AND the ``Lw-Client``
#: header LearnWorlds wants on every call. A refusal may come as ``success: false`` in a 200 reply.
LEARNWORLDS_TOKEN = TokenSpec(
    vendor="LearnWorlds",
    request=TokenRequest(
        "{api_root}" + TOKEN_PATH,
        {"client_id": "{login}", "client_secret": "{password}", "grant_type": "client_credentials"},
        headers={"Lw-Client": "{login}"},
    ),
    reply=TokenReply(
        token_path="tokenData.access_token",
        expires_path="tokenData.expires_in",
        refused_path="success",
        errors_path="errors",
        missing_is_refusal=True,
    ),
    placement=TokenPlacement(headers={"Authorization": "Bearer {token}", "Lw-Client": "{login}"}),
    credentials={"login": "client ID (login)", "password": "client secret (password)"},
    header_values=("login",),  # the client ID travels in the Lw-Client header
    hint="check the client ID (login) and client secret (password) under Settings > Developers > API",
)


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
        values = {"login": conn.login, "password": conn.password, "api_root": self.api_root()}
        return LEARNWORLDS_TOKEN.for_hook(self, values)

    def create_throttle(self) -> Throttle:
        requests_ = self._positive_extra("rate_limit_requests", RATE_LIMIT_REQUESTS, int)
        seconds = self._positive_extra("rate_limit_seconds", RATE_LIMIT_SECONDS, float)
        return EvenPaceThrottle(requests_, seconds, concurrency=self.max_concurrency, sleep=self._sleep)

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
