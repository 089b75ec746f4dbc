"""What the operator module and the example DAG files cost to import (issue 15's last target).

DAG files are parsed again and again by the DAG processor, so a provider module that a DAG file
imports must not drag in what only an extract needs: Parquet (pyarrow), XML parsing, or the page
thread pool. Each check runs in a fresh interpreter, so what this test process loaded never counts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DAGS = sorted((ROOT / "dags").glob("*.py"))
#: Loaded only when an extract needs them (a Parquet destination, an XML body). The page pool's
#: module (``concurrent.futures.thread``) is Airflow's own import already, so for it what counts is
#: that no pool thread of ours is started (they are named ``lms-page...``).
HEAVY = (
    "pyarrow",
    "airflow_provider_lms.parquet",
    "airflow_provider_lms.xml_records",
    "defusedxml",
    "xml.parsers.expat",
)


def _modules_after(code: str, tmp_path: Path) -> list[str]:
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'airflow.db'}",
        "PYTHONPATH": str(ROOT),
    }
    probe = code + (
        "\nimport json, sys, threading"
        "\nprint('MODULES ' + json.dumps(sorted(sys.modules) + [t.name for t in threading.enumerate()]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    line = [x for x in done.stdout.splitlines() if x.startswith("MODULES ")][-1]
    return json.loads(line[len("MODULES ") :])


def test_importing_the_operator_loads_no_parquet_xml_or_pool(tmp_path):
    loaded = _modules_after("import airflow_provider_lms.operators.extract", tmp_path)
    assert "airflow_provider_lms.operators.extract" in loaded  # the probe really imported it
    assert [m for m in HEAVY if m in loaded] == []
    assert [m for m in loaded if m.startswith("lms-")] == []


@pytest.mark.parametrize("dag_file", DAGS, ids=lambda p: p.stem)
def test_parsing_an_example_dag_loads_no_parquet_xml_or_pool(dag_file, tmp_path):
    code = f"import runpy\nrunpy.run_path({str(dag_file)!r}, run_name='dag_file')"
    loaded = _modules_after(code, tmp_path)
    assert any(m.startswith("airflow_provider_lms.") for m in loaded)
    assert [m for m in HEAVY if m in loaded] == []
    assert [m for m in loaded if m.startswith("lms-")] == []
