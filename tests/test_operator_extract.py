"""LmsExtractOperator: output files, XCom, idempotence and atomicity, against the LearnUpon twin."""

from __future__ import annotations

import gzip
import hashlib
import json

import pytest

from airflow_provider_lms.exceptions import LmsConfigError, LmsHttpError
from airflow_provider_lms.operators.extract import LmsExtractOperator


def _operator(conn_id, destination, **kwargs):
    return LmsExtractOperator(task_id="extract", conn_id=conn_id, destination=destination, **kwargs)


def _lines(path):
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return [json.loads(line) for line in raw.decode().splitlines()]


def test_writes_jsonl_and_returns_a_small_summary(twin_factory, connect, tmp_path):
    twin = twin_factory("learnupon")
    out = tmp_path / "lu" / "enrollments.jsonl"
    op = _operator(
        connect(twin),
        f"file://{out}",
        endpoint="enrollments",
        parameters={"page_size": 40},
        window_start="2026-10-01T00:00:00+00:00",
        window_end="2026-10-08T00:00:00+00:00",
    )
    result = op.execute({})
    records = _lines(out)
    assert result == {
        "uri": f"file://{out}",
        "records": len(records),
        "pages": result["pages"],
        "duplicates_skipped": 0,
        "window_start": "2026-10-01T00:00:00+00:00",
        "window_end": "2026-10-08T00:00:00+00:00",
    }
    assert result["pages"] >= 2 and len(records) > 40
    assert len(json.dumps(result)) < 300  # never the records


def test_same_window_twice_gives_identical_bytes(twin_factory, connect, tmp_path):
    twin = twin_factory("learnupon", fault_rate=0.05)
    conn_id = connect(twin)
    digests = []
    for suffix in (".jsonl", ".jsonl.gz", ".jsonl", ".jsonl.gz"):
        out = tmp_path / f"users{suffix}"
        _operator(conn_id, str(out), endpoint="users", window_start=None, window_end=None).execute({})
        digests.append(hashlib.sha256(out.read_bytes()).hexdigest())
    assert digests[0] == digests[2] and digests[1] == digests[3]
    assert _lines(tmp_path / "users.jsonl.gz") == twin.twin.data["users"]


def test_list_of_parameters_runs_each_into_one_file(twin_factory, connect, tmp_path):
    twin = twin_factory("learnupon")
    out = tmp_path / "exams.jsonl"
    exam_ids = twin.twin.data["exam_ids"][:3]
    result = _operator(
        connect(twin),
        str(out),
        endpoint="exam_results",
        parameters=[{"exam_id": e} for e in exam_ids],
        window_start=None,
        window_end=None,
    ).execute({})
    expected = [r for e in exam_ids for r in twin.twin.data["exam_results"] if r["exam_id"] == e]
    assert _lines(out) == expected and result["records"] == len(expected)


def test_mid_extract_failure_leaves_the_previous_file(twin_factory, connect, tmp_path):
    out = tmp_path / "enrollments.jsonl"
    out.write_text('{"previous": true}\n')
    twin = twin_factory("learnupon", outage_after=3)
    op = _operator(
        connect(twin),
        str(out),
        endpoint="enrollments",
        parameters={"page_size": 20},
        window_start=None,
        window_end=None,
    )
    op.hook._max_attempts, op.hook._backoff_base = 2, 0.001
    with pytest.raises(LmsHttpError, match="HTTP 500"):
        op.execute({})
    assert out.read_text() == '{"previous": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["enrollments.jsonl"]  # no partial file left


def test_mid_extract_failure_with_no_previous_file_leaves_nothing(twin_factory, connect, tmp_path):
    twin = twin_factory("learnupon", outage_after=2)
    op = _operator(
        connect(twin),
        str(tmp_path / "x" / "users.jsonl.gz"),
        endpoint="users",
        parameters={"page_size": 10},
        window_start=None,
        window_end=None,
    )
    op.hook._max_attempts, op.hook._backoff_base = 2, 0.001
    with pytest.raises(LmsHttpError):
        op.execute({})
    assert list(tmp_path.iterdir()) == []  # no partial file, and no empty folder "x" either


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"endpoint": "users", "destination": "/tmp/x.csv"}, "no supported suffix"),
        ({"endpoint": "users", "destination": "relative/x.jsonl"}, "relative"),
        ({"endpoint": "users", "destination": "  "}, "destination is empty"),
        (
            {
                "endpoint": "exam_results",
                "destination": "/tmp/x.jsonl",
                "parameters": [{"exam_id": 9001}, {}],
            },
            "needs 'exam_id'",
        ),
        (
            {"endpoint": "users", "destination": "/tmp/x.jsonl", "parameters": "exam_id=1"},
            "dict or a list of dicts",
        ),
        (
            {
                "endpoint": "audit_trails",
                "destination": "/tmp/x.jsonl",
                "window_start": "2026-10-01",
                "window_end": "garbage",
            },
            "ISO 8601",
        ),
    ],
)
def test_bad_input_fails_before_any_request(twin_factory, connect, kwargs, message):
    twin = twin_factory("learnupon")
    conn_id = connect(twin)
    kwargs = {"window_start": None, "window_end": None, **kwargs}
    with pytest.raises(LmsConfigError, match=message):
        LmsExtractOperator(task_id="t", conn_id=conn_id, **kwargs).execute({})
    assert twin.twin.count() == 0


def test_connection_of_another_type_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("AIRFLOW_CONN_PG", json.dumps({"conn_type": "postgres", "host": "127.0.0.1"}))
    with pytest.raises(LmsConfigError, match="'postgres' is not an LMS type"):
        _operator("pg", str(tmp_path / "a.jsonl"), endpoint="users").execute({})


def test_template_fields_are_declared():
    assert set(LmsExtractOperator.template_fields) >= {
        "conn_id",
        "endpoint",
        "parameters",
        "window_start",
        "window_end",
        "destination",
    }
