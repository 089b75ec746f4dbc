"""Retries, backoff, Retry-After, credential renewal and redaction, over real HTTP on loopback.

A scripted twin answers each request from a queue; sleeping is recorded, not done.
"""

from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_lms.auth import BasicAuth
from airflow_provider_lms.exceptions import LmsAuthError, LmsHttpError
from airflow_provider_lms.page_request import PageRequest
from airflow_provider_lms.redaction import Redactor
from airflow_provider_lms.sandbox.server import RunningTwin, SandboxResponse, VendorTwin
from airflow_provider_lms.token_auth import Token, TokenAuth, TokenPlacement
from airflow_provider_lms.transport import HttpTransport, RetryPolicy, parse_retry_after


class ScriptedTwin(VendorTwin):
    name = "scripted"

    def __init__(self, script):
        self.script = list(script)
        self.seen = []
        super().__init__()

    def routes(self):
        return [("GET", "/.*", self.next)]

    def next(self, request):
        self.seen.append(request)
        return self.script.pop(0) if self.script else SandboxResponse.json({"ok": True})


@pytest.fixture
def scripted():
    servers = []

    def serve(*responses):
        server = RunningTwin(ScriptedTwin(responses)).start()
        servers.append(server)
        return server

    yield serve
    for server in servers:
        server.stop()


def _transport(url, no_sleep, **kwargs):
    policy = kwargs.pop(
        "policy", RetryPolicy(max_attempts=4, backoff_base=1.0, backoff_max=8.0, retry_budget=30)
    )
    return HttpTransport(url, sleep=no_sleep, policy=policy, connection_label="conn", **kwargs)


def test_retry_after_seconds_is_honoured(scripted, no_sleep):
    server = scripted(SandboxResponse.json({"message": "slow down"}, 429, {"Retry-After": "7"}))
    response = _transport(server.url, no_sleep).send(PageRequest("GET", "/x"))
    assert response.json() == {"ok": True}
    assert no_sleep.calls == [7.0]


def test_retry_after_beyond_the_retry_budget_fails_at_once(scripted, no_sleep):
    server = scripted(SandboxResponse.json({}, 429, {"Retry-After": "86400"}))
    with pytest.raises(LmsHttpError, match=r"retry after 86400 s, more than the 30 s left .*retry_budget"):
        _transport(server.url, no_sleep).send(PageRequest("GET", "/x"))
    assert no_sleep.calls == [] and len(server.twin.seen) == 1


def test_retry_after_http_date():
    now = datetime(2026, 11, 1, 12, 0, 0, tzinfo=timezone.utc)
    header = (now + timedelta(seconds=42)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(header, now=lambda: now) == 42.0
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("-3") == 0.0


def test_exponential_backoff_with_jitter_on_5xx(scripted, no_sleep):
    server = scripted(*[SandboxResponse.json({"message": "down"}, status) for status in (503, 502, 500)])
    _transport(server.url, no_sleep).send(PageRequest("GET", "/x"))
    assert len(no_sleep.calls) == 3
    for attempt, pause in enumerate(no_sleep.calls, start=1):
        ceiling = 2 ** (attempt - 1)
        assert ceiling / 2 <= pause <= ceiling


def test_gives_up_after_max_attempts_with_a_useful_message(scripted, no_sleep):
    server = scripted(*[SandboxResponse.json({"message": "maintenance window"}, 503)] * 10)
    with pytest.raises(LmsHttpError) as error:
        _transport(server.url, no_sleep).send(PageRequest("GET", "/v1/users", params={"page": 3}))
    text = str(error.value)
    assert "GET http://127.0.0.1" in text and "/v1/users?page=3" in text
    assert "HTTP 503" in text and "maintenance window" in text and "4 attempts" in text
    assert error.value.status == 503
    assert len(server.twin.seen) == 4


def test_client_errors_are_not_retried(scripted, no_sleep):
    server = scripted(SandboxResponse.json({"message": "course_id must be numeric"}, 400))
    with pytest.raises(LmsHttpError, match="HTTP 400: course_id must be numeric"):
        _transport(server.url, no_sleep).send(PageRequest("GET", "/x"))
    assert no_sleep.calls == [] and len(server.twin.seen) == 1


def test_xml_error_bodies_give_their_message(scripted, no_sleep):
    xml = b"<?xml version='1.0'?><response><code>400</code><message>pageSize too large</message></response>"
    server = scripted(SandboxResponse(400, xml, {"Content-Type": "application/xml"}))
    with pytest.raises(LmsHttpError, match=r"HTTP 400: pageSize too large$"):
        _transport(server.url, no_sleep).send(PageRequest("GET", "/x"))


def test_wrong_basic_credentials_fail_without_retry(scripted, no_sleep):
    server = scripted(SandboxResponse.json({"message": "bad"}, 401))
    transport = _transport(server.url, no_sleep, auth=BasicAuth("u", "wrong-password"))
    with pytest.raises(LmsAuthError, match="rejected the credentials of connection 'conn'") as error:
        transport.send(PageRequest("GET", "/x"))
    assert "wrong-password" not in str(error.value)
    assert len(server.twin.seen) == 1


def test_rejected_token_is_renewed_once(scripted, no_sleep):
    server = scripted(SandboxResponse.json({"message": "expired"}, 401))
    tokens = iter(["token-one", "token-two"])
    auth = TokenAuth(lambda: Token(next(tokens), 1800))
    transport = _transport(server.url, no_sleep, auth=auth)
    transport.send(PageRequest("GET", "/x"))
    assert [r.header("authorization") for r in server.twin.seen] == ["Bearer token-one", "Bearer token-two"]
    assert auth.fetch_count == 2


def test_token_renewed_before_expiry():
    clock = [0.0]
    tokens = iter(["a", "b", "c"])
    auth = TokenAuth(lambda: Token(next(tokens), 100), refresh_margin=10, clock=lambda: clock[0])
    assert auth.token == "a"
    clock[0] = 89.0
    assert auth.token == "a"
    clock[0] = 90.0  # 10 s before expiry
    assert auth.token == "b"


def test_query_token_is_masked_in_errors(scripted, no_sleep):
    server = scripted(*[SandboxResponse.json({"message": "boom"}, 503)] * 5)
    redactor = Redactor()
    redactor.add("s3cr3t-token-value")
    auth = TokenAuth(lambda: Token("s3cr3t-token-value"), placement=TokenPlacement({}, query="access_token"))
    transport = _transport(server.url, no_sleep, auth=auth, redactor=redactor)
    with pytest.raises(LmsHttpError) as error:
        transport.send(PageRequest("GET", "/x", params={"page": 1}))
    assert server.twin.seen[0].arg("access_token") == "s3cr3t-token-value"  # it was really sent
    assert "s3cr3t" not in str(error.value) and "/x?page=1" in str(error.value)


def test_connection_errors_are_retried_then_reported(no_sleep):
    with socket.socket() as probe:  # a port with nothing listening on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = _transport(f"http://127.0.0.1:{port}", no_sleep)
    with pytest.raises(
        LmsHttpError, match=r"/x: connection refused: is the host right.*gave up after 4 attempts\)$"
    ):
        transport.send(PageRequest("GET", "/x"))
    assert len(no_sleep.calls) == 3
