"""Every LearnUpon catalog endpoint over real HTTP against the twin, compared with the twin's data
filtered here by the documented semantics (an independent computation)."""

from __future__ import annotations

import pytest

from airflow_provider_lms.exceptions import (
    LmsAuthError,
    LmsConfigError,
    LmsHttpError,
    LmsPaginationError,
    LmsResponseError,
    LmsWindowError,
)
from airflow_provider_lms.vendors.learnupon.hook import LEARNUPON_CATALOG, LearnUponHook
from airflow_provider_lms.windows import parse_record_time

WINDOW = ("2026-10-10T00:00:00Z", "2026-10-17T00:00:00Z")


def _in_window(stamp, window=WINDOW):
    start, end = (parse_record_time(w) for w in window)
    return start <= parse_record_time(stamp) < end


def _expected(data, name, params, window):
    """What the documented API holds for one request, computed from the twin's data store."""

    def where(rows, **eq):
        return [r for r in rows if all(r[k] == v for k, v in eq.items())]

    exam = params.get("exam_id")
    table = {
        "users": lambda: data["users"],
        "courses": lambda: data["courses"],
        "enrollments": lambda: [
            e
            for e in where(
                data["enrollments"],
                **{k: params[k] for k in ("course_id", "user_id", "enrollment_status") if k in params},
            )
            if window is None or _in_window(e["updated_at"], window)
        ],
        "exam_results": lambda: where(data["exam_results"], exam_id=exam),
        "exam_question_answers": lambda: where(data["exam_question_answers"], exam_id=exam),
        "groups": lambda: data["groups"],
        "group_memberships": lambda: where(
            data["group_memberships"], **({"group_id": params["group_id"]} if "group_id" in params else {})
        ),
        "learning_paths": lambda: data["learning_paths"],
        "learning_path_enrollments": lambda: where(
            data["learning_path_enrollments"],
            **({"learning_path_id": params["learning_path_id"]} if "learning_path_id" in params else {}),
        ),
        "audit_trails": lambda: [t for t in data["audit_trails"] if _in_window(t["created_at"], window)],
        "certifications": lambda: data["certifications"],
        "live_learning_events": lambda: data["live_learning_events"],
        "leaderboards": lambda: data["leaderboards"],
        "course_completion_report": lambda: where(
            data["course_completion"], **({"course_id": params["course_id"]} if "course_id" in params else {})
        ),
    }
    return table[name]()


CASES = [
    ("users", {}, None),
    ("courses", {}, None),
    ("enrollments", {}, None),
    ("enrollments", {}, WINDOW),
    ("enrollments", {"course_id": 5004}, WINDOW),
    ("enrollments", {"enrollment_status": "passed"}, None),
    ("exam_results", {"exam_id": 9001}, None),
    ("exam_question_answers", {"exam_id": 9004}, None),
    ("groups", {}, None),
    ("group_memberships", {}, None),
    ("group_memberships", {"group_id": 303}, None),
    ("learning_paths", {}, None),
    ("learning_path_enrollments", {}, None),
    ("learning_path_enrollments", {"learning_path_id": 402}, None),
    ("audit_trails", {}, ("2026-10-05T12:00:00Z", "2026-10-08T12:00:00Z")),
    ("certifications", {}, None),
    ("live_learning_events", {}, None),
    ("leaderboards", {}, None),
    ("course_completion_report", {}, None),
    ("course_completion_report", {"course_id": 5002}, None),
]


def test_cases_cover_the_whole_catalog():
    assert {name for name, _, _ in CASES} == set(LEARNUPON_CATALOG.endpoints)


