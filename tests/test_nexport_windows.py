"""NexPort windows, paging signals and errors inside 200 bodies, against the twin over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pendulum
import pytest

from airflow_provider_lms.operators.extract import LmsExtractOperator
from airflow_provider_lms.vendors.nexport.hook import NexPortApiError, NexPortHook
from airflow_provider_lms.vendors.nexport.twin import ForcedError
from airflow_provider_lms.windows import parse_record_time

SEARCH = "/LearningApi/SearchEnrollments$"
DATE_FIELDS = {
    "enrolled": "enrollment_date",
    "completed": "completion_date",
    "last_activity": "last_activity_date",
}


def _hook(connect, twin, no_sleep, **overrides) -> NexPortHook:
    return NexPortHook(connect(twin, **overrides), backoff_base=0.01, sleep=no_sleep)


def _midnights(values) -> list[pendulum.DateTime]:
    moments = {parse_record_time(v) for v in values if v}
    return sorted(m for m in moments if m == m.start_of("day"))


def _edge_window(d, record_field: str) -> tuple[pendulum.DateTime, pendulum.DateTime]:
    """A window whose both ends coincide with a record's own timestamp, when the data allows."""
    midnights = _midnights(e.get(record_field) for e in d["enrollments"])
    if len(midnights) >= 2:
        return midnights[0], midnights[min(3, len(midnights) - 1)]
    return pendulum.datetime(2026, 10, 1), pendulum.datetime(2026, 10, 8)


@pytest.mark.parametrize("edges", ["exclusive", "inclusive"])
@pytest.mark.parametrize("date_field", list(DATE_FIELDS))
def test_search_window_is_exact_at_both_edges(twin_factory, connect, no_sleep, date_field, edges):
    running = twin_factory("nexport", date_edges=edges)
    d = running.twin.data
    record_field = DATE_FIELDS[date_field]
    start, end = _edge_window(d, record_field)
    org_ids = [o["org_id"] for o in d["organizations"]]
    hook = _hook(connect, running, no_sleep)

    plan = hook.plan("search_enrollments", {"org_ids": org_ids, "date_field": date_field}, start, end)
    pages = list(hook.iter_pages(plan))
    got = [r for p in pages for r in p.records]

    expected = [
        e
        for e in d["enrollments"]
        if e.get(record_field) and start <= parse_record_time(e[record_field]) < end
    ]
    assert expected and got == expected  # oldest enrollment first, as NexPort sorts
    stamps = {parse_record_time(e.get(record_field)) for e in d["enrollments"]}
    if date_field != "last_activity":  # the data plants records exactly on midnights for these
        assert start in stamps and end in stamps
        assert any(parse_record_time(r[record_field]) == start for r in got)
    if edges == "inclusive" and end in stamps:
        # the server sent the record sitting on the window's end; the hook dropped it
        assert sum(p.received for p in pages) > len(got)


def test_default_date_field_is_the_enrollment_date(twin_factory, connect, no_sleep):
    running = twin_factory("nexport")
    d = running.twin.data
    user = d["users"][0]
    start, end = pendulum.datetime(2026, 9, 1), pendulum.datetime(2026, 11, 1)
    got = list(
        _hook(connect, running, no_sleep).iter_records(
            "search_enrollments", {"user_ids": user["user_id"]}, start, end
        )
    )
    expected = [
        e
        for e in d["enrollments"]
        if e["user_id"] == user["user_id"] and start <= parse_record_time(e["enrollment_date"]) < end
    ]
    assert expected and got == expected


@pytest.mark.parametrize("edges", ["exclusive", "inclusive"])
def test_student_sessions_window_is_exact(twin_factory, connect, no_sleep, edges):
    running = twin_factory("nexport", date_edges=edges)
    d = running.twin.data
    sessions = d["student_sessions"]
    midnight_users = {}
    for s in sessions:
        moment = parse_record_time(s["utc_start_date"])
        if moment == moment.start_of("day"):
            midnight_users.setdefault(s["user_id"], moment)
    user_id, start = next(iter(midnight_users.items()))
    end = start + timedelta(days=20)
    user = next(u for u in d["users"] if u["user_id"] == user_id)
    got = list(
        _hook(connect, running, no_sleep).iter_records(
            "student_sessions", {"user_id": user_id, "org_id": user["org_id"], "page_size": 2}, start, end
        )
    )
    expected = [
        s
        for s in sessions
        if s["user_id"] == user_id and start <= parse_record_time(s["utc_start_date"]) < end
    ]
    assert got == expected
    assert parse_record_time(got[0]["utc_start_date"]) == start  # the record on the edge is kept


