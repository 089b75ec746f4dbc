"""The provider on a real distributed executor: Airflow's CeleryExecutor with two Celery workers.

PostgreSQL and Redis (Debian packages, installed by scripts/setup.sh) run on free loopback ports
with their data in temporary directories; the scheduler, api-server and dag-processor run as
separate processes, and two workers each have their own HOME, TMPDIR and AIRFLOW_HOME (two
"hosts": no token-cache directory in common). Through the scheduler, a backfill of three windows
of the Absorb and the LearnWorlds example DAGs runs with ``--max-active-runs 3``; the test checks
every output file against the twins' data, that mapped tasks ran on both workers, that LearnWorlds
saw no 429 across the cluster (its one-slot pool holds), and that Absorb saw no 401 storm: one
``/authenticate`` shared through ``token_store: variable``, and when another client steals the
token mid-backfill, exactly one more for both hosts.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from airflow_provider_lms.chaining import iter_output
from airflow_provider_lms.partitions import MANIFEST_NAME, read_manifest
from airflow_provider_lms.sandbox import start_twin
from tests.cluster import _pg_bin, celery_cluster, missing_tools
from tests.test_absorb_support import by_id, edited_in, shown
from tests.test_learnworlds_dag import _expected_fan_out

REPO = Path(__file__).resolve().parent.parent
ABSORB, LEARNWORLDS = "absorb_users_courses_enrollments", "learnworlds_school_daily"
DAYS = ("2026-10-20", "2026-10-21", "2026-10-22")
WORKERS = ("worker-a", "worker-b")
RUN_TIMEOUT = 480.0
REVOKE_AFTER = 50  # of ~100 authorized Absorb requests in the backfill (16 courses, 3 windows)
#: 401s the theft may cost: each task in flight meets the stolen token once (2 workers x 2 slots),
#: and a task starting before the renewal landed may once more. A storm would be many rounds.
MAX_401 = 8

pytestmark = [pytest.mark.slow, pytest.mark.distributed]


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _runs(cluster, dag_id: str) -> list[dict]:
    response = cluster.get(f"/api/v2/dags/{dag_id}/dagRuns", params={"order_by": "logical_date"})
    assert response.ok, response.text
    return response.json()["dag_runs"]


def _task_instances(cluster, dag_id: str) -> list[dict]:
    response = cluster.get(f"/api/v2/dags/{dag_id}/dagRuns/~/taskInstances", params={"limit": 1000})
    assert response.ok, response.text
    return response.json()["task_instances"]


def _wait_for_dags(cluster, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cluster.check_alive()
        if all(cluster.get(f"/api/v2/dags/{dag_id}/details").ok for dag_id in (ABSORB, LEARNWORLDS)):
            return
        time.sleep(1)
    processor = next(p for p in cluster.processes if p.name == "dag-processor")
    raise processor.failure(f"the dag-processor did not serialize the DAGs in {timeout:.0f} s")


def _wait_for_runs(cluster, started: float) -> dict[str, list[dict]]:
    deadline = started + RUN_TIMEOUT
    while time.monotonic() < deadline:
        cluster.check_alive()
        runs = {dag: _runs(cluster, dag) for dag in (ABSORB, LEARNWORLDS)}
        if all(len(r) == 3 and all(x["state"] in ("success", "failed") for x in r) for r in runs.values()):
            return runs
        time.sleep(2)
    states = {
        dag: [(r["logical_date"], r["state"]) for r in _runs(cluster, dag)] for dag in (ABSORB, LEARNWORLDS)
    }
    raise cluster.processes[-1].failure(f"backfill runs not finished in {RUN_TIMEOUT:.0f} s: {states}")


def _psql(db_url: str, sql: str) -> list[list[str]]:
    host_port = db_url.split("@", 1)[1].split("/", 1)[0]
    host, port = host_port.split(":")
    done = subprocess.run(
        [_pg_bin("psql"), "-h", host, "-p", port, "-U", "airflow", "-d", "airflow", "-At", "-F", "\t", "-c", sql],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    return [line.split("\t") for line in done.stdout.splitlines() if line]


def _check_absorb(twin, out: Path, runs: list[dict]) -> None:
    data, root = twin.data, out / "absorb"
    for run in runs:
        start, end = run["data_interval_start"], run["data_interval_end"]
        window, day = (start, end), start[:10]
        edited_users = [shown(u) for u in data["users"] if edited_in(u, window)]
        assert by_id(_read(root / f"users/{day}.jsonl")) == by_id(edited_users)
        ids = {u["id"] for u in edited_users}
        for endpoint, expected in (
            ("user_enrollments", [shown(e) for e in data["course_enrollments"] if e["userId"] in ids]),
            ("course_enrollments", [shown(e) for e in data["course_enrollments"] if edited_in(e, window)]),
        ):
            partition = root / f"{endpoint}/{day}"
            manifest = read_manifest(partition.as_uri())
            assert manifest["run_id"] == run["dag_run_id"], endpoint
            listed = [f["name"] for f in manifest["files"]]
            assert sorted(p.name for p in partition.iterdir()) == sorted([MANIFEST_NAME, *listed])
            records = list(iter_output(f"{partition.as_uri()}/{MANIFEST_NAME}"))
            assert by_id(records) == by_id(expected), (endpoint, day)
            assert manifest["records"] == len(records)
        assert by_id(_read(root / f"courses/{day}.jsonl")) == by_id([shown(c) for c in data["courses"]])


def _check_learnworlds(twin, out: Path, runs: list[dict]) -> None:
    data, root = twin.data, out / "learnworlds"
    users, grades = _expected_fan_out(data)
    for run in runs:
        start, end = run["data_interval_start"], run["data_interval_end"]
        day = start[:10]
        for endpoint, expected in (("course_users", users), ("course_grades", grades)):
            manifest = f"{(root / endpoint / day).as_uri()}/{MANIFEST_NAME}"
            assert list(iter_output(manifest)) == expected, (endpoint, day)
        from datetime import datetime

        lo, hi = datetime.fromisoformat(start).timestamp(), datetime.fromisoformat(end).timestamp()
        events = [e for e in data["event_logs"] if lo <= e["created"] < hi]
        assert _read(root / f"event_logs/{day}.jsonl") == events


def test_backfill_on_a_celery_cluster_with_two_workers(tmp_path):
    missing = missing_tools()
    assert not missing, f"the distributed test needs {missing}: run scripts/setup.sh (it installs them)"
    began = time.monotonic()
    # Another client steals the token once, mid-backfill: the cluster must renew it exactly once.
    absorb = start_twin("absorb", seed=2, revoke_after_requests=REVOKE_AFTER)
    learnworlds = start_twin("learnworlds", rate_limit=30, rate_window=1.0)  # 30 per 1 s: a quick test
    out, dags = tmp_path / "out", tmp_path / "dags"
    dags.mkdir()
    for dag_id in (ABSORB, LEARNWORLDS):
        shutil.copy(REPO / "dags" / f"{dag_id}.py", dags)
    absorb_conn = absorb.connection()
    absorb_conn["extra"] = {**absorb_conn["extra"], "token_store": "variable"}  # no token_cache_dir: per host
    env = {
        "AIRFLOW_CONN_ABSORB_DEFAULT": json.dumps(absorb_conn),
        "AIRFLOW_CONN_LEARNWORLDS_DEFAULT": json.dumps(learnworlds.connection()),
        "AIRFLOW_VAR_LMS_OUTPUT_ROOT": f"file://{out}",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # only the backfill's runs
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
    }
    try:
        with celery_cluster(tmp_path / "cluster", dags, workers=WORKERS, env=env) as cluster:
            up = time.monotonic()
            ready_seconds = up - began
            # Through the REST API, not the CLI: each `airflow` command costs seconds of imports.
            _wait_for_dags(cluster)  # parsed by the dag-processor
            created = cluster.post(
                "/api/v2/pools",
                {"name": "learnworlds_default", "slots": 1, "description": "LearnWorlds budget"},
            )
            assert created.ok, created.text
            for dag_id in (ABSORB, LEARNWORLDS):
                unpaused = requests.patch(
                    f"{cluster.api_url}/api/v2/dags/{dag_id}", json={"is_paused": False}, timeout=60
                )
                assert unpaused.ok, unpaused.text
                backfill = {
                    "dag_id": dag_id,
                    "from_date": f"{DAYS[0]}T00:00:00Z",
                    "to_date": f"{DAYS[-1]}T00:00:00Z",
                    "max_active_runs": 3,
                }
                created = cluster.post("/api/v2/backfills", backfill)
                assert created.ok, created.text
            runs = _wait_for_runs(cluster, time.monotonic())
            backfill_seconds = time.monotonic() - up
            tis = {dag: _task_instances(cluster, dag) for dag in (ABSORB, LEARNWORLDS)}
            variables = _psql(
                cluster.db_url, "SELECT key, is_encrypted, val FROM variable WHERE key LIKE 'absorb_token_%'"
            )
            logs = [p.read_text(errors="replace") for p in (tmp_path / "cluster").rglob("*.log")]

        failed = {
            d: [(t["task_id"], t["map_index"]) for t in ts if t["state"] != "success"]
            for d, ts in tis.items()
        }
        assert all(r["state"] == "success" for rs in runs.values() for r in rs), (runs, failed)
        kinds = {d: [(r["logical_date"], r["run_type"]) for r in rs] for d, rs in runs.items()}
        assert all(r["run_type"] == "backfill" for rs in runs.values() for r in rs), kinds
        assert [r["data_interval_start"][:10] for r in runs[ABSORB]] == list(DAYS)

        _check_absorb(absorb.twin, out, runs[ABSORB])
        _check_learnworlds(learnworlds.twin, out, runs[LEARNWORLDS])

        # Mapped tasks ran on both workers (each records its own hostname).
        mapped_hosts = {t["hostname"] for ts in tis.values() for t in ts if t["map_index"] >= 0}
        assert mapped_hosts == set(WORKERS), mapped_hosts
        # LearnWorlds: 0 429s across the cluster, the pool held the school's budget.
        assert learnworlds.twin.count(status=429) == 0 and learnworlds.twin.rate_limited == 0
        assert learnworlds.twin.max_in_window <= 30
        # Absorb: one token for the whole cluster, shared through an encrypted Airflow Variable;
        # after the theft ONE re-authentication for both hosts, and no 401 storm.
        authenticate_calls = absorb.twin.count("POST", "/authenticate")
        rejected = absorb.twin.count(status=401)
        assert absorb.twin.revocations == 1, (
            f"only {absorb.twin.count()} Absorb requests: fewer than REVOKE_AFTER"
        )
        assert authenticate_calls == absorb.twin.authentications == 2, (authenticate_calls, rejected)
        assert 1 <= rejected <= MAX_401, rejected
        token = absorb.twin.issued_tokens[-1]
        stored = {key: (encrypted, val) for key, encrypted, val in variables}
        token_keys = [k for k in stored if not k.endswith("_lease")]
        assert len(token_keys) == 1 and stored[token_keys[0]][0] == "t"  # is_encrypted
        assert token not in stored[token_keys[0]][1]
        assert not any(token in text for text in logs)  # not in any process or task log
        absorb_tasks = len(tis[ABSORB])
        learnworlds_tasks = len(tis[LEARNWORLDS])
    finally:
        absorb.stop()
        learnworlds.stop()
    print(
        f"\ndistributed: {absorb_tasks} Absorb + {learnworlds_tasks} LearnWorlds task instances over "
        f"{len(WORKERS)} Celery workers; cluster up in {ready_seconds:.0f} s, backfill {backfill_seconds:.0f} s, whole test {time.monotonic() - began:.0f} s; "
        f"Absorb requests {absorb.twin.count()}, /authenticate {authenticate_calls} (token stolen once), "
        f"401s {rejected}; LearnWorlds requests "
        f"{learnworlds.twin.count()}, 429s {learnworlds.twin.count(status=429)}, "
        f"max in window {learnworlds.twin.max_in_window}"
    )
