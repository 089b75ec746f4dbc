"""Backfill-safe partitions: a re-run with a shrunk fan-out leaves exactly the files it wrote, the
manifest is written last, and readers see only the files it lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_provider_lms.chaining import iter_output, read_field
from airflow_provider_lms.exceptions import LmsConfigError
from airflow_provider_lms.partitions import (
    MANIFEST_NAME,
    LmsPartitionError,
    commit_partition,
    manifest_files,
    read_manifest,
)

WINDOW = ("2026-10-20T00:00:00+00:00", "2026-10-21T00:00:00+00:00")


def _write_batches(partition: Path, batches: list[list[dict]]) -> list[dict]:
    """Batch files as mapped extracts write them; returns their extract results."""
    partition.mkdir(parents=True, exist_ok=True)
    results = []
    for index, records in enumerate(batches):
        path = partition / f"batch-{index:03d}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
        results.append(
            {
                "uri": path.as_uri(),
                "records": len(records),
                "pages": 1,
                "window_start": WINDOW[0],
                "window_end": WINDOW[1],
            }
        )
    return results


def _batches(count: int, run: str) -> list[list[dict]]:
    return [[{"id": f"{run}-{i}-{j}", "course": i} for j in range(2)] for i in range(count)]


def test_rerun_with_shrunk_fan_out_leaves_exactly_its_files(tmp_path):
    partition = tmp_path / "enrollments" / "2026-10-20"
    first = commit_partition(partition.as_uri(), _write_batches(partition, _batches(13, "a")), run_id="r1")
    assert len(first["files"]) == 13 and first["removed"] == []

    # The re-run: a course was deleted, 12 batches. batch-012 of the first run is stale.
    rerun = _write_batches(partition, _batches(12, "b"))
    assert (partition / "batch-012.jsonl").exists()
    second = commit_partition(partition.as_uri(), rerun, run_id="r2")

    names = [f"batch-{i:03d}.jsonl" for i in range(12)]
    assert sorted(p.name for p in partition.iterdir()) == sorted([MANIFEST_NAME, *names])
    assert second["removed"] == ["batch-012.jsonl"]
    manifest = read_manifest(second["manifest"])
    assert manifest["run_id"] == "r2"
    assert manifest["window"] == {"start": WINDOW[0], "end": WINDOW[1]}
    assert [f["name"] for f in manifest["files"]] == names
    assert [f["records"] for f in manifest["files"]] == [2] * 12 and manifest["records"] == 24
    ids = read_field(second["manifest"], "id")
    assert len(ids) == 24 and all(i.startswith("b-") for i in ids)


def test_readers_see_only_the_files_the_manifest_lists(tmp_path):
    partition = tmp_path / "p"
    committed = commit_partition(partition.as_uri(), _write_batches(partition, _batches(2, "a")), run_id="r")
    # A stale file that survived (say the process died between manifest and pruning).
    (partition / "batch-007.jsonl").write_text(json.dumps({"id": "stale", "course": 7}) + "\n")
    records = list(iter_output(committed["manifest"]))
    assert [r["id"] for r in records] == ["a-0-0", "a-0-1", "a-1-0", "a-1-1"]
    assert manifest_files(partition.as_uri()) == [
        f"{partition.as_uri()}/batch-000.jsonl",
        f"{partition.as_uri()}/batch-001.jsonl",
    ]
    # The next commit of the window removes it.
    again = commit_partition(partition.as_uri(), _write_batches(partition, _batches(2, "a")), run_id="r2")
    assert again["removed"] == ["batch-007.jsonl"]


def test_empty_fan_out_commits_an_empty_partition(tmp_path):
    partition = tmp_path / "p"
    _write_batches(partition, _batches(3, "a"))
    window = {"start": WINDOW[0], "end": WINDOW[1]}
    committed = commit_partition(partition.as_uri(), [], run_id="r", window=window)
    assert committed["files"] == [] and committed["records"] == 0 and committed["window"] == window
    assert [p.name for p in partition.iterdir()] == [MANIFEST_NAME]
    assert list(iter_output(committed["manifest"])) == []


def test_bad_commits_fail_before_touching_the_partition(tmp_path):
    partition = tmp_path / "p"
    results = _write_batches(partition, _batches(2, "a"))
    before = sorted(p.name for p in partition.iterdir())
    elsewhere = _write_batches(tmp_path / "other", _batches(1, "x"))
    with pytest.raises(LmsConfigError, match="not directly inside the partition"):
        commit_partition(partition.as_uri(), [*results, *elsewhere], run_id="r")
    with pytest.raises(LmsConfigError, match="two extracts of this run wrote"):
        commit_partition(partition.as_uri(), [results[0], results[0]], run_id="r")
    skewed = {**results[1], "window_start": "2026-10-19T00:00:00+00:00"}
    with pytest.raises(LmsConfigError, match="different windows"):
        commit_partition(partition.as_uri(), [results[0], skewed], run_id="r")
    with pytest.raises(LmsConfigError, match="return value of an LmsExtractOperator"):
        commit_partition(partition.as_uri(), ["batch-000.jsonl"], run_id="r")
    (partition / "batch-001.jsonl").unlink()
    with pytest.raises(LmsPartitionError, match="missing"):
        commit_partition(partition.as_uri(), results, run_id="r")
    assert sorted(p.name for p in partition.iterdir()) == [n for n in before if n != "batch-001.jsonl"]
    with pytest.raises(LmsPartitionError, match="never committed"):
        list(iter_output(f"{partition.as_uri()}/{MANIFEST_NAME}"))


def test_example_dag_rerun_of_a_window_prunes_stale_batches(twin_factory, connect, run_dag):
    """learnupon_courses_enrollments through dag.test(): a window whose partition holds a batch file
    of an earlier, wider run ends with exactly the files of this run, listed by the manifest."""
    twin = twin_factory("learnupon")
    connect(twin, "learnupon_default")
    run, out = run_dag("learnupon_courses_enrollments", "2026-10-20")
    assert run.state == "success"
    day = run.data_interval_start.strftime("%Y-%m-%d")
    partition = out / f"learnupon/enrollments/{day}"
    fresh = sorted(p.name for p in partition.iterdir())
    assert fresh == [MANIFEST_NAME, "batch-000.jsonl", "batch-001.jsonl", "batch-002.jsonl"]

    stale = partition / "batch-003.jsonl"  # as if the earlier run had one more course batch
    stale.write_text(json.dumps({"id": -1, "enrollment_status": "stale"}) + "\n")
    rerun, _ = run_dag("learnupon_courses_enrollments", "2026-10-20")
    assert rerun.state == "success"
    assert sorted(p.name for p in partition.iterdir()) == fresh
    manifest = read_manifest(partition.as_uri())
    assert manifest["run_id"] == rerun.run_id and manifest["dag_id"] == "learnupon_courses_enrollments"
    records = list(iter_output(f"{partition.as_uri()}/{MANIFEST_NAME}"))
    assert manifest["records"] == len(records) and all(r["id"] != -1 for r in records)


def test_a_window_whose_fan_out_became_empty_commits_an_empty_partition(
    twin_factory, connect, run_dag, tmp_path
):
    """No user was edited in the window: the mapped user_enrollments task expands to nothing (skipped),
    and the commit still runs (trigger rule none_failed), removing the batches of an earlier run."""
    running = twin_factory("absorb")
    extra = {**running.connection()["extra"], "token_cache_dir": str(tmp_path / "tokens")}
    connect(running, "absorb_default", extra=extra)
    day = "2026-12-14"  # after the sandbox's data: nobody was edited that day
    partition = tmp_path / "out" / "absorb" / "user_enrollments" / day
    partition.mkdir(parents=True)
    for index in range(2):  # what an earlier run of the window left
        (partition / f"batch-{index:03d}.jsonl").write_text(json.dumps({"id": f"old-{index}"}) + "\n")
    run, out = run_dag("absorb_users_courses_enrollments", "2026-12-15")  # the window [12-14, 12-15)
    assert run.state == "success"
    states = {(ti.task_id, ti.map_index): ti.state for ti in run.get_task_instances()}
    assert states[("commit_user_enrollments", -1)] == "success"
    assert not any(task == "user_enrollments" and state == "success" for (task, _), state in states.items())
    assert run.data_interval_start.strftime("%Y-%m-%d") == day, run.data_interval_start
    assert [p.name for p in partition.iterdir()] == [MANIFEST_NAME]
    manifest = read_manifest(partition.as_uri())
    assert manifest["files"] == [] and manifest["records"] == 0 and manifest["run_id"] == run.run_id
    assert manifest["window"]["start"].startswith(day)
