"""Trust, transport side (issue 10): what a hostile or broken server can no longer do to us.

Every test talks real HTTP to small lying stub servers (tests/stubs.py) on 127.0.0.1. Each ends in
the exact record set or a clear LmsError; sleeps are recorded, not slept.
"""

from __future__ import annotations

import gzip
import json
import logging
import socket
import time
from urllib.parse import urlencode

import pytest

from airflow_provider_lms.exceptions import (
    LmsConfigError,
    LmsHttpError,
    LmsResponseError,
    LmsWindowError,
)
from airflow_provider_lms.vendors.absorb.hook import AbsorbHook
from airflow_provider_lms.vendors.learnupon.hook import LearnUponHook
from airflow_provider_lms.vendors.nexport.hook import NexPortHook
from tests.stubs import Reply, StubServer

PASSWORD = "s3cret-Passw0rd"
PRIVATE_KEY = "5b1f6c2e-private-key"
USERS = [{"id": i, "email": f"user{i}@example.com", "score": i * 1.5} for i in range(1, 8)]


def register(monkeypatch, conn_id: str, conn_type: str, host: str, **extra) -> str:
    conn = {"conn_type": conn_type, "host": host, "login": "api-user", "password": PASSWORD}
    if extra:
        conn["extra"] = extra
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
    return conn_id


def learnupon(monkeypatch, stub, no_sleep, **kwargs) -> LearnUponHook:
    extra = kwargs.pop("extra", {})
    conn_id = register(monkeypatch, "lu_stub", "learnupon", stub.url, **extra)
    return LearnUponHook(conn_id, sleep=no_sleep, backoff_base=0.01, **kwargs)


def users_page(records=USERS, **options) -> Reply:
    return Reply.json({"user": records}, headers={"LU-Has-Next-Page": "false"}, **options)


def first_then(broken: Reply, honest: Reply):
    """A handler: ``broken`` for the first request, ``honest`` after."""
    return lambda req: broken if req.number == 1 else honest


def read_users(hook) -> list[dict]:
    return list(hook.iter_records("users"))


# ---- item 1 (redirects): credentials never follow a redirect to another origin ------------------


def _vendor_hook(vendor: str, monkeypatch, url: str, no_sleep):
    if vendor == "learnupon":
        return LearnUponHook(register(monkeypatch, "v_stub", "learnupon", url), sleep=no_sleep)
    if vendor == "absorb":
        conn_id = register(monkeypatch, "v_stub", "absorb", url, private_key=PRIVATE_KEY)
        return AbsorbHook(conn_id, sleep=no_sleep, token_cache_dir="off")
    return NexPortHook(register(monkeypatch, "v_stub", "nexport", url), sleep=no_sleep)


def _token_reply(path: str) -> Reply | None:
    if path.endswith("/authenticate"):  # Absorb: the token as a JSON string
        return Reply.json(json.dumps("absorb-token-123456"))
    if path.endswith("/AdminApi/Authenticate"):  # NexPort
        return Reply.json({"access_token": "nexport-token-123456", "expires_in": 3600})
    return None


# LearnUpon has no token call (Basic auth on every request): its data call is the case.
@pytest.mark.parametrize(
    ("vendor", "redirect_auth"),
    [("learnupon", False), ("absorb", False), ("absorb", True), ("nexport", False), ("nexport", True)],
    ids=[
        "learnupon-data-call",
        "absorb-data-call",
        "absorb-token-call",
        "nexport-data-call",
        "nexport-token-call",
    ],
)
def test_a_redirect_to_another_origin_is_refused_and_never_sent(vendor, redirect_auth, monkeypatch, no_sleep):
    with StubServer(lambda req: Reply.json({"user": []})) as elsewhere:

        def vendor_a(req):
            token = _token_reply(req.path)
            if token is not None and not redirect_auth:
                return token
            # A hostile "moved" answer keeps the query (where NexPort's token travels).
            query = urlencode(req.query, doseq=True)
            return Reply.redirect(f"{elsewhere.url}{req.path}?{query}", 307)

        with StubServer(vendor_a) as portal:
            hook = _vendor_hook(vendor, monkeypatch, portal.url, no_sleep)
            with pytest.raises(LmsHttpError) as error:
                next(hook.iter_pages(hook.plan(hook.test_endpoint, {"page_size": 1})))
        text = str(error.value)
        assert f"http://127.0.0.1:{elsewhere.port}" in text and f"http://127.0.0.1:{portal.port}" in text
        assert "not the connection's origin" in text and PASSWORD not in text
        assert elsewhere.requests == []  # not one byte (no header, token, key or password) left for it


