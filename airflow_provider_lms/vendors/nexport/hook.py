"""NexPort Campus: ``POST AdminApi/Authenticate`` for a token that travels in the ``access_token``
QUERY parameter, errors reported inside 200 bodies (``api_error_entity``), ``page``/``per_page``
pagination over bare arrays or ``total_count`` envelopes, and POST search endpoints with body filters.

The token sits in every URL, so it is registered with the redactor the moment it arrives and every
URL, message and third-party log line is masked (see :mod:`airflow_provider_lms.redaction`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests

from airflow_provider_lms.auth import Auth
from airflow_provider_lms.exceptions import LmsAuthError, LmsCredentialRejected, LmsHttpError
from airflow_provider_lms.hooks.base import LmsHook, normalize_url
from airflow_provider_lms.pagination import Paginator
from airflow_provider_lms.token_auth import TokenPlacement, TokenReply, TokenRequest, TokenSpec
from airflow_provider_lms.vendors.nexport import VENDOR
from airflow_provider_lms.vendors.nexport.catalog import (
    NEXPORT_CATALOG,
    PAGE_SIZE_MAX,
    _pages,
)

API_ROOT = "/api/v1"
AUTHENTICATE_PATH = "/AdminApi/Authenticate"
ERROR_KEY = "api_error_entity"

#: ``AdminApi/Authenticate`` for a token that travels in the ``access_token`` query parameter (so it
#: is a secret parameter: masked in every URL). Refusals inside 200 bodies are raised by accept_body.
NEXPORT_TOKEN = TokenSpec(
    vendor="NexPort",
    request=TokenRequest(
        AUTHENTICATE_PATH, {"username": "{login}", "password": "{password}", "grant_type": "password"}
    ),
    reply=TokenReply(missing_is_refusal=True),
    placement=TokenPlacement(headers={}, query="access_token"),
    credentials={"login": "admin API username (login)", "password": "admin API password"},
    hint="check the login and password of an admin API user",
)

# NexPort publishes no list of error codes; an invalid or expired token is recognised by its message.
_TOKEN_PROBLEM = re.compile(r"token.*(invalid|expired|not valid|revoked|unauthori[sz]ed)", re.I | re.S)
_TOKEN_PROBLEM_REVERSED = re.compile(r"(invalid|expired|unauthori[sz]ed).*token", re.I | re.S)


class NexPortApiError(LmsHttpError):
    """NexPort answered with ``api_error_entity.error_code != 0`` (usually with HTTP 200)."""

    def __init__(self, message: str, status: int | None = None, error_code: Any = None) -> None:
        super().__init__(message, status)
        self.error_code = error_code


# ---- errors inside bodies -----------------------------------------------------------------------


def error_entities(body: Any) -> Iterator[dict[str, Any]]:
    """The body's own ``api_error_entity`` and those of its records (one level down)."""
    candidates: list[Any] = []
    if isinstance(body, dict):
        candidates.append(body)
        for value in body.values():
            if isinstance(value, list):
                candidates.extend(value)
    elif isinstance(body, list):
        candidates.extend(body)
    for item in candidates:
        entity = item.get(ERROR_KEY) if isinstance(item, dict) else None
        if isinstance(entity, dict):
            yield entity


def _failed(entity: Mapping[str, Any]) -> bool:
    code = entity.get("error_code")
    return code not in (None, 0, "0", "")


def is_token_problem(message: str) -> bool:
    """Whether NexPort's message says the access token is invalid or expired."""
    return bool(_TOKEN_PROBLEM.search(message) or _TOKEN_PROBLEM_REVERSED.search(message))


def strip_error_entities(node: Any) -> Any:
    """Drop every ``api_error_entity`` (a status envelope, already checked) from records."""
    if isinstance(node, dict):
        return {k: strip_error_entities(v) for k, v in node.items() if k != ERROR_KEY}
    if isinstance(node, list):
        return [strip_error_entities(v) for v in node]
    return node


# ---- the hook -----------------------------------------------------------------------------------


class NexPortHook(LmsHook):
    """NexPort Campus LearningApi hook.

    Connection: host = the campus URL (``https://www.nexportcampus.com``); login / password = an
    admin API user. The hook authenticates with ``AdminApi/Authenticate``, sends the token as the
    ``access_token`` query parameter (masked everywhere) and re-authenticates once when NexPort says
    the token is invalid or expired.

    :param conn_id: the Airflow connection id (type ``nexport``).
    """

    vendor = VENDOR  # conn_type, hook_name and default_conn_name come from the descriptor
    catalog = NEXPORT_CATALOG
    max_page_size = PAGE_SIZE_MAX
    test_endpoint = "organizations"
    #: Counted lists (total_count) are fetched 4 pages at a time; bare arrays stay sequential.
    default_max_concurrency = 4
    secret_param_names: ClassVar[tuple[str, ...]] = ("access_token",)

    def __init__(self, conn_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(conn_id, **kwargs)
        self._warnings_seen: set[str] = set()

    def base_url(self) -> str:
        url = normalize_url(self.connection.host, port=self.connection.port)
        return url if url.endswith(API_ROOT) else f"{url}{API_ROOT}"

    def create_auth(self) -> Auth:
        conn = self.connection
        return NEXPORT_TOKEN.for_hook(self, {"login": conn.login, "password": conn.password})

    def default_paginator(self) -> Paginator:
        return _pages()

    # ---- responses --------------------------------------------------------------------------

    def accept_body(self, response: requests.Response, body: Any) -> Any:
        """Raise for ``api_error_entity.error_code != 0`` in a 2xx body and log warning messages;
        the records are read from the body without its ``api_error_entity`` envelopes."""
        path = urlsplit(response.url).path  # never the query: it carries the token
        failure: dict[str, Any] | None = None
        for entity in error_entities(body):
            for warning in entity.get("warning_messages") or ():
                self._log_warning(path, str(warning))
            if failure is None and _failed(entity):
                failure = entity
        if failure is None:
            return strip_error_entities(body)
        code = failure.get("error_code")
        message = self.redactor.text(" ".join(str(failure.get("error_message") or "").split()))[:300]
        if path.endswith(AUTHENTICATE_PATH):
            raise LmsAuthError(
                f"NexPort refused to authenticate connection {self.conn_id!r}: {message or 'no reason given'} "
                f"(error_code {code}). Check the login and password of an admin API user.",
                response.status_code,
            )
        if is_token_problem(message):
            raise LmsCredentialRejected(
                f"{response.request.method} {path}: NexPort says the token is invalid"
            )
        raise NexPortApiError(
            f"{response.request.method} {path}: NexPort error_code {code}: {message or 'no message'}",
            response.status_code,
            code,
        )

    def _log_warning(self, path: str, warning: str) -> None:
        text = self.redactor.text(warning)
        key = f"{path} {text}"
        if key in self._warnings_seen:
            self.log.debug("NexPort warning from %s: %s", path, text)
            return
        self._warnings_seen.add(key)
        self.log.warning("NexPort warning from %s: %s", path, text)
