"""Every Absorb catalog endpoint over real HTTP against the twin, compared with the twin's data
store filtered here by the documented semantics; windows, bad input and hostile answers."""

from __future__ import annotations

import pytest

from airflow_provider_lms.exceptions import (
    LmsAuthError,
    LmsConfigError,
    LmsPaginationError,
    LmsResponseError,
    LmsWindowError,
)
from airflow_provider_lms.page_request import PageRequest, PageResponse
from airflow_provider_lms.sandbox import start_twin
from airflow_provider_lms.vendors.absorb.hook import ABSORB_CATALOG, AbsorbHook
from airflow_provider_lms.vendors.absorb.query import (
    AbsorbPaginator,
    modified_since_window,
    odata_window,
    record_window,
)
from tests.test_absorb_support import WINDOW, Scenario, by_id, edited_in, moment, register


@pytest.fixture(scope="module")
def shared_twins():
    """Twins reused across this module's tests that leave the twin's data alone (a twin costs
    half a second to stop)."""
    running = {}

    def get(**options):
        key = tuple(sorted(options.items()))
        if key not in running:
            running[key] = start_twin("absorb", **options)
        return running[key]

    yield get
    for twin in running.values():
        twin.stop()


@pytest.fixture
def absorb(twin_factory, shared_twins, connect, tmp_path, no_sleep):
    """``absorb(fresh=False, **twin_options) -> (running twin, hook)``; each hook has its own
    token cache, so it authenticates once whatever ran before on a shared twin."""

    def start(conn_id: str = "absorb_test", *, fresh: bool = False, **options):
        running = twin_factory("absorb", **options) if fresh else shared_twins(**options)
        register(connect, running, tmp_path, conn_id)
        return running, AbsorbHook(conn_id, backoff_base=0.01, sleep=no_sleep)

    return start


def _counts(running) -> tuple[int, int]:
    return running.twin.authentications, len(running.twin.request_log)


def _page_size(name: str) -> dict:
    # Small pages on paged endpoints so every extract walks several _offset page indexes.
    return {"page_size": 4} if ABSORB_CATALOG.get(name).paginator is AbsorbPaginator else {}


def test_the_cases_cover_the_whole_catalog():
    assert sorted(Scenario.names()) == sorted(ABSORB_CATALOG.endpoints)


@pytest.mark.parametrize("fault_rate", [0.0, 0.05])
@pytest.mark.parametrize("name", Scenario.names())
def test_every_endpoint_extracts_exactly_what_the_api_holds(absorb, name, fault_rate):
    running, hook = absorb(fault_rate=fault_rate, seed=7)
    parameters, expected = Scenario(running.twin.data).case(name)
    authenticated_before = running.twin.authentications
    got = list(hook.iter_records(name, {**parameters, **_page_size(name)}))
    assert expected, f"the scenario gives {name} nothing to extract"
    assert by_id(got) == by_id(expected)
    assert len({r["id"] for r in got}) == len(got)
    assert running.twin.authentications == authenticated_before + 1


def test_injected_faults_were_really_served_and_retried(absorb):
    running, hook = absorb(fault_rate=0.05, seed=3, fresh=True)
    users = list(hook.iter_records("users", {"page_size": 2}))
    assert len(users) == len(running.twin.data["users"])
    assert running.twin.faults.injected > 0 and hook.transport.retry_count == running.twin.faults.injected


WINDOWED = [e.name for e in ABSORB_CATALOG if e.window is not None]


def test_windowed_endpoints_are_the_ones_whose_records_carry_dateEdited():
    assert sorted(WINDOWED) == sorted(
        [
            "users",
            "courses",
            "course_enrollments",
            "user_enrollments",
            "bulk_enrollments",
            "user_session_enrollments",
            "session_enrollments",
            "lesson_enrollments",
            "user_lesson_enrollments",
            "user_chapter_lesson_enrollments",
            "my_enrollments",
        ]
    )


