"""Read an Airflow connection the way Airflow's own CLI does, inside a task or outside one.

Inside a task the Task SDK asks the supervisor, which reads every configured source. Outside a task
(``lms-preview``, a hook in a plain script or a notebook) the Task SDK's fallback chain holds only
environment variables and a custom secrets backend: a connection saved in the UI or with
``airflow connections add`` lives in the metadata database and would be reported missing, although
``airflow connections test`` finds it. There we therefore ask what the CLI asks,
``airflow.models.Connection.get_connection_from_secrets``: the configured secrets backend, then
``AIRFLOW_CONN_<ID>`` environment variables, then the metadata database, in that order.
"""

from __future__ import annotations

import sys
from typing import Any


def in_task_runner() -> bool:
    """True inside a running task (or ``dag.test``), where the Task SDK talks to its supervisor."""
    runner = sys.modules.get("airflow.sdk.execution_time.task_runner")
    return getattr(runner, "SUPERVISOR_COMMS", None) is not None


def get_connection(conn_id: str) -> Any:
    """The connection ``conn_id`` from every source Airflow reads, task or not.

    Raises ``AirflowNotFoundException`` (as Airflow does) when no source defines it.
    """
    from airflow.sdk import BaseHook

    if in_task_runner():
        return BaseHook.get_connection(conn_id)
    try:
        from airflow.models.connection import Connection
    except ImportError:  # a worker with the Task SDK only: its own chain is all there is
        return BaseHook.get_connection(conn_id)
    conn = Connection.get_connection_from_secrets(conn_id)
    _mask(conn)
    return conn


def _mask(conn: Any) -> None:
    # The Task SDK masks what it returns; the CLI's path does not, so do it here for log lines.
    from airflow.sdk.log import mask_secret

    if conn.password:
        mask_secret(conn.password)
    if conn.extra:
        mask_secret(conn.extra)
