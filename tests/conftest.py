"""Test setup: an isolated Airflow home on SQLite, sandbox twins on 127.0.0.1, connections by env."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

# Airflow reads its configuration at import: isolate it before anything imports airflow.
_HOME = Path(tempfile.mkdtemp(prefix="lms-airflow-home-"))
REPO = Path(__file__).resolve().parent.parent
os.environ.update(
    {
        "AIRFLOW_HOME": str(_HOME),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_HOME / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    }
)
sys.path.insert(0, str(REPO))

import pytest  # noqa: E402

from airflow_provider_lms.sandbox import start_twin  # noqa: E402


@pytest.fixture
def twin_factory():
    """Start sandbox twins: ``twin_factory("learnupon", fault_rate=0.05, page_cap=50)``."""
    running = []

    def start(vendor: str, **options):
        twin = start_twin(vendor, **options)
        running.append(twin)
        return twin

    yield start
    for twin in running:
        twin.stop()


@pytest.fixture
def connect(monkeypatch):
    """Register an Airflow connection (JSON env form) for a running twin; returns the conn id."""

    def register(twin, conn_id: str | None = None, **overrides) -> str:
        conn_id = conn_id or f"{twin.twin.name}_test"
        conn = {**twin.connection(), **overrides}
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
        return conn_id

    return register


class RecordingSleep:
    """Stands in for time.sleep: records requested pauses, sleeps not at all."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def no_sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture(scope="session")
def airflow_db():
    """A fresh SQLite metadata DB (needed by dag.test)."""
    from airflow.utils import db

    db.resetdb()
    return True


@pytest.fixture
def run_dag(airflow_db, monkeypatch, tmp_path):
    """Run an example DAG from dags/ through ``dag.test()``; outputs land under ``tmp_path/out``.

    ``run_dag("dag_id", "2026-10-20")`` returns the finished DagRun (its state already checked by
    the caller). Connections must be registered first (see ``connect``).
    """
    from airflow.dag_processing.dagbag import DagBag

    out = tmp_path / "out"
    monkeypatch.setenv("AIRFLOW_VAR_LMS_OUTPUT_ROOT", f"file://{out}")

    def run(dag_id: str, logical_date: str):
        import pendulum

        bag = DagBag(dag_folder=str(REPO / "dags"))
        assert not bag.import_errors, bag.import_errors
        dag = bag.get_dag(dag_id)
        assert dag is not None, f"no DAG {dag_id}"
        run = dag.test(logical_date=pendulum.parse(logical_date))
        return run, out

    return run
