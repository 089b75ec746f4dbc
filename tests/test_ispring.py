"""Every iSpring Learn catalog endpoint over real HTTP against the twin, JSON and XML, compared with
the twin's data store filtered here by the documented semantics (an independent computation)."""

from __future__ import annotations

import pytest

from airflow_provider_lms.exceptions import LmsConfigError, LmsHttpError, LmsPaginationError, LmsWindowError
from airflow_provider_lms.sandbox import start_twin
from airflow_provider_lms.vendors.ispring.hook import ISPRING_CATALOG, IspringHook
from airflow_provider_lms.vendors.ispring.twin_data import users_v2
from airflow_provider_lms.windows import parse_record_time

WINDOW = ("2026-10-10T00:00:00Z", "2026-10-20T00:00:00Z")
BLOCKED = 3


def _in_window(stamp, window):
    start, end = (parse_record_time(w) for w in window)
    return start <= parse_record_time(stamp) < end


def _content_ids(data, kind):
    return [c["contentItemId"] for c in data["contents"] if c["contentItemType"] == kind]


def _expected(data, name, params, window):
    """What the documented API holds for one request, computed from the twin's data store."""
    users = {u["userId"]: u for u in data["users"]}
    enrollment_course = {e["enrollmentId"]: e["courseId"] for e in data["enrollments"]}

    def results(rows):
        if name == "learner_module_results":  # one value, as the reference types it: API default active
            statuses = {params.get("userStatuses", 1)}
        else:
            statuses = set(params.get("userStatuses", [1, BLOCKED]))  # our default: active AND blocked
        rows = [r for r in rows if users[r["userId"]]["status"] in statuses]
        for param, field in (("userIds", "userId"), ("courseIds", "courseId"), ("moduleIds", "moduleId")):
            if param in params:
                rows = [r for r in rows if r[field] in params[param]]
        if "departmentIds" in params:
            rows = [r for r in rows if users[r["userId"]]["departmentId"] in params["departmentIds"]]
        date_field = params.get("window_field", "completionDate")
        if window:
            rows = [r for r in rows if date_field in r and _in_window(r[date_field], window)]
        return rows

    def where(rows, field, values):
        return [r for r in rows if r[field] in values]

    table = {
        "learner_results": lambda: results(data["learner_results"]),
        "learner_module_results": lambda: results(data["learner_module_results"]),
        "users": lambda: users_v2(data),
        "enrollments": lambda: (
            where(data["enrollments"], "courseId", params["courseIds"])
            if "courseIds" in params
            else data["enrollments"]
        ),
        "departments": lambda: data["departments"],
        "groups": lambda: data["groups"],
        "contents": lambda: (
            where(data["contents"], "contentItemType", params["contentTypes"])
            if "contentTypes" in params
            else data["contents"]
        ),
        "course_modules_deprecated": lambda: where(data["course_modules"], "courseId", params["courseIds"]),
        "assignments": lambda: data["assignments"],
        "assignment_ungraded_attempts": lambda: data["ungraded_attempts"][params["assignmentId"]],
        "quizzes": lambda: data["quizzes"],
        "quiz_answers": lambda: [
            r
            for r in data["quiz_answers"][params["quizId"]]
            if (window is None or _in_window(r["attemptDate"], window))
            and (
                "parentCourseId" not in params
                or enrollment_course[r["enrollmentId"]] == params["parentCourseId"]
            )
        ],
        "gamification_points": lambda: (
            where(data["gamification_points"], "userId", params["userIds"])
            if "userIds" in params
            else data["gamification_points"]
        ),
        "content_final_statuses": lambda: data["final_statuses"][params["contentId"]],
        "learning_track_courses": lambda: where(
            data["learning_track_courses"], "learningTrackId", params["learningTrackIds"]
        ),
    }
    return table[name]()


