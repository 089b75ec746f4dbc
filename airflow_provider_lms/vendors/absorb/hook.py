"""Absorb Integration API v2: ``/authenticate`` tokens (one per user, shared between a worker's
processes), page-index ``_offset`` pagination, OData ``_filter`` windows, and the enrollment catalog.

Every read endpoint of the enrollment reference (course, session, chapter and lesson enrollments,
attempts, "my enrollments") plus the parents a chain needs (users, courses, departments, groups,
sessions). Paths follow the v2 reference; override one with ``{"name": ..., "path": ...}``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from airflow_provider_lms.auth import Auth
from airflow_provider_lms.exceptions import LmsConfigError
from airflow_provider_lms.hooks.base import LmsHook, normalize_url
from airflow_provider_lms.pagination import Paginator
from airflow_provider_lms.throttle import RollingWindowThrottle, Throttle
from airflow_provider_lms.token_auth import TokenAuth
from airflow_provider_lms.vendors.absorb import VENDOR
from airflow_provider_lms.vendors.absorb.auth import ABSORB_TOKEN
from airflow_provider_lms.vendors.absorb.catalog import ABSORB_CATALOG
from airflow_provider_lms.vendors.absorb.query import (
    MAX_PAGE_SIZE,
    AbsorbPaginator,
)
from airflow_provider_lms.vendors.absorb.shared_token import select_token_store
from airflow_provider_lms.vendors.absorb.token_cache import cache_key

#: Region -> REST base URL ("service gateway"). The Host field may hold a key or any URL.
REGIONS: dict[str, str] = {
    "us": "https://rest.myabsorb.com",
    "ca": "https://rest.myabsorb.ca",
    "eu": "https://rest.myabsorb.eu",
    "au": "https://rest.myabsorb.com.au",
    "us-sandbox": "https://rest.sandbox.myabsorb.com",
    "ca-sandbox": "https://rest.sandbox.myabsorb.ca",
    "eu-sandbox": "https://rest.sandbox.myabsorb.eu",
    "au-sandbox": "https://rest.sandbox.myabsorb.com.au",
}

#: Client-side pace per process (Absorb: 200 requests/s per portal, then 429).
REQUESTS_PER_SECOND = 100


# "acme.myabsorb.com" is a portal (the web app), not the Integration API gateway.
_PORTAL_HOST = re.compile(
    r"^(?:https?://)?(?!rest\.)[^./]+\.(?:sandbox\.)?myabsorb\.(?:com\.au|com|ca|eu)/?$"
)


class AbsorbHook(LmsHook):
    """Absorb Integration API (v2) hook.

    Connection: host = REST base URL (``https://rest.myabsorb.com``) or a region key (``us``,
    ``ca``, ``eu``, ``au``, ``us-sandbox``...), or leave it empty and pick the ``region`` extra;
    login / password = an admin's username / password; extra ``private_key`` = the portal's API key.

    Tokens are shared by the processes of one worker through a file cache (extra
    ``token_cache_dir``; ``off`` keeps them per process), or by every worker host through the
    extra ``token_store`` (``variable`` or a shared directory URI): see docs/absorb.md before
    running many Absorb tasks at once.

    :param conn_id: the Airflow connection id (type ``absorb``).
    :param token_cache_dir: overrides the connection's ``token_cache_dir`` extra.
    :param clock: wall clock for token ages (seconds since the epoch); for tests.
    """

    vendor = VENDOR  # conn_type, hook_name and default_conn_name come from the descriptor
    catalog = ABSORB_CATALOG
    max_page_size = MAX_PAGE_SIZE
    test_endpoint = "users"
    #: Absorb reports 200 requests/s per portal (paced by the throttle): 4 pages in flight is far below.
    default_max_concurrency = 4
    secret_extras = ("private_key",)

    def __init__(
        self,
        conn_id: str | None = None,
        *,
        token_cache_dir: str | None = None,
        clock: Callable[[], float] = time.time,
        **kwargs: Any,
    ) -> None:
        super().__init__(conn_id, **kwargs)
        self._token_cache_dir, self._clock = token_cache_dir, clock

    def base_url(self) -> str:
        host = (self.connection.host or "").strip()
        region = str(self.extras.get("region") or "").strip().lower()
        if host.lower() in REGIONS:
            return REGIONS[host.lower()]
        if _PORTAL_HOST.match(host):
            raise LmsConfigError(
                f"connection {self.conn_id!r}: host {host!r} is a portal address; the Integration API "
                f"lives on the regional gateway, e.g. {REGIONS['us']} (or set host to one of "
                f"{', '.join(REGIONS)})"
            )
        if host:
            return normalize_url(host, port=self.connection.port)
        if region in REGIONS:
            return REGIONS[region]
        raise LmsConfigError(
            f"connection {self.conn_id!r} has no host: set Host to the REST base URL (e.g. "
            f"{REGIONS['us']}) or the region extra to one of {', '.join(REGIONS)}"
            + (f" (region {region!r} is unknown)" if region else "")
        )

    def create_auth(self) -> Auth:
        conn = self.connection
        values = ABSORB_TOKEN.checked(
            self.conn_id,
            {"login": conn.login, "password": conn.password, "private_key": self.extras.get("private_key")},
        )
        setting = (
            self._token_cache_dir if self._token_cache_dir is not None else self.extras.get("token_cache_dir")
        )
        # token_store: the per-host file cache (default), or a home every worker host reaches.
        store = select_token_store(
            self.extras.get("token_store"),
            cache_key(self.base_url(), values["private_key"], values["login"], values["password"]),
            setting,
        )
        return ABSORB_TOKEN.for_hook(self, values, store=store, clock=self._clock)

    def create_throttle(self) -> Throttle:
        # Absorb allows 200 requests/s (burst 100) per portal. Pacing waits are real waits, even
        # when retries are told not to sleep (tests), so a fast loop never spins on the clock.
        return RollingWindowThrottle(REQUESTS_PER_SECOND, 1.0, sleep=time.sleep)

    def default_paginator(self) -> Paginator:
        # Custom paths: page-index pagination, without a sort field we cannot know exists.
        return AbsorbPaginator(unique_field=None)

    # ---- reporting -----------------------------------------------------------------------------

    def token_report(self) -> dict[str, Any]:
        """``/authenticate`` calls this hook made and shared tokens it reused, so far."""
        auth = self.transport.auth
        assert isinstance(auth, TokenAuth)
        return {
            "authenticate_calls": auth.fetch_count,
            "reused_tokens": auth.reused_count,
            "token_cache": auth.store.location,
        }
