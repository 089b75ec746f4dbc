"""Authentication strategies. The transport asks them to sign each attempt and, on a rejected
credential, whether a fresh one is worth one more try (or, by raising
:class:`~airflow_provider_lms.exceptions.LmsRetryLater`, worth a try after the backoff).

Token vendors configure :class:`airflow_provider_lms.token_auth.TokenAuth` by data."""

from __future__ import annotations

import base64
from abc import ABC, abstractmethod
from dataclasses import dataclass

from requests import PreparedRequest
from requests.auth import AuthBase

from airflow_provider_lms.exceptions import LmsConfigError


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
        """The vendor rejected the credential: get a fresh one. True if a retry may now succeed at
        once; raise :class:`~airflow_provider_lms.exceptions.LmsRetryLater` to retry after the
        transport's backoff instead."""
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
    """HTTP Basic, UTF-8 encoded. ``token`` is the base64 part of the header."""

    def __init__(self, username: str, password: str) -> None:
        self.token = basic_token(username, password)
        self._auth = _BasicHeader(self.token)

    def sign(self, request: SignedRequest) -> None:
        request.auth = self._auth
