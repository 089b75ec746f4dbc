"""LearnWorlds hook against the twin over real HTTP: every catalog endpoint extracts exactly what the
school holds (expected records computed here from the twin's store), with and without injected
429/503; token, paging, windows, filters and bad input."""

from __future__ import annotations

import json
import logging
import math

import pendulum
import pytest
import requests

from airflow_provider_lms.exceptions import (
    LmsAuthError,
    LmsConfigError,
    LmsHttpError,
    LmsPaginationError,
    LmsResponseError,
    LmsWindowError,
)
from airflow_provider_lms.sandbox import start_twin
from airflow_provider_lms.vendors.learnworlds.hook import LEARNWORLDS_CATALOG, LearnWorldsHook, api_root

FAST = {"rate_limit": 100_000, "rate_window": 1.0}  # a twin whose limit never gets in the way
SMALL_PAGES = 7  # twin fixed page size and our page_size: every list spans several pages


def hook(conn_id: str, **kwargs) -> LearnWorldsHook:
    return LearnWorldsHook(conn_id, backoff_base=0.01, **kwargs)


def paged_params(name: str) -> dict:
    return {"page_size": SMALL_PAGES} if LEARNWORLDS_CATALOG.get(name).max_page_size else {}


# ---- what each endpoint should return, computed from the twin's store ---------------------------


def _most(items, key):
    return max(items, key=key)


def pick_ids(data: dict) -> dict:
    """The richest id of each kind, so per-id lists span several pages."""
    access = data["product_access"]
    course_id = _most(data["courses"], lambda c: sum(a["product"]["id"] == c["id"] for a in access))["id"]
    user_id = _most(data["users"], lambda u: sum(a["user_id"] == u["id"] for a in access))["id"]
    enrolled_course = next(
        a["product"]["id"] for a in access if a["user_id"] == user_id and a["product"]["type"] == "course"
    )
    promotion = _most(data["promotions"], lambda p: len(p["coupons"]))
    coupon = _most(promotion["coupons"], lambda c: sum(p["coupon"] == c["code"] for p in data["payments"]))
    affiliate_id = _most(
        data["affiliates"], lambda a: sum(u["referrer_id"] == a["id"] for u in data["users"])
    )["id"]
    return {
        "course_id": course_id,
        "unit_id": data["contents"][course_id]["sections"][0]["learningUnits"][0]["id"],
        "user_id": user_id,
        "enrolled_course": enrolled_course,
        "promotion_id": promotion["id"],
        "coupon_code": coupon["code"],
        "affiliate_id": affiliate_id,
        "assessment_id": _most(data["assessment_responses"], lambda k: len(data["assessment_responses"][k])),
        "space_id": _most(data["space_members"], lambda k: len(data["space_members"][k])),
        "segment_id": _most(data["segment_members"], lambda k: len(data["segment_members"][k])),
    }


def scoped(records: list[dict], **ids) -> list[dict]:
    return [{**r, "_parameters": ids} for r in records]


def users_with(data, ids) -> list[dict]:
    return [u for u in data["users"] if u["id"] in set(ids)]


