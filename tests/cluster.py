"""A real Airflow deployment on the CeleryExecutor, on this machine, for the distributed test.

PostgreSQL (metadata DB and Celery results) and Redis (broker) from Debian's packages, each on a
free 127.0.0.1 port with its data in a temporary directory; Airflow's scheduler, api-server and
dag-processor; and Celery workers, each with its own ``HOME``, ``TMPDIR`` and ``AIRFLOW_HOME`` (the
stand-ins for separate hosts: no token-cache directory in common) and its own hostname as Airflow
records it on task instances. Every process runs in its own session and is stopped, group and all,
however the test ends (see :class:`tests.airflow_servers.AirflowProcess`).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

from tests.airflow_servers import AIRFLOW, LOCALHOST, AirflowInstance, AirflowProcess, free_port

REPO = Path(__file__).resolve().parent.parent
PG_BIN_CANDIDATES = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def missing_tools() -> list[str]:
    """What the cluster needs that this machine lacks (scripts/setup.sh installs all of it)."""
    missing = []
    if not any((b / "initdb").exists() for b in PG_BIN_CANDIDATES) and not shutil.which("initdb"):
        missing.append("postgresql (Debian package)")
    if not shutil.which("redis-server"):
        missing.append("redis-server (Debian package)")
    for module in ("psycopg2", "asyncpg", "redis", "airflow.providers.celery"):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"{module} (pip extra 'celery')")
    return missing


def _pg_bin(name: str) -> str:
    for directory in PG_BIN_CANDIDATES:
        if (directory / name).exists():
            return str(directory / name)
    found = shutil.which(name)
    assert found, f"{name} not found: install Debian's postgresql (scripts/setup.sh does)"
    return found


def _wait_for_port(port: int, process: AirflowProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise process.failure("exited before listening")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((LOCALHOST, port)) == 0:
                return
        time.sleep(0.2)
    raise process.failure(f"not listening on {port} after {timeout:.0f} s")


@contextmanager
def postgres_server(timeout: float = 60.0) -> Iterator[str]:
    """A throwaway PostgreSQL cluster on 127.0.0.1; yields the SQLAlchemy URL of database ``airflow``.

    initdb refuses to run as root, so as root the cluster belongs to the ``postgres`` system user
    (created by the Debian package); its directory is a fresh one under the system temp dir.
    """
    root = Path(tempfile.mkdtemp(prefix="lms-pg-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        os.chown(sockets, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    process = None
    try:
        subprocess.run(
            [*as_user, _pg_bin("initdb"), "-D", str(data), "-U", "airflow", "-A", "trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        argv = [
            *as_user,
            _pg_bin("postgres"),
            "-D", str(data),
            "-h", LOCALHOST,
            "-p", str(port),
            "-k", str(sockets),
            "-c", "fsync=off",  # a test database: durability buys nothing, speed does
            "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off",
            "-c", "max_connections=200",
        ]  # fmt: skip
        process = AirflowProcess("postgres", argv, dict(os.environ), root / "postgres.log").start()
        _wait_for_port(port, process, timeout)
        deadline = time.monotonic() + timeout
        while True:  # listening is not yet accepting: retry until the server is up
            done = subprocess.run(
                [_pg_bin("psql"), "-h", LOCALHOST, "-p", str(port), "-U", "airflow", "-d", "postgres",
                 "-c", "CREATE DATABASE airflow"],
                capture_output=True, text=True, timeout=30,
            )  # fmt: skip
            if done.returncode == 0:
                break
            if time.monotonic() > deadline:
                raise process.failure(f"CREATE DATABASE failed: {done.stderr}")
            time.sleep(0.5)
        yield f"postgresql+psycopg2://airflow@{LOCALHOST}:{port}/airflow"
    finally:
        if process is not None:
            process.stop(grace=10)
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def redis_server(timeout: float = 30.0) -> Iterator[str]:
    """A throwaway Redis on 127.0.0.1 (no persistence); yields its URL."""
    root = Path(tempfile.mkdtemp(prefix="lms-redis-"))
    port = free_port()
    argv = [
        shutil.which("redis-server") or "redis-server",
        "--bind", LOCALHOST,
        "--port", str(port),
        "--dir", str(root),
        "--save", "",
        "--appendonly", "no",
        "--protected-mode", "yes",
    ]  # fmt: skip
    process = AirflowProcess("redis", argv, dict(os.environ), root / "redis.log").start()
    try:
        _wait_for_port(port, process, timeout)
        yield f"redis://{LOCALHOST}:{port}/0"
    finally:
        process.stop(grace=5)
        shutil.rmtree(root, ignore_errors=True)


class CeleryCluster(AirflowInstance):
    """An :class:`AirflowInstance` on PostgreSQL with the CeleryExecutor, plus Celery workers."""

    def __init__(
        self, home: Path, dags_folder: Path, *, db_url: str, broker_url: str, env: Mapping[str, str] = ()
    ):
        super().__init__(home, dags_folder, env=env)
        self.db_url, self.broker_url = db_url, broker_url
        self.workers: dict[str, Path] = {}

    def env(self) -> dict[str, str]:
        return {
            **super().env(),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.db_url,
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CELERY__BROKER_URL": self.broker_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{self.db_url}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            "AIRFLOW__CORE__PARALLELISM": "8",
            # Two shared cores run everything: give a busy api-server time before a task gives up.
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "30",
            # Workers are told apart by the hostname each records on its task instances.
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "tests.cluster_hostname.worker_hostname",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
            **self.extra_env,
        }

    def migrate(self) -> None:
        self.cli("db", "migrate", timeout=300)

    def start_dag_processor(self) -> AirflowProcess:
        return self.spawn("dag-processor", "dag-processor")

    def spawn_worker(self, name: str, *, concurrency: int = 2) -> AirflowProcess:
        """``airflow celery worker`` as if on its own host: own HOME, TMPDIR, AIRFLOW_HOME, hostname."""
        host = self.home.parent / name
        for sub in ("home", "tmp", "airflow"):
            (host / sub).mkdir(parents=True, exist_ok=True)
        env = {
            **self.env(),
            "HOME": str(host / "home"),
            "TMPDIR": str(host / "tmp"),
            "AIRFLOW_HOME": str(host / "airflow"),
            "LMS_WORKER_HOSTNAME": name,
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        }
        argv = [
            AIRFLOW,
            "celery", "worker",
            "--celery-hostname", f"{name}@%h",
            "--concurrency", str(concurrency),
            "--skip-serve-logs",
            "--without-gossip",
            "--without-mingle",
        ]  # fmt: skip
        worker = AirflowProcess(f"worker {name}", argv, env, self.home / f"worker-{name}.log").start()
        self.processes.append(worker)
        self.workers[name] = host
        return worker

    @staticmethod
    def wait_ready(worker: AirflowProcess, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # celery logs "ready." once it consumes the queue
            if not worker.alive():
                raise worker.failure("exited")
            if "ready." in worker.log_path.read_text(errors="replace"):
                return
            time.sleep(0.5)
        raise worker.failure(f"not ready after {timeout:.0f} s")


@contextmanager
def celery_cluster(
    root: Path, dags_folder: Path, *, workers: tuple[str, ...], env: Mapping[str, str] = ()
) -> Iterator[CeleryCluster]:
    """PostgreSQL, Redis, scheduler, api-server, dag-processor and the named workers, all stopped on exit."""
    with ExitStack() as stack:
        db_url = stack.enter_context(postgres_server())
        broker_url = stack.enter_context(redis_server())
        cluster = CeleryCluster(root / "airflow", dags_folder, db_url=db_url, broker_url=broker_url, env=env)
        stack.callback(cluster.stop)
        cluster.migrate()
        # Start everything at once (start-up is mostly imports: two cores overlap it), then wait.
        started = [cluster.spawn_worker(name) for name in workers]
        cluster.start_dag_processor()
        cluster.start_api_server()
        cluster.start_scheduler()
        for worker in started:
            cluster.wait_ready(worker)
        yield cluster
