"""The LearnWorlds example DAG runs through Airflow (dag.test on SQLite) against the twin: exact
files under injected faults, and a 300-course fan-out that a real rolling limiter never refuses."""

from __future__ import annotations

import json

import pendulum
import pytest

DAG_ID = "learnworlds_school_daily"
POOL = "learnworlds_default"


def _read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def _batches(out, endpoint: str, day: str) -> tuple[int, list[dict]]:
    files = sorted((out / f"learnworlds/{endpoint}/{day}").glob("batch-*.jsonl"))
    return len(files), [r for f in files for r in _read_jsonl(f)]


def _expected_fan_out(data: dict) -> tuple[list[dict], list[dict]]:
    """Enrolled users and grades of every course, course by course, tagged with the course id."""
    users, grades = [], []
    for course in data["courses"]:
        cid = course["id"]
        enrolled = {
            a["user_id"]
            for a in data["product_access"]
            if a["product"]["id"] == cid and a["product"]["type"] == "course"
        }
        users += [{**u, "_parameters": {"course_id": cid}} for u in data["users"] if u["id"] in enrolled]
        grades += [{**g, "_parameters": {"course_id": cid}} for g in data["grades"][cid]]
    return users, grades


@pytest.fixture
def pool(airflow_db):
    """The pool docs/learnworlds.md tells users to create: one slot per LearnWorlds connection."""
    from airflow.models.pool import Pool

    Pool.create_or_update_pool(POOL, slots=1, description="LearnWorlds school budget", include_deferred=False)
    return POOL


def test_every_learnworlds_task_runs_in_the_connection_pool():
    from airflow.dag_processing.dagbag import DagBag

    from tests.conftest import REPO

    dag = DagBag(dag_folder=str(REPO / "dags")).dags[DAG_ID]
    extracts = [t for t in dag.tasks if t.task_type == "LmsExtractOperator"]
    assert {t.task_id for t in extracts} == {"courses", "course_users", "course_grades", "event_logs"}
    for task in extracts:
        assert task.pool == POOL and task.pool_slots == 1, task.task_id


def test_school_daily_dag_writes_exact_files_despite_faults(twin_factory, connect, run_dag, pool):
    twin = twin_factory("learnworlds", fault_rate=0.05, rate_limit=100_000, rate_window=1.0)
    connect(twin, "learnworlds_default")
    run, out = run_dag(DAG_ID, "2026-10-21")
    assert run.state == "success"
    start, end = run.data_interval_start, run.data_interval_end
    assert end - start == pendulum.duration(days=1)
    day = start.strftime("%Y-%m-%d")
    data = twin.twin.data
    assert _read_jsonl(out / f"learnworlds/courses/{day}.jsonl") == data["courses"]
    users, grades = _expected_fan_out(data)
    assert _batches(out, "course_users", day) == (2, users)  # 40 courses in batches of 25
    assert _batches(out, "course_grades", day) == (2, grades)
    events = [e for e in data["event_logs"] if start.timestamp() <= e["created"] < end.timestamp()]
    assert events and _read_jsonl(out / f"learnworlds/event_logs/{day}.jsonl") == events
    assert twin.twin.faults.injected > 0
    # Every task that calls the API runs in the pool; batching and the partition commits do not.
    calling = [ti for ti in run.get_task_instances() if ti.task_id != "course_batches"]
    calling = [ti for ti in calling if not ti.task_id.startswith("commit_")]
    assert {ti.pool for ti in calling} == {POOL}
    commits = {ti.task_id: ti.state for ti in run.get_task_instances() if ti.task_id.startswith("commit_")}
    assert commits == {"commit_course_users": "success", "commit_course_grades": "success"}


def test_300_course_fan_out_gets_no_429_from_a_rolling_limiter(twin_factory, connect, run_dag, pool):
    # The school's 30 requests per rolling window, with a 1 s window instead of 10 s so the test
    # takes ~25 s instead of ~4 min; the connection extras carry the same limit to the hook.
    twin = twin_factory("learnworlds", courses=300, rate_limit=30, rate_window=1.0)
    connect(twin, "learnworlds_default")
    started = pendulum.now()
    run, out = run_dag(DAG_ID, "2026-10-21")
    elapsed = (pendulum.now() - started).total_seconds()
    assert run.state == "success"
    day = run.data_interval_start.strftime("%Y-%m-%d")
    users, grades = _expected_fan_out(twin.twin.data)
    assert _batches(out, "course_users", day) == (12, users)
    assert _batches(out, "course_grades", day) == (12, grades)
    sent = twin.twin.count()
    assert sent > 600
    assert twin.twin.rate_limited == 0 and twin.twin.count(status=429) == 0
    assert twin.twin.max_in_window <= 30
    assert elapsed >= (sent - 30) / 30  # it was paced, not lucky