def case(name: str, data: dict, ids: dict) -> tuple[dict, list[dict]]:
    """(parameters, expected records) of one catalog endpoint."""
    access, payers = data["product_access"], {p["user_id"] for p in data["payments"]}
    course, user, aff = ids["course_id"], ids["user_id"], ids["affiliate_id"]
    referred = [u for u in data["users"] if u["referrer_id"] == aff]
    plain = {
        "courses": "courses",
        "bundles": "bundles",
        "subscription_plans": "subscription_plans",
        "user_subscriptions": "user_subscriptions",
        "active_installments": "installments",
        "school_events": "school_events",
        "segments": "segments",
        "payments": "payments",
        "leads": "leads",
        "promotions": "promotions",
        "affiliates": "affiliates",
        "certificates": "certificates",
        "event_logs": "event_logs",
        "seats": "seats",
        "user_groups": "user_groups",
        "user_roles": "user_roles",
        "community_collections": "community_collections",
        "community_spaces": "community_spaces",
        "community_posts": "community_posts",
    }
    if name in plain:
        return {}, data[plain[name]]
    if name == "users":  # the vendor's default leaves suspended users out
        return {}, [u for u in data["users"] if not u["is_suspended"]]
    if name == "course_contents":
        return {"course_id": course}, scoped([data["contents"][course]], course_id=course)
    if name == "course_users":
        enrolled = [
            a["user_id"] for a in access if a["product"]["id"] == course and a["product"]["type"] == "course"
        ]
        return {"course_id": course}, scoped(users_with(data, enrolled), course_id=course)
    if name == "course_grades":
        return {"course_id": course}, scoped(data["grades"][course], course_id=course)
    if name == "course_analytics":
        return {"course_id": course}, scoped([data["course_analytics"][course]], course_id=course)
    if name == "unit_analytics":
        params = {"course_id": course, "unit_id": ids["unit_id"]}
        return params, scoped([data["unit_analytics"][(course, ids["unit_id"])]], **params)
    if name == "user_course_progress":
        params = {"user_id": user, "course_id": ids["enrolled_course"]}
        return params, scoped([data["progress"][(user, ids["enrolled_course"])]], **params)
    if name == "user_progress":
        rows = [{"course_id": c, **body} for (u, c), body in data["progress"].items() if u == user]
        return {"user_id": user}, scoped(rows, user_id=user)
    if name == "user_products":
        return {"user_id": user}, scoped([a["product"] for a in access if a["user_id"] == user], user_id=user)
    if name == "user_courses":
        courses = {c["id"]: c for c in data["courses"]}
        rows = [
            {"created": a["created"], "expires": a["expires"], "course": courses[a["product"]["id"]]}
            for a in access
            if a["user_id"] == user and a["product"]["type"] == "course"
        ]
        return {"user_id": user}, scoped(rows, user_id=user)
    if name == "users_by_product":
        holders = [
            a["user_id"] for a in access if a["product"]["id"] == course and a["product"]["type"] == "course"
        ]
        return {"product_id": course, "product_type": "course"}, users_with(data, holders)
    if name == "users_by_segment":
        members = data["segment_members"][ids["segment_id"]]
        return {"segment_id": ids["segment_id"]}, users_with(data, members)
    if name == "promotion_coupons":
        promotion = next(p for p in data["promotions"] if p["id"] == ids["promotion_id"])
        return {"promotion_id": promotion["id"]}, scoped(promotion["coupons"], promotion_id=promotion["id"])
    if name == "coupon_usage":
        params = {"promotion_id": ids["promotion_id"], "coupon_code": ids["coupon_code"]}
        return params, scoped([p for p in data["payments"] if p["coupon"] == ids["coupon_code"]], **params)
    if name == "affiliate_customers":
        return {"affiliate_id": aff}, scoped([u for u in referred if u["id"] in payers], affiliate_id=aff)
    if name == "affiliate_leads":
        return {"affiliate_id": aff}, scoped([u for u in referred if u["id"] not in payers], affiliate_id=aff)
    if name == "affiliate_payments":
        rows = [p for p in data["payments"] if p["affiliate"] and p["affiliate"]["id"] == aff]
        return {"affiliate_id": aff}, scoped(rows, affiliate_id=aff)
    if name.startswith("affiliate_payouts_"):
        rows = data[name.replace("affiliate_", "")][aff]
        return {"affiliate_id": aff}, scoped(rows, affiliate_id=aff)
    if name == "assessment_responses":
        aid = ids["assessment_id"]
        return {"assessment_id": aid}, scoped(data["assessment_responses"][aid], assessment_id=aid)
    if name == "community_space_users":
        sid = ids["space_id"]
        return {"space_id": sid}, scoped(data["space_members"][sid], space_id=sid)
    from tests.test_learnworlds_catalog_complete import ADDED, added_case

    if name in ADDED:
        return added_case(name, data)
    raise AssertionError(f"no expectation for {name}: add one when the catalog grows")


# ---- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def school():
    twin = start_twin("learnworlds", fixed_page_size=SMALL_PAGES, **FAST)
    yield twin
    twin.stop()


@pytest.fixture
def lw(twin_factory, connect):
    """A fresh twin and its connection id: ``lw(**twin_options)``."""

    def make(**options):
        twin = twin_factory("learnworlds", **{**FAST, **options})
        return twin, connect(twin, "lw_test")

    return make


