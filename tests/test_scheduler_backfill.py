"""``airflow backfill create`` run by a real ``airflow scheduler`` (LocalExecutor on SQLite) and
``airflow api-server``, over the LearnUpon audit-trail DAG against the sandbox twin.

The commands are read from docs/backfill.md and run as written (the servers on free ports here),
so the documented recipe is the tested one. The expected records of each window are computed here
from the twin's data store, not by the provider's code.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from airflow_provider_lms.sandbox import start_twin
from tests.airflow_servers import AirflowInstance, airflow_instance

REPO = Path(__file__).resolve().parent.parent
RECIPE = REPO / "docs" / "backfill.md"
DAG_ID = "learnupon_audit_trails"
RUN_TIMEOUT = 180.0
#: Started by the test itself (isolated home, free ports); every other command runs as documented.
SERVER_COMMANDS = (["airflow", "db", "migrate"], ["airflow", "api-server"], ["airflow", "scheduler"])

pytestmark = pytest.mark.slow


def recipe_commands() -> list[list[str]]:
    """The ``airflow ...`` command lines of the recipe's bash blocks, in order."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", RECIPE.read_text(), re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #")[0].strip().removesuffix("&").strip()
            if line.startswith("airflow "):
                commands.append(shlex.split(line))
    return commands


def _option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def _day(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc)


def _created(record: dict) -> datetime:
    return datetime.strptime(record["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _backfills(airflow: AirflowInstance) -> list[dict]:
    response = airflow.get("/api/v2/backfills", params={"dag_id": DAG_ID})
    assert response.ok, response.text
    return response.json()["backfills"]


def _runs(airflow: AirflowInstance) -> list[dict]:
    response = airflow.get(f"/api/v2/dags/{DAG_ID}/dagRuns", params={"order_by": "logical_date"})
    assert response.ok, response.text
    return response.json()["dag_runs"]


def _wait(airflow: AirflowInstance, what: str, done) -> list[dict]:
    """Poll the DAG's runs until ``done(runs)``; fail with the scheduler log after RUN_TIMEOUT."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        airflow.check_alive()
        runs = _runs(airflow)
        if done(runs):
            return runs
        time.sleep(1)
    raise airflow.processes[-1].failure(f"{what} not reached in {RUN_TIMEOUT:.0f} s; runs: {_runs(airflow)}")


def _finished(count: int):
    return lambda runs: len(runs) == count and all(r["state"] in ("success", "failed") for r in runs)


def test_recipe_has_the_expected_steps():
    commands = recipe_commands()
    for server in SERVER_COMMANDS:
        assert any(c[: len(server)] == server for c in commands), server
    steps = [c[:3] for c in commands if not any(c[: len(s)] == s for s in SERVER_COMMANDS)]
    assert steps == [
        ["airflow", "dags", "reserialize"],
        ["airflow", "dags", "unpause"],
        ["airflow", "backfill", "create"],
        ["airflow", "backfill", "create"],
    ]


def test_backfill_three_windows_then_reprocess_one(tmp_path):
    steps = [c for c in recipe_commands() if not any(c[: len(s)] == s for s in SERVER_COMMANDS)]
    reserialize, unpause, backfill, reprocess = steps
    assert _option(backfill, "--dag-id") == _option(reprocess, "--dag-id") == DAG_ID
    first, last = _day(_option(backfill, "--from-date")), _day(_option(backfill, "--to-date"))
    windows = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    assert len(windows) == 3
    again = _day(_option(reprocess, "--from-date"))
    assert _option(reprocess, "--to-date") == _option(reprocess, "--from-date")
    assert again in windows and _option(reprocess, "--reprocess-behavior") == "completed"

    twin = start_twin("learnupon")
    out = tmp_path / "out"
    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copy(REPO / "dags" / f"{DAG_ID}.py", dags)  # only this DAG: parsing stays quick
    env = {
        "AIRFLOW_CONN_LEARNUPON_DEFAULT": json.dumps(twin.connection()),
        "AIRFLOW_VAR_LMS_OUTPUT_ROOT": f"file://{out}",
        # Only the backfill's runs: no scheduled run of "yesterday" (outside the sandbox's data).
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
    }
    started = time.monotonic()
    try:
        with airflow_instance(tmp_path / "airflow", dags, env=env, scheduler=True) as airflow:
            airflow.cli(*reserialize[1:])
            airflow.cli(*unpause[1:])
            created = airflow.cli(*backfill[1:], lock_retries=3)
            runs = _wait(airflow, "three finished runs", _finished(3))
            first_pass = time.monotonic() - started

            assert [r["state"] for r in runs] == ["success"] * 3, (created.stdout, runs)
            assert all(r["run_type"] == "backfill" for r in runs)
            starts = [datetime.fromisoformat(r["data_interval_start"]) for r in runs]
            ends = [datetime.fromisoformat(r["data_interval_end"]) for r in runs]
            assert starts == windows
            assert ends == [s + timedelta(days=1) for s in windows]

            folder = out / "learnupon" / "audit_trails"
            files = [folder / f"{s:%Y-%m-%d}.jsonl" for s in windows]
            # three outputs, nothing else (no leftover partial files)
            assert sorted(p.name for p in files) == sorted(p.name for p in folder.iterdir())
            trails = twin.twin.data["audit_trails"]
            seen: list[int] = []
            for start, path in zip(windows, files, strict=True):
                expected = [t for t in trails if start <= _created(t) < start + timedelta(days=1)]
                got = _read_jsonl(path)
                assert expected, f"the sandbox has no audit events on {start:%Y-%m-%d}"
                assert got == expected, path.name
                seen += [r["id"] for r in got]
            assert len(seen) == len(set(seen))  # no record in two windows, none twice

            # Reprocess one window: same request, same file, same bytes; the others untouched.
            index = windows.index(again)
            target = files[index]
            before_bytes, before_stat = target.read_bytes(), target.stat()
            others = {p: p.stat().st_mtime_ns for p in files if p != target}
            requests_before = twin.twin.count("GET", "/audit-trails")
            ended_before = runs[index]["end_date"]
            # One backfill per DAG at a time: the scheduler marks it complete within 30 s of its runs.
            _wait(airflow, "backfill completed", lambda _: _backfills(airflow)[0]["completed_at"])
            airflow.cli(*reprocess[1:], lock_retries=3)
            runs = _wait(
                airflow,
                "the window's re-run",
                lambda rs: _finished(3)(rs) and rs[index]["end_date"] != ended_before,
            )
            assert [r["state"] for r in runs] == ["success"] * 3
            assert len(_backfills(airflow)) == 2
            assert twin.twin.count("GET", "/audit-trails") > requests_before  # it really ran again
            after_stat = target.stat()
            rewritten = (after_stat.st_ino, after_stat.st_mtime_ns) != (
                before_stat.st_ino,
                before_stat.st_mtime_ns,
            )
            assert rewritten
            assert target.read_bytes() == before_bytes
            assert {p: p.stat().st_mtime_ns for p in others} == others
    finally:
        twin.stop()
    print(f"backfill of 3 windows: {first_pass:.1f} s; with reprocess: {time.monotonic() - started:.1f} s")
