"""json_body's orjson fast path: exactly what json.loads gives, or the strict path decides."""

from __future__ import annotations

import json
import random
import struct

import pytest
import requests

from airflow_provider_lms import json_body
from airflow_provider_lms.exceptions import LmsResponseError
from airflow_provider_lms.json_body import _UNSURE, _fast_parse, parse_json_body
from airflow_provider_lms.redaction import Redactor
from tests.test_fast_json import _random_floats, twin_record_lists


def _response(body: bytes, content_type: str = "application/json") -> requests.Response:
    response = requests.Response()
    response._content = body
    response.status_code = 200
    response.headers["Content-Type"] = content_type
    response.url = "http://127.0.0.1/api/users"
    response.request = requests.Request("GET", response.url).prepare()
    return response


def _same(a, b) -> bool:
    """Equal values of equal types all the way down (1 == 1.0 == True would hide a difference)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)  # -0.0 is not 0.0
    return a == b


def _random_number_texts(count: int) -> list[str]:
    """The writer tests' random floats as Python writes them, and digit strings no formatter would
    write (1-18 digits, any exponent), integers of up to 18 digits and fixed-point texts."""
    rng = random.Random(2)
    texts = [repr(value) for value in _random_floats(count // 4)]
    while len(texts) < count:
        kind = len(texts) % 3
        if kind == 0:
            digits = str(rng.randrange(1, 10 ** rng.randint(1, 18)))
            point = rng.randint(1, len(digits))
            mantissa = digits[:point] + ("." + digits[point:] if point < len(digits) else "")
            texts.append(f"{'-' if rng.random() < 0.5 else ''}{mantissa}e{rng.randint(-340, 290)}")
        elif kind == 1:
            texts.append(str(rng.randrange(-(10**18) + 1, 10**18)))  # 19 digits go the strict way
        else:
            texts.append(f"{rng.uniform(-1e6, 1e6):.{rng.randint(0, 12)}f}")
    return texts


def test_random_numbers_parse_as_json_loads_does():
    texts = _random_number_texts(40000)
    for start in range(0, len(texts), 2000):
        body = ("[" + ",".join(texts[start : start + 2000]) + "]").encode()
        fast = _fast_parse(body, "application/json")
        assert fast is not _UNSURE
        assert _same(fast, json.loads(body))


def test_every_twin_record_parses_as_json_loads_does():
    checked = 0
    for vendor, records in twin_record_lists():
        body = json.dumps(records, default=str, ensure_ascii=vendor == "absorb").encode()
        fast = _fast_parse(body, "application/json; charset=utf-8")
        if fast is _UNSURE:  # a 19-digit run somewhere: then the strict path must read it
            assert b"0" * 19 in body.translate(bytes.maketrans(b"123456789", b"0" * 9))
            continue
        assert _same(fast, json.loads(body)), vendor
        checked += len(records)
    assert checked > 10000


AWKWARD = [
    b'{"a":1,"b":2,"a":3}',  # a repeated key: the last value, at the first key's place
    b"[-0, -0.0, 0.0, 1E5, 1.0e+2, 5e-324, 1.7976931348623157e308, 0.1e-400]",
    b'["\\u00e9\\ud83d\\ude00\\/\\u0000", "\xc3\xa9\xf0\x9f\x98\x80"]',
    b"  [true, false, null]  \n",
    b'{"deep": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}',
    b"[999999999999999999, -999999999999999999, 123456789012345678]",  # 18 digits: orjson ints
]


@pytest.mark.parametrize("body", AWKWARD, ids=lambda b: b[:20].decode(errors="replace"))
def test_awkward_bodies_parse_as_json_loads_does(body):
    fast = _fast_parse(body, "application/json")
    assert fast is not _UNSURE
    assert _same(fast, json.loads(body))


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"id": 12345678901234567890123}', "application/json"),  # beyond 64 bits: a float to orjson
        (b'{"id": -9223372036854775809}', "application/json"),
        (b'{"s": NaN}', "application/json"),
        (b'{"s": 1e999}', "application/json"),
        (b'["\\ud800"]', "application/json"),  # a lone surrogate: json takes it, orjson doesn't
        (b'\xef\xbb\xbf{"a": 1}', "application/json"),  # a BOM
        (b'{"a": "\xe9"}', "application/json; charset=ISO-8859-1"),
        (b'{"a": "\xff"}', "application/json"),  # not UTF-8
        (b"[" * 2000 + b"]" * 2000, "application/json"),
        (b"<html>", "application/json"),
        (b"", "application/json"),
    ],
)
def test_what_orjson_cannot_be_sure_of_takes_the_strict_path(body, content_type):
    assert _fast_parse(body, content_type) is _UNSURE


def test_big_integers_stay_exact_through_parse_json_body():
    body = b'{"users": [{"id": 12345678901234567890123, "n": -9223372036854775809}]}'
    assert parse_json_body(_response(body), Redactor()) == json.loads(body)
    assert isinstance(json.loads(body)["users"][0]["id"], int)


def test_the_strict_path_still_explains_what_it_refuses():
    with pytest.raises(LmsResponseError, match=r"field \$\.users\[0\]\.s holds NaN"):
        parse_json_body(_response(b'{"users": [{"s": NaN}]}'), Redactor())
    with pytest.raises(LmsResponseError, match="byte offset 8"):
        parse_json_body(_response(b'{"a": "x\xff"}'), Redactor())
    assert parse_json_body(_response(b'{"s": NaN}'), Redactor(), non_finite="null") == {"s": None}


def test_a_plain_body_takes_the_fast_path(monkeypatch):
    def strict(*args, **kwargs):
        raise AssertionError("the strict parser ran for a plain UTF-8 body")

    monkeypatch.setattr(json_body, "loads", strict)
    response = _response(
        b'{"users": [{"id": 1, "score": 12.5, "name": "\xc3\xa9"}]}', "application/json; charset=UTF-8"
    )
    assert parse_json_body(response, Redactor()) == {"users": [{"id": 1, "score": 12.5, "name": "é"}]}
    assert response._content is None  # the page's bytes are not held beside its records


def test_without_orjson_every_body_takes_the_strict_path(monkeypatch):
    monkeypatch.setattr(json_body, "orjson", None)
    assert _fast_parse(b'{"a": 1}', "application/json") is _UNSURE
    assert parse_json_body(_response(b'{"a": 1}'), Redactor()) == {"a": 1}


def test_long_fractions_keep_the_fast_path_long_integers_do_not():
    assert _fast_parse(b"[0.00018108032137626934, 2.5]", "application/json") == [0.00018108032137626934, 2.5]
    assert _fast_parse(b'[0.5, {"id": 1234567890123456789}]', "application/json") is _UNSURE
    assert _fast_parse(b'["a1234567890123456789"]', "application/json") is _UNSURE  # only costs speed


def test_a_body_too_big_for_orjson_s_transient_memory_takes_the_strict_path(monkeypatch):
    record = b'{"id": 1, "name": "' + b"x" * 1000 + b'"}'
    copies = json_body.FAST_PARSE_MAX_BYTES // len(record) + 1
    body = b"[" + b",".join([record] * copies) + b"]"
    assert len(body) > json_body.FAST_PARSE_MAX_BYTES
    assert _fast_parse(body, "application/json") is _UNSURE
    assert _fast_parse(b"[" + record + b"]", "application/json") == [json.loads(record)]
    strict_calls = []
    monkeypatch.setattr(
        json_body, "loads", lambda text, **kw: strict_calls.append(len(text)) or json.loads(text)
    )
    assert len(parse_json_body(_response(body), Redactor())) == copies
    assert strict_calls == [len(body)]
