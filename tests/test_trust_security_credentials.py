"""Issue 10, security items 4 and 5: a cached Absorb token serves only the credentials that obtained
it, and credentials outside Latin-1 are sent the way each vendor reads them (UTF-8) or refused with
a message naming the connection and the field. Real HTTP against the sandbox twins."""

from __future__ import annotations

import base64

import pytest

from airflow_provider_lms.exceptions import LmsAuthError, LmsConfigError
from airflow_provider_lms.operators.extract import LmsExtractOperator
from airflow_provider_lms.vendors.absorb.hook import AbsorbHook
from airflow_provider_lms.vendors.ispring.hook import IspringHook
from airflow_provider_lms.vendors.learnupon.hook import LearnUponHook
from airflow_provider_lms.vendors.learnworlds.hook import LearnWorldsHook
from airflow_provider_lms.vendors.nexport.hook import NexPortHook
from tests.test_absorb_support import register

# ---- 4. Absorb: a token serves only the exact credentials that obtained it -----------------------


@pytest.fixture
def absorb_worker(twin_factory, connect, tmp_path, no_sleep):
    """An Absorb twin and a worker whose token cache holds a valid token from the right password."""
    running = twin_factory("absorb")
    good = register(connect, running, tmp_path, "absorb_good")
    extra = {**running.connection()["extra"], "token_cache_dir": str(tmp_path / "tokens")}
    bad = connect(running, "absorb_bad", password="wrong-password", extra=extra)
    right = AbsorbHook(good, sleep=no_sleep)
    assert len(list(right.iter_records("users"))) == len(running.twin.data["users"])
    assert running.twin.authentications == 1
    cache = tmp_path / "tokens"
    assert [p.name for p in cache.glob("absorb-*.json")]  # the shared token is on disk
    return running, good, bad, cache


def test_a_wrong_password_fails_the_test_button_despite_a_cached_token(absorb_worker, no_sleep):
    running, good, bad, _ = absorb_worker
    ok, message = AbsorbHook(bad, sleep=no_sleep).test_connection()
    assert ok is False
    assert "rejected the credentials" in message
    assert running.twin.count("POST", "/authenticate", 401) == 1  # it asked Absorb, and Absorb said no
    # The right credentials still hold their token: nothing was revoked, nothing re-authenticated.
    assert AbsorbHook(good, sleep=no_sleep).test_connection()[0] is True
    assert running.twin.authentications == 1


def test_a_wrong_password_fails_a_task_despite_a_cached_token(absorb_worker, no_sleep, tmp_path):
    running, good, bad, _ = absorb_worker
    with pytest.raises(LmsAuthError, match="absorb_bad"):
        list(AbsorbHook(bad, sleep=no_sleep).iter_records("users"))
    out = tmp_path / "users.jsonl"
    operator = LmsExtractOperator(
        task_id="t", conn_id=bad, endpoint="users", destination=str(out), window_start=None, window_end=None
    )
    with pytest.raises(LmsAuthError):
        operator.execute({})
    assert not out.exists()
    assert running.twin.authentications == 1
    hook = AbsorbHook(good, sleep=no_sleep)
    assert len(list(hook.iter_records("users"))) == len(running.twin.data["users"])
    assert hook.token_report()["reused_tokens"] == 1


def test_the_cache_identity_includes_the_password_but_never_reveals_it(absorb_worker, no_sleep):
    from airflow_provider_lms.vendors.absorb.token_cache import cache_key

    running, _, bad, cache = absorb_worker
    twin = running.twin
    with pytest.raises(LmsAuthError):
        list(AbsorbHook(bad, sleep=no_sleep).iter_records("users"))
    gateway = running.url
    right = cache_key(gateway, twin.private_key, twin.username, twin.password)
    assert right != cache_key(gateway, twin.private_key, twin.username, "wrong-password")
    assert right != cache_key(gateway, twin.private_key, twin.username, twin.password + " ")
    names = [p.name for p in cache.iterdir()]
    assert f"absorb-{right}.json" in names
    for path in cache.iterdir():
        for secret in (twin.password, "wrong-password", twin.private_key, twin.username):
            assert secret not in path.name
            assert secret not in path.read_text()


# ---- 5. credentials outside Latin-1 ------------------------------------------------------------

UNICODE_SECRET = "pässwörd-日本"