def test_default_page_size_is_nexports_ceiling(twin_factory, connect, no_sleep):
    running = twin_factory("nexport")
    d = running.twin.data
    hook = _hook(connect, running, no_sleep)
    got = list(
        hook.iter_records("search_enrollments", {"org_ids": [o["org_id"] for o in d["organizations"]]})
    )
    assert got == d["enrollments"] and len(got) > 300
    assert running.twin.count(path_pattern=SEARCH) == 1  # per_page=1000: one page


def test_total_count_survives_a_server_capping_pages_below_the_request(twin_factory, connect, no_sleep):
    running = twin_factory("nexport", page_cap=40)
    d = running.twin.data
    got = list(
        _hook(connect, running, no_sleep).iter_records(
            "search_enrollments", {"org_ids": [o["org_id"] for o in d["organizations"]], "page_size": 1000}
        )
    )
    assert got == d["enrollments"]
    assert running.twin.count(path_pattern=SEARCH) == -(-len(got) // 40)


def test_bare_array_ending_on_a_full_page_needs_one_empty_page(twin_factory, connect, no_sleep):
    running = twin_factory("nexport")
    d = running.twin.data
    got = list(
        _hook(connect, running, no_sleep).iter_records(
            "organizations", {"page_size": len(d["organizations"])}
        )
    )
    assert [o["org_id"] for o in got] == [
        o["org_id"] for o in sorted(d["organizations"], key=lambda o: o["name"])
    ]
    assert running.twin.count(path_pattern="GetOrganizations$") == 2  # the full page, then the empty one


def test_error_on_a_later_page_fails_the_task_and_writes_nothing(twin_factory, connect, no_sleep, tmp_path):
    running = twin_factory(
        "nexport", forced_errors={"GetAssignmentStatuses": ForcedError(7, "Database timeout", page=2)}
    )
    conn_id = connect(running, "nexport_default")
    eid = running.twin.data["section_enrollments"][0]["enrollment_id"]
    destination = tmp_path / "statuses.jsonl"
    operator = LmsExtractOperator(
        task_id="statuses",
        conn_id=conn_id,
        endpoint="assignment_statuses",
        parameters={"enrollment_id": eid, "page_size": 1},
        window_start=None,
        window_end=None,
        destination=f"file://{destination}",
    )
    with pytest.raises(NexPortApiError, match="error_code 7: Database timeout") as caught:
        operator.execute({})
    assert caught.value.error_code == 7 and caught.value.status == 200
    assert list(tmp_path.iterdir()) == []  # neither the file nor a partial one
    assert running.twin.count(path_pattern="GetAssignmentStatuses$") == 2  # no retry of a vendor error


def test_error_inside_a_record_fails_the_extract(twin_factory, connect, no_sleep):
    running = twin_factory(
        "nexport", forced_errors={"GetCategories": ForcedError(9, "Permission denied", in_record=True)}
    )
    catalog_id = running.twin.data["catalogs"][0]["catalog_id"]
    with pytest.raises(NexPortApiError, match="Permission denied"):
        list(_hook(connect, running, no_sleep).iter_records("categories", {"catalog_id": catalog_id}))


def test_unknown_id_reports_nexports_own_message(twin_factory, connect, no_sleep):
    running = twin_factory("nexport")
    with pytest.raises(NexPortApiError, match="Section 00000000-0000-0000-0000-00000000000a was not found"):
        list(
            _hook(connect, running, no_sleep).iter_records(
                "assignments", {"section_id": "00000000-0000-0000-0000-00000000000a"}
            )
        )


def test_warning_messages_are_logged_once_per_hook(twin_factory, connect, no_sleep, capfd):
    running = twin_factory("nexport")
    hook = _hook(connect, running, no_sleep)
    capfd.readouterr()
    got = list(hook.iter_records("organizations", {"page_size": 2}))
    out = capfd.readouterr().out  # the hook logs through Airflow's task logger (structlog, stdout)
    warnings = [line for line in out.splitlines() if "GetOrganizations is obsolete" in line]
    # 2 + 2 + 1, then the empty page that proves the end of a bare array (sizes are not reported)
    assert len(got) == 5 and running.twin.count(path_pattern="GetOrganizations$") == 4
    assert len(warnings) == 1 and "warning" in warnings[0]  # every page carried it; logged once


def test_twin_applies_nexports_per_page_rules(twin_factory, connect, no_sleep):
    running = twin_factory("nexport", page_cap=3)
    hook = _hook(connect, running, no_sleep)
    org_ids = [o["org_id"] for o in running.twin.data["organizations"]]
    first = next(hook.iter_pages(hook.plan("search_enrollments", {"org_ids": org_ids, "page_size": 50})))
    assert first.received == 3  # capped
    twin = twin_factory("nexport").twin
    assert twin._per_page("0") == 30 and twin._per_page(None) == 30 and twin._per_page("5000") == 1000
