"""Issue 12: the LearnWorlds catalog holds every read of the OpenAPI (58), each added read extracts
exactly what the twin holds through the hook (single objects as one record, paged lists across
several pages), ``users`` takes ``cf_<field>`` custom-field filters, and the fixed-size lists
refuse a ``page_size`` they would ignore. Expected records come from the twin's store."""

from __future__ import annotations

import pytest

from airflow_provider_lms.endpoint_table import render
from airflow_provider_lms.exceptions import LmsConfigError
from airflow_provider_lms.sandbox import start_twin
from airflow_provider_lms.vendors.learnworlds.hook import LEARNWORLDS_CATALOG, LearnWorldsHook
from airflow_provider_lms.vendors.learnworlds.twin_reads import groups_of, seats_of, user_role_of

FAST = {"rate_limit": 100_000, "rate_window": 1.0}  # the limiter never gets in the way
SMALL_PAGES = 7

#: The 17 reads the catalog lacked (the issue's list), by path.
ADDED = {
    "course": "/courses/{course_id}",
    "bundle": "/bundles/{bundle_id}",
    "subscription_plan": "/subscription-plans/{plan_id}",
    "user": "/users/{user_id}",
    "payment": "/payments/{payment_id}",
    "payment_invoice_link": "/payments/{payment_id}/invoice-link",
    "promotion": "/promotions/{promotion_id}",
    "seat": "/seats/{seat_id}",
    "user_group": "/user_groups/{user_group_id}",
    "user_role_of_user": "/users/{user_id}/user-role",
    "community_space": "/community/spaces/{space_id}",
    "community_post": "/community/posts/{post_id}",
    "form_responses": "/forms/{form_id}/responses",
    "seat_users": "/seats/{seat_id}/users",
    "user_group_users": "/user_groups/{user_group_id}/users",
    "user_seats": "/users/{user_id}/seats",
    "user_user_groups": "/users/{user_id}/user-groups",
}


def _scoped(records, **ids):
    return [{**r, "_parameters": ids} for r in records]


def _users_with(data, ids):
    wanted = set(ids)
    return [u for u in data["users"] if u["id"] in wanted]


def _most(items, key):
    return max(items, key=key)


def added_case(name: str, data: dict) -> tuple[dict, list[dict]]:
    """(parameters, expected records) of one added read; ids are the richest of their kind."""
    members = data["seat_memberships"]
    seat = _most(data["seats"], lambda s: sum(m["seat_id"] == s["id"] for m in members))["id"]
    group = _most(data["user_groups"], lambda g: len(data["group_members"][g["id"]]))["id"]
    holder = _most(data["users"], lambda u: len(seats_of(data, u["id"])) + len(groups_of(data, u["id"])))
    form = _most(data["form_responses"], lambda k: len(data["form_responses"][k]))
    payment = data["payments"][3]
    manager = data["seats"][0]["managers"][0]["id"]
    singles = {
        "course": ("course_id", data["courses"][5]),
        "bundle": ("bundle_id", data["bundles"][1]),
        "subscription_plan": ("plan_id", data["subscription_plans"][0]),
        "user": ("user_id", next(u for u in data["users"] if not u["is_suspended"])),
        "payment": ("payment_id", payment),
        "promotion": ("promotion_id", data["promotions"][0]),
        "seat": ("seat_id", data["seats"][2]),
        "user_group": ("user_group_id", data["user_groups"][1]),
        "community_space": ("space_id", data["community_spaces"][3]),
        "community_post": ("post_id", data["community_posts"][4]),
    }
    if name in singles:
        key, record = singles[name]
        return {key: record["id"]}, _scoped([record], **{key: record["id"]})
    if name == "payment_invoice_link":
        return {"payment_id": payment["id"]}, _scoped(
            [data["invoice_links"][payment["id"]]], payment_id=payment["id"]
        )
    if name == "user_role_of_user":
        user = data["user_index"][manager]
        return {"user_id": manager}, _scoped([user_role_of(data, user)], user_id=manager)
    if name == "form_responses":
        return {"form_id": form}, _scoped(data["form_responses"][form], form_id=form)
    if name == "seat_users":
        ids = [m["user_id"] for m in members if m["seat_id"] == seat]
        return {"seat_id": seat}, _scoped(_users_with(data, ids), seat_id=seat)
    if name == "user_group_users":
        return {"user_group_id": group}, _scoped(
            _users_with(data, data["group_members"][group]), user_group_id=group
        )
    if name == "user_seats":
        return {"user_id": holder["id"]}, _scoped(seats_of(data, holder["id"]), user_id=holder["id"])
    if name == "user_user_groups":
        return {"user_id": holder["id"]}, _scoped(groups_of(data, holder["id"]), user_id=holder["id"])
    raise AssertionError(f"no expectation for {name}")


