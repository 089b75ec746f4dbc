"""The NexPort token travels in every URL: prove it never reaches a log line or an exception.

A real extract runs with everything at DEBUG (root logger, urllib3 included), through retries
(injected 429/503), re-authentications (tokens expiring mid-extract), a vendor error and a dead
server (whose connection errors quote the URL). Every token the twin issued is then searched for,
raw and URL-encoded, in every captured record, handler line, stdout/stderr and exception text.
"""

from __future__ import annotations

import io
import json
import logging
import traceback
from urllib.parse import quote, quote_plus

import pytest

from airflow_provider_lms.exceptions import LmsError, LmsHttpError
from airflow_provider_lms.sandbox import start_twin
from airflow_provider_lms.vendors.nexport.hook import NexPortApiError, NexPortHook
from airflow_provider_lms.vendors.nexport.twin import ForcedError


def secret_forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret)}


@pytest.fixture
def debug_logs(caplog):
    """Root and urllib3 at DEBUG, captured by caplog and by a plain handler on the root logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    yield caplog, stream
    root.removeHandler(handler)


def test_no_token_in_any_log_line_or_error_of_a_debug_run(debug_logs, capfd, monkeypatch, no_sleep):
    caplog, stream = debug_logs
    running = start_twin(
        "nexport",
        fault_rate=0.25,
        seed=5,
        token_lifetime_requests=4,
        forced_errors={"GetCategories": ForcedError(11, "Catalog index is rebuilding")},
    )
    twin = running.twin
    monkeypatch.setenv("AIRFLOW_CONN_NEXPORT_SECRETS", json.dumps(running.connection()))
    hook = NexPortHook("nexport_secrets", backoff_base=0.01, sleep=no_sleep, max_attempts=8)
    errors: list[BaseException] = []
    try:
        orgs = list(hook.iter_records("organizations", {"page_size": 1}))
        enrollments = list(
            hook.iter_records(
                "search_enrollments",
                {"org_ids": [o["org_id"] for o in orgs], "page_size": 5},
                "2026-10-01T00:00:00Z",
                "2026-10-08T00:00:00Z",
            )
        )
        with pytest.raises(NexPortApiError, match="Catalog index is rebuilding") as vendor_error:
            list(hook.iter_records("categories", {"catalog_id": twin.data["catalogs"][0]["catalog_id"]}))
        errors.append(vendor_error.value)
    finally:
        running.stop()
    hook.transport.session.close()  # drop kept-alive connections: the next request must connect
    with pytest.raises(LmsHttpError, match="GetOrganizations.*connection refused") as dead_server:
        list(hook.iter_records("organizations"))  # cached token, server gone: the URL is in the error
    errors.append(dead_server.value)
    out, err = capfd.readouterr()

    # the run really went through what could leak
    assert len(orgs) == 5 and len(enrollments) > 5
    assert twin.faults.injected > 0 and hook.transport.retry_count >= twin.faults.injected
    assert len(twin.issued_tokens) >= 3  # re-authenticated mid-extract, more than once
    url_lines = [r.getMessage() for r in caplog.records if r.name.startswith("urllib3")]
    assert any("access_token=***" in line for line in url_lines)  # urllib3 logged URLs, masked

    texts = [r.getMessage() for r in caplog.records]
    texts += [r.exc_text or "" for r in caplog.records]
    texts += [stream.getvalue(), out, err]
    for error in errors:
        assert isinstance(error, LmsError)
        texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
    haystack = "\n".join(texts)
    assert "access_token=" in haystack  # the masked form is there, so the search is meaningful
    for token in twin.issued_tokens:
        for form in secret_forms(token):
            assert form not in haystack
    assert twin.password not in haystack
