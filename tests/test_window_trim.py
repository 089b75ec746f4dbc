"""Issue 10 item 11: a window trim never keeps a record it cannot place.

Where a vendor's date filter is coarser than the window (whole days, undocumented edges, no filter
at all) the provider widens the request and keeps records by their own timestamp. A record whose
timestamp is missing or unreadable stops the extract with a message naming the endpoint, the field
looked for and the fields the record has (names only: values may be personal data), and the two
fixes: ``record_time_field`` and ``window_trim="off"``. Stub servers that ignore the date filter
serve the records, so only the trim decides what is kept.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from airflow_provider_lms.catalog import Endpoint
from airflow_provider_lms.endpoint_table import render
from airflow_provider_lms.exceptions import LmsConfigError, LmsRecordTimeError
from airflow_provider_lms.vendors.learnupon.hook import LEARNUPON_CATALOG
from airflow_provider_lms.windows import DateWindow, parse_window
from tests.reliability import EXACT_ONLY, Cell, Listing, run_cell

USER = "0b6f0f7e-8a53-4a55-9a0e-1f2d3c4b5a69"
COURSE = "6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
ORG = {"org_ids": "3f8c08bc-e009-471c-802c-09f0d814bf59"}
WINDOW = ("2025-11-01T02:00:00Z", "2025-11-01T05:00:00Z")
BASE = 1_761_955_200.0  # 2025-11-01T00:00:00Z
CLEAN = frozenset({"clean"})

# (vendor, listing served, the record's time field, unix seconds?) for every trimming window class
TRIMMED = [
    ("learnupon", Listing("enrollments", "/api/v1/enrollments/search", "enrollments"), "updated_at", False),
    ("learnupon", Listing("audit_trails", "/api/v1/audit-trails", "trails"), "created_at", False),
    ("absorb", Listing("users", "/users", "users"), "dateEdited", False),
    (
        "absorb",
        Listing(
            "user_session_enrollments",
            f"/users/{USER}/enrollments/{COURSE}/sessions",
            None,
            {"user_id": USER, "course_id": COURSE},
            paged=False,
        ),
        "dateEdited",
        False,
    ),
    (
        "absorb",
        Listing("bulk_enrollments", "/enrollments", None, {"user_ids": [USER]}, paged=False),
        "dateEdited",
        False,
    ),
    (
        "nexport",
        Listing("search_enrollments", "/api/v1/LearningApi/SearchEnrollments", "enrollments", ORG),
        "enrollment_date",
        False,
    ),
    (
        "nexport",
        Listing(
            "search_enrollments",
            "/api/v1/LearningApi/SearchEnrollments",
            "enrollments",
            {**ORG, "date_field": "completed"},
        ),
        "completion_date",
        False,
    ),
    ("ispring", Listing("learner_results", "/learners/results", "results"), "completionDate", False),
    (
        "ispring",
        Listing("learner_results", "/learners/results", "results", {"window_field": "accessDate"}),
        "accessDate",
        False,
    ),
    (
        "ispring",
        Listing("learner_module_results", "/learners/modules/results", "results"),
        "completionDate",
        False,
    ),
    ("learnworlds", Listing("users", "/admin/api/v2/users", "data"), "created", True),
    ("learnworlds", Listing("payments", "/admin/api/v2/payments", "data"), "created", True),
    ("learnworlds", Listing("event_logs", "/admin/api/v2/event-logs", "data"), "created", True),
]
IDS = [f"{vendor}-{listing.endpoint}-{field}" for vendor, listing, field, _ in TRIMMED]


def _records(field: str, unix: bool, *, broken: object = "keep") -> list[dict]:
    records = []
    for i in range(10):
        moment = BASE + 3600 * i
        stamp = moment if unix else f"2025-11-01T{i:02d}:00:00Z"
        records.append({"id": f"r{i}", "name": f"Person {i}", field: stamp})
    if broken == "missing":
        del records[4][field]
    elif broken != "keep":
        records[4][field] = broken
    return records


def _cell(vendor, listing, field, *, records, parameters=None, expect=EXACT_ONLY, **options) -> Cell:
    from tests.reliability import Fault

    fault = Fault("trim", "window trim", expect, records=lambda _vendor: records)
    return Cell(
        "inputs",
        "window trim",
        vendor,
        listing.endpoint,
        expect,
        fault=fault,
        listing=listing,
        parameters=parameters,
        window=WINDOW,
        **options,
    )


@pytest.mark.parametrize(("vendor", "listing", "field", "unix"), TRIMMED, ids=IDS)
@pytest.mark.parametrize("broken", ["missing", None, "sometime soon", True])
def test_a_record_the_trim_cannot_place_fails_the_extract(vendor, listing, field, unix, broken):
    records = _records(field, unix, broken=broken)
    outcome = run_cell(_cell(vendor, listing, field, records=records, expect=CLEAN, time_field=field))
    assert outcome.kind == "clean", outcome.detail  # clean: LmsError, destination untouched, nothing left
    assert isinstance(outcome.error, LmsRecordTimeError), outcome.detail
    message = str(outcome.error)
    assert f"endpoint {listing.endpoint!r}" in message
    assert f"{field!r}" in message
    has = "id, name" if broken == "missing" else ", ".join(sorted(["id", "name", field]))
    assert f"fields it has: {has})" in message  # the names of the fields it does have...
    assert "Person 4" not in message and "sometime soon" not in message  # ...never their values
    assert "record_time_field" in message
    if listing.endpoint != "bulk_enrollments":  # no vendor filter there: the trim cannot be off
        assert "window_trim" in message and "two adjacent runs" in message


@pytest.mark.parametrize(("vendor", "listing", "field", "unix"), TRIMMED, ids=IDS)
def test_record_time_field_names_the_field_to_trim_by(vendor, listing, field, unix):
    records = [{k if k != field else "modified_at": v for k, v in r.items()} for r in _records(field, unix)]
    parameters = {"record_time_field": "modified_at"}
    outcome = run_cell(
        _cell(vendor, listing, field, records=records, parameters=parameters, time_field="modified_at")
    )
    assert (outcome.kind, outcome.detail) == ("exact", "3 records")


@pytest.mark.parametrize(("vendor", "listing", "field", "unix"), TRIMMED, ids=IDS)
def test_window_trim_off_keeps_what_the_vendor_filter_returns(vendor, listing, field, unix):
    records = [{k: v for k, v in r.items() if k != field} for r in _records(field, unix)]
    cell = _cell(vendor, listing, field, records=records, parameters={"window_trim": "off"}, expect_all=True)
    if listing.endpoint == "bulk_enrollments":
        # No vendor date filter: turning the trim off would silently extract every record.
        cell.expect = CLEAN
        outcome = run_cell(cell)
        assert outcome.kind == "clean" and isinstance(outcome.error, LmsConfigError), outcome.detail
        assert "no vendor date filter" in str(outcome.error)
        return
    outcome = run_cell(cell)
    assert (outcome.kind, outcome.detail) == ("exact", "10 records")


def test_a_readable_record_outside_the_window_is_still_dropped():
    # Strict trimming changes nothing for records that can be placed.
    vendor, listing, field, unix = TRIMMED[0]
    outcome = run_cell(_cell(vendor, listing, field, records=_records(field, unix), time_field=field))
    assert (outcome.kind, outcome.detail) == ("exact", "3 records")


def _mapping() -> DateWindow:
    day = timedelta(days=1)
    return DateWindow(
        "from", "to", whole_days=True, margin_before=day, margin_after=day, record_field="updated_at"
    )


@pytest.mark.parametrize(
    ("record_time_field", "window_trim", "problem"),
    [
        (None, "sometimes", "is not one of ['strict', 'off']"),
        ("", None, "must be a field name"),
        (["a", "b"], None, "must be a field name"),
        ("updated", "off", "give one of them"),
    ],
)
def test_trim_parameters_are_checked(record_time_field, window_trim, problem):
    with pytest.raises(LmsConfigError, match=__import__("re").escape(problem)):
        _mapping().with_trim(record_time_field, window_trim, endpoint="enrollments")


def test_with_trim_returns_a_copy_and_leaves_the_catalog_alone():
    mapping = _mapping()
    renamed = mapping.with_trim("dates.modified", None)
    assert (renamed.record_field, mapping.record_field) == ("dates.modified", "updated_at")
    window = parse_window(*WINDOW)
    assert renamed.contains({"dates": {"modified": "2025-11-01T03:00:00Z"}}, window)
    assert not renamed.contains({"dates": {"modified": "2025-11-01T06:00:00Z"}}, window)
    assert mapping.with_trim(None, "off").contains({}, window)  # no trim: kept


def test_trim_parameters_need_a_trimming_endpoint():
    from airflow_provider_lms.catalog import apply_trim_parameters

    with pytest.raises(LmsConfigError, match="does not trim records to a window"):
        apply_trim_parameters(LEARNUPON_CATALOG.get("users"), {"record_time_field": "created_at"})
    custom = Endpoint("/reports/x", "/reports/x", custom=True)
    with pytest.raises(LmsConfigError, match="does not trim"):
        apply_trim_parameters(custom, {"window_trim": "off"})


def test_trimmed_endpoints_list_the_reserved_parameters_and_flag_guessed_fields():
    enrollments = LEARNUPON_CATALOG.get("enrollments")
    assert "record_time_field, window_trim" in enrollments.accepted_params()
    assert "record_time_field" not in LEARNUPON_CATALOG.get("users").accepted_params()
    table = render()
    assert "`updated_at` (unconfirmed)" in table  # LearnUpon's docs show no record fields
    assert "`completion_date` (unconfirmed)" not in table or "search_enrollments" in table
    assert "`dateEdited` (unconfirmed)" not in table  # Absorb documents dateEdited
