"""Issue 10, security item 3: a server that echoes our request (headers, query and body) in an
error body never gets a secret into an exception, the Test button's message or a log line, in any
derived form and whatever the secret's length.

Each vendor hook talks to a stub that plays the vendor's token call and then echoes, or echoes the
token call itself. The forms are computed here independently of the provider's redactor.
"""

from __future__ import annotations

import base64
import json
import logging
import traceback
from urllib.parse import quote, quote_plus, urlencode

import pytest

from airflow_provider_lms.exceptions import LmsError
from airflow_provider_lms.redaction import Redactor
from airflow_provider_lms.vendors.absorb.hook import AbsorbHook
from airflow_provider_lms.vendors.ispring.hook import IspringHook
from airflow_provider_lms.vendors.learnupon.hook import LearnUponHook
from airflow_provider_lms.vendors.learnworlds.hook import LearnWorldsHook
from airflow_provider_lms.vendors.nexport.hook import NexPortHook
from tests.stubs import Reply, StubRequest, StubServer

LOGIN = "api-user"
PRIVATE_KEY = "k3y/+x=Q"  # header-borne: ASCII, but with characters every encoding changes
TOKEN = "tok/en+Z9"  # what the stub's token call hands out

#: A short one (never masked before), and a long one that every encoding changes.
SECRETS = ["p@s", 'pä:ss/w%rd "q"+日本']

TOKEN_PATHS = ("/authenticate", "/oauth2/access_token", "/api/v3/token", "/AdminApi/Authenticate")

HOOKS = {
    "learnupon": LearnUponHook,
    "absorb": AbsorbHook,
    "learnworlds": LearnWorldsHook,
    "ispring": IspringHook,
    "nexport": NexPortHook,
}


