"""Errors that name the real mistake: https on a plain-http port, a catalog name of another vendor."""

from __future__ import annotations

import pytest

from airflow_provider_lms.exceptions import LmsConfigError, LmsHttpError
from airflow_provider_lms.vendors.learnupon.hook import LearnUponHook


def test_https_url_on_an_http_only_server_says_the_port_does_not_speak_tls(twin_factory, connect, no_sleep):
    twin = twin_factory("learnupon")
    conn_id = connect(twin, host=twin.url.replace("http://", "https://"))
    with pytest.raises(LmsHttpError) as caught:
        LearnUponHook(conn_id=conn_id, sleep=no_sleep).preview("users", limit=1)
    message = str(caught.value)
    assert "does not speak TLS on this port" in message
    assert "use http://" in message
    assert "verification failed" not in message
    assert twin.twin.request_log == []  # the handshake failed: no HTTP request was served


def test_a_catalog_name_of_another_vendor_says_whose_it_is(twin_factory, connect):
    conn_id = connect(twin_factory("learnupon"))
    with pytest.raises(LmsConfigError) as caught:
        LearnUponHook(conn_id=conn_id).plan("course_enrollments", {"course_id": 1})
    message = str(caught.value)
    assert "'course_enrollments' is an Absorb endpoint; this connection is LearnUpon" in message
    assert "Known endpoints: audit_trails" in message  # the connection's own catalog is still listed


def test_an_unknown_name_of_no_vendor_gets_no_vendor_hint(twin_factory, connect):
    conn_id = connect(twin_factory("learnupon"))
    with pytest.raises(LmsConfigError) as caught:
        LearnUponHook(conn_id=conn_id).plan("userz")
    assert "this connection is" not in str(caught.value)
    assert "Did you mean users?" in str(caught.value)
