"""fast_json: orjson's speed, json.dumps's exact bytes (or json's exact error)."""

from __future__ import annotations

import dataclasses
import enum
import io
import json
import random
import struct
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from airflow_provider_lms import fast_json
from airflow_provider_lms.exceptions import LmsResponseError
from airflow_provider_lms.fast_json import content_bytes, encode_lines, reference_line
from airflow_provider_lms.page_checks import page_digest
from airflow_provider_lms.sandbox import start_twin
from airflow_provider_lms.writers import JsonLinesWriter


def _reference(records) -> bytes:
    return b"".join(reference_line(r).encode() + b"\n" for r in records)


def _fast(records) -> bytes:
    return encode_lines(records, lambda record, index: reference_line(record))


class Colour(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Text(str):
    pass


class Number(float):
    pass


@dataclasses.dataclass
class Point:
    x: int


def _random_floats(count: int) -> list[float]:
    rng = random.Random(15)
    out = []
    while len(out) < count:
        kind = len(out) % 3
        if kind == 0:
            value = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        elif kind == 1:
            value = rng.random() * 10 ** rng.randint(-30, 30)
        else:
            value = round(rng.uniform(-1000, 1000), rng.randint(0, 7))
        if value == value and abs(value) != float("inf"):
            out.append(value)
    return out


AWKWARD = [
    {"f": f} for f in [1e-05, 1e-07, 0.0001, 1e16, 1e15, 1.5e300, 5e-324, -0.0, 0.1, 2.5, 123456789.125]
] + [
    {"big": 2**64, "neg": -(2**63) - 1, "ok": 2**63 - 1},
    {1: "int key"},
    {"when": datetime(2026, 10, 20, 8, 30, tzinfo=timezone.utc), "day": date(2026, 1, 2)},
    {"dec": Decimal("1.10"), "uuid": uuid.UUID(int=7), "colour": Colour.RED, "level": Level.HIGH},
    {"sub": Text("x"), "num": Number(1.5), "point": Point(1)},
    {"tuple": (1, 2), "bytes": b"ab", "set": {1}},
    {"text": 'é\u2028</"\\\x00\x1f\x7f\t\n\U0001f600 0.00001 1e5'},
    {"deep": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]},
    {"empty": {}, "list": [], "none": None, "t": True, "f": False},
]


@pytest.mark.parametrize("record", AWKWARD, ids=lambda r: ",".join(map(str, r))[:30])
def test_awkward_records_give_json_dumps_bytes(record):
    assert _fast([record, {"plain": 1}]) == _reference([record, {"plain": 1}])


def test_random_floats_give_json_dumps_bytes():
    floats = _random_floats(30000)
    records = [{"value": f, "nested": {"list": [f, -f]}} for f in floats]
    for start in range(0, len(records), 1000):
        batch = records[start : start + 1000]
        assert _fast(batch) == _reference(batch)


def twin_record_lists():
    """``(vendor, records)`` for every entity list of every vendor twin's data."""
    for vendor in ("learnupon", "absorb", "nexport", "ispring", "learnworlds"):
        twin = start_twin(vendor)
        try:
            for value in twin.twin.data.values():
                records = list(value.values()) if isinstance(value, dict) else list(value)
                yield vendor, [r for r in records if isinstance(r, dict)]
        finally:
            twin.stop()


def test_every_twin_record_gives_json_dumps_bytes():
    checked = 0
    for vendor, records in twin_record_lists():
        if records:
            assert _fast(records) == _reference(records), vendor
            checked += len(records)
    assert checked > 10000


def test_the_fast_path_is_taken_for_plain_records(monkeypatch):
    calls = []
    records = [{"id": i, "name": f"n{i}", "score": 12.5} for i in range(50)]
    encode_lines(records, lambda record, index: calls.append(index) or reference_line(record))
    assert calls == []  # orjson wrote them all: the speed is real, not a silent fallback


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats_are_still_refused_by_the_writer(bad):
    writer = JsonLinesWriter(io.BytesIO())
    with pytest.raises(LmsResponseError, match=r"record 3 of the output: \$\.scores\[1\]"):
        writer.write([{"a": 1}, {"a": 2}, {"scores": [1.0, bad]}])


def test_without_orjson_the_output_is_the_same(monkeypatch):
    records = [{"f": 1e-05, "t": "é"}, {"x": [1, 2.5]}]
    fast = _fast(records)
    monkeypatch.setattr(fast_json, "orjson", None)
    assert _fast(records) == fast == _reference(records)


def test_page_digest_equal_pages_equal_digest_distinct_pages_distinct():
    page = [{"id": 1, "v": 1.0}, {"id": 2, "v": None}]
    same = json.loads(json.dumps(page))
    assert page_digest(page) == page_digest(same)
    assert page_digest(page) != page_digest([{"id": 1, "v": 1}, {"id": 2, "v": None}])  # 1.0 vs 1
    assert page_digest(page) != page_digest([{"id": 1, "v": True}, {"id": 2, "v": None}])
    assert page_digest([{"big": 2**70}]) == page_digest([{"big": 2**70}])  # orjson refuses: pickled
    assert page_digest([{"big": 2**70}]) != page_digest([{"big": 2**70 + 1}])
    assert content_bytes([{"when": datetime(2026, 1, 1)}]) is None  # left to the fallback


@pytest.mark.parametrize(
    "text",
    [
        "2026-10-20T08:30:00Z",
        "2026-10-20T08:30:00",
        "2026-10-20 08:30:00.5",
        "2026-10-20T08:30:00.123456+02:00",
        "2026-10-20T23:59:59-07:30",
        "2026-02-30T08:30:00Z",  # no such day: both refuse
        "2026-10-20T24:00:00Z",
        "2026-10-20",
        "20261020T083000Z",
        "2026-10-20T08:30:00.1234567Z",
        "not a time",
    ],
)
def test_record_instant_is_parse_record_time(text):
    from airflow_provider_lms.record_times import record_instant
    from airflow_provider_lms.windows import parse_record_time

    assert record_instant(text) == parse_record_time(text)


def test_guid_like_strings_keep_the_fast_path():
    # Absorb ids are GUIDs: "9c1e-..." must not send every record the slow way.
    records = [{"id": "d0003-3f1c-4a55-9c1e-000000000003", "course": {"id": "1e5", "x": [1.5, 2]}}]
    calls = []
    out = encode_lines(records, lambda record, index: calls.append(index) or reference_line(record))
    assert calls == [] and out == _reference(records)


def test_a_non_finite_float_repeated_or_referenced_is_still_found():
    nan = float("nan")
    shared = [1.5, 2.5]
    records = [{"a": shared}, {"b": shared, "c": nan}, {"d": nan, "e": [nan, nan]}]
    assert fast_json._fast(records) is None  # marshal's back-references still show the NaN once
    writer = JsonLinesWriter(io.BytesIO())
    with pytest.raises(LmsResponseError, match=r"record 2 of the output: \$\.c is nan"):
        writer.write(records)