# (endpoint, data -> parameters, window). Ids come from the twin's data, never typed in here.
CASES = [
    ("learner_results", lambda d: {}, WINDOW),
    ("learner_results", lambda d: {"window_field": "accessDate"}, WINDOW),
    ("learner_results", lambda d: {"window_field": "dueDate"}, WINDOW),
    ("learner_results", lambda d: {"userIds": [u["userId"] for u in d["users"][:12]]}, None),
    ("learner_module_results", lambda d: {}, WINDOW),
    ("learner_module_results", lambda d: {"courseIds": _content_ids(d, "Course")[:3]}, None),
    ("users", lambda d: {}, None),
    ("enrollments", lambda d: {}, None),
    ("enrollments", lambda d: {"courseIds": _content_ids(d, "Course")[2:5]}, None),
    ("departments", lambda d: {}, None),
    ("groups", lambda d: {}, None),
    ("contents", lambda d: {}, None),
    ("contents", lambda d: {"contentTypes": ["Quiz", "Assignment"]}, None),
    ("course_modules_deprecated", lambda d: {"courseIds": _content_ids(d, "Course")}, None),
    ("assignments", lambda d: {}, None),
    ("assignment_ungraded_attempts", lambda d: {"assignmentId": d["assignments"][1]["assignmentId"]}, None),
    ("quizzes", lambda d: {}, None),
    ("quiz_answers", lambda d: {"quizId": d["quizzes"][0]["quizId"]}, None),
    (
        "quiz_answers",
        lambda d: {"quizId": d["quizzes"][1]["quizId"]},
        ("2026-09-20T00:00:00Z", "2026-10-25T00:00:00Z"),
    ),
    ("gamification_points", lambda d: {}, None),
    ("gamification_points", lambda d: {"userIds": [u["userId"] for u in d["users"][5:9]]}, None),
    ("content_final_statuses", lambda d: {"contentId": _content_ids(d, "Course")[4]}, None),
    ("learning_track_courses", lambda d: {"learningTrackIds": _content_ids(d, "LearningTrack")[:2]}, None),
]


def _extract(twin, connect, name, params, window, page_size=7):
    hook = IspringHook(connect(twin), backoff_base=0.001, max_attempts=8)
    records = list(hook.iter_records(name, {**params, "page_size": page_size}, *(window or (None, None))))
    return hook, records


def test_cases_cover_the_whole_catalog():
    # The reads added for issue 12 are extracted in tests/test_ispring_catalog_complete.py.
    from tests.test_ispring_catalog_complete import CASES as ADDED

    assert {name for name, _, _ in CASES} | {c[0] for c in ADDED} == set(ISPRING_CATALOG.endpoints)