def test_learnupon_sends_a_utf8_basic_credential(twin_factory, connect):
    running = twin_factory("learnupon")
    running.twin.username, running.twin.password = "ädmin-日本", UNICODE_SECRET
    hook = LearnUponHook(connect(running))
    assert hook.test_connection()[0] is True
    assert len(list(hook.iter_records("users"))) == len(running.twin.data["users"])
    sent = hook.preview("users", limit=1).request
    token = base64.b64encode("ädmin-日本:pässwörd-日本".encode()).decode()
    assert token not in sent and "Authorization: Basic ***" in sent


def test_learnupon_takes_colons_and_more_in_the_password_but_not_in_the_username(twin_factory, connect):
    running = twin_factory("learnupon")
    running.twin.password = "p:a@s/s%w"
    assert LearnUponHook(connect(running)).test_connection()[0] is True
    conn_id = connect(running, "learnupon_colon", login="api:user")
    with pytest.raises(
        LmsConfigError, match=r"connection 'learnupon_colon'.*username \(login\) contains ':'"
    ):
        list(LearnUponHook(conn_id).iter_records("users"))
    assert running.twin.count("GET", "/api/v1/users") == 1  # only the Test button's request


def test_absorb_sends_utf8_username_and_password(twin_factory, connect, tmp_path, no_sleep):
    running = twin_factory("absorb")
    running.twin.username, running.twin.password = "ädmin-日本", UNICODE_SECRET
    hook = AbsorbHook(register(connect, running, tmp_path), sleep=no_sleep)
    assert hook.test_connection()[0] is True
    assert len(list(hook.iter_records("users"))) == len(running.twin.data["users"])


def test_absorb_refuses_a_private_key_that_cannot_travel_in_a_header(twin_factory, connect, tmp_path):
    running = twin_factory("absorb")
    conn_id = connect(running, "absorb_test", extra={"private_key": "kéy-日本", "token_cache_dir": "off"})
    with pytest.raises(LmsConfigError, match=r"connection 'absorb_test'.*private_key.*ASCII"):
        list(AbsorbHook(conn_id).iter_records("users"))
    ok, message = AbsorbHook(conn_id).test_connection()
    assert ok is False and "private_key" in message and "kéy-日本" not in message
    assert running.twin.count() == 0


def test_learnworlds_sends_a_utf8_client_secret(twin_factory, connect):
    running = twin_factory("learnworlds")
    running.twin.client_secret = UNICODE_SECRET
    hook = LearnWorldsHook(connect(running))
    assert hook.test_connection()[0] is True


def test_learnworlds_refuses_a_client_id_that_cannot_travel_in_a_header(twin_factory, connect):
    running = twin_factory("learnworlds")
    conn_id = connect(running, login="clïent-日本")
    with pytest.raises(LmsConfigError, match=r"connection 'learnworlds_test'.*client ID.*ASCII"):
        list(LearnWorldsHook(conn_id).iter_records("users"))
    assert running.twin.count() == 0


def test_ispring_sends_utf8_client_credentials(twin_factory, connect):
    running = twin_factory("ispring")
    running.twin.client_id, running.twin.client_secret = "clïent-日本", UNICODE_SECRET
    hook = IspringHook(connect(running))
    assert hook.test_connection()[0] is True
    assert len(list(hook.iter_records("users"))) == len(running.twin.data["users"])


def test_nexport_sends_utf8_username_and_password(twin_factory, connect):
    running = twin_factory("nexport")
    running.twin.username, running.twin.password = "ädmin-日本", UNICODE_SECRET
    hook = NexPortHook(connect(running))
    assert hook.test_connection()[0] is True


def test_a_netrc_entry_never_replaces_the_connections_token(tmp_path, monkeypatch):
    """requests applies ~/.netrc when a request has no auth object: the bearer token must win."""
    from airflow_provider_lms.page_request import PageRequest
    from airflow_provider_lms.token_auth import Token, TokenAuth
    from airflow_provider_lms.transport import HttpTransport
    from tests.stubs import Reply, StubServer

    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login intruder password from-netrc\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    with StubServer(lambda request: Reply.json([])) as stub:
        transport = HttpTransport(stub.url, auth=TokenAuth(lambda: Token("tok-abcdef")))
        transport.send(PageRequest("GET", "/x"))
    assert stub.requests[0].headers["authorization"] == "Bearer tok-abcdef"
