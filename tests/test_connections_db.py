"""Connections stored in the metadata database reach ``lms-preview`` and hooks in plain scripts.

The connection is created with ``airflow connections add`` (what a person does), and nothing about it
is in the environment: the preview has to read the database the way ``airflow connections test`` does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def clean_env() -> dict[str, str]:
    """This test's Airflow home and DB, no AIRFLOW_CONN_* and no internal process-context variable."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AIRFLOW_CONN_") and k != "_AIRFLOW_PROCESS_CONTEXT"
    }


@pytest.mark.slow
def test_lms_preview_and_a_script_hook_read_a_connection_stored_in_the_database(airflow_db, twin_factory):
    twin = twin_factory("learnupon")
    conn = twin.connection()
    env = clean_env()
    added = subprocess.run(
        [str(BIN / "airflow"), "connections", "add", "lu_in_db", "--conn-json", json.dumps(conn)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert added.returncode == 0, added.stdout + added.stderr

    preview = subprocess.run(
        [str(BIN / "lms-preview"), "lu_in_db", "users", "-n", "2", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert preview.returncode == 0, preview.stderr
    payload = json.loads(preview.stdout)
    assert payload["conn_id"] == "lu_in_db"
    assert len(payload["records"]) == 2
    assert payload["requests"][0].startswith(f"GET {twin.url}/api/v1/users")
    assert conn["password"] not in preview.stdout + preview.stderr

    # A hook in a plain script (no task, no AIRFLOW_CONN_) finds the same connection.
    script = (
        "from airflow_provider_lms.vendors.learnupon.hook import LearnUponHook\n"
        "print(len(list(LearnUponHook(conn_id='lu_in_db').iter_records('courses'))))\n"
    )
    counted = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert counted.returncode == 0, counted.stderr
    assert int(counted.stdout.strip().splitlines()[-1]) > 0


@pytest.mark.slow
def test_lms_preview_still_says_when_a_connection_is_nowhere(airflow_db):
    done = subprocess.run(
        [str(BIN / "lms-preview"), "lu_nowhere", "users"],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "connection 'lu_nowhere' is not defined" in done.stderr