def _pin_edges(records, window):
    """Move records onto the window's edges: exactly at start (in), exactly at end (out), half a
    second before start (out), a millisecond before end (in). Returns {id: expected inside?}."""
    start, end = window  # whole seconds, "...T00:00:00Z"
    stamps = [
        (start, True),
        (end, False),
        (_shift(start, -0.5), False),
        (_shift(end, -0.001), True),
    ]
    pinned = {}
    for record, (stamp, inside) in zip(records, stamps, strict=False):
        record["dateEdited"] = stamp
        pinned[record["id"]] = inside
    return pinned


def _shift(stamp: str, seconds: float) -> str:
    from datetime import timedelta

    return (moment(stamp) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


MODIFIED_SINCE = [e.name for e in ABSORB_CATALOG if e.window == modified_since_window()]
WINDOW_CASES = [(n, "after") for n in WINDOWED] + [(n, "at-or-after") for n in MODIFIED_SINCE]


@pytest.mark.parametrize(("name", "edge"), WINDOW_CASES)
def test_windows_select_exactly_the_records_edited_inside_them(absorb, name, edge):
    running, hook = absorb(modified_since_edge=edge, seed=5)
    scenario = Scenario(running.twin.data)
    parameters, _ = scenario.case(name)
    raw = _raw_records(running.twin.data, scenario, name)
    saved = [(record, record["dateEdited"]) for record in raw]
    try:
        pinned = _pin_edges(raw, WINDOW)
        _, holding = scenario.case(name)  # recomputed after pinning
        expected = [r for r in holding if edited_in(r, WINDOW)]
        got = list(hook.iter_records(name, {**parameters, **_page_size(name)}, *WINDOW))
    finally:  # the twin is shared with other tests: put its data back
        for record, stamp in saved:
            record["dateEdited"] = stamp
    assert by_id(got) == by_id(expected)
    got_ids = {r["id"] for r in got}
    assert {i: i in got_ids for i in pinned} == pinned
    if len(holding) > 4:
        assert 0 < len(got) < len(holding)  # the window really filtered


def _raw_records(data, scenario, name):
    """The twin's own (mutable) records behind a case, so the test can move their dateEdited."""
    _, shown_records = scenario.case(name)
    ids = {r["id"] for r in shown_records}
    for key in ("users", "courses", "course_enrollments", "session_enrollments", "lesson_enrollments"):
        found = [r for r in data[key] if r["id"] in ids]
        if found:
            return sorted(found, key=lambda r: r["id"])
    raise AssertionError(name)


def test_a_user_filter_is_and_combined_with_the_window(absorb):
    running, hook = absorb()
    scenario = Scenario(running.twin.data)
    parameters, holding = scenario.case("course_enrollments")
    # An "or" in the user's filter must not escape the window: each side is parenthesised.
    user_filter = "status eq 3 or status eq 1"
    plan = hook.plan("course_enrollments", {**parameters, "_filter": user_filter}, *WINDOW)
    pages = list(hook.iter_pages(plan))
    got = [r for page in pages for r in page.records]
    expected = [r for r in holding if r["status"] in (1, 3) and edited_in(r, WINDOW)]
    assert by_id(got) == by_id(expected) and expected
    # The server itself applied both (our record check dropped nothing it sent).
    assert sum(page.received for page in pages) == len(expected)
    assert any(r["status"] in (1, 3) and not edited_in(r, WINDOW) for r in holding)


def test_a_user_sort_gets_a_unique_tie_breaker_so_pages_do_not_shift(absorb):
    running, hook = absorb()
    parameters, holding = Scenario(running.twin.data).case("course_enrollments")
    got = list(hook.iter_records("course_enrollments", {**parameters, "_sort": "-status", "page_size": 2}))
    assert by_id(got) == by_id(holding)
    assert [r["status"] for r in got] == sorted((r["status"] for r in holding), reverse=True)


def test_a_server_capping_the_page_below_the_request_loses_nothing(absorb):
    running, hook = absorb(limit_cap=3, fresh=True)
    got = list(hook.iter_records("users", {"page_size": 10}))
    assert by_id(got) == by_id(running.twin.data["users"])


def test_the_largest_page_is_the_default(absorb):
    running, hook = absorb()
    before = running.twin.count("GET", "^/users$")
    list(hook.iter_records("users"))
    assert running.twin.count("GET", "^/users$") == before + 1  # 150 users, _limit=1000: one page


def test_window_requests_carry_odata_and_modified_since(absorb):
    _, hook = absorb()
    odata = hook.plan("users", {"_filter": "activeStatus eq 0"}, "2026-10-10", "2026-10-20T00:00:00.250Z")
    assert odata.request.params["_filter"] == (
        "(activeStatus eq 0) and (dateEdited ge datetime'2026-10-10T00:00:00Z' "
        "and dateEdited lt datetime'2026-10-20T00:00:01Z')"  # the end rounds UP to whole seconds
    )
    since = hook.plan("user_lesson_enrollments", {"user_id": "u", "course_id": "c"}, *WINDOW)
    assert since.request.params["modifiedSince"] == "2026-10-09T23:59:59Z"
    assert ABSORB_CATALOG.get("bulk_enrollments").window == record_window()
    assert ABSORB_CATALOG.get("session_enrollments").window == odata_window()
    assert ABSORB_CATALOG.get("user_session_enrollments").window == modified_since_window()


# ---- bad input: clear errors before any HTTP ---------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "parameters", "window", "error", "words"),
    [
        ("enrolments", {}, (None, None), LmsConfigError, "Did you mean"),
        ("course_enrollments", {}, (None, None), LmsConfigError, "course_id"),
        ("user_enrollments", {"userid": "x"}, (None, None), LmsConfigError, "does not accept"),
        ("users", {"page_size": 1001}, (None, None), LmsConfigError, "1..1000"),
        ("users", {}, ("2026-10-20", "2026-10-10"), LmsWindowError, "after"),
        ("users", {}, ("2026-10-20", None), LmsWindowError, "both ends"),
        ("users", {}, ("2026-10-20", "2026-10-20"), LmsWindowError, "empty"),
        ("users", {}, ("yesterday-ish", "2026-10-20"), LmsWindowError, "ISO 8601"),
        (
            "user_lesson_enrollments",
            {"user_id": "u", "course_id": "c", "modifiedSince": "2026-01-01"},
            WINDOW,
            LmsConfigError,
            "window",
        ),
    ],
)
def test_bad_input_fails_before_any_request(absorb, endpoint, parameters, window, error, words):
    running, hook = absorb()
    before = _counts(running)
    with pytest.raises(error, match=words):
        list(hook.iter_records(endpoint, parameters, *window))
    assert _counts(running) == before