# ---- the catalog -------------------------------------------------------------------------------


def test_the_catalog_covers_the_overview_and_names_the_issue_endpoints():
    names = {e.name for e in LEARNWORLDS_CATALOG}
    assert len(names) == 58  # the 17 reads added for issue 12: tests/test_learnworlds_catalog_complete.py
    assert {
        "courses",
        "users",
        "course_users",
        "course_grades",
        "user_courses",
        "event_logs",
        "payments",
    } <= names
    required = {e.name: [p.name for p in e.params if p.required] for e in LEARNWORLDS_CATALOG}
    assert required["course_users"] == ["course_id"] and required["user_courses"] == ["user_id"]


@pytest.mark.parametrize("name", [e.name for e in LEARNWORLDS_CATALOG])
def test_every_endpoint_extracts_exactly_what_the_school_holds(school, connect, name):
    conn_id = connect(school, "lw_catalog")
    params, expected = case(name, school.twin.data, pick_ids(school.twin.data))
    got = list(hook(conn_id).iter_records(name, {**params, **paged_params(name)}))
    assert expected, f"the twin holds no {name}: the comparison would prove nothing"
    assert got == expected


def test_every_endpoint_survives_injected_429_and_503(twin_factory, connect):
    twin = twin_factory("learnworlds", fault_rate=0.05, seed=7, fixed_page_size=SMALL_PAGES, **FAST)
    conn_id = connect(twin, "lw_faults")
    ids = pick_ids(twin.twin.data)
    lw_hook = hook(conn_id)
    for endpoint in LEARNWORLDS_CATALOG:
        params, expected = case(endpoint.name, twin.twin.data, ids)
        got = list(lw_hook.iter_records(endpoint.name, {**params, **paged_params(endpoint.name)}))
        assert got == expected, endpoint.name
    assert twin.twin.faults.injected >= 10
    assert twin.twin.count(status=429) + twin.twin.count(status=503) == twin.twin.faults.injected
    assert lw_hook.transport.retry_count == twin.twin.faults.injected


# ---- token and headers -------------------------------------------------------------------------


def test_one_token_serves_the_extract_and_calls_carry_bearer_and_lw_client(lw):
    twin, conn_id = lw()
    lw_hook = hook(conn_id)
    assert len(list(lw_hook.iter_records("users", {"page_size": 10}))) > 100
    assert twin.twin.tokens_issued == 1
    assert twin.twin.count("POST", "oauth2/access_token") == 1
    assert twin.twin.count(status=401) == 0
    # The twin really checks both headers: the same call without Lw-Client is refused.
    token = twin.twin.live_tokens()[0]
    url = f"{twin.url}/admin/api/v2/users"
    assert requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code == 401
    ok = requests.get(
        url, headers={"Authorization": f"Bearer {token}", "Lw-Client": twin.twin.client_id}, timeout=5
    )
    assert ok.status_code == 200


def test_wrong_client_secret_fails_clearly_without_leaking_it(lw, connect):
    twin, _ = lw()
    conn_id = connect(twin, "lw_bad", password="not-the-secret-4242")
    with pytest.raises(LmsAuthError) as caught:
        list(hook(conn_id).iter_records("courses"))
    assert "lw_bad" in str(caught.value) and "not-the-secret-4242" not in str(caught.value)
    assert twin.twin.count() == 1  # the token call, not retried: a wrong secret stays wrong


def test_token_refused_inside_a_200_reply_is_an_auth_error(lw, connect):
    twin, _ = lw(token_reject_status=200)
    conn_id = connect(twin, "lw_bad200", password="wrong-secret-777")
    with pytest.raises(LmsAuthError, match="client secret") as caught:
        list(hook(conn_id).iter_records("courses"))
    assert "Invalid client credentials" in str(caught.value) and "wrong-secret-777" not in str(caught.value)
    assert twin.twin.count("GET") == 0


