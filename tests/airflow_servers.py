"""Real Airflow servers for the tests: ``airflow api-server`` and ``airflow scheduler`` subprocesses.

Each :class:`AirflowInstance` has its own AIRFLOW_HOME, SQLite metadata DB, JWT secret and Fernet key,
listens on a free 127.0.0.1 port only, and stops every process it started (its own process group,
SIGTERM then SIGKILL) however the test ends.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from cryptography.fernet import Fernet

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
LOCALHOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((LOCALHOST, 0))
        return sock.getsockname()[1]


def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where connections are refused (for 'unreachable host' checks)."""
    return f"http://{LOCALHOST}:{free_port()}"


def log_tail(path: Path, lines: int = 60) -> str:
    if not path.exists():
        return f"(no log at {path})"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class AirflowProcess:
    """One long-running ``airflow <command>`` in its own session, logging to a file."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], log_path: Path) -> None:
        self.name, self.argv, self.env, self.log_path = name, argv, dict(env), log_path
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> AirflowProcess:
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(  # start_new_session: stop() signals exactly this group
                self.argv,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, grace: float = 15.0) -> None:
        if self.popen is None:
            return
        pgid = self.popen.pid  # the session leader's pid is the group id (start_new_session)
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            try:
                self.popen.wait(timeout=wait)
                # The leader exited; children (task runners, uvicorn workers) may linger briefly.
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
            break
        self.popen = None

    def failure(self, what: str) -> AssertionError:
        return AssertionError(f"{self.name}: {what}\n--- {self.log_path} ---\n{log_tail(self.log_path)}")


class AirflowInstance:
    """An isolated Airflow installation (home, DB, config) and the servers started from it."""

    def __init__(
        self, home: Path, dags_folder: Path, *, api_port: int | None = None, env: Mapping[str, str] = ()
    ) -> None:
        self.home, self.dags_folder = home, dags_folder
        self.db_path = home / "airflow.db"
        self.api_port = api_port or free_port()
        self.api_url = f"http://{LOCALHOST}:{self.api_port}"
        self.extra_env = dict(env)
        self.processes: list[AirflowProcess] = []
        home.mkdir(parents=True, exist_ok=True)
        dags_folder.mkdir(parents=True, exist_ok=True)
        self._jwt_secret = secrets.token_hex(32)  # shared by all processes: tokens must verify
        self._fernet_key = Fernet.generate_key().decode()

    def env(self) -> dict[str, str]:
        """The environment of every process of this instance: nothing leaks in from the test process."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        return {
            **base,
            "AIRFLOW_HOME": str(self.home),
            # SQLite: writers queue for up to 60 s instead of failing fast with "database is locked"
            # (the scheduler, the API server, task runners and the CLI all write).
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.db_path}?timeout=60",
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__FERNET_KEY": self._fernet_key,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
            "AIRFLOW__API__BASE_URL": self.api_url,
            "AIRFLOW__API__HOST": LOCALHOST,
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": self._jwt_secret,
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }

    def cli(
        self, *args: str, timeout: float = 180.0, check: bool = True, lock_retries: int = 0
    ) -> subprocess.CompletedProcess[str]:
        """Run ``airflow <args>`` to completion in this instance's environment.

        ``lock_retries``: on SQLite a command whose transaction meets the scheduler's writes fails
        with "database is locked" and cleans up after itself (Airflow's advice: retry); retry it.
        """
        for _ in range(lock_retries + 1):
            done = subprocess.run(
                [AIRFLOW, *args],
                env=self.env(),
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
                cwd=self.home,
            )
            if done.returncode == 0 or "database is locked" not in done.stderr + done.stdout:
                break
            print(f"airflow {args[0]} {args[1] if len(args) > 1 else ''}: database is locked, retrying")
            time.sleep(1)
        if check and done.returncode != 0:
            raise AssertionError(
                f"airflow {' '.join(args)} exited {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done

    def migrate(self) -> None:
        """Create the metadata DB, in WAL mode: readers then never block the one writer."""
        self.cli("db", "migrate", timeout=300)
        with sqlite3.connect(self.db_path) as db:  # the journal mode is stored in the file
            db.execute("PRAGMA journal_mode=WAL")

    def spawn(self, name: str, *args: str) -> AirflowProcess:
        process = AirflowProcess(name, [AIRFLOW, *args], self.env(), self.home / f"{name}.log").start()
        self.processes.append(process)
        return process

    def start_api_server(self, timeout: float = 120.0) -> AirflowProcess:
        """``airflow api-server`` on 127.0.0.1:api_port, returned once it answers its health check."""
        server = self.spawn(
            "api-server", "api-server", "-H", LOCALHOST, "-p", str(self.api_port), "--workers", "1"
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not server.alive():
                raise server.failure("exited before answering")
            try:
                if requests.get(f"{self.api_url}/api/v2/monitor/health", timeout=5).ok:
                    return server
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or busy starting
                pass
            time.sleep(0.5)
        raise server.failure(f"not healthy after {timeout:.0f} s")

    def start_scheduler(self, timeout: float = 120.0) -> AirflowProcess:
        """``airflow scheduler`` (LocalExecutor), returned once the API reports its heartbeat."""
        scheduler = self.spawn("scheduler", "scheduler", "--skip-serve-logs")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not scheduler.alive():
                raise scheduler.failure("exited")
            try:
                health = requests.get(f"{self.api_url}/api/v2/monitor/health", timeout=10).json()
            except requests.Timeout:  # a loaded machine: ask again
                continue
            if health["scheduler"]["status"] == "healthy":
                return scheduler
            time.sleep(1)
        raise scheduler.failure(f"no healthy heartbeat after {timeout:.0f} s")

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()

    # ---- REST API (simple auth manager, all admins: an anonymous token is enough) ---------------

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(f"{self.api_url}{path}", timeout=60, **kwargs)

    def post(self, path: str, payload: Any, **kwargs: Any) -> requests.Response:
        return requests.post(f"{self.api_url}{path}", json=payload, timeout=60, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.delete(f"{self.api_url}{path}", timeout=60, **kwargs)

    def check_alive(self) -> None:
        """Fail with the log of any server that died under the test."""
        for process in self.processes:
            if not process.alive():
                raise process.failure("died")


@contextmanager
def airflow_instance(
    home: Path, dags_folder: Path, *, env: Mapping[str, str] = (), scheduler: bool = False
) -> Iterator[AirflowInstance]:
    """A migrated instance with its api-server (and scheduler) running; everything stopped on exit."""
    instance = AirflowInstance(home, dags_folder, env=env)
    try:
        instance.migrate()
        instance.start_api_server()
        if scheduler:
            instance.start_scheduler()
        yield instance
    finally:
        instance.stop()


_SHARED: dict[str, AirflowInstance] = {}


def shared_ui_server(config: Any) -> AirflowInstance:
    """One api-server (no DAGs, no scheduler) for all UI tests of a pytest session.

    ``config`` is ``request.config``: the server stops when the session ends.
    """
    if "ui" not in _SHARED:
        root = Path(tempfile.mkdtemp(prefix="lms-ui-airflow-"))
        instance = AirflowInstance(root / "home", root / "dags")

        def cleanup() -> None:
            instance.stop()
            _SHARED.pop("ui", None)
            shutil.rmtree(root, ignore_errors=True)

        config.add_cleanup(cleanup)
        try:
            instance.migrate()
            instance.start_api_server()
        except BaseException:
            instance.stop()
            raise
        _SHARED["ui"] = instance
    instance = _SHARED["ui"]
    instance.check_alive()
    return instance


# ---- the provider's registered connection types, as the UI tests see them ----------------------

#: Connection attributes the REST API accepts besides ``connection_id``.
REST_FIELDS = ("conn_type", "description", "host", "login", "schema", "port", "password", "extra")


def connection_types() -> list[dict[str, Any]]:
    """Every connection type the provider registers (what Airflow's UI builds its forms from)."""
    from airflow_provider_lms.get_provider_info import get_provider_info

    return get_provider_info()["connection-types"]


def sensitive_extras(form: Mapping[str, Any]) -> list[str]:
    """Extra fields the form declares secret (``"format": "password"``)."""
    fields = form.get("conn-fields") or {}
    return [name for name, spec in fields.items() if (spec.get("schema") or {}).get("format") == "password"]


def rest_body(conn_id: str, conn: Mapping[str, Any]) -> dict[str, Any]:
    """A twin's connection (Airflow's JSON form) as a ``POST /api/v2/connections`` body."""
    unknown = set(conn) - set(REST_FIELDS)
    assert not unknown, f"connection keys the REST API does not take: {unknown}"
    body = {"connection_id": conn_id, **conn}
    if isinstance(body.get("extra"), Mapping):
        body["extra"] = json.dumps(body["extra"])
    return body