def test_a_same_origin_redirect_is_followed_with_the_credentials(monkeypatch, no_sleep):
    def handler(req):
        if req.path == "/api/v1/users":
            return Reply.redirect(f"/api/v1/users-moved?{urlencode(req.query, doseq=True)}", 301)
        return users_page()

    with StubServer(handler) as stub:
        records = read_users(learnupon(monkeypatch, stub, no_sleep))
    assert records == USERS
    moved = stub.hits("/api/v1/users-moved")
    assert len(moved) == 1 and moved[0].headers["authorization"].startswith("Basic ")
    assert moved[0].arg("per_page") is not None  # the Location's own query was kept


def test_a_redirect_loop_is_a_clear_error(monkeypatch, no_sleep):
    with StubServer(lambda req: Reply.redirect("/api/v1/users", 302)) as stub:
        with pytest.raises(LmsHttpError, match=r"redirected more than 5 times \(a redirect loop\?\)"):
            read_users(learnupon(monkeypatch, stub, no_sleep))
    assert len(stub.requests) == 6


def test_an_absolute_path_to_another_origin_is_refused_before_sending(monkeypatch, no_sleep):
    with StubServer(lambda req: Reply.json({"x": []})) as elsewhere, StubServer(users_page) as stub:
        hook = learnupon(monkeypatch, stub, no_sleep)
        with pytest.raises(LmsConfigError, match="relative to the connection's API root"):
            list(hook.iter_records({"path": f"{elsewhere.url}/x", "records_path": "$.x[*]"}))
    assert elsewhere.requests == [] and stub.requests == []


# ---- item 12: bodies are decoded by their declared charset, strictly --------------------------


def test_a_declared_charset_is_honoured(monkeypatch, no_sleep):
    body = json.dumps({"user": [{"id": 1, "name": "José Müller"}]}, ensure_ascii=False).encode("latin-1")
    reply = Reply(
        200, body, {"Content-Type": "application/json; charset=ISO-8859-1", "LU-Has-Next-Page": "false"}
    )
    with StubServer(lambda req: reply) as stub:
        assert read_users(learnupon(monkeypatch, stub, no_sleep)) == [{"id": 1, "name": "José Müller"}]


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
def test_bytes_that_are_not_the_declared_charset_fail_instead_of_becoming_replacement_chars(
    content_type, monkeypatch, no_sleep
):
    body = '{"user": [{"id": 1, "name": "José"}]}'.encode("latin-1")  # é is 0xE9: not UTF-8
    reply = Reply(200, body, {"Content-Type": content_type, "LU-Has-Next-Page": "false"})
    with StubServer(lambda req: reply) as stub:
        with pytest.raises(LmsResponseError) as error:
            read_users(learnupon(monkeypatch, stub, no_sleep))
    text = str(error.value)
    assert "not valid utf-8" in text and f"byte offset {body.index(0xE9)}" in text
    assert "/api/v1/users" in text


# ---- item 15: bodies broken mid-transfer are retried like a dropped connection ----------------