def test_a_revoked_token_is_replaced_once_and_no_record_is_lost(lw):
    twin, conn_id = lw()
    lw_hook = hook(conn_id)
    plan = lw_hook.plan("users", {"page_size": 10})
    records = []
    for page in lw_hook.iter_pages(plan):
        records.extend(page.records)
        if page.number == 2:
            twin.twin.revoke_tokens()
    assert records == [u for u in twin.twin.data["users"] if not u["is_suspended"]]
    # One renewal for all threads; each request in flight with the revoked token saw one 401
    # (one when sequential, at most max_concurrency when pages are fetched ahead).
    assert twin.twin.tokens_issued == 2 and 1 <= twin.twin.count(status=401) <= lw_hook.max_concurrency


def test_a_short_lived_token_is_renewed_before_it_expires(lw, connect):
    # A 6 s token is renewed after 3 s: that slack absorbs a slow request on a loaded machine,
    # and 14 pages at ~2.5/s (about 5 s) still outlive the first token.
    twin, _ = lw(token_ttl=6.0)
    conn_id = connect(twin, "lw_ttl", extra=json.dumps({"rate_limit_requests": 6, "rate_limit_seconds": 2}))
    records = list(hook(conn_id).iter_records("users", {"page_size": 10}))  # 14 pages at ~2.5/s
    assert records == [u for u in twin.twin.data["users"] if not u["is_suspended"]]
    assert twin.twin.tokens_issued >= 2
    assert twin.twin.count(status=401) == 0  # renewed ahead of expiry, never rejected


def test_secrets_never_reach_logs_or_errors(lw, connect, caplog, capfd):
    twin, conn_id = lw()
    with caplog.at_level(logging.DEBUG):
        list(hook(conn_id).iter_records("courses"))
        bad = connect(twin, "lw_leak", password="leaky-secret-999")
        with pytest.raises(LmsAuthError) as caught:
            list(hook(bad).iter_records("courses"))
    out = capfd.readouterr()
    text = "\n".join([caplog.text, out.out, out.err, str(caught.value)])
    assert "learnworlds courses page 1" in text  # the logs were captured: the check below means something
    tokens = twin.twin.live_tokens()
    assert tokens
    for secret in (*tokens, twin.twin.client_secret, "leaky-secret-999"):
        assert secret not in text


