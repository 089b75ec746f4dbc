"""iSpring Learn tokens (30 minutes, no refresh), credentials, hostile XML and secrets, over real
HTTP against the twin."""

from __future__ import annotations

import json
import logging
import time

import pytest
import requests

from airflow_provider_lms.exceptions import LmsAuthError, LmsConfigError, LmsResponseError
from airflow_provider_lms.operators.extract import LmsExtractOperator
from airflow_provider_lms.vendors.ispring.hook import IspringHook

TOKEN = "/api/v3/token"


def _active_module_results(data):
    """Module results take one userStatuses value (the reference's type); left out, active only."""
    active = {u["userId"] for u in data["users"] if u["status"] == 1}
    return [r for r in data["learner_module_results"] if r["userId"] in active]


def test_token_is_renewed_before_it_expires_over_a_long_extract(twin_factory, connect):
    # Renewal at half-life leaves 1.5 s of slack for a stalled request on a loaded machine.
    lifetime = 3.0
    twin = twin_factory("ispring", token_lifetime=lifetime, latency=0.15)
    hook = IspringHook(connect(twin))
    started = time.monotonic()
    got = list(hook.iter_records("learner_module_results", {"page_size": 10}))
    elapsed = time.monotonic() - started
    assert got == _active_module_results(twin.twin.data)  # one userStatuses value: the API's default
    assert elapsed > 2.5 * lifetime, "the extract must outlive several tokens"
    fetches = twin.twin.count("POST", TOKEN)
    assert fetches >= elapsed / lifetime  # renewed at half-life: never used past expiry
    assert fetches == hook.transport.auth.fetch_count
    assert twin.twin.count(status=401) == 0


def test_token_rejected_early_is_replaced_on_401(twin_factory, connect):
    # The token dies long before its advertised 30 minutes (revoked, clock skew): 401, new token, retry.
    # Lifetime long enough that a renewed token survives one request even when a loaded machine
    # stalls for a second (seen in CI at 1.5 s), short enough to expire twice over ~31 pages of 0.25 s.
    twin = twin_factory("ispring", token_lifetime=2.0, advertised_lifetime=1800, latency=0.25)
    hook = IspringHook(connect(twin))
    got = list(hook.iter_records("learner_module_results", {"page_size": 20}))
    assert got == _active_module_results(twin.twin.data)
    rejected = twin.twin.count("GET", status=401)
    assert rejected >= 2
    assert twin.twin.count("POST", TOKEN) == rejected + 1


def test_wrong_credentials_fail_clearly_after_one_request(twin_factory, connect):
    twin = twin_factory("ispring")
    hook = IspringHook(connect(twin, password="not-the-client-secret"))
    with pytest.raises(
        LmsAuthError, match="rejected the credentials of connection 'ispring_test'.*client secret"
    ) as error:
        list(hook.iter_records("users"))
    assert "not-the-client-secret" not in str(error.value)
    assert twin.twin.count() == 1 and twin.twin.count("POST", TOKEN, 401) == 1
    ok, message = hook.test_connection()
    assert not ok and "rejected the credentials" in message and "not-the-client-secret" not in message


def test_missing_client_id_is_a_configuration_error(twin_factory, connect):
    twin = twin_factory("ispring")
    with pytest.raises(LmsConfigError, match="has no client ID"):
        list(IspringHook(connect(twin, login="")).iter_records("users"))
    assert twin.twin.count() == 0


def test_test_connection_reads_one_department(twin_factory, connect):
    twin = twin_factory("ispring")
    ok, message = IspringHook(connect(twin)).test_connection()
    assert ok, message
    assert "read 1 record(s) from departments" in message


def test_twin_answers_xml_unless_json_is_asked_for(twin_factory):
    twin = twin_factory("ispring")
    credentials = {"client_id": twin.twin.client_id, "client_secret": twin.twin.client_secret}
    form = {**credentials, "grant_type": "client_credentials"}
    as_json_body = requests.post(
        twin.url + TOKEN, json=form, headers={"Accept": "application/json"}, timeout=5
    )
    assert as_json_body.status_code == 400  # the token call is form-encoded, as the hook sends it
    as_xml = requests.post(twin.url + TOKEN, data=form, timeout=5)
    assert as_xml.headers["Content-Type"].startswith("application/xml")
    assert b"<access_token>" in as_xml.content
    token = requests.post(
        twin.url + TOKEN, data=form, headers={"Accept": "application/json"}, timeout=5
    ).json()
    assert token["token_type"] == "bearer" and token["expires_in"] == 1800
    page = requests.get(
        twin.url + "/groups", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=5
    )
    assert page.content.startswith(b"<?xml") and b"<groups><group>" in page.content


@pytest.mark.parametrize(
    ("hostile", "message"),
    [
        ("billion_laughs", "declares a DTD or entities"),
        ("external_entity", "declares a DTD or entities"),
        ("deep_nesting", "nests deeper than"),
    ],
)
def test_hostile_xml_fails_fast_and_cleanly(twin_factory, connect, hostile, message):
    twin = twin_factory("ispring", hostile=hostile)
    hook = IspringHook(connect(twin))
    started = time.monotonic()
    with pytest.raises(LmsResponseError, match=message) as error:
        list(hook.iter_records("learner_results"))
    assert time.monotonic() - started < 2.0
    assert "/learners/results" in str(error.value) and "lol" not in str(error.value)
    assert twin.twin.count("GET") == 1  # refused, not retried


def test_hostile_xml_leaves_the_previous_output_in_place(twin_factory, connect, tmp_path):
    twin = twin_factory("ispring", hostile="billion_laughs")
    out = tmp_path / "results.jsonl"
    out.write_text('{"previous": true}\n')
    operator = LmsExtractOperator(
        task_id="results",
        conn_id=connect(twin),
        endpoint="learner_results",
        destination=str(out),
        window_start="2026-10-01",
        window_end="2026-10-02",
    )
    with pytest.raises(LmsResponseError, match="DTD"):
        operator.execute({})
    assert out.read_text() == '{"previous": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["results.jsonl"]


def test_secrets_reach_no_log_message_or_error(twin_factory, connect, caplog):
    # Tokens die unannounced after 2.5 s (401 path) over ~31 pages of 0.2 s: several renewals,
    # and a renewed token outlives its retry even when a loaded machine stalls for a second.
    twin = twin_factory("ispring", token_lifetime=2.5, advertised_lifetime=1800, latency=0.2)
    caplog.set_level(logging.DEBUG)
    hook = IspringHook(connect(twin))
    list(hook.iter_records("learner_module_results", {"page_size": 20}))
    preview = hook.preview("users", limit=3)
    bad = IspringHook(connect(twin, "ispring_bad", password="wrong-" + twin.twin.client_secret))
    with pytest.raises(LmsAuthError) as error:
        list(bad.iter_records("users"))
    secrets = [twin.twin.client_secret, *twin.twin.issued_tokens]
    assert len(secrets) >= 3, "the run must have renewed tokens"
    exposed = "\n".join(
        [
            caplog.text,
            *(r.getMessage() for r in caplog.records),
            str(error.value),
            json.dumps(preview.records),
        ]
    )
    exposed += preview.request
    for secret in secrets:
        assert secret not in exposed
