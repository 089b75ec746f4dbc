"""Absorb's documented filters: ``status`` and ``modifiedSince`` on ``my_enrollments``,
``session_enrollments`` and the single-object enrollment reads, and ``bulk_enrollments`` taking
user ids, course ids or both. Real HTTP against the twin; what the API holds is computed here from
its data store with plain Python."""

from __future__ import annotations

from datetime import timedelta

import pytest

from airflow_provider_lms.exceptions import LmsConfigError, LmsHttpError
from airflow_provider_lms.sandbox import start_twin
from airflow_provider_lms.vendors.absorb.hook import ABSORB_CATALOG, AbsorbHook
from tests.test_absorb_support import Scenario, by_id, moment, register

LISTS = ["my_enrollments", "session_enrollments"]
SINGLES = [
    "user_course_enrollment",
    "user_session_enrollment",
    "user_chapter_enrollment",
    "user_lesson_enrollment",
    "user_chapter_lesson_enrollment",
    "my_enrollment",
]


@pytest.fixture(scope="module")
def running():
    twin = start_twin("absorb", seed=7)
    yield twin
    twin.stop()


@pytest.fixture
def hook(running, connect, tmp_path, no_sleep):
    return AbsorbHook(register(connect, running, tmp_path), backoff_base=0.01, sleep=no_sleep)


def _edited(record: dict) -> str:
    # Chapter enrollments keep their edit date internally (the API does not show it).
    return record.get("dateEdited") or record["_dateEdited"]


def _raw(running, name: str) -> list[dict]:
    """The twin's own records behind a case (with internal fields, for the edit date)."""
    scenario = Scenario(running.twin.data)
    _, shown_records = scenario.case(name)
    ids = {r["id"] for r in shown_records}
    pool = [r for key in ("course_enrollments", "session_enrollments", "chapter_enrollments", "lesson_enrollments")
            for r in running.twin.data[key]]  # fmt: skip
    return [r for r in pool if r["id"] in ids]


@pytest.mark.parametrize("name", LISTS + SINGLES)
def test_the_filters_are_accepted_where_the_reference_documents_them(name):
    names = ABSORB_CATALOG.get(name).param_names
    assert "status" in names and "modifiedSince" in names


@pytest.mark.parametrize("name", LISTS)
def test_a_list_filtered_by_status_and_modified_since_holds_exactly_the_matching_records(running, hook, name):
    parameters, holding = Scenario(running.twin.data).case(name)
    raw = {r["id"]: r for r in _raw(running, name)}
    statuses = sorted({r["status"] for r in holding})
    status = max(statuses, key=lambda s: sum(r["status"] == s for r in holding))
    edits = sorted(moment(_edited(r)) for r in raw.values())
    since = edits[len(edits) // 2] - timedelta(seconds=1)
    expected = [r for r in holding if r["status"] == status and moment(_edited(raw[r["id"]])) > since]
    got = list(
        hook.iter_records(
            name, {**parameters, "status": status, "modifiedSince": since.isoformat(), "page_size": 3}
        )
    )
    assert expected and len(expected) < len(holding)  # the filters really narrowed it
    assert by_id(got) == by_id(expected)


@pytest.mark.parametrize("name", SINGLES)
def test_a_single_read_is_returned_when_it_matches_the_filters(running, hook, name):
    parameters, (record,) = Scenario(running.twin.data).case(name)
    (raw,) = _raw(running, name)
    before = (moment(_edited(raw)) - timedelta(days=1)).isoformat()
    got = list(hook.iter_records(name, {**parameters, "status": record["status"], "modifiedSince": before}))
    assert got == [record]


@pytest.mark.parametrize("name", SINGLES)
def test_a_single_read_that_does_not_match_is_not_found(running, hook, name):
    parameters, (record,) = Scenario(running.twin.data).case(name)
    (raw,) = _raw(running, name)
    other = next(s for s in range(13) if s != record["status"])
    with pytest.raises(LmsHttpError, match="404"):
        list(hook.iter_records(name, {**parameters, "status": other}))
    after = (moment(_edited(raw)) + timedelta(days=1)).isoformat()
    with pytest.raises(LmsHttpError, match="404"):
        list(hook.iter_records(name, {**parameters, "modifiedSince": after}))


def test_bulk_enrollments_take_user_ids_course_ids_or_both(running, hook):
    data = running.twin.data
    scenario = Scenario(data)
    by_course = [r for r in data["course_enrollments"] if r["courseId"] == scenario.course_id]
    got = list(hook.iter_records("bulk_enrollments", {"course_ids": [scenario.course_id]}))
    assert by_id(got) == by_id([{k: v for k, v in r.items() if not k.startswith("_")} for r in by_course])
    users = scenario.bulk_user_ids
    both = [r for r in by_course if r["userId"] in users]
    got = list(hook.iter_records("bulk_enrollments", {"course_ids": [scenario.course_id], "user_ids": users}))
    assert by_id(got) == by_id([{k: v for k, v in r.items() if not k.startswith("_")} for r in both])


def test_bulk_enrollments_without_ids_fail_before_any_request(running, hook):
    before = len(running.twin.request_log)
    with pytest.raises(LmsConfigError, match="user_ids, or course_ids"):
        list(hook.iter_records("bulk_enrollments", {}))
    assert len(running.twin.request_log) == before
    assert ABSORB_CATALOG.get("bulk_enrollments").requirement_text() == ["needs one of user_ids, course_ids"]