def test_wrong_password_is_a_clear_auth_error_without_the_secret(absorb, connect, tmp_path):
    running, _ = absorb(fresh=True)
    extra = {"private_key": running.twin.private_key, "token_cache_dir": str(tmp_path / "t")}
    conn_id = connect(running, "absorb_bad", password="not-the-password-9", extra=extra)
    hook = AbsorbHook(conn_id, backoff_base=0.01)
    with pytest.raises(LmsAuthError) as caught:
        list(hook.iter_records("users"))
    assert "rejected the credentials" in str(caught.value)
    assert "not-the-password-9" not in str(caught.value)
    assert running.twin.authentications == 0 and running.twin.count("GET") == 0
    ok, message = hook.test_connection()
    assert not ok and "not-the-password-9" not in message and running.twin.private_key not in message


def test_wrong_private_key_is_refused(absorb, connect, tmp_path):
    running, _ = absorb()
    connect(
        running,
        "absorb_badkey",
        extra={"private_key": "00000000-0000-0000-0000-000000000000", "token_cache_dir": str(tmp_path / "t")},
    )
    with pytest.raises(LmsAuthError):
        list(AbsorbHook("absorb_badkey").iter_records("users"))


def test_missing_private_key_fails_before_any_request(absorb, connect):
    running, _ = absorb()
    before = _counts(running)
    connect(running, "absorb_nokey", extra={})
    with pytest.raises(LmsConfigError, match="private_key"):
        list(AbsorbHook("absorb_nokey").iter_records("users"))
    assert _counts(running) == before


