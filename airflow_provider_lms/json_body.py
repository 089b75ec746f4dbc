"""Strict JSON bodies: decoded by the declared charset, valid JSON only, or a clear error.

* Bytes are decoded by the ``charset`` of ``Content-Type``; without one, as UTF-8 (RFC 8259). Bytes
  that do not decode are an :class:`LmsResponseError` naming the URL, the charset and the byte
  offset: never a silent U+FFFD.
* ``NaN``, ``Infinity``, ``-Infinity`` and numbers too large for a double (``1e999``) are not JSON
  and no JSON reader takes them back. By default they are an error naming the field; the
  connection extra ``non_finite_numbers`` can turn them into ``null`` or into the strings
  ``"NaN"`` / ``"Infinity"`` / ``"-Infinity"`` instead (:data:`NON_FINITE_MODES`).
* Nesting deeper than the parser can follow is an error, not a raw ``RecursionError``.

Memory: the raw bytes are released from the response as soon as they are decoded, so a large page
is held as bytes or as text, then as objects, not all three at once.
"""

from __future__ import annotations

import codecs
import json
import math
from email.message import Message
from typing import Any

import requests

from airflow_provider_lms.exceptions import LmsConfigError, LmsResponseError
from airflow_provider_lms.redaction import Redactor

#: Values of the ``non_finite_numbers`` extra: what to do with NaN / Infinity / 1e999.
NON_FINITE_MODES = ("error", "null", "string")
_NAMES = {"NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-Infinity"}


class _NonFinite(ValueError):
    def __init__(self, literal: str) -> None:
        super().__init__(literal)
        self.literal = literal


class _Marker:
    """Stands in for a non-finite number while we look for where it sits."""

    def __init__(self, literal: str) -> None:
        self.literal = literal


def check_non_finite_mode(value: Any) -> str:
    mode = "error" if value in (None, "") else str(value).strip().lower()
    if mode not in NON_FINITE_MODES:
        raise LmsConfigError(f"non_finite_numbers={value!r} is not one of {', '.join(NON_FINITE_MODES)}")
    return mode


def declared_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header, or None."""
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    charset = message.get_param("charset")
    return str(charset).strip().strip('"') or None if charset else None


def decode_text(response: requests.Response, redactor: Redactor, *, default: str = "utf-8") -> str:
    """The body as text, decoded by its declared charset (``default`` when none), strictly."""
    content = response.content or b""
    declared = declared_charset(response.headers.get("Content-Type"))
    charset = declared or default
    where = (
        f"{response.request.method} {redactor.url(response.url)}"
        if response.request
        else redactor.url(response.url)
    )
    source = f"declared charset {declared!r}" if declared else f"no charset declared, so {default} (RFC 8259)"
    try:
        codec = codecs.lookup(charset).name
    except LookupError:
        raise LmsResponseError(
            f"{where} declares the unknown charset {declared!r} (Content-Type "
            f"{response.headers.get('Content-Type')!r}): cannot read its body"
        ) from None
    try:
        text = content.decode(codec)
    except UnicodeDecodeError as exc:
        bad = content[exc.start : exc.start + 8].hex(" ")
        raise LmsResponseError(
            f"{where}: the body is not valid {codec} ({source}): byte offset {exc.start} holds {bad}. "
            f"The vendor sent another encoding than it declared; nothing was written rather than "
            f"replacing characters"
        ) from None
    return text[1:] if text.startswith("\ufeff") else text  # a BOM is allowed to be ignored


def loads(text: str, *, non_finite: str = "error", where: str = "the response") -> Any:
    """Parse JSON text; non-finite numbers by ``non_finite`` (see :data:`NON_FINITE_MODES`)."""
    if non_finite == "error":

        def constant(literal: str) -> Any:
            raise _NonFinite(literal)

        def number(literal: str, _float=float, _isinf=math.isinf) -> float:
            value = _float(literal)
            if _isinf(value):
                raise _NonFinite(literal)
            return value

    else:
        replace = (lambda literal: None) if non_finite == "null" else (lambda literal: _NAMES[literal])

        def constant(literal: str) -> Any:
            return replace(literal)

        def number(literal: str, _float=float, _isinf=math.isinf) -> Any:
            value = _float(literal)
            if _isinf(value):
                return replace("Infinity" if value > 0 else "-Infinity")
            return value

    try:
        return json.loads(text, parse_constant=constant, parse_float=number)
    except _NonFinite as exc:
        path = _locate_non_finite(text)
        raise LmsResponseError(
            f"{where}: {path} holds {exc.literal}, which is not a JSON number (RFC 8259) and would "
            f"make the output unreadable. Set the connection extra non_finite_numbers to 'null' (write "
            f'null) or \'string\' (write "NaN" / "Infinity" / "-Infinity") to accept such values'
        ) from None
    except RecursionError:
        raise LmsResponseError(
            f"{where}: the JSON is nested deeper than can be read (over ~1000 levels); no LMS record "
            f"is shaped like that, so the body is refused"
        ) from None


def _locate_non_finite(text: str) -> str:
    """Where the first non-finite number sits, as ``$.users[3].score`` (only run on failure)."""

    def number(literal: str) -> Any:
        value = float(literal)
        return _Marker(literal) if math.isinf(value) else value

    try:
        body = json.loads(text, parse_constant=_Marker, parse_float=number)
    except (ValueError, RecursionError):  # pragma: no cover - parsed once already
        return "a value"
    found = _find(body, "$")
    return f"field {found}" if found else "a value"


def _find(value: Any, path: str) -> str | None:
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, _Marker):
            return where
        if isinstance(item, dict):
            stack.extend((v, f"{where}.{k}") for k, v in reversed(list(item.items())))
        elif isinstance(item, list):
            stack.extend((v, f"{where}[{i}]") for i, v in reversed(list(enumerate(item))))
    return None


def parse_json_body(response: requests.Response, redactor: Redactor, *, non_finite: str = "error") -> Any:
    """Decode and parse a JSON response body strictly, releasing its bytes once decoded."""
    where = f"{response.request.method} {redactor.url(response.url)}"
    text = decode_text(response, redactor)
    response._content = None  # the text is all we need now: don't hold the page twice
    try:
        return loads(text, non_finite=non_finite, where=where)
    except json.JSONDecodeError as exc:
        snippet = redactor.text(text[:200])
        raise LmsResponseError(
            f"{where} did not answer JSON (Content-Type {response.headers.get('Content-Type')!r}; "
            f"{exc.msg} at line {exc.lineno} column {exc.colno}): {snippet!r}"
        ) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise LmsResponseError(
            f"{where} answered JSON that cannot be read: {redactor.text(str(exc))[:200]}"
        ) from None
