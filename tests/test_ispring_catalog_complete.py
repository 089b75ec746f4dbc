"""Issue 12: every read of the iSpring Learn reference is in the catalog, and each added one extracts
exactly what the twin holds, over real HTTP through the hook (paged lists across several pages,
single objects as one record). Expected records come from the twin's data store, never typed in."""

from __future__ import annotations

import pytest

from airflow_provider_lms.exceptions import LmsConfigError
from airflow_provider_lms.sandbox import start_twin
from airflow_provider_lms.vendors.ispring.hook import ISPRING_CATALOG, IspringHook
from airflow_provider_lms.vendors.ispring.twin_data import TERMINATED, users_v2

#: The reads the reference documents (every GET and the POSTs titled List/Get/Find), as
#: (method, path): the issue's audit list.
REFERENCE_READS = {
    ("GET", p)
    for p in (
        "/content",
        "/contents",
        "/content/{contentId}",
        "/content/{contentId}/final_statuses",
        "/courses/modules",
        "/course_fields",
        "/course/{courseId}/modules",
        "/task/{taskId}/status",
        "/assignments",
        "/assignment/{assignmentId}/attempts/ungraded",
        "/learning_track/courses",
        "/courses_tree",
        "/quizzes",
        "/department",
        "/department/{departmentId}",
        "/departments",
        "/enrollment",
        "/enrollments",
        "/enrollment/{enrollmentId}",
        "/certificate/{issuedCertificateId}",
        "/gamification/points",
        "/group",
        "/group/smart/{groupId}/rules",
        "/group/{groupId}",
        "/groups",
        "/performance-management/competencies/scale/list",
        "/performance-management/competencies/group/list",
        "/performance-management/appraisal/session/{sessionId}/employee-card/list",
        "/performance-management/appraisal/session/{sessionId}/review/list",
        "/performance-management/appraisal/session/{sessionId}/results",
        "/performance-management/appraisal/session/{sessionId}/content/competencies",
        "/performance-management/appraisal/session/{sessionId}/info",
        "/report/active-users-by-period",
        "/report/answer-breakdown",
        "/training/{trainingId}",
        "/training/session/{trainingSessionId}",
        "/training/{trainingId}/sessions",
        "/training/day/{dayId}",
        "/training/session/participants/{sessionId}",
        "/user",
        "/user/{userId}",
        "/user/{userId}/v2",
        "/user/v2",
        "/users",
        "/users/v2",
        "/user/profile/fields",
        "/learners/results",
        "/learners/modules/results",
        "/role",
        "/webhook/subscription/list",
        "/webhook/subscriber/info",
    )  # fmt: skip
} | {
    ("POST", p)
    for p in (
        "/contents",
        "/enrollments",
        "/job-training/checklist/sessions/list",
        "/job-training/sessions/result/list",
        "/job-training/completed-session/criterion-group/result/list",
        "/job-training/completed-session/criterion/result/list",
        "/performance-management/competencies/competency/list",
        "/performance-management/competencies/profile/list",
        "/performance-management/appraisal/session/list",
        "/performance-management/appraisal/session/{sessionId}/user/attributes/list",
        "/users/find_existing",
        "/users/v2",
        "/user/list",
    )  # fmt: skip
}

ORIGINAL = {
    "learner_results", "learner_module_results", "users", "users_deprecated", "enrollments", "departments",
    "groups", "contents", "course_modules", "course_modules_deprecated", "assignments",
    "assignment_ungraded_attempts", "quizzes", "quiz_answers", "gamification_points",
    "content_final_statuses", "learning_track_courses",
}  # fmt: skip


def _values(ids):
    return [{"value": i} for i in ids]


def _ids(d, kind):
    return [c["contentItemId"] for c in d["contents"] if c["contentItemType"] == kind]


def _first_certificate(d):
    return next(e["certificate"]["issuedCertificateId"] for e in d["enrollments"] if "certificate" in e)