@pytest.mark.parametrize("reply", [{"token": "abc-def-ghi"}, "", ["x"]])
def test_an_authenticate_reply_that_is_not_a_token_string_is_refused(absorb, reply):
    running, hook = absorb(auth_reply=reply, fresh=True)
    with pytest.raises(LmsResponseError, match="instead of the token string") as caught:
        list(hook.iter_records("users"))
    assert "abc-def-ghi" not in str(caught.value)


def test_a_server_ignoring_the_page_index_is_stopped(absorb, monkeypatch):
    running, hook = absorb(fresh=True)
    original = running.twin.page

    def first_page_forever(request, items, envelope, default_sort):
        request.query["_offset"] = ["0"]
        return original(request, items, envelope, default_sort)

    monkeypatch.setattr(running.twin, "page", first_page_forever)
    with pytest.raises(LmsPaginationError, match="repeats page"):
        list(hook.iter_records("users", {"page_size": 10}))


def test_offsets_beyond_the_documented_maximum_are_an_error():
    paginator = AbsorbPaginator()
    request = paginator.start(PageRequest("GET", "/users"), 1)
    assert request.params == {"_offset": 0, "_limit": 1, "_sort": "id"}
    with pytest.raises(LmsPaginationError, match="raise page_size"):
        for _ in range(70_000):
            request = paginator.advance(request, PageResponse({}, {"totalItems": 10**6}, 1))
    assert paginator.page == 65536


# ---- connection ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "extra", "url"),
    [
        ("eu", {}, "https://rest.myabsorb.eu"),
        ("AU-sandbox", {}, "https://rest.sandbox.myabsorb.com.au"),
        ("rest.myabsorb.ca", {}, "https://rest.myabsorb.ca"),
        ("https://absorb-proxy.internal:8443/api", {}, "https://absorb-proxy.internal:8443/api"),
        (None, {"region": "us"}, "https://rest.myabsorb.com"),
        ("https://rest.myabsorb.com", {"region": "eu"}, "https://rest.myabsorb.com"),
    ],
)
def test_host_or_region_gives_the_base_url(connect, monkeypatch, host, extra, url):
    import json

    conn = {"conn_type": "absorb", "host": host, "login": "a", "password": "b", "extra": extra}
    monkeypatch.setenv("AIRFLOW_CONN_ABSORB_URL", json.dumps(conn))
    assert AbsorbHook("absorb_url").base_url() == url


@pytest.mark.parametrize(
    ("host", "extra", "words"),
    [
        ("acme.myabsorb.com", {}, "portal address"),
        ("https://acme.sandbox.myabsorb.eu/", {}, "portal address"),
        (None, {}, "no host"),
        (None, {"region": "mars"}, "'mars' is unknown"),
    ],
)
def test_a_portal_address_or_no_host_is_explained(monkeypatch, host, extra, words):
    import json

    conn = {"conn_type": "absorb", "host": host, "login": "a", "password": "b", "extra": extra}
    monkeypatch.setenv("AIRFLOW_CONN_ABSORB_URL", json.dumps(conn))
    with pytest.raises(LmsConfigError, match=words):
        AbsorbHook("absorb_url").base_url()


def test_test_connection_authenticates_and_reads_one_page(absorb):
    running, hook = absorb(fresh=True)
    ok, message = hook.test_connection()
    assert ok and "read 1 record(s) from users" in message
    assert running.twin.authentications == 1 and running.twin.count("GET", "^/users$", 200) == 1


def test_status_names_are_documented():
    from airflow_provider_lms.hooks.absorb import ATTEMPT_STATUS, ENROLLMENT_STATUS

    assert ENROLLMENT_STATUS[3] == "Complete" and len(ENROLLMENT_STATUS) == 13
    assert ATTEMPT_STATUS == {1: "InProgress", 3: "Complete", 5: "Failed"}
    status = next(p for p in ABSORB_CATALOG.get("user_lesson_enrollments").params if p.name == "status")
    assert "3=Complete" in status.description and "12=ReadyForReview" in status.description
