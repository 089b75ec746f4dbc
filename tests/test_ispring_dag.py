"""The iSpring Learn example DAG runs through Airflow (dag.test on SQLite) against the twin."""

from __future__ import annotations

import json

import pendulum

from airflow_provider_lms.vendors.ispring.twin_data import users_v2
from airflow_provider_lms.windows import parse_record_time


def _read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_results_dimensions_dag_extracts_the_window(twin_factory, connect, run_dag):
    twin = twin_factory("ispring", xml_always=True)
    connect(twin, "ispring_default")
    run, out = run_dag("ispring_results_dimensions", "2026-10-21")
    assert run.state == "success"
    start, end = run.data_interval_start, run.data_interval_end
    assert end - start == pendulum.duration(days=1)
    day = start.strftime("%Y-%m-%d")
    data = twin.twin.data
    results = _read_jsonl(out / f"ispring/learner_results/{day}.jsonl")
    expected = [
        r
        for r in data["learner_results"]
        if "completionDate" in r and start <= parse_record_time(r["completionDate"]) < end
    ]
    assert expected and results == expected
    status = {u["userId"]: u["status"] for u in data["users"]}
    assert any(status[r["userId"]] == 3 for r in results), "blocked users' results belong in the file"
    assert _read_jsonl(out / f"ispring/users/{day}.jsonl") == users_v2(data)  # /users/v2: 5 = ended
    assert _read_jsonl(out / f"ispring/departments/{day}.jsonl") == data["departments"]