@pytest.mark.parametrize(
    "host",
    [
        "https://acme.learnworlds.com",
        "https://acme.learnworlds.com/",
        "acme.learnworlds.com",
        "acme",
        "https://acme.learnworlds.com/admin/api",
        "https://acme.learnworlds.com/admin/api/v2/",
    ],
)
def test_school_url_in_any_form_gives_the_api_root(host, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_LW_URL", json.dumps({"conn_type": "learnworlds", "host": host}))
    lw_hook = LearnWorldsHook("lw_url")
    assert lw_hook.base_url() == "https://acme.learnworlds.com/admin/api/v2"
    assert api_root("https://academy.example.com") == "https://academy.example.com/admin/api"


def test_test_connection_reports_success_and_failure(lw, connect):
    twin, conn_id = lw()
    ok, message = LearnWorldsHook(conn_id=conn_id).test_connection()
    assert ok and "read 1 record(s) from users" in message
    bad = connect(twin, "lw_tc_bad", password="nope-nope-1")
    ok, message = LearnWorldsHook(conn_id=bad).test_connection()
    assert not ok and "client" in message.lower() and "nope-nope-1" not in message


# ---- paging ------------------------------------------------------------------------------------


def test_paging_stops_on_total_pages_and_never_asks_past_the_end(lw):
    twin, conn_id = lw(fixed_page_size=9)
    active = [u for u in twin.twin.data["users"] if not u["is_suspended"]]
    assert list(hook(conn_id).iter_records("users", {"page_size": 9})) == active
    assert twin.twin.count("GET", r"/v2/users$") == math.ceil(len(active) / 9)
    assert list(hook(conn_id).iter_records("leads")) == twin.twin.data["leads"]  # fixed size 9
    assert twin.twin.count("GET", r"/v2/leads$") == math.ceil(len(twin.twin.data["leads"]) / 9)


@pytest.mark.parametrize("meta_page", ["served", "requested"])
def test_a_lying_total_pages_is_an_error_not_duplicates(lw, meta_page, tmp_path):
    from airflow_provider_lms.operators.extract import LmsExtractOperator

    twin, conn_id = lw(lie_about_total_pages=True, meta_page=meta_page, fixed_page_size=25)
    with pytest.raises(LmsPaginationError, match="page"):
        list(hook(conn_id).iter_records("leads"))
    # Through the operator, the failed extract leaves no file behind.
    destination = tmp_path / "leads.jsonl"
    task = LmsExtractOperator(
        task_id="t",
        conn_id=conn_id,
        endpoint="leads",
        destination=str(destination),
        window_start=None,
        window_end=None,
    )
    with pytest.raises(LmsPaginationError):
        task.execute({})
    assert not destination.exists() and not list(tmp_path.iterdir())


def test_a_paged_list_without_meta_is_an_error(lw):
    twin, conn_id = lw(hostile={"/admin/api/v2/courses": "no_meta"})
    with pytest.raises(LmsPaginationError, match="meta.totalPages"):
        list(hook(conn_id).iter_records("courses"))


@pytest.mark.parametrize("kind", ["html", "no_envelope"])
def test_hostile_bodies_are_clear_errors(lw, kind):
    twin, conn_id = lw(hostile={"/admin/api/v2/bundles": kind})
    with pytest.raises(LmsResponseError):
        list(hook(conn_id).iter_records("bundles"))


def test_custom_paths_page_by_meta_or_come_in_one_reply(lw):
    twin, conn_id = lw(fixed_page_size=11)
    assert list(hook(conn_id).iter_records("/leads")) == twin.twin.data["leads"]
    assert list(hook(conn_id).iter_records("/users/segments")) == twin.twin.data["segments"]


# ---- bad input fails before any request -------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "parameters", "error", "words"),
    [
        ("course_user", {"course_id": "x"}, LmsConfigError, "course_users"),
        ("course_users", {}, LmsConfigError, "course_id"),
        ("users_by_product", {"product_id": "x"}, LmsConfigError, "product_type"),
        ("payments", {"product_type": "ebook"}, LmsConfigError, "product_type"),
        ("users", {"page_size": 201}, LmsConfigError, "1..200"),
        ("users", {"page_size": 0}, LmsConfigError, "page_size"),
        ("event_logs", {"created_after": 1}, LmsConfigError, "created_after"),
    ],
)
def test_bad_requests_fail_before_any_http(school, connect, endpoint, parameters, error, words):
    conn_id, before = connect(school, "lw_shared"), school.twin.count()
    with pytest.raises(error, match=words):
        list(hook(conn_id).iter_records(endpoint, parameters))
    assert school.twin.count() == before


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        ("2026-10-10", "2026-10-10", "empty"),
        ("2026-10-12", "2026-10-10", "after"),
        ("yesterday", "2026-10-10", "not a date"),
        ("2026-10-10", None, "both ends"),
    ],
)
def test_bad_windows_fail_before_any_http(school, connect, start, end, words):
    conn_id, before = connect(school, "lw_shared"), school.twin.count()
    with pytest.raises(LmsWindowError, match=words):
        list(hook(conn_id).iter_records("event_logs", window_start=start, window_end=end))
    assert school.twin.count() == before


@pytest.mark.parametrize("extra", [{"rate_limit_requests": 0}, {"rate_limit_seconds": "soon"}])
def test_bad_rate_limit_extras_fail_before_any_http(school, connect, extra):
    conn_id, before = connect(school, "lw_rate_bad", extra=json.dumps(extra)), school.twin.count()
    with pytest.raises(LmsConfigError, match=next(iter(extra))):
        list(hook(conn_id).iter_records("courses"))
    assert school.twin.count() == before


def test_an_unknown_course_is_a_clear_http_error(school, connect):
    conn_id = connect(school, "lw_shared")
    with pytest.raises(LmsHttpError, match="404"):
        list(hook(conn_id).iter_records("course_users", {"course_id": "no-such-course"}))


# ---- windows -----------------------------------------------------------------------------------

WINDOWED = {"event_logs": "event_logs", "payments": "payments", "users": "users"}