def forms(secret: str) -> set[str]:
    """Every way an echoing server may quote ``secret`` back."""
    raw = secret.encode("utf-8")
    found = {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(json.dumps(secret)[1:-1])[1:-1],  # a JSON body quoted inside a JSON error
        base64.b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    return found | {f.replace("/", "\\/") for f in found}


def _echo(request: StubRequest, style: str, status: int) -> Reply:
    query = urlencode(request.query, doseq=True)
    # Credentials first: our messages quote only the start of an error body.
    quiet = ("host", "user-agent", "accept", "accept-encoding", "connection", "content-length")
    headers = {k: v for k, v in request.headers.items() if k not in quiet}
    lines = [f"{request.method} {request.path}{'?' + query if query else ''}"]
    lines.append(request.body.decode("utf-8", "replace"))
    lines += [f"{name}: {value}" for name, value in headers.items()]
    text = "\n".join(lines)
    if style == "text":
        return Reply(status, text.encode(), {"Content-Type": "text/plain; charset=utf-8"})
    if style == "json":  # parsed by us, re-serialised (JSON-escaped) into the message
        payload = {"message": {"body": request.body.decode(), "headers": headers, "echo": text}}
        return Reply.json(payload, status)
    # A PHP-style dump we cannot parse: escaped slashes and \u escapes reach us raw.
    dumped = json.dumps({"query": query, "body": request.body.decode(), "headers": headers})
    return Reply(
        status, ("Error dump: " + dumped.replace("/", "\\/")).encode(), {"Content-Type": "text/html"}
    )


def _handler(vendor: str, stage: str, style: str, status: int):
    def handle(request: StubRequest) -> Reply:
        is_token_call = request.method == "POST" and request.path.endswith(TOKEN_PATHS)
        if is_token_call and stage == "data":
            if vendor == "absorb":
                return Reply.json(json.dumps(TOKEN))
            if vendor == "learnworlds":
                return Reply.json({"success": True, "tokenData": {"access_token": TOKEN, "expires_in": 3600}})
            return Reply.json({"access_token": TOKEN, "expires_in": 3600})
        return _echo(request, style, status)

    return handle


def _connection(monkeypatch, vendor: str, stub: StubServer, secret: str) -> str:
    conn = {"conn_type": vendor, "host": stub.url, "login": LOGIN, "password": secret}
    if vendor == "absorb":
        conn["extra"] = {"private_key": PRIVATE_KEY, "token_cache_dir": "off"}
    conn_id = f"{vendor}_echo"
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
    return conn_id


def _secret_forms(vendor: str, secret: str, stage: str) -> dict[str, str]:
    secrets = {"password": secret}
    if vendor == "learnupon":
        secrets["basic token"] = base64.b64encode(f"{LOGIN}:{secret}".encode()).decode()
    if vendor == "absorb":
        secrets["private key"] = PRIVATE_KEY
    if stage == "data" and vendor != "learnupon":
        secrets["token"] = TOKEN
    return {form: name for name, value in secrets.items() for form in forms(value)}


CASES = [
    ("learnupon", "data"),
    ("absorb", "token"),
    ("absorb", "data"),
    ("learnworlds", "token"),
    ("learnworlds", "data"),
    ("ispring", "token"),
    ("ispring", "data"),
    ("nexport", "token"),
    ("nexport", "data"),
]


@pytest.mark.parametrize("secret", SECRETS, ids=["short", "long"])
@pytest.mark.parametrize("status", [400, 500])
@pytest.mark.parametrize("style", ["text", "json", "raw-json"])
@pytest.mark.parametrize(("vendor", "stage"), CASES, ids=[f"{v}-{s}" for v, s in CASES])
def test_an_echoing_server_gets_no_secret_into_errors_or_logs(
    monkeypatch, caplog, no_sleep, vendor, stage, style, status, secret
):
    caplog.set_level(logging.DEBUG)
    with StubServer(_handler(vendor, stage, style, status)) as stub:
        conn_id = _connection(monkeypatch, vendor, stub, secret)
        hook = HOOKS[vendor](conn_id, max_attempts=1, sleep=no_sleep)
        with pytest.raises(LmsError) as error:
            list(hook.iter_records(hook.test_endpoint, {"page_size": 1}))
        ok, message = HOOKS[vendor](conn_id, max_attempts=1, sleep=no_sleep).test_connection()
        echoed = [r for r in stub.requests if not r.path.endswith(TOKEN_PATHS) or stage == "token"]
    assert ok is False
    assert echoed, "the stub never echoed: the test would prove nothing"
    visible = {
        "exception": "".join(traceback.format_exception(error.value)),
        "test button": message,
        "logs": caplog.text,
    }
    leaks = [
        f"{name} as {form!r} in the {where}"
        for form, name in _secret_forms(vendor, secret, stage).items()
        for where, text in visible.items()
        if form in text
    ]
    assert leaks == []
    assert "***" in visible["exception"], visible["exception"][-1500:]  # the echo reached it, masked


def test_short_secrets_are_masked_as_whole_tokens_only():
    redactor = Redactor()
    redactor.add("ab1")
    assert redactor.text('{"client_secret": "ab1"}') == '{"client_secret": "***"}'
    assert redactor.text("client_secret=ab1&grant_type=x") == "client_secret=***&grant_type=x"
    # Not inside longer words: a 3-character secret must not blank out every "ab1" in a message.
    assert redactor.text("table ab12 and xab1") == "table ab12 and xab1"


def test_echoed_authorization_and_api_key_values_are_masked_even_when_unknown():
    redactor = Redactor()
    text = 'Authorization: Basic dXNlcjpwYXNz\n"x-api-key": "abc123", authorization=Bearer zzz.yyy'
    masked = redactor.text(text)
    assert "dXNlcjpwYXNz" not in masked and "abc123" not in masked and "zzz.yyy" not in masked
    assert "Authorization: Basic ***" in masked and "Bearer ***" in masked


def test_short_secrets_stay_out_of_airflows_global_masker(monkeypatch):
    registered: list[str] = []
    monkeypatch.setattr("airflow_provider_lms.redaction._register_with_airflow", registered.append)
    redactor = Redactor()
    redactor.add("abcd")
    redactor.add("long-secret/+")
    assert "abcd" not in registered and not any(len(form) < 5 for form in registered)
    assert {"long-secret/+", quote("long-secret/+", safe=""), "long-secret\\/+"} <= set(registered)