@pytest.fixture(scope="module")
def school():
    twin = start_twin("learnworlds", fixed_page_size=SMALL_PAGES, **FAST)
    yield twin
    twin.stop()


def _hook(conn_id: str) -> LearnWorldsHook:
    return LearnWorldsHook(conn_id, backoff_base=0.01)


def test_the_catalog_holds_58_reads_including_the_17_added():
    paths = {e.name: e.path for e in LEARNWORLDS_CATALOG}
    assert len(paths) == 58
    assert {name: paths.get(name) for name in ADDED} == ADDED
    assert all(e.method == "GET" for e in LEARNWORLDS_CATALOG)


@pytest.mark.parametrize("name", sorted(ADDED))
def test_each_added_read_extracts_exactly_what_the_school_holds(school, connect, name):
    conn_id = connect(school, "lw_added")
    params, expected = added_case(name, school.twin.data)
    endpoint = LEARNWORLDS_CATALOG.get(name)
    paging = {"page_size": SMALL_PAGES} if endpoint.max_page_size else {}
    assert expected, f"the twin holds no {name}: the comparison would prove nothing"
    before = school.twin.count()
    got = list(_hook(conn_id).iter_records(name, {**params, **paging}))
    assert got == expected
    if endpoint.records_path == "$":
        assert len(got) == 1
    if name in ("form_responses", "seat_users", "user_group_users"):  # paged lists crossed pages
        assert len(expected) > SMALL_PAGES and school.twin.count() - before >= 2


def test_users_filter_by_custom_fields(school, connect):
    data = school.twin.data
    conn_id = connect(school, "lw_cf")
    custom = data["user_custom_fields"]
    wanted = {"cf_department": "support", "cf_region": "emea"}
    expected = [
        u
        for u in data["users"]
        if not u["is_suspended"] and all(custom[u["id"]][k] == v for k, v in wanted.items())
    ]
    assert 0 < len(expected) < len([u for u in data["users"] if not u["is_suspended"]])
    got = list(_hook(conn_id).iter_records("users", {**wanted, "page_size": SMALL_PAGES}))
    assert got == expected
    with pytest.raises(LmsConfigError, match=r"does not accept 'department'.*cf_<field>"):
        _hook(conn_id).plan("users", {"department": "support"})
    with pytest.raises(LmsConfigError, match="does not accept 'cf_'"):
        _hook(conn_id).plan("users", {"cf_": "x"})  # the prefix alone names no field


def test_fixed_page_size_lists_refuse_page_size_and_the_table_says_so(school, connect):
    conn_id = connect(school, "lw_fixed")
    fixed = [e for e in LEARNWORLDS_CATALOG if e.fixed_page_size]
    assert {"courses", "seats", "seat_users", "user_group_users", "event_logs"} <= {e.name for e in fixed}
    assert not LEARNWORLDS_CATALOG.get("users").fixed_page_size
    before = school.twin.count()
    for endpoint in fixed:
        with pytest.raises(LmsConfigError, match="the vendor fixes the page size"):
            _hook(conn_id).plan(endpoint.name, {"page_size": 10})
        assert "page_size" not in endpoint.accepted_params()
    assert school.twin.count() == before  # refused before any request
    table = render()
    for endpoint in LEARNWORLDS_CATALOG:
        row = next(
            line for line in table.splitlines() if f"| `{endpoint.name}` |" in line and "learnworlds" in line
        )
        assert ("page size fixed by the vendor" in row) == endpoint.fixed_page_size, endpoint.name
    # the preview of a fixed-size list asks for no page size (it would be refused)
    assert _hook(conn_id).preview("courses", limit=3).records == school.twin.data["courses"][:3]
