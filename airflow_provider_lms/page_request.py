"""The request for one page and the response the paginator sees."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from requests.structures import CaseInsensitiveDict


@dataclass
class PageRequest:
    """One HTTP request, relative to the hook's base URL. Paginators and window mappings edit it."""

    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    #: Form-encoded body (OAuth2 token calls); sent instead of ``body`` when set.
    form: dict[str, Any] | None = None

    def body_dict(self) -> dict[str, Any]:
        """The JSON body as a dict, created on first use (for POST search endpoints)."""
        if self.body is None:
            self.body = {}
        if not isinstance(self.body, dict):
            raise TypeError(f"request body is a {type(self.body).__name__}, not an object")
        return self.body

    def copy(self) -> PageRequest:
        return copy.deepcopy(self)


@dataclass
class PageResponse:
    """What a paginator may look at to decide on the next page. Header names are case-insensitive,
    as HTTP says (``headers.get("lu-has-next-page")`` finds ``LU-Has-Next-Page``)."""

    headers: Mapping[str, str]
    body: Any
    record_count: int

    def __post_init__(self) -> None:
        if not isinstance(self.headers, CaseInsensitiveDict):
            self.headers = CaseInsensitiveDict(self.headers)
