"""The generic, data-configured token auth (:mod:`airflow_provider_lms.token_auth`) against a lying
stub server: where the token goes, the reply shapes it reads, expiry, and the two public signals
(:class:`errors.LmsRetryLater`, :class:`errors.LmsCredentialRejected`) the transport honours."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from urllib.parse import parse_qs

import pytest

from airflow_provider_lms import exceptions as errors
from airflow_provider_lms.page_request import PageRequest
from airflow_provider_lms.redaction import Redactor
from airflow_provider_lms.token_auth import (
    MemoryTokenStore,
    Renewal,
    TokenPlacement,
    TokenReply,
    TokenRequest,
    TokenSpec,
)
from airflow_provider_lms.transport import HttpTransport, RetryPolicy
from tests.stubs import Reply, StubServer

SECRET = "s3cret-Passw0rd"
VALUES = {"login": "client-7", "password": SECRET}
CREDENTIALS = {"login": "client ID (login)", "password": "client secret (password)"}

HEADER_SPEC = TokenSpec(
    vendor="Vendor X",
    request=TokenRequest(
        "/oauth/token",
        {"id": "{login}", "secret": "{password}", "grant_type": "client_credentials"},
        headers={"X-Client": "{login}"},
    ),
    reply=TokenReply(token_path="data.token", expires_path="data.ttl"),
    placement=TokenPlacement(headers={"Authorization": "Bearer {token}", "X-Client": "{login}"}),
    credentials=CREDENTIALS,
    header_values=("login",),
    hint="check the client ID and secret under Settings > API",
)
QUERY_SPEC = TokenSpec(
    vendor="Vendor Q",
    request=TokenRequest("/auth", {"user": "{login}", "pass": "{password}"}, form=True),
    reply=TokenReply(),  # access_token / expires_in
    placement=TokenPlacement(headers={}, query="tok"),
    credentials=CREDENTIALS,
    hint="check the user",
)
BARE_SPEC = TokenSpec(
    vendor="Vendor B",
    request=TokenRequest("/authenticate", {"username": "{login}", "password": "{password}"}),
    reply=TokenReply(token_path=None, expires_path=None, lifetime=100.0, missing_hint="is it the gateway?"),
    credentials=CREDENTIALS,
    hint="check the user",
    refresh_margin=10.0,
)


class Vendor:
    """A token vendor: each token call issues ``tok-N``; data calls accept only ``valid`` tokens."""

    def __init__(self, token_reply=None) -> None:
        self.issued: list[str] = []
        self.valid: set[str] = set()
        self.token_reply = token_reply or (lambda token: {"data": {"token": token, "ttl": 3600}})

    def __call__(self, request) -> Reply:
        if request.method == "POST":
            token = f"tok-{len(self.issued) + 1}"
            self.issued.append(token)
            self.valid = {token}  # like Absorb: a new token invalidates the previous one
            return Reply.json(json.dumps(self.token_reply(token)))  # a str payload is sent as is
        sent = request.headers.get("authorization", "").removeprefix("Bearer ") or request.arg("tok")
        if sent not in self.valid:
            return Reply.json({"message": "token invalid"}, 401)
        return Reply.json({"items": [1, 2]})


def _client(stub, spec, *, sleep, values=VALUES, store=None, clock=time.time, check=None):
    redactor = Redactor()
    transport = HttpTransport(
        stub.url,
        redactor=redactor,
        sleep=sleep,
        connection_label="conn_x",
        decode=lambda response: response.json(),
        accept_body=check,
        policy=RetryPolicy(max_attempts=4, backoff_base=0.5),
    )
    transport.auth = spec.auth(
        values,
        call=lambda request: transport.exchange(request, authenticated=False),
        redactor=redactor,
        connection="conn_x",
        store=store,
        clock=clock,
    )
    return transport


def test_token_in_headers_from_a_json_request_with_templated_fields(no_sleep):
    vendor = Vendor()
    with StubServer(vendor) as stub:
        transport = _client(stub, HEADER_SPEC, sleep=no_sleep)
        transport.send(PageRequest("GET", "/users", params={"page": 1}))
        transport.send(PageRequest("GET", "/users", params={"page": 2}))
    token_call, first, second = stub.requests
    assert token_call.path == "/oauth/token" and token_call.json() == {
        "id": "client-7",
        "secret": SECRET,
        "grant_type": "client_credentials",
    }
    assert token_call.headers["x-client"] == "client-7" and "authorization" not in token_call.headers
    for call in (first, second):  # one token serves both calls
        assert call.headers["authorization"] == "Bearer tok-1" and call.headers["x-client"] == "client-7"
        assert "tok" not in call.query
    assert transport.auth.fetch_count == 1


def test_token_in_the_query_from_a_form_request_is_masked_in_errors(no_sleep):
    def handler(request):
        if request.path == "/auth":
            return Reply.json({"access_token": "qq-token-123456", "expires_in": 1800})
        return Reply.json({"message": "down"}, 503)

    with StubServer(handler) as stub:
        transport = _client(stub, QUERY_SPEC, sleep=no_sleep)
        with pytest.raises(errors.LmsHttpError) as caught:
            transport.send(PageRequest("GET", "/users", params={"page": 1}))
    token_call, data = stub.requests[0], stub.requests[1]
    assert parse_qs(token_call.body.decode()) == {"user": ["client-7"], "pass": [SECRET]}
    assert data.arg("tok") == "qq-token-123456" and "authorization" not in data.headers
    assert "qq-token-123456" not in str(caught.value) and "/users?page=1" in str(caught.value)


def test_a_bare_string_reply_lives_its_default_lifetime_then_is_renewed(no_sleep):
    clock = [1000.0]
    with StubServer(Vendor(token_reply=lambda token: token)) as stub:
        transport = _client(stub, BARE_SPEC, sleep=no_sleep, clock=lambda: clock[0])
        auth = transport.auth
        assert auth.token == "tok-1"
        clock[0] = 1089.0  # 11 s before the 100 s lifetime ends: still good
        assert auth.token == "tok-1"
        clock[0] = 1090.0  # within the 10 s refresh margin
        assert auth.token == "tok-2"
        transport.send(PageRequest("GET", "/x"))
    assert stub.requests[-1].headers["authorization"] == "Bearer tok-2"
    assert auth.fetch_count == 2 and no_sleep.calls == []


def test_the_lifetime_in_the_reply_wins_and_short_tokens_renew_at_half_life(no_sleep):
    clock = [0.0]
    vendor = Vendor(token_reply=lambda token: {"data": {"token": token, "ttl": 40}})
    with StubServer(vendor) as stub:
        auth = _client(stub, HEADER_SPEC, sleep=no_sleep, clock=lambda: clock[0]).auth
        assert auth.token == "tok-1"
        clock[0] = 19.9  # the 60 s margin is capped at half the 40 s life
        assert auth.token == "tok-1"
        clock[0] = 20.0
        assert auth.token == "tok-2"


@pytest.mark.parametrize("reply", [{"token": "leaky-value-1"}, "", ["leaky-value-1"], None])
def test_a_bare_reply_that_is_not_a_token_string_is_refused_without_quoting_it(no_sleep, reply):
    with StubServer(lambda request: Reply.json(json.dumps(reply))) as stub:
        transport = _client(stub, BARE_SPEC, sleep=no_sleep)
        with pytest.raises(
            errors.LmsResponseError, match="instead of the token string.*is it the gateway"
        ) as caught:
            transport.send(PageRequest("GET", "/x"))
    assert "leaky-value-1" not in str(caught.value) and SECRET not in str(caught.value)
    assert [r.path for r in stub.requests] == ["/authenticate"]  # no data call goes out unsigned


def test_a_refusal_inside_a_200_reply_is_an_auth_error_with_the_vendors_words():
    spec = TokenSpec(
        vendor="Vendor R",
        request=HEADER_SPEC.request,
        reply=TokenReply(token_path="data.token", refused_path="success", errors_path="errors"),
        credentials=CREDENTIALS,
        hint="check the client secret",
    )
    body = {"success": False, "errors": [f"Invalid client credentials for {SECRET}"], "data": {"token": "x"}}
    with StubServer(lambda request: Reply.json(body)) as stub:
        transport = _client(stub, spec, sleep=lambda s: None)
        with pytest.raises(
            errors.LmsAuthError, match="Vendor R issued no access token for connection 'conn_x'"
        ) as caught:
            transport.send(PageRequest("GET", "/x"))
    message = str(caught.value)
    assert "Invalid client credentials" in message and "check the client secret" in message
    assert SECRET not in message


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_at_the_token_call_say_how_to_fix_them(no_sleep, status):
    with StubServer(lambda request: Reply.json({"error": "invalid_client"}, status)) as stub:
        transport = _client(stub, HEADER_SPEC, sleep=no_sleep)
        with pytest.raises(errors.LmsAuthError) as caught:
            transport.send(PageRequest("GET", "/x"))
    message = str(caught.value)
    assert "Vendor X rejected the credentials of connection 'conn_x'" in message
    assert "Settings > API" in message and SECRET not in message
    assert caught.value.status == status and len(stub.requests) == 1  # not retried


def test_missing_or_header_unsafe_credentials_fail_before_any_request():
    with StubServer(Vendor()) as stub:
        with pytest.raises(errors.LmsConfigError, match="connection 'conn_x' has no client secret"):
            _client(stub, HEADER_SPEC, sleep=None, values={"login": "client-7", "password": ""})
        with pytest.raises(errors.LmsConfigError, match="client ID.*HTTP header"):
            _client(stub, HEADER_SPEC, sleep=None, values={"login": "clïent-日本", "password": SECRET})
    assert stub.requests == []


@pytest.mark.parametrize("later", [True, False], ids=["retry-later", "retry-now"])
def test_a_rejected_token_is_renewed_and_retried_later_or_at_once(no_sleep, later, caplog):
    spec = replace(
        HEADER_SPEC, renewal=Renewal(later=later, reason="Vendor X rejected the token; fetched another")
    )
    vendor = Vendor()
    caplog.set_level(logging.INFO)
    with StubServer(vendor) as stub:
        transport = _client(stub, spec, sleep=no_sleep)
        transport.send(PageRequest("GET", "/x"))
        vendor.valid = set()  # revoked behind our back
        response = transport.send(PageRequest("GET", "/x"))
    assert response.json() == {"items": [1, 2]}
    data = [r.headers["authorization"] for r in stub.requests if r.method == "GET"]
    assert data == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]
    assert transport.auth.fetch_count == 2
    if later:  # one backoff pause between the renewal and the retry, logged as a retry
        assert len(no_sleep.calls) == 1 and 0.25 <= no_sleep.calls[0] <= 0.5
        assert transport.retry_count == 1 and "Vendor X rejected the token" in caplog.text
    else:
        assert no_sleep.calls == [] and transport.retry_count == 0
    assert "tok-1" not in caplog.text and "tok-2" not in caplog.text  # registered before any log line


def test_a_token_another_process_renewed_is_taken_at_once_without_a_token_call(no_sleep):
    spec = replace(HEADER_SPEC, renewal=Renewal(later=True))
    store = MemoryTokenStore()  # stands in for a store the two "processes" share
    vendor = Vendor()
    with StubServer(vendor) as stub:
        first = _client(stub, spec, sleep=no_sleep, store=store)
        second = _client(stub, spec, sleep=no_sleep, store=store)
        first.send(PageRequest("GET", "/a"))
        second.send(PageRequest("GET", "/b"))  # takes tok-1 from the store
        assert (first.auth.fetch_count, second.auth.reused_count) == (1, 1)
        vendor.valid = set()
        first.send(PageRequest("GET", "/a"))  # 401: renews to tok-2, retries after the backoff
        second.send(PageRequest("GET", "/b"))  # 401 with tok-1: tok-2 is in the store, retried at once
    assert vendor.issued == ["tok-1", "tok-2"] and second.auth.fetch_count == 0
    assert len(no_sleep.calls) == 1 and second.retry_count == 0
    assert stub.requests[-1].headers["authorization"] == "Bearer tok-2"


def test_credential_rejected_by_a_response_check_renews_once_then_fails(no_sleep):
    def check(response, body):
        if response.request.method == "GET" and body.get("error"):
            raise errors.LmsCredentialRejected("the body says the token expired")
        return body

    def handler(request):
        if request.method == "POST":
            return Reply.json({"data": {"token": f"tok-{request.number}"}})
        return Reply.json({"error": "token expired"})  # HTTP 200, like NexPort

    with StubServer(handler) as stub:
        transport = _client(stub, HEADER_SPEC, sleep=no_sleep, check=check)
        with pytest.raises(
            errors.LmsAuthError, match="rejected the credentials of connection 'conn_x'"
        ) as caught:
            transport.send(PageRequest("GET", "/x"))
    assert [r.method for r in stub.requests] == ["POST", "GET", "POST", "GET"]  # one renewal
    assert "tok-" not in str(caught.value) and no_sleep.calls == []


def test_retry_later_from_a_response_check_waits_as_asked_within_the_budget(no_sleep):
    busy = [2]

    def check(response, body):
        if response.request.method == "GET" and busy[0]:
            busy[0] -= 1
            raise errors.LmsRetryLater("the vendor says it is busy", 200, retry_after=7.0)
        return body

    with StubServer(Vendor()) as stub:
        transport = _client(stub, HEADER_SPEC, sleep=no_sleep, check=check)
        assert transport.exchange(PageRequest("GET", "/x")).body == {"items": [1, 2]}
        assert no_sleep.calls == [7.0, 7.0] and transport.retry_count == 2
        busy[0] = 9  # more than the 4 attempts
        with pytest.raises(errors.LmsHttpError, match="the vendor says it is busy .gave up after 4 attempts"):
            transport.send(PageRequest("GET", "/x"))
    assert json.loads(stub.requests[0].body)["id"] == "client-7"