@pytest.fixture(scope="module")
def read_only_twins():
    """One JSON and one XML twin shared by the read-only cases (a twin takes 0.5 s to stop)."""
    twins = {fmt: start_twin("ispring", xml_always=fmt == "xml") for fmt in ("json", "xml")}
    yield twins
    for twin in twins.values():
        twin.stop()


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("name", "params", "window"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_endpoint_extracts_exactly_what_the_api_holds(read_only_twins, connect, fmt, name, params, window):
    twin = read_only_twins[fmt]
    data = twin.twin.data
    _, got = _extract(twin, connect, name, params(data), window)
    expected = _expected(data, name, params(data), window)
    assert expected, "a case must select something, or it proves nothing"
    assert got == expected


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_whole_catalog_survives_five_percent_429_and_503(twin_factory, connect, fmt):
    twin = twin_factory("ispring", xml_always=fmt == "xml", fault_rate=0.05, seed=7)
    data = twin.twin.data
    retries = 0
    for name, params, window in CASES:
        hook, got = _extract(twin, connect, name, params(data), window)
        assert got == _expected(data, name, params(data), window), name
        retries += hook.transport.retry_count
    injected = twin.twin.faults.injected
    assert injected >= 5, "the run must really meet faults"
    assert twin.twin.count(status=429) + twin.twin.count(status=503) == injected == retries


def test_blocked_users_results_are_included_by_default(twin_factory, connect):
    twin = twin_factory("ispring")
    data = twin.twin.data
    hook = IspringHook(connect(twin))
    status = {u["userId"]: u["status"] for u in data["users"]}
    everyone = list(hook.iter_records("learner_results"))
    assert everyone == data["learner_results"]  # the twin's users are all active (1) or blocked (3)
    assert any(status[r["userId"]] == BLOCKED for r in everyone)
    # Narrowing, as the docs describe it:
    active = list(hook.iter_records("learner_results", {"userStatuses": [1]}))
    assert active == [r for r in data["learner_results"] if status[r["userId"]] == 1]
    # What the API alone does (userStatuses left out): blocked users' results vanish.
    api_default = list(hook.iter_records("learner_results", {"userStatuses": None}))
    assert api_default == active and len(active) < len(everyone)


def test_arrays_travel_php_style_so_no_id_is_dropped(twin_factory, connect):
    twin = twin_factory("ispring")
    data = twin.twin.data
    two_users = [data["users"][3]["userId"], data["users"][4]["userId"]]
    got = list(IspringHook(connect(twin)).iter_records("learner_results", {"userIds": two_users}))
    # `userIds=a&userIds=b` would reach PHP as just b: both users' results must be here.
    assert {r["userId"] for r in got} == set(two_users)
    assert got == [r for r in data["learner_results"] if r["userId"] in two_users]


@pytest.mark.parametrize("edges", ["inclusive", "exclusive"])
def test_window_edges_lose_nothing_whatever_the_server_inclusivity(twin_factory, connect, edges):
    twin = twin_factory("ispring", date_edges=edges)
    hook = IspringHook(connect(twin))
    days = [(f"2026-10-{d:02d}T00:00:00Z", f"2026-10-{d + 1:02d}T00:00:00Z") for d in range(1, 15)]
    whole_window = (days[0][0], days[-1][1])
    per_day = [r for day in days for r in hook.iter_records("learner_results", {}, *day)]
    whole = list(hook.iter_records("learner_results", {}, *whole_window))
    expected = [
        r
        for r in twin.twin.data["learner_results"]
        if _in_window(r.get("completionDate", "1970-01-01"), whole_window)
    ]
    on_midnight = [r for r in expected if r["completionDate"].endswith("T00:00:00+00:00")]
    assert on_midnight, "the data must put records exactly on the window edges"
    assert whole == expected
    assert sorted(r["enrollmentId"] for r in per_day) == sorted(r["enrollmentId"] for r in expected)


def test_paging_follows_tokens_including_the_modules_typo(twin_factory, connect):
    twin = twin_factory("ispring")
    data = twin.twin.data
    course_ids = _content_ids(data, "Course")
    _, got = _extract(
        twin, connect, "course_modules_deprecated", {"courseIds": course_ids}, None, page_size=5
    )
    assert got == data["course_modules"]
    assert twin.twin.count("GET", "/courses/modules") == -(-len(got) // 5) > 1


def test_default_page_size_is_the_api_default(twin_factory, connect):
    twin = twin_factory("ispring", scale=3)
    data = twin.twin.data
    got = list(IspringHook(connect(twin)).iter_records("learner_module_results", {"userStatuses": 1}))
    active = {u["userId"] for u in data["users"] if u["status"] == 1}
    assert len(got) == len([r for r in data["learner_module_results"] if r["userId"] in active]) > 1000
    assert twin.twin.count("GET", "/learners/modules/results") == 2


def test_repeated_page_token_is_an_error_not_a_loop(twin_factory, connect):
    twin = twin_factory("ispring", repeat_token=True)
    with pytest.raises(LmsPaginationError, match="page token .* twice"):
        list(IspringHook(connect(twin)).iter_records("users", {"page_size": 10}))
    assert twin.twin.count("GET", "/users") <= 3


def test_bad_input_fails_before_any_request(read_only_twins, connect):
    twin = read_only_twins["json"]
    before = twin.twin.count()
    hook = IspringHook(connect(twin))
    with pytest.raises(LmsConfigError, match="Did you mean learner_results"):
        hook.plan("learner_result")
    with pytest.raises(LmsConfigError, match=r"needs 'courseId'"):
        hook.plan("course_modules")
    with pytest.raises(LmsConfigError, match=r"needs 'courseIds'"):
        hook.plan("course_modules_deprecated")
    with pytest.raises(LmsConfigError, match=r"needs 'quizId'"):
        hook.plan("quiz_answers")
    with pytest.raises(LmsConfigError, match=r"window_field='createdDate' is not one of"):
        hook.plan("learner_results", {"window_field": "createdDate"}, *WINDOW)
    with pytest.raises(LmsConfigError, match="does not accept 'userId'.*userIds"):
        hook.plan("learner_results", {"userId": "x"})
    with pytest.raises(LmsConfigError, match=r"page_size=5000 is out of range 1..1000"):
        hook.plan("users", {"page_size": 5000})
    with pytest.raises(LmsWindowError, match="CronDataIntervalTimetable"):
        hook.plan("learner_results", None, "2026-10-05T00:00:00Z", "2026-10-05T00:00:00Z")
    with pytest.raises(LmsWindowError, match="not a date"):
        hook.plan("learner_results", None, "yesterday-ish", "2026-10-05")
    assert twin.twin.count() == before


def test_the_plan_sends_the_documented_query(read_only_twins, connect):
    twin = read_only_twins["json"]
    before = twin.twin.count()
    hook = IspringHook(connect(twin))
    plan = hook.plan("learner_results", {"userIds": ["u1", "u2"]}, *WINDOW)
    assert plan.request.params == {
        "userIds[]": ["u1", "u2"],
        "userStatuses[]": [1, 3],
        "completionDate[startDate]": "2026-10-09T23:59:59Z",
        "completionDate[endDate]": "2026-10-20T00:00:01Z",
    }
    tracks = hook.plan("learning_track_courses", {"learningTrackIds": ["t1", "t2"]})
    assert tracks.request.params == {"learningTrackIds": "t1,t2"}  # a comma-separated string there
    assert twin.twin.count() == before


def test_vendor_errors_reach_the_author(read_only_twins, connect):
    twin = read_only_twins["json"]
    hook = IspringHook(connect(twin))
    with pytest.raises(LmsHttpError, match="HTTP 404: Assignment not found"):
        list(
            hook.iter_records(
                "assignment_ungraded_attempts", {"assignmentId": "00000000-0000-4000-8000-000000000000"}
            )
        )
    with pytest.raises(LmsHttpError, match="HTTP 400: quizId is required and must name a quiz"):
        list(hook.iter_records("quiz_answers", {"quizId": "00000000-0000-4000-8000-000000000000"}))


def test_custom_paths_and_overrides_use_the_same_paging_and_formats(read_only_twins, connect):
    twin = read_only_twins["xml"]
    data = twin.twin.data
    hook = IspringHook(connect(twin))
    custom = list(
        hook.iter_records({"path": "/learners/modules/results"}, {"userStatuses": 3, "page_size": 40})
    )
    blocked = {u["userId"] for u in data["users"] if u["status"] == 3}
    assert custom == [r for r in data["learner_module_results"] if r["userId"] in blocked]
    localized = {"name": "contents", "headers": {"X-Target-Locale": "de-DE"}}
    assert list(hook.iter_records(localized, {"page_size": 5})) == data["contents"]


def test_hook_asks_for_json_and_gets_it(read_only_twins, connect):
    twin = read_only_twins["json"]
    hook = IspringHook(connect(twin))
    exchange = hook.transport.exchange(hook.plan("groups").request)
    assert exchange.response.request.headers["Accept"] == "application/json"
    assert exchange.response.headers["Content-Type"] == "application/json"
    assert exchange.body["groups"] == twin.twin.data["groups"]
