"""JSON Lines encoding at C speed, byte for byte what :func:`json.dumps` writes.

The writer's reference encoding is ``json.dumps(record, ensure_ascii=False, separators=(",", ":"),
default=str, allow_nan=False)``, UTF-8 encoded. orjson encodes the same records about ten times
faster and, for plain JSON values, to the same bytes, except in three places, each checked here so
that the fast path is only taken where the bytes are known to be the same:

* NaN and Infinity: orjson writes ``null``, ``json`` refuses them (and so does the writer). A
  batch whose ``marshal`` form holds a non-finite double (an 8-byte IEEE value with all exponent
  bits set) goes the slow way, where the refusal happens. ``marshal`` also refuses every type that
  is not an exact built-in (subclasses, datetimes, Decimals, enums), so those go the slow way too;
* floats below 1e-4 or with an exponent: orjson writes ``0.00001`` and ``1e-7`` where ``json``
  writes ``1e-05`` and ``1e-07``. A line with a number in exponent form or with ``0.0000`` (or,
  harmlessly, a string that looks like one after a ``:``) is encoded again by ``json``;
* types orjson cannot or would encode its own way (ints beyond 64 bits, non-string keys, tuples
  are fine): orjson raises, and the batch goes the slow way.

The slow way is ``json`` itself, so any record gives exactly today's bytes (or today's error).
"""

from __future__ import annotations

import json
import marshal
import re
from collections.abc import Callable, Sequence
from typing import Any

try:  # a dependency of the provider; the fallback keeps a broken install writing correct files
    import orjson
except ImportError:  # pragma: no cover - orjson ships wheels for every platform Airflow runs on
    orjson = None  # type: ignore[assignment]

#: marshal writes a float as ``g`` (``\xe7`` when flagged for back-references, version 3+) + 8
#: little-endian bytes; all exponent bits set (NaN, +-Infinity) puts 0xF0-0xFF in the 7th byte and
#: 0x7F/0xFF in the 8th. A float object repeated in the batch is written in full once, then as a
#: reference, so every non-finite value shows at least once. Strings in marshal are UTF-8, where
#: such a pair cannot occur, so a match outside a float is only a false alarm (the slow way).
#: Version 4 writes each repeated key once (references), ~3x faster than version 2 on records.
_NON_FINITE_DOUBLE = re.compile(rb"[g\xe7][\x00-\xff]{6}[\xf0-\xff][\x7f\xff]")
_MARSHAL_VERSION = 4
#: Where orjson's float text can differ from Python's repr (see the module docstring): orjson
#: writes every exponent with its sign (``1e-7``, ``1e+16``), and small numbers as ``0.0000...``.
#: These are found with ``bytes.find`` (C speed); :func:`_may_differ` then checks that the find is
#: a number (it starts right after ``:``, ``,``, ``[`` or a line start), not the inside of a
#: string such as a GUID's ``9c1e-4a55`` (which only costs that check).
_CANDIDATES = (b"e-", b"e+", b"E-", b"E+", b"0.0000")
_NUMBER_CHARS = frozenset(b"0123456789.-+eE")
_VALUE_STARTS = frozenset(b":,[\n")


def _may_differ(text: bytes) -> bool:
    for candidate in _CANDIDATES:
        at = text.find(candidate)
        while at >= 0:
            j = at
            while j >= 0 and text[j] in _NUMBER_CHARS:
                j -= 1
            if j < 0 or text[j] in _VALUE_STARTS:
                return True
            at = text.find(candidate, at + 1)
    return False


_OPTIONS = 0
if orjson is not None:
    _OPTIONS = (
        orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
    )


class _NotPlain(TypeError):
    """Raised from orjson's ``default``: the value needs ``json``'s ``default=str``."""


def _refuse(value: Any) -> Any:
    raise _NotPlain(type(value).__name__)


def reference_line(record: Any) -> str:
    """The writer's reference encoding of one record (raises ValueError for NaN / Infinity)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str, allow_nan=False)


def encode_lines(records: Sequence[Any], slow_line: Callable[[Any, int], str]) -> bytes:
    """``records`` as JSON Lines bytes (each line ended by ``\\n``), identical to joining
    ``slow_line(record, index)`` of each; ``slow_line`` is called wherever the fast path is unsure
    (it raises what the writer raises for a bad record)."""
    if not records:
        return b""
    if orjson is not None:
        fast = _fast(records)
        if fast is not None:
            return fast
    return ("\n".join(slow_line(r, i) for i, r in enumerate(records)) + "\n").encode()


def _fast(records: Sequence[Any]) -> bytes | None:
    try:
        if _NON_FINITE_DOUBLE.search(marshal.dumps(list(records), _MARSHAL_VERSION)):
            return None
        lines = [orjson.dumps(r, default=_refuse, option=_OPTIONS) for r in records]
    except (ValueError, TypeError):  # unmarshallable / too deep / orjson refused: the slow way
        return None
    out = b"\n".join(lines) + b"\n"
    if not _may_differ(out):
        return out
    fixed = [
        line if not _may_differ(line) else reference_line(r).encode()
        for line, r in zip(lines, records, strict=True)
    ]
    return b"\n".join(fixed) + b"\n"


def content_bytes(value: Any) -> bytes | None:
    """Deterministic bytes for plain parsed JSON (equal values, equal bytes; the page digest), or
    None where orjson cannot say (then the caller uses its own fallback)."""
    if orjson is None:
        return None
    try:
        return orjson.dumps(value, default=_refuse, option=_OPTIONS)
    except TypeError:
        return None