def _group_details(d, group):
    members = [u["userId"] for u in d["users"] if group["groupId"] in u["groups"]]
    return {"usersCount": len(members), **group, "userIds": members}


def _smart(d):
    return next(g for g in d["groups"] if g["isSmart"])["groupId"]


def _training(d):
    return next(iter(d["trainings"]))


def _session(d):
    return max(d["session_participants"], key=lambda k: len(d["session_participants"][k]))


def _appraisal(d):
    return d["appraisal_sessions"][0]["sessionId"]


def _passed_checklist(d):
    return next(r["checklistId"] for r in d["checklist_session_results"] if r["sessionStatus"] == "PASSED")


WINDOW = ("2026-10-01T00:00:00Z", "2026-10-20T00:00:00Z")


def _active(d, window):
    from airflow_provider_lms.windows import parse_record_time

    start, end = (parse_record_time(w) for w in window)
    return [u["userId"] for u in d["users"] if start <= parse_record_time(u["lastLoginDate"]) < end]


# (name, data -> parameters, data -> expected records, page size or None, window or None)
CASES = [
    ("users", lambda d: {}, users_v2, 7, None),
    (
        "users",
        lambda d: {"userIds": [u["userId"] for u in d["users"][3:9]]},
        lambda d: users_v2(d)[3:9],
        4,
        None,
    ),
    ("users_deprecated", lambda d: {}, lambda d: d["users"], 7, None),
    (
        "course_modules",
        lambda d: {"courseId": _ids(d, "Course")[2]},
        lambda d: [m for m in d["course_modules"] if m["courseId"] == _ids(d, "Course")[2]],
        None,
        None,
    ),
    (
        "course_modules_deprecated",
        lambda d: {"courseIds": _ids(d, "Course")},
        lambda d: d["course_modules"],
        7,
        None,
    ),
    ("content_list", lambda d: {}, lambda d: d["contents"], None, None),
    (
        "content_list",
        lambda d: {"contentTypes": ["Quiz"]},
        lambda d: [c for c in d["contents"] if c["contentItemType"] == "Quiz"],
        None,
        None,
    ),
    (
        "content_item",
        lambda d: {"contentId": d["contents"][3]["contentItemId"]},
        lambda d: [d["contents"][3]],
        None,
        None,
    ),
    ("course_fields", lambda d: {}, lambda d: d["course_fields"], None, None),
    ("courses_tree", lambda d: {}, lambda d: d["courses_tree"], None, None),
    (
        "contents_search",
        lambda d: {"contentTypes": ["Course", "Quiz"]},
        lambda d: [c for c in d["contents"] if c["contentItemType"] in ("Course", "Quiz")],
        5,
        None,
    ),
    ("department_list", lambda d: {}, lambda d: d["departments"], None, None),
    (
        "department_list",
        lambda d: {"code": "D03"},
        lambda d: [x for x in d["departments"] if x["code"] == "D03"],
        None,
        None,
    ),
    (
        "department",
        lambda d: {"departmentId": d["departments"][2]["departmentId"]},
        lambda d: [d["departments"][2]],
        None,
        None,
    ),
    ("group_list", lambda d: {}, lambda d: d["groups"], None, None),
    (
        "group",
        lambda d: {"groupId": d["groups"][1]["groupId"]},
        lambda d: [_group_details(d, d["groups"][1])],
        None,
        None,
    ),
    (
        "smart_group_rules",
        lambda d: {"groupId": _smart(d)},
        lambda d: [d["smart_group_rules"][_smart(d)]],
        None,
        None,
    ),
    ("enrollment_list", lambda d: {}, lambda d: d["enrollments"], None, None),
    (
        "enrollment_list",
        lambda d: {"learnerIds": [d["users"][4]["userId"]]},
        lambda d: [e for e in d["enrollments"] if e["learnerId"] == d["users"][4]["userId"]],
        None,
        None,
    ),
    (
        "enrollment",
        lambda d: {"enrollmentId": d["enrollments"][5]["enrollmentId"]},
        lambda d: [d["enrollments"][5]],
        None,
        None,
    ),
    (
        "certificate",
        lambda d: {"issuedCertificateId": _first_certificate(d)},
        lambda d: [{"url": f"https://sandbox.ispring.example/certificates/{_first_certificate(d)}.pdf"}],
        None,
        None,
    ),
    ("enrollments_search", lambda d: {}, lambda d: d["enrollments"], 40, None),
    (
        "enrollments_search",
        lambda d: {"courseIds": _ids(d, "Course")[:2]},
        lambda d: [e for e in d["enrollments"] if e["courseId"] in _ids(d, "Course")[:2]],
        9,
        None,
    ),
    ("user_list", lambda d: {}, lambda d: d["users"], None, None),
    (
        "user_list",
        lambda d: {"departments": [d["departments"][1]["departmentId"]]},
        lambda d: [u for u in d["users"] if u["departmentId"] == d["departments"][1]["departmentId"]],
        None,
        None,
    ),
    (
        "user",
        lambda d: {"userId": d["terminated_user_ids"][0]},
        lambda d: [_user(d["users"], d["terminated_user_ids"][0])],
        None,
        None,
    ),
    ("user_list_v2", lambda d: {}, users_v2, None, None),
    (
        "user_v2",
        lambda d: {"userId": d["terminated_user_ids"][0]},
        lambda d: [_user(users_v2(d), d["terminated_user_ids"][0])],
        None,
        None,
    ),
    ("user_profile_fields", lambda d: {}, lambda d: d["user_profile_fields"], None, None),
    ("roles", lambda d: {}, lambda d: d["roles"], None, None),
    ("users_search", lambda d: {}, users_v2, 8, None),
    (
        "users_search",
        lambda d: {"groups": [d["groups"][0]["groupId"]]},
        lambda d: [u for u in users_v2(d) if d["groups"][0]["groupId"] in u["groups"]],
        3,
        None,
    ),
    ("users_list_search", lambda d: {}, lambda d: d["users"], None, None),
    (
        "users_list_search",
        lambda d: {"logins": [u["fields"]["login"] for u in d["users"][:3]]},
        lambda d: d["users"][:3],
        None,
        None,
    ),
    (
        "users_find_existing",
        lambda d: {
            "userIds": [
                d["users"][0]["userId"],
                "00000000-0000-4000-8000-000000000000",
                d["users"][7]["userId"],
            ]
        },
        lambda d: _values([d["users"][0]["userId"], d["users"][7]["userId"]]),
        None,
        None,
    ),
    (
        "training",
        lambda d: {"trainingId": _training(d)},
        lambda d: [d["trainings"][_training(d)]],
        None,
        None,
    ),
    (
        "training_sessions",
        lambda d: {"trainingId": _training(d)},
        lambda d: [d["training_sessions"][s] for s in d["trainings"][_training(d)]["sessions"]],
        None,
        None,
    ),
    (
        "training_session",
        lambda d: {"trainingSessionId": _session(d)},
        lambda d: [d["training_sessions"][_session(d)]],
        None,
        None,
    ),
    (
        "training_session_participants",
        lambda d: {"sessionId": _session(d)},
        lambda d: _values(d["session_participants"][_session(d)]),
        None,
        None,
    ),
    (
        "training_day",
        lambda d: {"dayId": next(iter(d["training_days"]))},
        lambda d: [next(iter(d["training_days"].values()))],
        None,
        None,
    ),
    ("active_users", lambda d: {}, lambda d: _values(_active(d, WINDOW)), None, WINDOW),
    ("active_users", lambda d: {}, lambda d: _values([u["userId"] for u in d["users"]]), None, None),
    ("checklist_sessions", lambda d: {}, lambda d: d["checklists"], None, None),
    (
        "checklist_session_results",
        lambda d: {"checklistId": d["checklists"][1]["checklistId"]},
        lambda d: [
            r for r in d["checklist_session_results"] if r["checklistId"] == d["checklists"][1]["checklistId"]
        ],
        None,
        None,
    ),
    ("checklist_session_results", lambda d: {}, lambda d: d["checklist_session_results"], None, None),
    (
        "criterion_group_results",
        lambda d: {"checklistId": _passed_checklist(d)},
        lambda d: [r for r in d["criterion_group_results"] if r["checklistId"] == _passed_checklist(d)],
        None,
        None,
    ),
    ("criterion_results", lambda d: {}, lambda d: d["criterion_results"], None, None),
    ("competency_scales", lambda d: {}, lambda d: d["competency_scales"], None, None),
    ("competency_groups", lambda d: {}, lambda d: d["competency_groups"], None, None),
    ("competencies", lambda d: {}, lambda d: d["competencies"], None, None),
    (
        "competencies",
        lambda d: {"competencyIds": [d["competencies"][4]["competencyId"]]},
        lambda d: [d["competencies"][4]],
        None,
        None,
    ),
    ("competency_profiles", lambda d: {}, lambda d: d["competency_profiles"], None, None),
    ("appraisal_sessions", lambda d: {}, lambda d: d["appraisal_sessions"], None, None),
    (
        "appraisal_employee_cards",
        lambda d: {"sessionId": _appraisal(d)},
        lambda d: d["appraisal_employee_cards"][_appraisal(d)],
        None,
        None,
    ),
    (
        "appraisal_reviews",
        lambda d: {"sessionId": _appraisal(d)},
        lambda d: d["appraisal_reviews"][_appraisal(d)],
        None,
        None,
    ),
    (
        "appraisal_results",
        lambda d: {"sessionId": _appraisal(d)},
        lambda d: d["appraisal_results"][_appraisal(d)],
        None,
        None,
    ),
    (
        "appraisal_content_competencies",
        lambda d: {"sessionId": _appraisal(d)},
        lambda d: [d["appraisal_content"][_appraisal(d)]],
        None,
        None,
    ),
    (
        "appraisal_user_attributes",
        lambda d: {"sessionId": _appraisal(d)},
        lambda d: d["appraisal_user_attributes"][_appraisal(d)],
        None,
        None,
    ),
    (
        "appraisal_session_info",
        lambda d: {"sessionId": _appraisal(d)},
        lambda d: [d["appraisal_info"][_appraisal(d)]],
        None,
        None,
    ),
    ("task_status", lambda d: {"taskId": 1002}, lambda d: [d["task_statuses"]["1002"]], None, None),
    (
        "webhook_subscriptions",
        lambda d: {"subscriberName": "crm"},
        lambda d: d["webhook_subscriptions"]["crm"],
        None,
        None,
    ),
    (
        "webhook_subscriber",
        lambda d: {"subscriberName": "warehouse"},
        lambda d: [d["webhook_subscribers"]["warehouse"]],
        None,
        None,
    ),
]