@pytest.mark.parametrize("fault_rate", [0.0, 0.05], ids=["clean", "faults5pct"])
@pytest.mark.parametrize(
    ("name", "params", "window"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_endpoint_extracts_exactly_what_the_api_holds(
    twin_factory, connect, name, params, window, fault_rate
):
    twin = twin_factory("learnupon", fault_rate=fault_rate, seed=3, page_cap=50)
    hook = LearnUponHook(connect(twin), backoff_base=0.001, max_attempts=8)
    got = list(hook.iter_records(name, {**params, "page_size": 50}, *(window or (None, None))))
    expected = _expected(twin.twin.data, name, params, window)
    assert expected, "a case must select something, or it proves nothing"
    assert got == expected
    if fault_rate:
        assert twin.twin.faults.injected > 0 or twin.twin.count() < 20


def test_faults_are_survived_over_a_long_extract(twin_factory, connect):
    twin = twin_factory("learnupon", fault_rate=0.05, seed=11, page_cap=50, scale=4)
    hook = LearnUponHook(connect(twin), backoff_base=0.001, max_attempts=8)
    got = list(hook.iter_records("enrollments", {"page_size": 10}))
    assert got == twin.twin.data["enrollments"]
    assert twin.twin.faults.injected >= 10
    assert twin.twin.count(status=429) + twin.twin.count(status=503) == twin.twin.faults.injected


@pytest.mark.parametrize("edges", ["inclusive", "exclusive"])
def test_window_edges_lose_nothing_whatever_the_server_inclusivity(twin_factory, connect, edges):
    twin = twin_factory("learnupon", date_edges=edges)
    hook = LearnUponHook(connect(twin))
    days = [(f"2026-10-0{d}T00:00:00Z", f"2026-10-0{d + 1}T00:00:00Z") for d in range(1, 9)]
    per_day = [list(hook.iter_records("enrollments", {}, *day)) for day in days]
    whole = list(hook.iter_records("enrollments", {}, days[0][0], days[-1][1]))
    flattened = sorted(r["id"] for day in per_day for r in day)
    assert flattened == sorted(r["id"] for r in whole)  # adjacent windows: no loss, no overlap
    assert sorted(r["id"] for r in whole) == sorted(
        e["id"]
        for e in twin.twin.data["enrollments"]
        if _in_window(e["updated_at"], (days[0][0], days[-1][1]))
    )


def test_default_page_size_is_the_official_maximum(twin_factory, connect):
    twin = twin_factory("learnupon", scale=5)
    hook = LearnUponHook(connect(twin))
    records = list(hook.iter_records("enrollments"))
    assert len(records) == len(twin.twin.data["enrollments"]) > 500
    assert twin.twin.count(path_pattern="/enrollments") == -(-len(records) // 500)


def test_wrong_credentials(twin_factory, connect):
    twin = twin_factory("learnupon")
    hook = LearnUponHook(connect(twin, password="not-the-password"))
    with pytest.raises(LmsAuthError, match="learnupon_test.*check its login, password") as error:
        list(hook.iter_records("users"))
    assert "not-the-password" not in str(error.value)
    ok, message = hook.test_connection()
    assert not ok and "rejected the credentials of this connection" in message


def test_test_connection_succeeds(twin_factory, connect):
    twin = twin_factory("learnupon")
    ok, message = LearnUponHook(connect(twin)).test_connection()
    assert ok, message
    assert "read 1 record(s) from users" in message


def test_unknown_endpoint_and_bad_parameters_fail_before_any_request(twin_factory, connect):
    twin = twin_factory("learnupon")
    hook = LearnUponHook(connect(twin))
    with pytest.raises(LmsConfigError, match="Did you mean enrollments"):
        hook.plan("enrolments")
    with pytest.raises(
        LmsConfigError, match=r"needs 'exam_id'; accepted parameters: exam_id \(required\), page_size"
    ):
        hook.plan("exam_results")
    with pytest.raises(LmsConfigError, match="does not accept 'course'.*course_id"):
        hook.plan("enrollments", {"course": 1})
    with pytest.raises(LmsConfigError, match="parameters must be a dict, not str"):
        hook.plan("users", "page_size=5")
    with pytest.raises(LmsConfigError, match=r"page_size=900 is out of range 1..500"):
        hook.plan("users", {"page_size": 900})
    with pytest.raises(LmsWindowError, match="CronDataIntervalTimetable"):
        hook.plan("audit_trails", None, "2026-10-05T00:00:00Z", "2026-10-05T00:00:00Z")
    assert twin.twin.count() == 0


def test_zero_width_window_is_fine_for_snapshot_endpoints(twin_factory, connect):
    twin = twin_factory("learnupon")
    hook = LearnUponHook(connect(twin))
    assert list(hook.iter_records("groups", None, "2026-10-05", "2026-10-05")) == twin.twin.data["groups"]


def test_server_lying_about_pages_is_an_error_not_a_loop(twin_factory, connect):
    twin = twin_factory("learnupon", lie_about_pages=True)
    hook = LearnUponHook(connect(twin))
    with pytest.raises(LmsPaginationError, match="repeats page"):
        list(hook.iter_records("groups", {"page_size": 4}))
    assert twin.twin.count() <= 5


def test_vendor_errors_reach_the_author(twin_factory, connect):
    twin = twin_factory("learnupon")
    hook = LearnUponHook(connect(twin))
    with pytest.raises(LmsHttpError, match="HTTP 404: Exam 1 not found"):
        list(hook.iter_records("exam_results", {"exam_id": 1}))
    with pytest.raises(LmsHttpError, match="last 30 days only"):
        list(hook.iter_records("audit_trails", None, "2026-08-01", "2026-08-02"))


def test_custom_endpoints(twin_factory, connect):
    twin = twin_factory("learnupon")
    hook = LearnUponHook(connect(twin))
    # A path override of a catalog entry (the guide's /enrollments instead of /enrollments/search).
    plain = list(hook.iter_records({"name": "enrollments", "path": "/enrollments"}, {"course_id": 5001}))
    assert plain == [e for e in twin.twin.data["enrollments"] if e["course_id"] == 5001]
    # A fully custom endpoint with metadata and headers, parameters passed through.
    custom = {"path": "/reports/course_completion", "records_path": "$.report[*]", "headers": "X-Trace:abc"}
    rows = list(hook.iter_records(custom, {"course_id": 5003}))
    assert rows == [r for r in twin.twin.data["course_completion"] if r["course_id"] == 5003]
    # A bare path: the one list in the envelope is found without a records_path.
    assert list(hook.iter_records("/groups", None)) == twin.twin.data["groups"]
    with pytest.raises(LmsResponseError, match=r"e.g. \$\.user\[\*\]"):
        list(hook.iter_records({"path": "/users", "records_path": "$.users[*]"}))