@pytest.mark.parametrize(
    "broken",
    [
        Reply.json({"user": USERS}, truncate_at=30),
        Reply.json({"user": USERS}, reset_before_body=True),
        Reply.json({"user": USERS * 50}, chunked=True, broken_chunk=True),
        Reply(
            200,
            b"\x1f\x8b\x08\x00garbage-not-gzip",
            {"Content-Type": "application/json", "Content-Encoding": "gzip"},
        ),
    ],
    ids=["truncated", "reset-before-body", "broken-chunk", "corrupt-gzip"],
)
def test_a_body_broken_mid_transfer_is_retried_and_the_records_are_exact(broken, monkeypatch, no_sleep):
    honest = Reply(
        200,
        gzip.compress(json.dumps({"user": USERS}).encode()),
        {"Content-Type": "application/json", "Content-Encoding": "gzip", "LU-Has-Next-Page": "false"},
    )
    with StubServer(first_then(broken, honest)) as stub:
        assert read_users(learnupon(monkeypatch, stub, no_sleep)) == USERS
    assert len(stub.requests) == 2 and len(no_sleep.calls) == 1


def test_a_body_that_always_breaks_is_a_clear_failure_after_the_attempts(monkeypatch, no_sleep):
    with StubServer(lambda req: Reply.json({"user": USERS}, truncate_at=30)) as stub:
        with pytest.raises(
            LmsHttpError, match=r"broke in the middle of the response body.*gave up after 3 attempts"
        ):
            read_users(learnupon(monkeypatch, stub, no_sleep, max_attempts=3))
    assert len(stub.requests) == 3


# ---- item 16: Retry-After garbage and the per-request retry budget ----------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-5", "soon", "1e999"])
def test_a_garbage_retry_after_means_backoff(value, monkeypatch, no_sleep):
    busy = Reply.json({"message": "slow down"}, 429, {"Retry-After": value})
    with StubServer(first_then(busy, users_page())) as stub:
        assert read_users(learnupon(monkeypatch, stub, no_sleep)) == USERS
    assert len(no_sleep.calls) == 1 and 0 <= no_sleep.calls[0] <= 0.01  # backoff_base 0.01 (or 0 for -5)


def test_a_retry_after_beyond_the_budget_fails_at_once(monkeypatch, no_sleep):
    busy = Reply.json({"message": "slow down"}, 429, {"Retry-After": "1500"})
    with StubServer(lambda req: busy) as stub:
        started = time.monotonic()
        with pytest.raises(LmsHttpError) as error:
            read_users(learnupon(monkeypatch, stub, no_sleep))
    assert time.monotonic() - started < 5
    assert "retry after 1500 s, more than the 300 s left" in str(error.value)
    assert "retry_budget" in str(error.value) and error.value.status == 429
    assert no_sleep.calls == [] and len(stub.requests) == 1


def test_the_retry_budget_is_configurable_and_logged(monkeypatch, no_sleep, caplog):
    busy = Reply.json({"message": "slow down"}, 429, {"Retry-After": "20"})
    with StubServer(lambda req: busy) as stub:
        hook = learnupon(monkeypatch, stub, no_sleep, extra={"retry_budget": 50})
        with caplog.at_level(logging.WARNING, logger="airflow_provider_lms.transport"):
            with pytest.raises(
                LmsHttpError, match="more than the 10 s left of this request's 50 s retry budget"
            ):
                read_users(hook)
    assert no_sleep.calls == [20.0, 20.0]
    assert "retrying in 20.00 s (30 s left of the 50 s retry budget)" in caplog.text


def test_a_bad_retry_budget_extra_is_a_config_error(monkeypatch, no_sleep):
    with StubServer(users_page) as stub:
        hook = learnupon(monkeypatch, stub, no_sleep, extra={"retry_budget": "lots"})
        with pytest.raises(LmsConfigError, match="retry_budget='lots' is not a positive number"):
            read_users(hook)
    assert stub.requests == []


# ---- item 17: a trickled body cannot hold a worker past response_timeout ----------------------


def test_a_trickled_body_is_cut_off_at_the_response_timeout(monkeypatch, no_sleep):
    trickle = Reply.json({"user": USERS}, trickle=0.02)  # ~400 bytes: 8 s, each byte within any timeout
    with StubServer(lambda req: trickle) as stub:
        hook = learnupon(monkeypatch, stub, no_sleep, max_attempts=2, response_timeout=0.5)
        started = time.monotonic()
        with pytest.raises(LmsHttpError, match=r"took longer than 0 s|took longer than 1 s"):
            read_users(hook)
        elapsed = time.monotonic() - started
    assert elapsed < 3, elapsed
    assert len(stub.requests) == 2