def _user(users, user_id):
    return next(u for u in users if u["userId"] == user_id)


@pytest.fixture(scope="module")
def twin():
    running = start_twin("ispring")
    yield running
    running.stop()


def test_the_catalog_holds_every_reference_read_64():
    reads = {(e.method, e.path) for e in ISPRING_CATALOG}
    assert len(REFERENCE_READS) == 64
    assert reads == REFERENCE_READS
    assert len(ISPRING_CATALOG.endpoints) == 64


def test_every_added_read_has_an_extraction_case():
    assert {name for name, *_ in CASES} == set(ISPRING_CATALOG.endpoints) - ORIGINAL | {
        "users",
        "users_deprecated",
        "course_modules",
        "course_modules_deprecated",
    }


@pytest.mark.parametrize(
    ("name", "params", "expected", "page_size", "window"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_each_added_read_extracts_exactly_what_the_twin_holds(
    twin, connect, name, params, expected, page_size, window
):
    data = twin.twin.data
    hook = IspringHook(connect(twin), backoff_base=0.001)
    given = {**params(data), **({"page_size": page_size} if page_size else {})}
    want = expected(data)
    assert want, f"the twin holds no {name}: the comparison would prove nothing"
    got = list(hook.iter_records(name, given, *(window or (None, None))))
    assert got == want
    if page_size:  # the paged ones really crossed pages
        assert len(want) > page_size


def test_users_default_is_v2_and_reports_employment_ended(twin, connect):
    data = twin.twin.data
    hook = IspringHook(connect(twin))
    ended = set(data["terminated_user_ids"])
    assert ended
    current = {u["userId"]: u["status"] for u in hook.iter_records("users")}
    old = {u["userId"]: u["status"] for u in hook.iter_records("users_deprecated")}
    assert {i for i, s in current.items() if s == TERMINATED} == ended
    assert {old[i] for i in ended} == {3} and TERMINATED not in old.values()
    assert twin.twin.count(path_pattern="^/users/v2$") >= 1


def test_module_results_send_user_statuses_as_one_value(twin, connect):
    hook = IspringHook(connect(twin))
    plan = hook.plan("learner_module_results", {"userStatuses": 3})
    assert plan.request.params["userStatuses"] == 3 and "userStatuses[]" not in plan.request.params
    assert "userStatuses" not in hook.plan("learner_module_results", {}).request.params  # API default
    with pytest.raises(LmsConfigError, match="takes one value"):
        hook.plan("learner_module_results", {"userStatuses": [1, 3]})
    data = twin.twin.data
    users = {u["userId"]: u for u in data["users"]}
    blocked = [r for r in data["learner_module_results"] if users[r["userId"]]["status"] == 3]
    assert list(hook.iter_records("learner_module_results", {"userStatuses": 3})) == blocked
    # the course results keep their list, active AND blocked by default
    assert hook.plan("learner_results", {}).request.params["userStatuses[]"] == [1, 3]


def test_post_reads_send_their_filters_in_the_body(twin, connect):
    hook = IspringHook(connect(twin))
    plan = hook.plan("users_search", {"userIds": ["a", "b"], "page_size": 5})
    assert plan.endpoint.method == "POST" and plan.request.body == {"userIds": ["a", "b"]}
    enrollments = hook.plan("enrollments_search", {"page_size": 5})
    assert enrollments.request.body == {}  # pageSize is added to the body by its paginator
    with pytest.raises(LmsConfigError, match="needs 'userIds'"):
        hook.plan("users_find_existing", {})


def test_user_list_search_stops_when_one_response_holds_fewer_than_its_total(monkeypatch):
    """POST /user/list documents no next-page request: a reply with fewer users than its
    totalUsersNumber must stop the task, not write a silently cut file."""
    from airflow_provider_lms.exceptions import LmsPaginationError
    from tests.stubs import Reply, StubServer
    from tests.test_trust_security import _stub_connection

    def handler(request):
        if request.path == "/api/v3/token":
            return Reply.json({"access_token": "stub-token", "expires_in": 1800, "token_type": "bearer"})
        total = 5 if request.json().get("groups") == ["cut"] else 2
        profiles = [{"userId": "u1"}, {"userId": "u2"}]
        return Reply.json({"pageNumber": 1, "totalUsersNumber": total, "userProfiles": profiles})

    with StubServer(handler) as stub:
        conn_id = _stub_connection(monkeypatch, "ispring", stub, login="id", password="secret")
        hook = IspringHook(conn_id)
        assert list(hook.iter_records("users_list_search")) == [{"userId": "u1"}, {"userId": "u2"}]
        with pytest.raises(LmsPaginationError, match="totalUsersNumber=5"):
            list(hook.iter_records("users_list_search", {"groups": ["cut"]}))
