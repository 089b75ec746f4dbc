"""Lineage: OpenLineage events from a real ``airflow dags test`` run, the operator's facets, the hooks'
hook-lineage input, and the naming of inputs and outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_provider_lms.lineage import FieldsSeen, api_dataset, storage_dataset
from airflow_provider_lms.naive_times import is_naive
from airflow_provider_lms.operators.extract import LmsExtractOperator
from airflow_provider_lms.vendors.learnupon.hook import LearnUponHook

AIRFLOW = str(Path(sys.executable).parent / "airflow")


def _events(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.slow
def test_airflow_dags_test_emits_openlineage_events_with_the_extract(airflow_db, twin_factory, tmp_path):
    pytest.importorskip("airflow.providers.openlineage", reason="needs the openlineage extra (setup.sh)")
    twin = twin_factory("learnupon")
    conn = twin.connection()
    events_file = tmp_path / "openlineage.jsonl"
    out = tmp_path / "out"
    env = {
        **os.environ,
        "AIRFLOW_CONN_LEARNUPON_DEFAULT": json.dumps(conn),
        "AIRFLOW_VAR_LMS_OUTPUT_ROOT": f"file://{out}",
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {"type": "file", "log_file_path": str(events_file), "append": True}
        ),
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "lms-test",
    }
    done = subprocess.run(
        [AIRFLOW, "dags", "test", "learnupon_audit_trails", "2026-10-21"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    written = out / "learnupon" / "audit_trails" / "2026-10-20.jsonl"  # dags test D runs [D-1, D)
    records = len(written.read_text().splitlines())
    assert records > 0

    events = [e for e in _events(events_file) if e["job"]["name"] == "learnupon_audit_trails.audit_trails"]
    by_type = {e["eventType"]: e for e in events}
    assert {"START", "COMPLETE"} <= set(by_type), [e["eventType"] for e in events]
    origin = twin.url  # http://127.0.0.1:<port>, the connection's host
    for kind in ("START", "COMPLETE"):
        event = by_type[kind]
        assert [(d["namespace"], d["name"]) for d in event["inputs"]] == [(origin, "/api/v1/audit-trails")]
        assert [(d["namespace"], d["name"]) for d in event["outputs"]] == [("file", str(written))]
    complete = by_type["COMPLETE"]
    fields = {f["name"]: f["type"] for f in complete["inputs"][0]["facets"]["schema"]["fields"]}
    first = json.loads(written.read_text().splitlines()[0])
    assert set(fields) == set(first) and fields["id"] == "integer"
    run = complete["run"]["facets"]["lmsExtract"]
    assert run["records"] == records and run["pages"] >= 1
    assert (run["windowStart"], run["windowEnd"]) == (
        "2026-10-20T00:00:00+00:00",
        "2026-10-21T00:00:00+00:00",
    )
    assert run["connType"] == "learnupon" and run["endpoint"] == "audit_trails"
    assert conn["password"] not in events_file.read_text()


def test_hooks_add_their_input_to_the_hook_lineage_collector(twin_factory, connect, monkeypatch):
    from airflow.sdk import lineage

    collector = lineage.HookLineageCollector()
    monkeypatch.setattr(lineage, "get_hook_lineage_collector", lambda: collector)
    twin = twin_factory("learnupon")
    hook = LearnUponHook(conn_id=connect(twin))
    exam = twin.twin.data["exam_ids"][0]
    assert len(list(hook.iter_records("exam_results", {"exam_id": exam}))) > 0
    inputs = collector.collected_assets.inputs
    assert [i.asset.uri for i in inputs] == [f"{twin.url}/api/v1/exams/{{exam_id}}/enrollments"]
    assert inputs[0].context is hook


def test_operator_facets_on_start_and_complete(twin_factory, connect, tmp_path):
    pytest.importorskip("airflow.providers.openlineage", reason="needs the openlineage extra (setup.sh)")
    twin = twin_factory("learnupon")
    out = tmp_path / "users.jsonl.gz"
    op = LmsExtractOperator(
        task_id="users",
        conn_id=connect(twin),
        endpoint="users",
        destination=str(out),
        window_start=None,
        window_end=None,
        parameters={"page_size": 50},
    )
    start = op.get_openlineage_facets_on_start()
    assert [(d.namespace, d.name) for d in start.inputs] == [(twin.url, "/api/v1/users")]
    assert [(d.namespace, d.name) for d in start.outputs] == [("file", str(out))]
    assert start.run_facets["lmsExtract"].records is None  # nothing known before the run
    result = op.execute({})
    complete = op.get_openlineage_facets_on_complete(None)
    facet = complete.run_facets["lmsExtract"]
    assert (facet.records, facet.pages) == (result["records"], result["pages"])
    assert result["pages"] > 1
    names = [f.name for f in complete.inputs[0].facets["schema"].fields]
    assert names[:2] == list(twin.twin.data["users"][0])[:2]


def test_bad_endpoint_leaves_start_lineage_without_input(twin_factory, connect, tmp_path):
    pytest.importorskip("airflow.providers.openlineage", reason="needs the openlineage extra (setup.sh)")
    op = LmsExtractOperator(
        task_id="t",
        conn_id=connect(twin_factory("learnupon")),
        endpoint="nope",
        destination=str(tmp_path / "a.jsonl"),
    )
    lineage = op.get_openlineage_facets_on_start()
    assert lineage.inputs == [] and len(lineage.outputs) == 1


def test_dataset_names():
    assert storage_dataset("s3://lake/lms/users.jsonl") == ("s3://lake", "lms/users.jsonl")
    assert storage_dataset("s3://aws_lake@lake/lms/users.jsonl") == ("s3://lake", "lms/users.jsonl")
    assert storage_dataset("/data/lms/users.jsonl") == ("file", "/data/lms/users.jsonl")
    assert storage_dataset("file:///data/lms/users.jsonl") == ("file", "/data/lms/users.jsonl")

    class Hook:
        def base_url(self):
            return "https://api-user:secret@acme.learnupon.com:8443/api/v1/"

    class Endpoint:
        path = "/enrollments/search"

    assert api_dataset(Hook(), Endpoint()) == (
        "https://acme.learnupon.com:8443",
        "/api/v1/enrollments/search",
    )


def test_fields_seen_keeps_order_and_every_type():
    seen = FieldsSeen()
    seen.observe([{"id": 1, "score": 5, "note": None}, {"id": 2, "score": 5.5, "tags": ["a"], "note": None}])
    assert seen.schema() == [
        ("id", "integer"),
        ("score", "integer|number"),
        ("note", "null"),
        ("tags", "array"),
    ]


def test_naive_window_values_are_logged_once_as_utc(twin_factory, connect, tmp_path, capsys):
    twin = twin_factory("learnupon")
    op = LmsExtractOperator(
        task_id="t",
        conn_id=connect(twin),
        endpoint="enrollments",
        destination=str(tmp_path / "e.jsonl"),
        window_start="2026-10-20",
        window_end="2026-10-21T00:00:00+00:00",
    )
    result = op.execute({})
    lines = capsys.readouterr().out.splitlines()  # Airflow's task loggers print structured lines
    notes = [line for line in lines if "no timezone" in line]
    assert len(notes) == 1, notes
    assert "window_start='2026-10-20' has no timezone: taken as UTC" in notes[0]
    assert "window_end" not in notes[0]
    assert result["window_start"] == "2026-10-20T00:00:00+00:00"


def test_is_naive():
    from datetime import date, datetime, timezone

    assert is_naive("2026-10-20") and is_naive("2026-10-20T06:00") and is_naive(datetime(2026, 10, 20))
    assert is_naive(date(2026, 10, 20))
    assert not is_naive("2026-10-20T00:00:00+00:00") and not is_naive("2026-10-20T00:00:00Z")
    assert not is_naive(datetime(2026, 10, 20, tzinfo=timezone.utc)) and not is_naive(None)
