"""The one window engine (``DateWindow``) configured as each vendor's filter, the one ``date_field``
choice, and parameter rules as data on ``Endpoint`` (no HTTP: these are the request's contents)."""

from __future__ import annotations

import re
from datetime import timedelta

import pendulum
import pytest

from airflow_provider_lms.catalog import Endpoint, Param, date_field_param, prepare_parameters
from airflow_provider_lms.exceptions import LmsConfigError
from airflow_provider_lms.page_request import PageRequest
from airflow_provider_lms.param_rules import Excludes, OneOf, Requires
from airflow_provider_lms.vendors.absorb.catalog import ABSORB_CATALOG
from airflow_provider_lms.vendors.absorb.query import modified_since_window, odata_window, record_window
from airflow_provider_lms.vendors.ispring.catalog import ISPRING_CATALOG, date_range_window
from airflow_provider_lms.vendors.learnupon.catalog import LEARNUPON_CATALOG
from airflow_provider_lms.vendors.learnworlds.catalog import unix_seconds_window
from airflow_provider_lms.vendors.nexport.catalog import NEXPORT_CATALOG, body_date_range
from airflow_provider_lms.windows import JUST_BEFORE, DateWindow, Window

# An uneven window: fractions of a second at both ends show every rounding rule.
WINDOW = Window(
    pendulum.datetime(2026, 10, 5, 6, 0, 0, 250000), pendulum.datetime(2026, 10, 6, 6, 0, 0, 750000)
)


def _applied(mapping: DateWindow, **params) -> PageRequest:
    request = PageRequest("GET", "/x", params=dict(params))
    mapping.apply(request, WINDOW)
    return request


def _unix(*args: int) -> int:
    return int(pendulum.datetime(*args).timestamp())


def test_each_vendor_filter_is_the_engine_configured_by_data():
    learnupon = _applied(LEARNUPON_CATALOG.get("enrollments").window)
    assert learnupon.params == {"date_from": "2026-10-04", "date_to": "2026-10-07"}  # whole days +-1
    audit = _applied(LEARNUPON_CATALOG.get("audit_trails").window)
    assert audit.params == {"date_range": "2026-10-04,2026-10-07"}
    learnworlds = _applied(unix_seconds_window("created_after", "created_before", "created"))
    assert learnworlds.params == {  # rounded out to whole seconds, then one more each side
        "created_after": _unix(2026, 10, 5, 6, 0, 0) - 1,
        "created_before": _unix(2026, 10, 6, 6, 0, 1) + 1,
    }
    ispring = _applied(date_range_window("completionDate"))
    assert ispring.params == {
        "completionDate[startDate]": "2026-10-05T05:59:59Z",
        "completionDate[endDate]": "2026-10-06T06:00:01Z",
    }
    nexport = PageRequest("POST", "/x", body={})
    body_date_range("utc_enrolled_after", "utc_enrolled_before", "enrollment_date").apply(nexport, WINDOW)
    assert nexport.body == {  # one 100 ns tick before the start, the end as it is
        "utc_enrolled_after": "2026-10-05T06:00:00.2499999Z",
        "utc_enrolled_before": "2026-10-06T06:00:00.7500000Z",
    }
    absorb = _applied(odata_window(), _filter="status eq 3 or status eq 5")
    assert absorb.params == {
        "_filter": "(status eq 3 or status eq 5) and (dateEdited ge datetime'2026-10-05T06:00:00Z' "
        "and dateEdited lt datetime'2026-10-06T06:00:01Z')"
    }
    assert _applied(modified_since_window()).params == {"modifiedSince": "2026-10-05T05:59:59Z"}
    assert _applied(record_window()).params == {}


def test_what_the_engine_derives_from_the_configuration():
    assert odata_window().owned_params == ()  # _filter is shared with the DAG author
    assert modified_since_window().owned_params == ("modifiedSince",)
    assert not record_window().server_filter and odata_window().server_filter
    assert ABSORB_CATALOG.get("bulk_enrollments").window == record_window()
    with pytest.raises(ValueError, match="cannot write the instant just before"):
        DateWindow("after", margin_before=JUST_BEFORE, fmt="unix")
    with pytest.raises(ValueError, match="needs a record_field"):
        DateWindow()


@pytest.mark.parametrize(
    ("mapping", "text"),
    [
        (odata_window(), "_filter: dateEdited ge <start> and dateEdited lt <end>"),
        (modified_since_window(), "modifiedSince=<start - 1 s>, then `dateEdited` < <end> on our side"),
        (record_window(), "`dateEdited` in [start, end), filtered on our side"),
        (
            LEARNUPON_CATALOG.get("enrollments").window,
            "`date_from` / `date_to` on `updated_at` (unconfirmed) (whole days, widened, trimmed)",
        ),
        (date_range_window("dueDate"), "`dueDate[startDate]` / `dueDate[endDate]` on `dueDate`"),
        (DateWindow("since", margin_before=timedelta(days=2), record_field="t"), "since=<start - 2 days>"),
    ],
)
def test_describe_texts_for_the_endpoint_table(mapping, text):
    assert mapping.describe().startswith(text)


