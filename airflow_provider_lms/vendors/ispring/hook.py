"""iSpring Learn: client-credentials tokens that live 30 minutes, token pagination, JSON on request
(XML otherwise, parsed defensively), PHP-style array parameters (``userIds[]=a&userIds[]=b``).

Reference: ``POST /api/v3/token`` and the read endpoints of the iSpring Learn REST API v3.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from typing import Any

import requests

from airflow_provider_lms.auth import Auth, Token, TokenAuth
from airflow_provider_lms.catalog import Endpoint
from airflow_provider_lms.exceptions import LmsAuthError, LmsConfigError, LmsHttpError, LmsResponseError
from airflow_provider_lms.hooks.base import LmsHook, normalize_url
from airflow_provider_lms.page_request import PageRequest
from airflow_provider_lms.pagination import Paginator
from airflow_provider_lms.transport import HttpTransport
from airflow_provider_lms.vendors.ispring import VENDOR
from airflow_provider_lms.vendors.ispring.catalog import (
    ALL_USER_STATUSES,
    COMMA_SEPARATED,
    ISPRING_CATALOG,
    PAGE_SIZE_MAX,
    RESULT_DATE_FIELDS,
    USER_STATUSES,
    WINDOW_FIELD,
    DateRangeWindow,
    IspringTokenPaginator,
)
from airflow_provider_lms.xml_records import XmlVocabulary, looks_like_xml, parse_xml

TOKEN_PATH = "/api/v3/token"
TOKEN_LIFETIME = 1800.0  # seconds, when a token response omits expires_in


#: What iSpring's XML means, from the element names of its OpenAPI schemas.
ISPRING_XML = XmlVocabulary.of(
    list_tags=(
        "results",
        "userProfiles",
        "departments",
        "groups",
        "enrollments",
        "contentItems",
        "modules",
        "assignments",
        "courseFields",
        "userRoles",
        "manageableDepartmentIds",
        "parentCourseIds",
        "attachments",
        "statuses",
    ),
    root_item_tags=("userPointsInfo", "learningTracksCourse", "attempt", "status", "id"),
    number_tags=(
        "timeSpent",
        "duration",
        "progress",
        "awardedScore",
        "passingScore",
        "viewsCount",
        "points",
        "status",
        "enrollmentTypeGroup",
        "attemptScore",
        "questionNumber",
        "questionScore",
        "answerScore",
        "fileSize",
    ),
    bool_tags=(
        "isOverdue",
        "isSmart",
        "shouldLockAfterDueDate",
        "isAttemptPassed",
        "isAnswerCorrect",
    ),
)


class IspringHook(LmsHook):
    """iSpring Learn REST API hook.

    Connection: host = the API host (``api-learn.ispring.com`` for new accounts,
    ``api-learn.ispringlearn.com`` for existing ones, ``api-learn.ispringlearn.eu`` in the EU; a full
    URL also works); login = client ID; password = client secret (iSpring Learn: Settings > API).

    Tokens last 30 minutes and cannot be refreshed: the hook fetches a new one shortly before
    expiry and whenever the API answers 401, so extracts of any length run through.

    :param conn_id: the Airflow connection id (type ``ispring``).
    """

    vendor = VENDOR  # conn_type, hook_name and default_conn_name come from the descriptor
    catalog = ISPRING_CATALOG
    max_page_size = PAGE_SIZE_MAX
    test_endpoint = "departments"

    def base_url(self) -> str:
        return normalize_url(self.connection.host, port=self.connection.port)

    @cached_property
    def transport(self) -> HttpTransport:
        transport = super().transport
        # Without it the API answers XML; with it, JSON (XML is still understood, see parse_body).
        transport.session.headers["Accept"] = "application/json"
        return transport

    def create_auth(self) -> Auth:
        return TokenAuth(self._fetch_token, on_new_token=self.redactor.add)

    def _fetch_token(self) -> Token:
        conn = self.connection
        request = PageRequest(
            "POST",
            TOKEN_PATH,
            form={
                "client_id": self._credential(conn.login, "client ID (login)"),
                "client_secret": self._credential(conn.password, "client secret (password)"),
                "grant_type": "client_credentials",
            },
        )
        try:
            response = self.transport.send(request, authenticated=False)
        except LmsHttpError as exc:
            if exc.status in (400, 401):  # unknown client id or secret
                raise LmsAuthError(
                    f"iSpring Learn rejected the credentials of connection {self.conn_id!r}: check its "
                    f"client ID (login) and client secret (password), Settings > API. ({exc})",
                    exc.status,
                ) from None
            raise
        body = self.parse_body(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise LmsResponseError(f"the token response of {TOKEN_PATH} holds no access_token")
        try:
            expires_in = float(body.get("expires_in") or TOKEN_LIFETIME)
        except (TypeError, ValueError):
            expires_in = TOKEN_LIFETIME  # an unreadable lifetime: trust the documented 30 minutes
        return Token(str(token), expires_in)

    def default_paginator(self) -> Paginator:
        return IspringTokenPaginator()

    def parse_body(self, response: requests.Response) -> Any:
        """JSON, or XML (parsed without DTDs or entities) into the same records."""
        if not looks_like_xml(response.headers.get("Content-Type"), response.content):
            return super().parse_body(response)
        try:
            return parse_xml(response.content, ISPRING_XML)
        except LmsResponseError as exc:
            raise LmsResponseError(
                f"{response.request.method} {self.redactor.url(response.url)}: {exc}"
            ) from None

    def adapt(self, endpoint: Endpoint, parameters: dict[str, Any]) -> tuple[Endpoint, dict[str, Any]]:
        """The iSpring defaults: results of active AND blocked users, ``window_field`` choosing the
        date the window filters, comma-joined id lists."""
        given = dict(parameters)
        names = endpoint.param_names
        statuses = next((p for p in endpoint.params if p.name == USER_STATUSES), None)
        # Only where the reference takes a list: module results take one status (active by default).
        if statuses is not None and statuses.multiple and USER_STATUSES not in given:
            given[USER_STATUSES] = list(ALL_USER_STATUSES)
        if WINDOW_FIELD in names:
            date_field = given.pop(WINDOW_FIELD, None) or RESULT_DATE_FIELDS[0]
            if date_field not in RESULT_DATE_FIELDS:
                raise LmsConfigError(
                    f"endpoint {endpoint.name!r}: {WINDOW_FIELD}={date_field!r} is not one of "
                    f"{list(RESULT_DATE_FIELDS)}"
                )
            endpoint = replace(endpoint, window=DateRangeWindow(date_field))
        for name in COMMA_SEPARATED:
            if isinstance(given.get(name), (list, tuple)):
                given[name] = ",".join(str(v) for v in given[name])
        return endpoint, given
