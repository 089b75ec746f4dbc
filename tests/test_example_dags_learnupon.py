"""The LearnUpon example DAGs run through Airflow (dag.test on SQLite) against the sandbox."""

from __future__ import annotations

import json

import pendulum

from airflow_provider_lms.chaining import iter_output
from airflow_provider_lms.partitions import read_manifest
from airflow_provider_lms.windows import parse_record_time


def _read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_courses_enrollments_dag_extracts_the_window(twin_factory, connect, run_dag):
    twin = twin_factory("learnupon")
    connect(twin, "learnupon_default")
    run, out = run_dag("learnupon_courses_enrollments", "2026-10-20")
    assert run.state == "success"
    start, end = run.data_interval_start, run.data_interval_end
    assert end - start == pendulum.duration(days=1)
    day = start.strftime("%Y-%m-%d")
    courses = _read_jsonl(out / f"learnupon/courses/{day}.jsonl")
    assert courses == twin.twin.data["courses"]
    batches = sorted((out / f"learnupon/enrollments/{day}").glob("batch-*.jsonl"))
    assert len(batches) == 3  # 30 courses in batches of 10
    got = [r for b in batches for r in _read_jsonl(b)]
    expected = [e for e in twin.twin.data["enrollments"] if start <= parse_record_time(e["updated_at"]) < end]
    assert sorted(r["id"] for r in got) == sorted(e["id"] for e in expected)
    assert expected and len(got) == len({r["id"] for r in got})


def test_exam_results_dag_chains_exams_to_results(twin_factory, connect, run_dag):
    twin = twin_factory("learnupon")
    connect(twin, "learnupon_default")
    run, out = run_dag("learnupon_exam_results", "2026-10-20")
    assert run.state == "success"
    day = run.data_interval_start.strftime("%Y-%m-%d")
    exam_ids = twin.twin.data["exam_ids"]
    for endpoint, key in (
        ("exam_results", "exam_results"),
        ("exam_question_answers", "exam_question_answers"),
    ):
        files = sorted((out / f"learnupon/{endpoint}/{day}").glob("batch-*.jsonl"))
        assert len(files) == -(-len(exam_ids) // 5)
        got = [r for f in files for r in _read_jsonl(f)]
        assert got == [r for e in sorted(exam_ids) for r in twin.twin.data[key] if r["exam_id"] == e]
        # The partition's manifest lists exactly those files, and reads as the same records.
        manifest = out / f"learnupon/{endpoint}/{day}/_manifest.json"
        assert list(iter_output(manifest.as_uri())) == got
        assert [f["name"] for f in read_manifest(manifest.as_uri())["files"]] == [f.name for f in files]
