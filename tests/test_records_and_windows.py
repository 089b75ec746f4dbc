"""Record paths (JSONPath) and date-window parsing and mapping."""

from __future__ import annotations

import datetime

import pendulum
import pytest

from airflow_provider_lms.exceptions import LmsConfigError, LmsResponseError, LmsWindowError
from airflow_provider_lms.page_request import PageRequest
from airflow_provider_lms.records import RecordSelector
from airflow_provider_lms.windows import DateWindow, Window, parse_window


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("$.user[*]", {"user": [{"id": 1}, {"id": 2}]}, [{"id": 1}, {"id": 2}]),
        ("$[*]", [{"id": 1}], [{"id": 1}]),
        ("$", {"id": 9}, [{"id": 9}]),
        ("$.data.items[*]", {"data": {"items": [{"id": 3}]}}, [{"id": 3}]),
        ("$.user[*]", {"user": []}, []),
        ("$.rows[?(@.ok)]", {"rows": [{"ok": True, "id": 1}, {"ok": False, "id": 2}]}, None),  # generic path
        ("$.values[*]", {"values": [1, 2]}, [{"value": 1}, {"value": 2}]),
        ("auto", {"groups": [{"id": 1}], "total": 1}, [{"id": 1}]),
        ("auto", [{"id": 2}], [{"id": 2}]),
    ],
)
def test_record_paths(path, body, expected):
    try:
        records = RecordSelector(path).select(body)
    except LmsConfigError:
        # jsonpath-ng's basic parser has no filter syntax: it must say so clearly, not crash.
        assert expected is None
        return
    assert records == expected


def test_record_path_that_matches_nothing_names_the_keys():
    with pytest.raises(LmsResponseError, match=r"\$\.users\[\*\].*\['user'\]"):
        RecordSelector("$.users[*]").select({"user": []})


def test_star_over_an_object_and_ambiguous_auto_are_errors():
    with pytest.raises(LmsResponseError, match="matched nothing"):
        RecordSelector("$.meta[*]").select({"meta": {"a": 1}})
    with pytest.raises(LmsResponseError, match=r"\$\.a\[\*\], \$\.b\[\*\]"):
        RecordSelector("auto").select({"a": [], "b": []})


def test_metadata_is_copied_onto_each_record():
    body = {"rows": [{"id": 1}, {"id": 2}], "meta": {"report": "x"}}
    records = RecordSelector("$.rows[*]", "$.meta").select(body)
    assert [r["_metadata"] for r in records] == [{"report": "x"}] * 2


def test_invalid_jsonpath_is_a_config_error():
    with pytest.raises(LmsConfigError, match="not valid JSONPath"):
        RecordSelector("$..[[")


def test_parse_window_accepts_airflow_renderings():
    window = parse_window("2026-10-01T00:00:00+00:00", "2026-10-02 00:00:00+02:00")
    assert window == Window(pendulum.datetime(2026, 10, 1), pendulum.datetime(2026, 10, 1, 22))
    assert parse_window(None, "None") is None


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-10-02", "2026-10-01", "after"),
        ("2026-10-01", None, "both ends"),
        ("yesterday", "2026-10-01", "ISO 8601"),
    ],
)
def test_malformed_windows_are_refused(start, end, message):
    with pytest.raises(LmsWindowError, match=message):
        parse_window(start, end)


def test_whole_day_filter_widens_and_trims_by_record_time():
    day = datetime.timedelta(days=1)
    mapping = DateWindow(
        "date_from",
        "date_to",
        fmt="%Y-%m-%d",
        whole_days=True,
        margin_before=day,
        margin_after=day,
        record_field="updated_at",
    )
    window = parse_window("2026-10-05T06:00:00Z", "2026-10-06T06:00:00Z")
    request = PageRequest("GET", "/x")
    mapping.apply(request, window)
    assert request.params == {"date_from": "2026-10-04", "date_to": "2026-10-07"}
    inside = {"updated_at": "2026-10-05T06:00:00Z"}
    at_end = {"updated_at": "2026-10-06T06:00:00Z"}
    before = {"updated_at": "2026-10-05T05:59:59Z"}
    assert mapping.contains(inside, window) and not mapping.contains(at_end, window)
    assert not mapping.contains(before, window)


def test_joined_and_unix_formats():
    window = parse_window("2026-10-05", "2026-10-06")
    joined = PageRequest("GET", "/x")
    DateWindow("date_range", fmt="%Y-%m-%d", joiner=",").apply(joined, window)
    assert joined.params == {"date_range": "2026-10-05,2026-10-06"}
    unix = PageRequest("GET", "/x")
    DateWindow("after", "before", fmt="unix").apply(unix, window)
    utc = datetime.timezone.utc
    assert unix.params == {
        "after": int(datetime.datetime(2026, 10, 5, tzinfo=utc).timestamp()),
        "before": int(datetime.datetime(2026, 10, 6, tzinfo=utc).timestamp()),
    }