def test_response_timeout_is_tied_to_the_read_timeout(monkeypatch, no_sleep):
    with StubServer(users_page) as stub:
        hook = learnupon(monkeypatch, stub, no_sleep, timeout=(5.0, 400.0))
        assert hook.transport.response_timeout == 800.0  # never below twice the read timeout
        hook = learnupon(monkeypatch, stub, no_sleep, extra={"response_timeout": 42})
        assert hook.transport.response_timeout == 42.0


# ---- item 18: raw crashes that are now clear errors --------------------------------------------


def test_deeply_nested_json_is_a_response_error(monkeypatch, no_sleep):
    depth = 100_000
    body = b'{"user": ' + b"[" * depth + b"]" * depth + b"}"
    reply = Reply(200, body, {"Content-Type": "application/json", "LU-Has-Next-Page": "false"})
    with StubServer(lambda req: reply) as stub:
        with pytest.raises(LmsResponseError, match="nested deeper than can be read"):
            read_users(learnupon(monkeypatch, stub, no_sleep))


@pytest.mark.parametrize("remaining", ["-1", "-3"])
def test_a_negative_remaining_rate_limit_header_paces_instead_of_crashing(remaining, monkeypatch, no_sleep):
    def handler(req):
        page = req.int_arg("page", 1)
        more = "true" if page == 1 else "false"
        headers = {"LU-Has-Next-Page": more, "X-LU-Rate-Limit-Remaining-Minute": remaining}
        return Reply.json({"user": USERS[:4] if page == 1 else USERS[4:]}, headers=headers)

    with StubServer(handler) as stub:
        records = list(learnupon(monkeypatch, stub, no_sleep).iter_records("users", {"page_size": 4}))
    assert records == USERS
    assert no_sleep.calls and no_sleep.calls[0] == 60.0  # none left: wait for the minute to pass


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0001-01-01", "0001-01-02"),
        ("9999-12-30", "9999-12-31"),
        ("0001-01-01T00:00:00+05:00", "2026-01-01"),
    ],
)
def test_a_window_at_the_end_of_the_calendar_is_a_window_error(start, end, monkeypatch, no_sleep):
    with StubServer(lambda req: Reply.json({"enrollments": []})) as stub:
        hook = learnupon(monkeypatch, stub, no_sleep)
        with pytest.raises(LmsWindowError) as error:
            list(hook.iter_records("enrollments", window_start=start, window_end=end))
    assert start[:10] in str(error.value)
    assert stub.requests == []


# ---- item 19: one page's memory is bounded -------------------------------------------------


@pytest.mark.parametrize("framing", ["content-length", "chunked", "gzip"])
def test_a_page_over_max_response_bytes_fails_fast_naming_page_size(framing, monkeypatch, no_sleep):
    big = json.dumps({"user": [{"id": i, "pad": "x" * 100} for i in range(20_000)]}).encode()  # ~2.4 MB
    headers = {"Content-Type": "application/json", "LU-Has-Next-Page": "false"}
    if framing == "gzip":
        reply = Reply(200, gzip.compress(big), {**headers, "Content-Encoding": "gzip"})
    else:
        reply = Reply(200, big, headers, chunked=framing == "chunked")
    with StubServer(lambda req: reply) as stub:
        hook = learnupon(monkeypatch, stub, no_sleep, max_response_bytes=100_000)
        started = time.monotonic()
        with pytest.raises(LmsResponseError) as error:
            read_users(hook)
    assert time.monotonic() - started < 5
    text = str(error.value)
    assert "100000 byte limit" in text and "page_size" in text and "max_response_bytes" in text
    assert len(stub.requests) == 1  # not retried: the same page would be as big again


