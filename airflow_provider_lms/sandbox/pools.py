"""Create every pool the DAGs in a folder use: what ``docker compose up`` runs once at init.

    python -m airflow_provider_lms.sandbox.pools /opt/airflow/dags [--slots 1]

The scheduler never runs a task whose pool does not exist. Pools named after a connection are that
connection's rate budget (one slot keeps a vendor's limit with one extract at a time); reading
them from the DAGs means a new example DAG needs no edit to docker-compose.yaml.
"""

from __future__ import annotations

import argparse
import subprocess
import sys


def pools_used(dag_folder: str) -> list[str]:
    """The pools the tasks of the DAGs in ``dag_folder`` run in (``default_pool`` left out)."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=dag_folder)
    if bag.import_errors:
        raise SystemExit(f"DAG import errors: {bag.import_errors}")
    return sorted({t.pool for d in bag.dags.values() for t in d.tasks if t.pool != "default_pool"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m airflow_provider_lms.sandbox.pools", description=__doc__)
    parser.add_argument("dag_folder")
    parser.add_argument("--slots", type=int, default=1, help="slots of each pool (default 1)")
    args = parser.parse_args(argv)
    for pool in pools_used(args.dag_folder):
        subprocess.run(
            ["airflow", "pools", "set", pool, str(args.slots), "LMS connection rate budget"], check=True
        )
        print(f"pool {pool}: {args.slots} slot(s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
