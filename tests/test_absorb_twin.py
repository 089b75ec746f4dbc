"""The Absorb twin enforces the documented rules that break naive clients (raw HTTP, no hook)."""

from __future__ import annotations

import pytest
import requests

from airflow_provider_lms.vendors.absorb.twin_odata import ODataError, compile_filter


@pytest.fixture
def absorb(twin_factory):
    return twin_factory("absorb")


def _authenticate(running) -> str:
    twin = running.twin
    reply = requests.post(
        f"{running.url}/authenticate",
        json={"username": twin.username, "password": twin.password, "privateKey": twin.private_key},
        headers={"x-api-key": twin.private_key, "x-api-version": "2"},
        timeout=5,
    )
    assert reply.status_code == 200
    token = reply.json()
    assert isinstance(token, str) and token  # a bare JSON string, not an object
    return token


def _get(running, path, token, **params):
    headers = {
        "Authorization": f"Bearer {token}",
        "x-api-key": running.twin.private_key,
        "x-api-version": "2",
    }
    return requests.get(f"{running.url}{path}", params=params, headers=headers, timeout=5)


def test_a_new_authentication_invalidates_the_previous_token(absorb):
    first = _authenticate(absorb)
    assert _get(absorb, "/users", first).status_code == 200
    second = _authenticate(absorb)
    assert second != first
    assert _get(absorb, "/users", first).status_code == 401
    assert _get(absorb, "/users", second).status_code == 200


def test_tokens_expire_after_four_hours(absorb):
    token = _authenticate(absorb)
    absorb.twin.advance(4 * 3600 - 5)
    assert _get(absorb, "/users", token).status_code == 200
    absorb.twin.advance(10)
    assert _get(absorb, "/users", token).status_code == 401


def test_api_key_and_version_headers_are_required(absorb):
    token = _authenticate(absorb)
    url = f"{absorb.url}/users"
    bearer = {"Authorization": f"Bearer {token}"}
    no_key = requests.get(url, headers={**bearer, "x-api-version": "2"}, timeout=5)
    no_version = requests.get(url, headers={**bearer, "x-api-key": absorb.twin.private_key}, timeout=5)
    assert (no_key.status_code, no_version.status_code) == (401, 400)


def test_wrong_credentials_are_refused(absorb):
    twin = absorb.twin
    reply = requests.post(
        f"{absorb.url}/authenticate",
        json={"username": twin.username, "password": "wrong", "privateKey": twin.private_key},
        headers={"x-api-key": twin.private_key, "x-api-version": "2"},
        timeout=5,
    )
    assert reply.status_code == 401 and twin.authentications == 0


def test_offset_is_a_page_index_and_limit_is_capped(absorb):
    token = _authenticate(absorb)
    users = sorted(absorb.twin.data["users"], key=lambda u: u["id"])
    page = _get(absorb, "/users", token, _limit=5, _offset=2, _sort="id").json()
    assert [u["id"] for u in page["users"]] == [u["id"] for u in users[10:15]]  # page 2, not row 2
    assert (page["totalItems"], page["returnedItems"], page["limit"], page["offset"]) == (len(users), 5, 5, 2)
    default = _get(absorb, "/users", token).json()
    assert default["limit"] == 20 and default["returnedItems"] == 20
    big = _get(absorb, "/users", token, _limit=5000).json()
    assert big["limit"] == 1000 and big["returnedItems"] == len(users)
    assert _get(absorb, "/users", token, _offset=65536).status_code == 400


def test_ties_of_the_default_sort_move_between_requests_unless_a_unique_sort_is_given(absorb):
    token = _authenticate(absorb)
    course = max(
        absorb.twin.data["courses"],
        key=lambda c: sum(e["courseId"] == c["id"] for e in absorb.twin.data["course_enrollments"]),
    )
    path = f"/courses/{course['id']}/enrollments"
    orders = {
        tuple(e["id"] for e in _get(absorb, path, token, _sort="status", _limit=1000).json()["enrollments"])
        for _ in range(5)
    }
    assert len(orders) > 1  # status repeats: ties shuffle, which is what shifts pages
    stable = {
        tuple(
            e["id"] for e in _get(absorb, path, token, _sort="status,id", _limit=1000).json()["enrollments"]
        )
        for _ in range(5)
    }
    assert len(stable) == 1


def test_filter_selects_with_the_odata_subset(absorb):
    token = _authenticate(absorb)
    expression = (
        "dateEdited ge datetime'2026-10-10T00:00:00Z' and dateEdited lt datetime'2026-10-20T00:00:00Z'"
    )
    got = _get(absorb, "/users", token, _filter=expression, _limit=1000).json()["users"]
    expected = [
        u
        for u in absorb.twin.data["users"]
        if "2026-10-10T00:00:00Z" <= u["dateEdited"] < "2026-10-20T00:00:00Z"
    ]
    assert sorted(u["id"] for u in got) == sorted(u["id"] for u in expected) and expected
    assert _get(absorb, "/users", token, _filter="dateEdited between 1 and 2").status_code == 400
    assert _get(absorb, "/users", token, _filter="nosuchfield eq 1").status_code == 400


@pytest.mark.parametrize(
    ("expression", "matches"),
    [
        ("status eq 3", [3]),
        ("status ne 3", [1, 5]),
        ("status gt 1 and status le 5", [3, 5]),
        ("not (status eq 1) and score ge 50", [3]),
        ("status eq 1 or (status eq 5 and score lt 50)", [1, 5]),
        ("startswith(name,'Ad') or endswith(name,'ra')", [1, 5]),
        ("substringof('ie', tolower(NAME))", [3]),
        ("toupper(name) eq 'ADA'", [1]),
        ("when lt datetime'2026-10-10T00:00:00Z'", [1]),
        ("when ge datetime'2026-10-10T00:00:00Z'", [3]),
        ("id eq guid'A14C149A-2CE0-41D4-B532-02189AD3CB22'", [5]),
        ("when eq null", [5]),
        ("name eq 'O''Brien'", [3]),
    ],
)
def test_odata_subset(expression, matches):
    records = [
        {"status": 1, "score": 10, "name": "Ada", "when": "2026-10-09T23:59:59.500Z", "id": "x"},
        {"status": 3, "score": 90, "name": "O'Brien", "when": "2026-10-10T00:00:00Z", "id": "y"},
        {
            "status": 5,
            "score": 40,
            "name": "Vera",
            "when": None,
            "id": "a14c149a-2ce0-41d4-b532-02189ad3cb22",
        },
    ]
    keep = compile_filter(expression, {"status", "score", "name", "when", "id"})
    assert [r["status"] for r in records if keep(r)] == matches


@pytest.mark.parametrize(
    "expression", ["", "status eq", "status eq 1 and", "(status eq 1", "status ~ 1", "foo(status)"]
)
def test_odata_rejects_what_it_does_not_understand(expression):
    with pytest.raises(ODataError):
        compile_filter(expression, {"status"})


def test_modified_since_means_edited_after(twin_factory):
    for edge, included in (("after", False), ("at-or-after", True)):
        running = twin_factory("absorb", modified_since_edge=edge)
        token = _authenticate(running)
        lesson = running.twin.data["lesson_enrollments"][0]
        enrollment = next(
            e for e in running.twin.data["course_enrollments"] if e["id"] == lesson["courseEnrollmentId"]
        )
        path = f"/users/{enrollment['userId']}/enrollments/{enrollment['courseId']}/lessons"
        got = _get(running, path, token, modifiedSince=lesson["dateEdited"]).json()
        assert (lesson["id"] in [r["id"] for r in got]) is included
