"""Host and port handling shared by every vendor hook."""

from __future__ import annotations

import pytest

from airflow_provider_lms.exceptions import LmsConfigError
from airflow_provider_lms.hooks.base import normalize_url


@pytest.mark.parametrize(
    ("host", "kwargs", "expected"),
    [
        ("acme", {"default_domain": "learnupon.com"}, "https://acme.learnupon.com"),
        ("acme.learnupon.com/", {}, "https://acme.learnupon.com"),
        ("http://127.0.0.1:8900", {}, "http://127.0.0.1:8900"),
        ("http://127.0.0.1", {"port": 8900}, "http://127.0.0.1:8900"),
        ("http://127.0.0.1:8900", {"port": 8900}, "http://127.0.0.1:8900"),
        ("https://rest.myabsorb.com", {"port": 443}, "https://rest.myabsorb.com"),
        ("https://school.example.com/admin/api", {"port": 8443}, "https://school.example.com:8443/admin/api"),
        ("acme", {"default_domain": "learnworlds.com", "port": 443}, "https://acme.learnworlds.com"),
    ],
)
def test_normalize_url(host, kwargs, expected):
    assert normalize_url(host, **kwargs) == expected


def test_conflicting_ports_are_refused():
    with pytest.raises(LmsConfigError, match="names port 8900 but the Port field says 9000"):
        normalize_url("http://127.0.0.1:8900", port=9000)
    with pytest.raises(LmsConfigError, match="no host"):
        normalize_url("  ")


def test_port_field_reaches_the_vendor(twin_factory, connect):
    from airflow_provider_lms.vendors.learnupon.hook import LearnUponHook

    twin = twin_factory("learnupon")
    host, _, port = twin.url.rpartition(":")
    hook = LearnUponHook(connect(twin, "lu_port", host=host, port=int(port)))
    assert list(hook.iter_records("groups")) == twin.twin.data["groups"]
