"""Strict JSON bodies: decoded by the declared charset, valid JSON only, or a clear error.

* Bytes are decoded by the ``charset`` of ``Content-Type``; without one, as UTF-8 (RFC 8259). Bytes
  that do not decode are an :class:`LmsResponseError` naming the URL, the charset and the byte
  offset: never a silent U+FFFD.
* ``NaN``, ``Infinity``, ``-Infinity`` and numbers too large for a double (``1e999``) are not JSON
  and no JSON reader takes them back. By default they are an error naming the field; the
  connection extra ``non_finite_numbers`` can turn them into ``null`` or into the strings
  ``"NaN"`` / ``"Infinity"`` / ``"-Infinity"`` instead (:data:`NON_FINITE_MODES`).
* Nesting deeper than the parser can follow is an error, not a raw ``RecursionError``.

Speed: a UTF-8 body is parsed by orjson (about twice as fast as :mod:`json`) wherever orjson is
known to give exactly what :func:`json.loads` gives. It refuses everything the strict path would
refuse or treat specially (NaN, Infinity, 1e999, bad UTF-8, a BOM, lone surrogates, deep nesting),
and such bodies take the strict path below, so their errors and ``non_finite_numbers`` handling are
unchanged. The one value it reads differently, an integer beyond 64 bits (a float to orjson), is
looked for first: a body with a run of 19 digits (other than a fraction's) takes the strict path.
orjson briefly needs about 12 times the body's size while it parses (measured: 82 MB for a 5 MB
page, against 27 MB for :mod:`json`), so bodies over :data:`FAST_PARSE_MAX_BYTES` take the strict
path as well: a typical page (0.5 MB) costs a few MB for a moment, a huge one no more than before.

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

try:  # a dependency of the provider; without it every body takes the strict path
    import orjson
except ImportError:  # pragma: no cover - orjson ships wheels for every platform Airflow runs on
    orjson = None  # type: ignore[assignment]

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


#: Digits become "0" so that one ``find`` spots a run of 19 (an integer orjson might not keep exact).
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * 19
_UNSURE = object()
#: Largest body parsed by orjson (see the module docstring: its transient memory is ~12x the body).
FAST_PARSE_MAX_BYTES = 4 * 1024 * 1024


def _has_long_integer(content: bytes) -> bool:
    """Whether a run of 19+ digits starts anywhere but after a ``.`` (long fractions such as
    ``0.00018108032137626934`` are floats to both parsers; they only cost this check)."""
    digits = content.translate(_DIGITS_TO_ZERO)
    at = digits.find(_LONG_NUMBER)
    while at >= 0:
        if at == 0 or digits[at - 1] != 0x2E:  # not a fraction's digits
            return True
        end = at + len(_LONG_NUMBER)
        while end < len(digits) and digits[end] == 0x30:
            end += 1
        at = digits.find(_LONG_NUMBER, end)
    return False


def _fast_parse(content: bytes, content_type: str | None) -> Any:
    """The body parsed by orjson, or ``_UNSURE`` where only the strict path can say."""
    if orjson is None or not content or len(content) > FAST_PARSE_MAX_BYTES:
        return _UNSURE
    charset = declared_charset(content_type)
    if charset is not None and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        return _UNSURE
    if _has_long_integer(content):
        return _UNSURE
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:  # whatever it refuses, the strict path explains (or accepts)
        return _UNSURE


def parse_json_body(response: requests.Response, redactor: Redactor, *, non_finite: str = "error") -> Any:
    """Decode and parse a JSON response body strictly, releasing its bytes once decoded."""
    fast = _fast_parse(response.content, response.headers.get("Content-Type"))
    if fast is not _UNSURE:
        response._content = None  # parsed: don't hold the page twice
        return fast
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