def test_a_page_within_max_response_bytes_is_read_whole(monkeypatch, no_sleep):
    records = [{"id": i, "pad": "x" * 100} for i in range(2_000)]
    with StubServer(lambda req: users_page(records, chunked=True)) as stub:
        hook = learnupon(monkeypatch, stub, no_sleep, max_response_bytes=1_000_000)
        assert read_users(hook) == records


# ---- item 20: permanent network errors fail at once; the Test button answers in seconds ---------


def _free_port() -> int:
    with socket.socket() as probe:  # nothing listens on it once closed
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_host_name_that_does_not_exist_fails_on_the_first_attempt(monkeypatch, no_sleep):
    # RFC 2606: .invalid never resolves (the local resolver answers; nothing leaves 127.0.0.1).
    conn_id = register(monkeypatch, "lu_nowhere", "learnupon", "https://lms-trust-test.invalid")
    hook = LearnUponHook(conn_id, sleep=no_sleep)
    with pytest.raises(LmsHttpError, match="host name not found.*not retried"):
        read_users(hook)
    assert no_sleep.calls == [] and hook.transport.request_count == 1


def test_connection_refused_is_retried_in_a_task(monkeypatch, no_sleep):
    conn_id = register(monkeypatch, "lu_refused", "learnupon", f"http://127.0.0.1:{_free_port()}")
    hook = LearnUponHook(conn_id, sleep=no_sleep, max_attempts=4)
    with pytest.raises(LmsHttpError, match="connection refused.*gave up after 4 attempts"):
        read_users(hook)
    assert len(no_sleep.calls) == 3


@pytest.mark.parametrize(
    "host", ["http://127.0.0.1:{port}", "https://lms-trust-test.invalid"], ids=["refused", "no-such-host"]
)
def test_the_test_button_answers_within_seconds(host, monkeypatch):
    conn_id = register(monkeypatch, "lu_button", "learnupon", host.format(port=_free_port()))
    started = time.monotonic()
    ok, message = LearnUponHook(conn_id).test_connection()  # real sleeps
    assert time.monotonic() - started < 5
    assert not ok and ("connection refused" in message or "host name not found" in message)


def test_lms_preview_answers_within_seconds(monkeypatch, capsys):
    from airflow_provider_lms.preview import main

    register(monkeypatch, "lu_preview_refused", "learnupon", f"http://127.0.0.1:{_free_port()}")
    started = time.monotonic()
    assert main(["lu_preview_refused", "users"]) == 1
    assert time.monotonic() - started < 5
    assert "connection refused" in capsys.readouterr().err


def test_an_unusable_url_is_a_config_error_without_retries(monkeypatch, no_sleep):
    conn_id = register(monkeypatch, "lu_bad_url", "learnupon", "http://bad host name")
    hook = LearnUponHook(conn_id, sleep=no_sleep)
    with pytest.raises(LmsConfigError):
        read_users(hook)
    assert no_sleep.calls == []


def test_a_tls_mismatch_fails_on_the_first_attempt(monkeypatch, no_sleep):
    with StubServer(users_page) as stub:  # plain HTTP, addressed as https://: the handshake fails
        conn_id = register(monkeypatch, "lu_tls", "learnupon", f"https://127.0.0.1:{stub.port}")
        hook = LearnUponHook(conn_id, sleep=no_sleep)
        with pytest.raises(LmsHttpError, match="TLS"):
            read_users(hook)
    assert no_sleep.calls == [] and hook.transport.request_count == 1


@pytest.mark.parametrize("value", ["nan", "inf", "1e999"])
def test_a_non_finite_rate_limit_extra_is_a_config_error(value, monkeypatch, no_sleep):
    from airflow_provider_lms.vendors.learnworlds.hook import LearnWorldsHook

    with StubServer(lambda req: Reply.json({"data": []})) as stub:
        conn_id = register(monkeypatch, "lw_pace", "learnworlds", stub.url, rate_limit_seconds=value)
        with pytest.raises(LmsConfigError, match=f"rate_limit_seconds='{value}' must be a positive number"):
            list(LearnWorldsHook(conn_id, sleep=no_sleep).iter_records("courses"))
    assert stub.requests == []
