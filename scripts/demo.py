"""Run the example DAGs end to end against the sandbox LMS servers and report the output.

Everything lives under .demo/ (Airflow home, SQLite DB, extracted files); nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
AIRFLOW = str(Path(PYTHON).parent / "airflow")


def start_sandbox(env: dict[str, str]) -> tuple[subprocess.Popen, dict[str, str]]:
    """Serve every vendor twin on free 127.0.0.1 ports; return the process and its connections."""
    proc = subprocess.Popen(
        [PYTHON, "-m", "airflow_provider_lms.sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    connections: dict[str, str] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(f"sandbox exited early: {proc.stderr.read()}")
        name, _, value = line.strip().removeprefix("export ").partition("=")
        connections[name] = value.strip("'")
        if _all_twins_listed(connections):
            return proc, connections
    raise SystemExit("sandbox did not start in 60 s")


def _all_twins_listed(connections: dict[str, str]) -> bool:
    from airflow_provider_lms.sandbox import TWINS

    return len(connections) == len(TWINS)


def airflow(args: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([AIRFLOW, *args], env=env, cwd=REPO, text=True, **kwargs)


def count_records(path: Path) -> int:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt") as lines:
        return sum(1 for line in lines if line.strip())


def run_window(database: Path, dag_id: str) -> str:
    """The data interval of the DAG's latest run, read from the demo's SQLite DB: what it extracted."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(database)) as db:
        row = db.execute(
            "SELECT data_interval_start, data_interval_end FROM dag_run WHERE dag_id = ? "
            "ORDER BY id DESC LIMIT 1",
            (dag_id,),
        ).fetchone()
    if not row or row[0] is None:
        return "(no run recorded)"
    start, end = (str(value)[:16] for value in row)  # "YYYY-MM-DD HH:MM" in UTC
    return f"[{start}, {end}) UTC"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--date",
        default="2026-10-21",
        help="date given to `airflow dags test` (sandbox data: Sep-Oct 2026); these DAGs then extract "
        "the day before it, [date - 1 day, date)",
    )
    parser.add_argument("--dag", action="append", help="run only these DAG ids (default: every example DAG)")
    args = parser.parse_args()

    demo = REPO / ".demo"
    shutil.rmtree(demo, ignore_errors=True)
    output = demo / "output"
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(demo / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{demo / 'airflow' / 'airflow.db'}",
        "AIRFLOW_VAR_LMS_OUTPUT_ROOT": f"file://{output}",
        "PYTHONPATH": str(REPO),
    }
    (demo / "airflow").mkdir(parents=True)
    print("== starting the sandbox LMS servers on 127.0.0.1", flush=True)
    sandbox, connections = start_sandbox(env)
    try:
        env.update(connections)
        for name, value in connections.items():
            print(f"   {name.removeprefix('AIRFLOW_CONN_').lower()}: {json.loads(value)['host']}")
        print("== airflow db migrate (SQLite)", flush=True)
        airflow(["db", "migrate"], env, check=True, capture_output=True)

        from airflow.dag_processing.dagbag import DagBag

        os.environ.update(env)
        bag = DagBag(dag_folder=str(REPO / "dags"))
        if bag.import_errors:
            print(f"DAG import errors: {bag.import_errors}")
            return 1
        for pool in sorted({t.pool for d in bag.dags.values() for t in d.tasks if t.pool != "default_pool"}):
            airflow(
                ["pools", "set", pool, "2", "LMS connection rate budget"],
                env,
                check=True,
                capture_output=True,
            )
        dag_ids = args.dag or sorted(bag.dags)
        failed = []
        for dag_id in dag_ids:
            started = time.monotonic()
            result = airflow(["dags", "test", dag_id, args.date], env, capture_output=True)
            took = time.monotonic() - started
            state = "ok" if result.returncode == 0 else "FAILED"
            print(
                f"== {dag_id}: {state} in {took:.0f} s, window {run_window(demo / 'airflow' / 'airflow.db', dag_id)}",
                flush=True,
            )
            if result.returncode:
                failed.append(dag_id)
                print("\n".join((result.stdout + result.stderr).splitlines()[-25:]))
        print(f"\n== extracted files under {output}")
        total = 0
        for path in sorted(p for p in output.rglob("*") if p.is_file() and not p.name.startswith(".")):
            records = count_records(path)
            total += records
            print(f"{records:>8}  {path.relative_to(output)}")
        print(f"{total:>8}  records in all; {len(dag_ids) - len(failed)}/{len(dag_ids)} DAGs succeeded")
        return 1 if failed else 0
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
