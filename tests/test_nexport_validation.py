"""Bad NexPort input fails with an actionable message before any HTTP (not even Authenticate)."""

from __future__ import annotations

import json

import pytest

from airflow_provider_lms.exceptions import LmsConfigError, LmsWindowError
from airflow_provider_lms.operators.extract import LmsExtractOperator
from airflow_provider_lms.sandbox import start_twin
from airflow_provider_lms.vendors.nexport.hook import NexPortHook

ORG = "3f8c08bc-e009-471c-802c-09f0d814bf59"
USER = "15b7120f-1354-4d8d-bbf7-768f1e184693"
DAY = ("2026-10-19T00:00:00Z", "2026-10-20T00:00:00Z")
NONE = (None, None)

BAD_INPUT = [
    ("search_enrollment", {}, NONE, LmsConfigError, "Did you mean search_enrollments"),
    ("search_enrollments", {}, DAY, LmsConfigError, "needs user_ids, or org_ids"),
    ("search_enrollments", {"org_ids": []}, DAY, LmsConfigError, "needs user_ids, or org_ids"),
    (
        "search_enrollments",
        {"org_ids": "northwind"},
        DAY,
        LmsConfigError,
        "org_ids='northwind' is not a NexPort id",
    ),
    ("search_enrollments", {"user_ids": [USER, 42]}, DAY, LmsConfigError, "user_ids=42 is not a NexPort id"),
    (
        "search_enrollments",
        {"org_ids": ORG, "date_field": "updated"},
        DAY,
        LmsConfigError,
        "date_field='updated'",
    ),
    (
        "search_enrollments",
        {"org_ids": ORG, "utc_enrolled_after": "2026-01-01T00:00:00Z"},
        DAY,
        LmsConfigError,
        "come from the task window",
    ),
    ("search_enrollments", {"org_ids": ORG, "org_id": ORG}, DAY, LmsConfigError, "does not accept 'org_id'"),
    ("search_enrollments", {"org_ids": ORG}, ("yesterday", "today"), LmsWindowError, "not a date"),
    ("search_enrollments", {"org_ids": ORG}, (DAY[1], DAY[0]), LmsWindowError, "is after window_end"),
    ("search_enrollments", {"org_ids": ORG}, (DAY[0], DAY[0]), LmsWindowError, "window is empty"),
    ("search_enrollments", {"org_ids": ORG}, (DAY[0], None), LmsWindowError, "give both ends"),
    ("section_enrollments", {}, NONE, LmsConfigError, "needs subscriber_id, syllabus_id, enrollment_id, or"),
    ("section_enrollments", {"syllabus_id": ORG}, NONE, LmsConfigError, "needs org_id when syllabus_id"),
    (
        "section_enrollments",
        {"user_id": USER, "subscriber_id": ORG, "syllabus_unique_name": "x"},
        NONE,
        LmsConfigError,
        "takes user_id or subscriber_id, not both",
    ),
    (
        "custom_enrollment_field_values",
        {"subscriber_id": ORG},
        NONE,
        LmsConfigError,
        "needs enrollment_id, or subscriber_id and syllabus_id",
    ),
    (
        "student_sessions",
        {"user_id": USER, "org_id": ORG},
        NONE,
        LmsConfigError,
        "needs from_date (or a window",
    ),
    ("student_sessions", {"user_id": USER}, DAY, LmsConfigError, "needs 'org_id'"),
    ("assignments", {}, NONE, LmsConfigError, "needs 'section_id'"),
    ("section", {"syllabus_id": ORG, "product_id": USER}, NONE, LmsConfigError, "not both"),
    (
        "catalogs",
        {"group_id": ORG, "catalog_access_option": 5},
        NONE,
        LmsConfigError,
        "is not one of [0, 1, 2]",
    ),
    ("organizations", {"page_size": 1001}, NONE, LmsConfigError, "out of range 1..1000"),
    (
        "cmi_data",
        {"enrollment_id": ORG, "assignment_id": USER},
        NONE,
        LmsConfigError,
        "needs 'cmi_element_names'",
    ),
]


@pytest.fixture(scope="module")
def running():
    twin = start_twin("nexport")
    yield twin
    twin.stop()


@pytest.fixture
def conn_id(running, monkeypatch) -> str:
    monkeypatch.setenv("AIRFLOW_CONN_NEXPORT_DEFAULT", json.dumps(running.connection()))
    return "nexport_default"


@pytest.mark.parametrize(
    ("endpoint", "parameters", "window", "error", "message"),
    BAD_INPUT,
    ids=[f"{case[0]}-{i}" for i, case in enumerate(BAD_INPUT)],
)
def test_bad_input_fails_before_any_request(running, conn_id, endpoint, parameters, window, error, message):
    before = running.twin.count()
    with pytest.raises(error) as caught:
        list(NexPortHook(conn_id).iter_records(endpoint, parameters, *window))
    assert message in str(caught.value)
    assert running.twin.count() == before  # not even the Authenticate call


def test_one_bad_parameter_set_stops_a_batch_before_any_output(running, conn_id, tmp_path):
    before = running.twin.count()
    operator = LmsExtractOperator(
        task_id="search",
        conn_id=conn_id,
        endpoint="search_enrollments",
        parameters=[{"org_ids": ORG}, {"org_ids": "not-an-id"}],
        window_start=DAY[0],
        window_end=DAY[1],
        destination=f"file://{tmp_path}/out.jsonl",
    )
    with pytest.raises(LmsConfigError, match="'not-an-id' is not a NexPort id"):
        operator.execute({})
    assert running.twin.count() == before and list(tmp_path.iterdir()) == []


def test_base_url_accepts_a_bare_host_or_the_api_root(monkeypatch):
    for host, expected in [
        ("www.nexportcampus.com", "https://www.nexportcampus.com/api/v1"),
        ("https://www.nexportcampus.com/", "https://www.nexportcampus.com/api/v1"),
        ("https://campus.example.org/api/v1", "https://campus.example.org/api/v1"),
    ]:
        monkeypatch.setenv("AIRFLOW_CONN_NEXPORT_URL", f'{{"conn_type": "nexport", "host": "{host}"}}')
        assert NexPortHook("nexport_url").base_url() == expected


def test_missing_credentials_are_named(running, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_NEXPORT_NOPASS", json.dumps({**running.connection(), "password": ""}))
    before = running.twin.count()
    with pytest.raises(LmsConfigError, match="has no admin API password"):
        list(NexPortHook("nexport_nopass").iter_records("organizations"))
    assert running.twin.count() == before