# ---- one date_field across vendors ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("catalog", "endpoint", "name", "choice", "key"),
    [
        (NEXPORT_CATALOG, "search_enrollments", "date_field", "completed", "utc_completed_after"),
        (ISPRING_CATALOG, "learner_results", "date_field", "accessDate", "accessDate[startDate]"),
        (ISPRING_CATALOG, "learner_results", "window_field", "dueDate", "dueDate[startDate]"),  # older name
    ],
)
def test_date_field_picks_the_window_on_every_vendor(catalog, endpoint, name, choice, key):
    resolved, given = prepare_parameters(catalog.get(endpoint), {name: choice, "org_ids": "x"})
    assert name not in given  # the engine's parameter never reaches the vendor
    assert key in resolved.window.owned_params
    default, _ = prepare_parameters(catalog.get(endpoint), {})
    assert (
        default.window
        == catalog.get(endpoint).window
        == next(iter(catalog.get(endpoint).date_choices.values()))
    )


def test_date_field_mistakes_are_refused_with_the_name_given():
    results = ISPRING_CATALOG.get("learner_results")
    with pytest.raises(LmsConfigError, match=re.escape("window_field='createdDate' is not one of")):
        prepare_parameters(results, {"window_field": "createdDate"})
    with pytest.raises(LmsConfigError, match="give date_field only"):
        prepare_parameters(results, {"window_field": "dueDate", "date_field": "accessDate"})
    with pytest.raises(LmsConfigError, match="does not accept 'date_field'"):
        resolved, given = prepare_parameters(ISPRING_CATALOG.get("users"), {"date_field": "x"})
        resolved.build_request(given, None)
    with pytest.raises(LmsConfigError, match="parameters must be a dict"):
        prepare_parameters(results, [("date_field", "dueDate")])


# ---- parameter rules and options as data ---------------------------------------------------------

ID = "3f8c08bc-e009-471c-802c-09f0d814bf59"


def _endpoint(*params: Param, rules=()) -> Endpoint:
    return Endpoint("things", "/things", params=params, rules=rules)


def test_rules_are_checked_once_with_the_parameters():
    endpoint = _endpoint(
        Param("a"),
        Param("b"),
        Param("c"),
        rules=(OneOf((("a",), ("b", "c"))), Requires(("b",), "a"), Excludes(("a", "c"))),
    )
    with pytest.raises(LmsConfigError, match=re.escape("'things' needs a, or b and c. Accepted")):
        endpoint.build_request({"c": 1}, None)
    with pytest.raises(LmsConfigError, match="needs a when b is given"):
        endpoint.build_request({"b": 1, "c": 1}, None)
    with pytest.raises(LmsConfigError, match="takes a or c, not both"):
        endpoint.build_request({"a": 1, "c": 1}, None)
    request, _ = endpoint.build_request({"a": 1, "b": 2}, None)
    assert request.params == {"a": 1, "b": 2}


def test_requirement_text_shows_the_conditional_requirements():
    assert NEXPORT_CATALOG.get("search_enrollments").requirement_text() == ["needs one of user_ids, org_ids"]
    assert NEXPORT_CATALOG.get("student_sessions").requirement_text() == ["needs a window or from_date"]
    assert NEXPORT_CATALOG.get("section_enrollments").requirement_text() == [
        "needs one of subscriber_id, syllabus_id, enrollment_id, syllabus_unique_name",
        "needs org_id with syllabus_id or enrollment_id",
        "takes user_id or subscriber_id, not both",
    ]
    assert NEXPORT_CATALOG.get("custom_enrollment_field_values").requirement_text() == [
        "needs one of enrollment_id, subscriber_id and syllabus_id"
    ]
    assert LEARNUPON_CATALOG.get("users").requirement_text() == []


def test_param_options_default_joiner_coerce_list_and_value_format():
    endpoint = _endpoint(
        Param("statuses", multiple=True, api_name="statuses[]", default=[1, 3]),
        Param("tracks", multiple=True, joiner=","),
        Param(
            "ids", location="body", multiple=True, coerce_list=True, value_format="uuid", value_label="an id"
        ),
    )
    request, _ = endpoint.build_request({"tracks": ("t1", "t2"), "ids": ID}, None)
    assert list(request.params.items()) == [("tracks", "t1,t2"), ("statuses[]", [1, 3])]  # default last
    assert request.body == {"ids": [ID]}
    nothing, _ = endpoint.build_request({"statuses": None, "ids": []}, None)
    assert nothing.params == {} and nothing.body is None  # None: the API's own default; [] not given
    with pytest.raises(LmsConfigError, match=re.escape("ids=42 is not an id (a UUID such as")):
        endpoint.build_request({"ids": [ID, 42]}, None)
    with pytest.raises(ValueError, match="value_format 'email' is unknown"):
        Param("x", value_format="email")


def test_date_field_param_lists_the_choices():
    param = date_field_param({"a": None, "b": None})
    assert (param.name, param.choices) == ("date_field", ("a", "b"))
