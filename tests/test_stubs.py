"""The lying stub server breaks responses exactly as scripted (so the tests built on it mean what they say)."""

from __future__ import annotations

import http.client
import socket

import pytest
import requests

from tests.stubs import Reply, StubServer, page_slicer


def test_honest_reply_and_recorded_request():
    with StubServer(lambda req: Reply.json({"n": req.number, "q": req.arg("a")})) as stub:
        answer = requests.get(f"{stub.url}/x?a=1", headers={"X-Test": "yes"}, timeout=5)
    assert answer.json() == {"n": 1, "q": "1"}
    assert stub.hits("/x")[0].headers["x-test"] == "yes"


def test_truncated_body_is_an_incomplete_read():
    with StubServer(lambda req: Reply.json({"users": list(range(500))}, truncate_at=40)) as stub:
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.get(stub.url, timeout=5)


def test_reset_before_body_and_dropped_connection():
    with StubServer(lambda req: Reply.json({"a": 1}, reset_before_body=True)) as stub:
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.get(stub.url, timeout=5)
    with StubServer(lambda req: Reply(drop=True)) as stub:
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(stub.url, timeout=5)


def test_broken_chunked_encoding():
    with StubServer(lambda req: Reply.json({"a": "x" * 5000}, chunked=True, broken_chunk=True)) as stub:
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.get(stub.url, timeout=5)


def test_trickle_sends_every_byte_slowly():
    with StubServer(lambda req: Reply(body=b"abcde", trickle=0.05)) as stub:
        connection = http.client.HTTPConnection("127.0.0.1", stub.port, timeout=5)
        connection.request("GET", "/")
        response = connection.getresponse()
        connection.sock.settimeout(0.5)  # each byte arrives well within this
        assert response.read() == b"abcde"
        connection.close()


def test_no_length_body_ends_with_close():
    with StubServer(lambda req: Reply(body=b"[1,2]", content_length=None)) as stub:
        assert requests.get(stub.url, timeout=5).content == b"[1,2]"


def test_page_slicer():
    records = [{"id": i} for i in range(5)]
    slicer = page_slicer(records, 2)
    with StubServer(lambda req: Reply.json({"page": slicer(req)[0], "pages": slicer(req)[1]})) as stub:
        body = requests.get(f"{stub.url}/?page=3", timeout=5).json()
    assert body == {"page": [{"id": 4}], "pages": 3}


def test_binds_loopback_only():
    with StubServer(lambda req: Reply()) as stub:
        assert stub.url.startswith("http://127.0.0.1:")
        with socket.create_connection(("127.0.0.1", stub.port), timeout=2):
            pass
