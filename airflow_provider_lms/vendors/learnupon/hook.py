"""LearnUpon: HTTP Basic with the portal's API username/password, ``/api/v1``, page/per_page
pagination driven by the ``LU-Has-Next-Page`` header."""

from __future__ import annotations

from airflow_provider_lms.auth import Auth, BasicAuth
from airflow_provider_lms.exceptions import LmsConfigError
from airflow_provider_lms.hooks.base import LmsHook, normalize_url
from airflow_provider_lms.pagination import PageNumberPaginator, Paginator
from airflow_provider_lms.throttle import RemainingQuotaThrottle, Throttle
from airflow_provider_lms.vendors.learnupon import VENDOR
from airflow_provider_lms.vendors.learnupon.catalog import LEARNUPON_CATALOG, PAGE_SIZE_MAX


class LearnUponHook(LmsHook):
    """LearnUpon API hook.

    Connection: host = portal URL (``https://acme.learnupon.com``) or just the subdomain (``acme``);
    login / password = the portal's API username / password.

    :param conn_id: the Airflow connection id (type ``learnupon``).
    """

    vendor = VENDOR  # conn_type, hook_name and default_conn_name come from the descriptor
    catalog = LEARNUPON_CATALOG
    max_page_size = PAGE_SIZE_MAX
    test_endpoint = "users"

    def base_url(self) -> str:
        url = normalize_url(self.connection.host, default_domain="learnupon.com", port=self.connection.port)
        return url if url.endswith("/api/v1") else f"{url}/api/v1"

    def create_auth(self) -> Auth:
        conn = self.connection
        if ":" in (conn.login or ""):  # Basic auth splits "user:password" at the first colon
            raise LmsConfigError(
                f"connection {self.conn_id!r}: the API username (login) contains ':', which HTTP Basic "
                "auth cannot carry; check it was copied correctly from LearnUpon"
            )
        auth = BasicAuth(
            self._credential(conn.login, "API username (login)"),
            self._credential(conn.password, "API password"),
        )
        self.redactor.add_basic(conn.login, conn.password)  # an echoed header must not show it
        return auth

    def create_throttle(self) -> Throttle:
        return RemainingQuotaThrottle(
            "X-LU-Rate-Limit-Remaining-Minute", window_seconds=60.0, sleep=self._sleep
        )

    def default_paginator(self) -> Paginator:
        # LU-Records-Per-Page: when LU-Has-Next-Page is missing, a page shorter than what the
        # portal says it serves is the last; without either, paging reads on to an empty page.
        return PageNumberPaginator(
            "page",
            "per_page",
            has_next_header="LU-Has-Next-Page",
            served_page_size_header="LU-Records-Per-Page",
        )
