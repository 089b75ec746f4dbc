"""Every NexPort catalog endpoint extracts exactly what the twin holds, with and without 5% 429/503.

Expected records are computed here from the twin's store by the documented semantics (filters,
order, projections), not by asking the twin; request counts check each paginator's stop signal.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pendulum
import pytest

from airflow_provider_lms.sandbox import start_twin
from airflow_provider_lms.vendors.nexport.hook import NEXPORT_CATALOG, NexPortHook
from airflow_provider_lms.windows import parse_record_time

Case = tuple[dict[str, Any], tuple[Any, Any], list[dict[str, Any]], tuple]
NO_WINDOW = (None, None)


def _org(d, short_name: str) -> dict[str, Any]:
    return next(o for o in d["organizations"] if o["short_name"] == short_name)


def _lineage(d, org_id: str) -> list[str]:
    parents = {o["org_id"]: o["parent_org_id"] for o in d["organizations"]}
    chain = []
    while org_id:
        chain.append(org_id)
        org_id = parents[org_id]
    return chain


def _in(window: tuple[str, str], stamp: str | None) -> bool:
    start, end = (pendulum.parse(w) for w in window)
    moment = parse_record_time(stamp)
    return moment is not None and start <= moment < end


def case_search_enrollments(d) -> Case:
    org_ids = [_org(d, "northwind")["org_id"], _org(d, "contoso")["org_id"]]
    window = ("2026-10-01T00:00:00Z", "2026-10-15T00:00:00Z")
    expected = [
        e
        for e in d["enrollments"]
        if d["enrollment_org"][e["enrollment_id"]] in org_ids and _in(window, e["enrollment_date"])
    ]
    expected.sort(key=lambda e: parse_record_time(e["enrollment_date"]))  # oldest first
    return {"org_ids": org_ids, "page_size": 4}, window, expected, ("counted", 4)


def case_section_enrollments(d) -> Case:
    section = d["sections"][1]
    expected = sorted(
        (r for r in d["section_enrollments"] if r["syllabus_id"] == section["syllabus_id"]),
        key=lambda r: parse_record_time(r["enrollment_date"]),
        reverse=True,  # most recent first
    )
    org_id = d["syllabus_org"][section["syllabus_id"]]
    return (
        {"syllabus_id": section["syllabus_id"], "org_id": org_id, "page_size": 7},
        NO_WINDOW,
        expected,
        ("array", 7),
    )


def case_training_plan_enrollments(d) -> Case:
    plan = d["training_plans"][0]
    expected = sorted(
        (r for r in d["training_plan_enrollments"] if r["unique_name"] == plan["unique_name"]),
        key=lambda r: parse_record_time(r["enrollment_date"]),
        reverse=True,
    )
    return {"syllabus_unique_name": plan["unique_name"], "page_size": 2}, NO_WINDOW, expected, ("array", 2)


def case_custom_enrollment_fields(d) -> Case:
    org = _org(d, "contoso-east")  # inherits the fields of contoso
    lineage = _lineage(d, org["org_id"])
    expected = sorted((f for f in d["custom_fields"] if f["org_id"] in lineage), key=lambda f: f["name"])
    return {"org_id": org["org_id"]}, NO_WINDOW, expected, ("single",)


def case_custom_enrollment_field_default(d) -> Case:
    org = _org(d, "contoso")
    field = next(f for f in d["custom_fields"] if f["org_id"] == org["org_id"])
    expected = [d["field_defaults"][(org["org_id"], field["field_id"], None)]]
    return {"org_id": org["org_id"], "field_id": field["field_id"]}, NO_WINDOW, expected, ("single",)


def case_custom_enrollment_field_values(d) -> Case:
    east = _org(d, "contoso-east")["org_id"]
    enrollment = next(
        e
        for e in d["enrollments"]
        if d["enrollment_org"][e["enrollment_id"]] == east and len(d["field_values"][e["enrollment_id"]]) > 1
    )
    user = next(u for u in d["users"] if u["user_id"] == enrollment["user_id"])
    params = {"subscriber_id": user["subscription_id"], "syllabus_id": enrollment["syllabus_id"]}
    return params, NO_WINDOW, d["field_values"][enrollment["enrollment_id"]], ("single",)


def _section_enrollment_with(d, predicate: Callable[[str], bool]) -> str:
    return next(r["enrollment_id"] for r in d["section_enrollments"] if predicate(r["enrollment_id"]))


def case_assignment_statuses(d) -> Case:
    eid = d["section_enrollments"][3]["enrollment_id"]
    expected = sorted(
        (s for s in d["assignment_statuses"] if s["enrollment_id"] == eid),
        key=lambda s: parse_record_time(s["utc_creation_date"]),
        reverse=True,
    )
    return {"enrollment_id": eid, "page_size": 2}, NO_WINDOW, expected, ("array", 2)


def case_certificate_url(d) -> Case:
    eid = next(e for e, c in d["certificates"].items() if c["certificate_ready"])
    return {"enrollment_id": eid}, NO_WINDOW, [d["certificates"][eid]], ("single",)


def case_section(d) -> Case:
    product_id, syllabus_id = next(
        (p, s) for p, s in d["products"].items() if s == d["sections"][2]["syllabus_id"]
    )
    return {"product_id": product_id}, NO_WINDOW, [d["sections"][2]], ("single",)


def case_sections(d) -> Case:
    first, second = d["sections"][0]["syllabus_id"], d["sections"][4]["syllabus_id"]
    unknown = str(uuid.UUID(int=7))
    params = {"section_ids": [second, first, second, unknown]}
    return params, NO_WINDOW, [d["sections"][4], d["sections"][0]], ("single",)


def case_section_description(d) -> Case:
    sid = d["sections"][5]["syllabus_id"]
    expected = [{"description": d["syllabus_texts"][sid]["description"]}]
    return {"section_id": sid}, NO_WINDOW, expected, ("single",)


def case_section_objectives(d) -> Case:
    sid = d["sections"][5]["syllabus_id"]
    expected = [{"objectives": d["syllabus_texts"][sid]["objectives"]}]
    return {"section_id": sid}, NO_WINDOW, expected, ("single",)


def case_student_sessions(d) -> Case:
    window = ("2026-09-15T00:00:00Z", "2026-10-25T00:00:00Z")
    counts: dict[str, int] = {}
    for s in d["student_sessions"]:
        counts[s["user_id"]] = counts.get(s["user_id"], 0) + _in(window, s["utc_start_date"])
    user_id = max(counts, key=lambda u: (counts[u], u))
    user = next(u for u in d["users"] if u["user_id"] == user_id)
    expected = sorted(
        (s for s in d["student_sessions"] if s["user_id"] == user_id and _in(window, s["utc_start_date"])),
        key=lambda s: parse_record_time(s["utc_start_date"]),
    )
    params = {"user_id": user_id, "org_id": user["org_id"], "page_size": 3}
    return params, window, expected, ("counted", 3)


def case_training_plan(d) -> Case:
    plan = d["training_plans"][1]
    return {"training_plan_id": plan["syllabus_id"]}, NO_WINDOW, [plan], ("single",)


def case_training_plan_description(d) -> Case:
    pid = d["training_plans"][1]["syllabus_id"]
    expected = [{"description": d["syllabus_texts"][pid]["description"]}]
    return {"training_plan_id": pid}, NO_WINDOW, expected, ("single",)


def case_assignments(d) -> Case:
    sid = d["sections"][0]["syllabus_id"]
    expected = sorted(
        (a for a in d["assignments"] if d["assignment_section"][a["assignment_id"]] == sid),
        key=lambda a: (a["display_order"], parse_record_time(a["utc_date_added"])),
    )
    return {"section_id": sid, "page_size": 2}, NO_WINDOW, expected, ("array", 2)


def case_assignment(d) -> Case:
    item = d["assignments"][6]
    return {"assignment_id": item["assignment_id"]}, NO_WINDOW, [item], ("single",)


def case_assignment_instructions(d) -> Case:
    aid = d["assignments"][6]["assignment_id"]
    expected = [{"assignment_instructions": d["assignment_instructions"][aid]}]
    return {"assignment_id": aid}, NO_WINDOW, expected, ("single",)


def case_organizations(d) -> Case:
    contoso = _org(d, "contoso")["org_id"]
    expected = sorted(
        (
            {"org_id": o["org_id"], "name": o["name"], "short_name": o["short_name"]}
            for o in d["organizations"]
            if contoso in _lineage(d, o["org_id"])  # the organization and its descendants
        ),
        key=lambda o: o["name"],
    )
    return {"org_id": contoso, "page_size": 1}, NO_WINDOW, expected, ("array", 1)


def case_catalogs(d) -> Case:
    group = _org(d, "academy")["org_id"]
    expected = sorted(
        (c for c in d["catalogs"] if c["org_id"] == group or group in d["catalog_shares"][c["catalog_id"]]),
        key=lambda c: c["name"],
    )
    return {"group_id": group, "catalog_access_option": 2, "page_size": 1}, NO_WINDOW, expected, ("array", 1)


def case_catalog(d) -> Case:
    item = d["catalogs"][1]
    return {"catalog_id": item["catalog_id"]}, NO_WINDOW, [item], ("single",)


def case_catalog_description(d) -> Case:
    cid = d["catalogs"][1]["catalog_id"]
    expected = [{"description": d["catalog_texts"][cid]["description"]}]
    return {"catalog_id": cid}, NO_WINDOW, expected, ("single",)


def case_catalog_credit_hours(d) -> Case:
    cid = d["catalogs"][1]["catalog_id"]
    expected = [{"credit_hours": d["catalog_texts"][cid]["credit_hours"]}]
    return {"catalog_id": cid}, NO_WINDOW, expected, ("single",)


def case_categories(d) -> Case:
    cid = d["catalogs"][0]["catalog_id"]
    expected = sorted(
        (c for c in d["categories"] if c["catalog_id"] == cid),
        key=lambda c: parse_record_time(c["date_created"]),
        reverse=True,
    )
    return {"catalog_id": cid, "page_size": 2}, NO_WINDOW, expected, ("array", 2)


def case_catalog_syllabi(d) -> Case:
    cid = d["catalogs"][0]["catalog_id"]
    expected = sorted(d["catalog_syllabi"][cid], key=lambda s: s["syllabus_name"])
    return {"catalog_id": cid, "page_size": 3}, NO_WINDOW, expected, ("array", 3)


def case_category_syllabi(d) -> Case:
    category_id = max(d["category_syllabi"], key=lambda c: (len(d["category_syllabi"][c]), c))
    expected = sorted(d["category_syllabi"][category_id], key=lambda s: s["syllabus_name"])
    return {"category_id": category_id, "page_size": 2}, NO_WINDOW, expected, ("array", 2)


def case_test_attempts(d) -> Case:
    (eid, aid), attempts = next((k, v) for k, v in d["test_attempts"].items() if len(v) == 3)
    expected = sorted(attempts, key=lambda a: a["attempt_index"], reverse=True)
    return {"enrollment_id": eid, "assignment_id": aid, "page_size": 2}, NO_WINDOW, expected, ("array", 2)


def case_cmi_data(d) -> Case:
    (eid, aid), scos = next((k, v) for k, v in d["cmi"].items() if len(v) == 2)
    names = ["cmi.core.score.raw", "cmi.core.lesson_status", "cmi.interactions.0.id"]
    expected = []
    for sco in sorted(scos, key=lambda s: s["sco_id"]):
        values = sco["cmi_values"]
        fields = [
            {
                "cmi_element_name": n,
                "cmi_element_value": values.get(n),
                "error_message": None if n in values else "Unsupported CMI element",
            }
            for n in names
        ]
        served = {k: v for k, v in sco.items() if k != "cmi_values"}
        expected.append({**served, "cmi_fields": fields})
    params = {"enrollment_id": eid, "assignment_id": aid, "cmi_element_names": names, "page_size": 1}
    return params, NO_WINDOW, expected, ("array", 1)


CASES: dict[str, Callable[[dict[str, Any]], Case]] = {
    f.__name__.removeprefix("case_"): f
    for f in (
        case_search_enrollments,
        case_section_enrollments,
        case_training_plan_enrollments,
        case_custom_enrollment_fields,
        case_custom_enrollment_field_default,
        case_custom_enrollment_field_values,
        case_assignment_statuses,
        case_certificate_url,
        case_section,
        case_sections,
        case_section_description,
        case_section_objectives,
        case_student_sessions,
        case_training_plan,
        case_training_plan_description,
        case_assignments,
        case_assignment,
        case_assignment_instructions,
        case_organizations,
        case_catalogs,
        case_catalog,
        case_catalog_description,
        case_catalog_credit_hours,
        case_categories,
        case_catalog_syllabi,
        case_category_syllabi,
        case_test_attempts,
        case_cmi_data,
    )
}


def expected_requests(kind: tuple, count: int) -> int:
    """Data requests a correct client sends: one per page, plus the empty page that ends a bare array."""
    if kind[0] == "single":
        return 1
    size = kind[1]
    if kind[0] == "counted":  # total_count says when to stop
        return max(-(-count // size), 1)
    # Bare arrays: NexPort resets a per_page it dislikes without saying, so a short page is not
    # proof of the end; only the empty page after the last one is.
    return -(-count // size) + 1


@pytest.fixture(scope="module", params=[0.0, 0.05], ids=["clean", "faults-5pct"])
def served(request):
    twin = start_twin("nexport", fault_rate=request.param, seed=3)
    conn_id = f"nexport_catalog_{int(request.param * 100)}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(twin.connection()))
        yield twin, conn_id
    twin.stop()


def test_every_catalog_endpoint_has_a_case():
    assert set(CASES) == set(NEXPORT_CATALOG.endpoints)


@pytest.mark.parametrize("name", list(CASES))
def test_endpoint_extracts_exactly_the_twin_data(served, name, no_sleep):
    running, conn_id = served
    twin = running.twin
    params, window, expected, kind = CASES[name](twin.data)
    assert expected, f"case {name} selects no data: it would prove nothing"
    path = NEXPORT_CATALOG.get(name).path
    served_before = twin.count(path_pattern=f"{path}$", status=200)
    injected_before = twin.faults.injected

    hook = NexPortHook(conn_id, backoff_base=0.01, sleep=no_sleep)
    got = list(hook.iter_records(name, params, *window))

    assert got == expected
    assert twin.count(path_pattern=f"{path}$", status=200) - served_before == expected_requests(
        kind, len(expected)
    )
    # every injected 429/503 was retried, and nothing else was
    assert hook.transport.retry_count == twin.faults.injected - injected_before


def test_the_faulty_twin_really_injected_faults(served):
    running, _ = served
    if running.twin.faults.rate:
        assert running.twin.faults.injected > 0
        assert running.twin.count(status=429) + running.twin.count(status=503) == running.twin.faults.injected