@pytest.mark.parametrize("edges", ["inclusive", "exclusive"])
@pytest.mark.parametrize("name", sorted(WINDOWED))
def test_windows_keep_exactly_the_records_created_inside(lw, name, edges):
    twin, conn_id = lw(date_edges=edges)
    start, end = pendulum.datetime(2026, 10, 10, tz="UTC"), pendulum.datetime(2026, 10, 13, tz="UTC")
    store = twin.twin.data[WINDOWED[name]]
    # Records exactly on both edges and a hair inside them: the edges are where clients lose data.
    # Each copy gets an id of its own: ids are unique in a real school (and paging relies on it).
    template = dict(store[0])
    for number, moment in enumerate(
        (start.timestamp(), start.timestamp() - 0.00001, end.timestamp(), end.timestamp() - 0.00001)
    ):
        copy = {**template, "created": moment}
        if "id" in template:
            copy["id"] = f"edge-copy-{number}"
        store.append({**copy, "is_suspended": False} if name == "users" else copy)
    got = list(hook(conn_id).iter_records(name, paged_params(name), window_start=start, window_end=end))
    candidates = [r for r in store if name != "users" or not r["is_suspended"]]
    expected = [r for r in candidates if start.timestamp() <= r["created"] < end.timestamp()]
    assert len(expected) > 10
    assert sorted(json.dumps(r, sort_keys=True) for r in got) == sorted(
        json.dumps(r, sort_keys=True) for r in expected
    )
    assert any(r["created"] == start.timestamp() for r in got)
    assert not any(r["created"] == end.timestamp() for r in got)


def test_windows_go_out_as_unix_seconds_one_second_wider(school, connect):
    conn_id = connect(school, "lw_shared")
    start, end = "2026-10-10T00:00:00+00:00", "2026-10-11T00:00:00+00:00"
    lw_hook = hook(conn_id)
    first, last = pendulum.parse(start).int_timestamp, pendulum.parse(end).int_timestamp
    assert lw_hook.plan("event_logs", {}, start, end).request.params == {
        "created_after": first - 1,
        "created_before": last + 1,
    }
    assert lw_hook.plan("users", {}, start, end).request.params == {
        "registration_after": first - 1,
        "registration_before": last + 1,
    }
    assert lw_hook.plan("courses", {}, start, end).request.params == {}  # a full snapshot ignores windows


# ---- filters -----------------------------------------------------------------------------------


def test_filters_reach_the_school(school, connect):
    data, lw_hook = school.twin.data, hook(connect(school, "lw_shared"))
    buyer = data["payments"][0]["user_id"]
    buyer_email = next(u["email"] for u in data["users"] if u["id"] == buyer)
    assert list(lw_hook.iter_records("payments", {"user_id": buyer_email})) == [
        p for p in data["payments"] if p["user_id"] == buyer
    ]
    assert list(lw_hook.iter_records("users", {"include_suspended": "true"})) == data["users"]
    assert list(lw_hook.iter_records("users", {"status": "suspended"})) == [
        u for u in data["users"] if u["is_suspended"]
    ]
    assert list(lw_hook.iter_records("event_logs", {"activity": "login", "sort": "asc"})) == [
        e for e in reversed(data["event_logs"]) if e["activity"] == "login"
    ]
    course = next(c for c in data["grades"] if data["grades"][c])
    grades = data["grades"][course]
    one = grades[0]["user_id"]
    assert list(lw_hook.iter_records("course_grades", {"course_id": course, "users": one})) == scoped(
        [g for g in grades if g["user_id"] == one], course_id=course
    )
    cert = data["certificates"][0]["course_id"]
    assert list(lw_hook.iter_records("certificates", {"course_id": cert})) == [
        c for c in data["certificates"] if c["course_id"] == cert
    ]


def test_the_docs_list_every_endpoint_and_the_pool_command():
    from tests.conftest import REPO

    docs = (REPO / "docs/learnworlds.md").read_text()
    for endpoint in LEARNWORLDS_CATALOG:
        assert f"| `{endpoint.name}` | `{endpoint.path}` |" in docs, endpoint.name
    assert "airflow pools set learnworlds_default 1" in docs


def test_missing_client_credentials_fail_before_any_request(lw, connect):
    twin, _ = lw()
    for field, label in (("login", "client ID"), ("password", "client secret")):
        conn_id = connect(twin, f"lw_no_{field}", **{field: ""})
        with pytest.raises(LmsConfigError, match=f"has no {label}"):
            list(hook(conn_id).iter_records("courses"))
    assert twin.twin.count() == 0
