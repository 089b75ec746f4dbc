"""docker-compose.yaml, checked without a Docker engine.

The file must satisfy the Compose specification's JSON schema (vendored in tests/fixtures), name
only services, volumes, paths and build files that exist, run every Airflow component with the
CeleryExecutor, and pre-configure a connection for every sandbox twin. The sandbox is then started
with the compose file's own command line, and each of those connections passes the hook's test.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from airflow_provider_lms.hooks import hook_for_connection
from airflow_provider_lms.sandbox import PORT_OFFSETS, TWINS

REPO = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPO / "docker-compose.yaml"
SCHEMA_FILE = REPO / "tests" / "fixtures" / "compose_spec.json"
SANDBOX_SERVICE = "lms-sandbox"
AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())  # resolves the file's anchors and << merges


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _sandbox_base_port(compose: dict[str, Any]) -> int:
    command = compose["services"][SANDBOX_SERVICE]["command"]
    return int(command[command.index("--port") + 1])


def test_validates_against_the_compose_specification(compose):
    schema = json.loads(SCHEMA_FILE.read_text())
    validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft201909Validator)
    validator_class.check_schema(schema)
    errors = sorted(validator_class(schema).iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_schema_rejects_a_broken_file(compose):
    """The schema check can fail: an unknown service key is an error."""
    schema = json.loads(SCHEMA_FILE.read_text())
    broken = json.loads(json.dumps(compose))
    broken["services"]["redis"]["imagee"] = "redis"
    assert not jsonschema.Draft201909Validator(schema).is_valid(broken)


def test_runs_airflow_with_celery_postgres_redis_and_the_sandbox(compose):
    services = compose["services"]
    assert {"postgres", "redis", SANDBOX_SERVICE, "airflow-init", *AIRFLOW_SERVICES} <= set(services)
    for name, command in AIRFLOW_SERVICES.items():
        service = services[name]
        assert service["command"] == command, name
        env = _environment(service)
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://"), name
        assert "@postgres/" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], name
        assert (
            env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
            and "@redis:" in env["AIRFLOW__CELERY__BROKER_URL"]
        ), name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith("http://airflow-apiserver:"), name
        assert "./dags:/opt/airflow/dags:ro" in service["volumes"], name
        assert service["build"]["dockerfile"] == "docker/Dockerfile", name
        assert "healthcheck" in service, name
    assert "airflow:3.3" in (REPO / "docker" / "Dockerfile").read_text()


def test_every_name_it_uses_exists(compose):
    services = compose["services"]
    declared_volumes = set(compose.get("volumes") or {})
    for name, service in services.items():
        depends = service.get("depends_on") or []
        for target in depends if isinstance(depends, list) else depends.keys():
            assert target in services and target != name, f"{name} depends on unknown {target}"
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith((".", "/")):
                assert (REPO / source).exists(), f"{name} mounts missing path {source}"
            else:
                assert source in declared_volumes, f"{name} mounts undeclared volume {source}"
        build = service.get("build")
        if build:
            context = REPO / (build if isinstance(build, str) else build.get("context", "."))
            dockerfile = context / (
                build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile"
            )
            assert context.is_dir() and dockerfile.is_file(), name
            for line in dockerfile.read_text().splitlines():
                if line.startswith("COPY"):
                    for source in [p for p in line.split()[1:-1] if not p.startswith("--")]:
                        assert (context / source).exists(), f"{dockerfile.name} copies missing {source}"
        assert "image" in service or build, name


def test_build_context_leaves_the_virtualenv_out():
    ignore = (REPO / "docker" / "Dockerfile.dockerignore").read_text().splitlines()
    assert "*" in ignore  # everything out, then only what the Dockerfile copies back in
    copied = {"pyproject.toml", "README.md", "airflow_provider_lms/"}
    assert {line.removeprefix("!") for line in ignore if line.startswith("!")} == copied


CONNECTIONS_FILE = "/opt/airflow/sandbox/connections.json"


def _published_range(compose: dict[str, Any]) -> range:
    published = compose["services"][SANDBOX_SERVICE]["ports"]
    first, last = re.fullmatch(r"127\.0\.0\.1:(\d+)-(\d+):\1-\2", published[0]).groups()
    return range(int(first), int(last) + 1)


def test_connections_come_from_the_sandbox_for_every_vendor(compose):
    """No vendor is listed in the compose file: the sandbox writes a connection per vendor folder
    into a file every Airflow component reads through LocalFilesystemBackend."""
    base = _sandbox_base_port(compose)
    assert all(base + PORT_OFFSETS[v] in _published_range(compose) for v in TWINS)
    command = compose["services"][SANDBOX_SERVICE]["command"]
    assert command[command.index("--connections-file") + 1] == CONNECTIONS_FILE
    assert command[command.index("--advertise-host") + 1] == SANDBOX_SERVICE
    for name in ("airflow-init", *AIRFLOW_SERVICES):
        service = compose["services"][name]
        env = _environment(service)
        assert not any(re.fullmatch(r"AIRFLOW_CONN_\w+", k) for k in env), name
        assert env["AIRFLOW__SECRETS__BACKEND"] == "airflow.secrets.local_filesystem.LocalFilesystemBackend"
        assert json.loads(env["AIRFLOW__SECRETS__BACKEND_KWARGS"]) == {
            "connections_file_path": CONNECTIONS_FILE
        }
        assert f"lms-sandbox-connections:{CONNECTIONS_FILE.rsplit('/', 1)[0]}:ro" in service["volumes"], name


def _free_port_block(size: int) -> int:
    """A base port with ``size`` consecutive free ports on 127.0.0.1."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + size > 65535:
            continue
        try:
            for port in range(base, base + size):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise AssertionError("no block of free ports on 127.0.0.1")


@pytest.mark.slow
def test_sandbox_command_serves_the_configured_connections(compose, monkeypatch, tmp_path):
    """Start the sandbox with the compose file's command (on 127.0.0.1 and free ports here), load the
    connections file it writes through Airflow's LocalFilesystemBackend, and test every connection
    with the hook's own test_connection."""
    from airflow.secrets.local_filesystem import LocalFilesystemBackend

    service = compose["services"][SANDBOX_SERVICE]
    argv = [*service["entrypoint"], *service["command"]]
    assert argv[:3] == ["python", "-m", "airflow_provider_lms.sandbox"]
    base = _free_port_block(max(PORT_OFFSETS.values()) + 1)
    written = tmp_path / "connections.json"
    args = argv[3:]
    args[args.index("--host") + 1] = "127.0.0.1"  # never another address on this machine
    args[args.index("--port") + 1] = str(base)
    args[args.index("--connections-file") + 1] = str(written)
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_lms.sandbox", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        announced = [sandbox.stdout.readline() for _ in TWINS]  # one line per twin once serving
        assert all(line.startswith("export AIRFLOW_CONN_") for line in announced), (announced, sandbox.stderr)
        for _ in range(100):
            if written.exists():
                break
            time.sleep(0.05)
        backend = LocalFilesystemBackend(connections_file_path=str(written))
        for vendor in TWINS:
            conn = backend.get_connection(f"{vendor}_default")
            assert conn is not None and conn.host == f"http://{SANDBOX_SERVICE}:{base + PORT_OFFSETS[vendor]}"
            conn.host = f"http://127.0.0.1:{base + PORT_OFFSETS[vendor]}"  # the compose name, reached here
            monkeypatch.setenv(f"AIRFLOW_CONN_{vendor.upper()}_DEFAULT", conn.as_json())
            ok, message = hook_for_connection(f"{vendor}_default").test_connection()
            assert ok, (vendor, message)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)


def test_init_creates_every_pool_the_example_dags_use(compose):
    # The scheduler never runs a task whose pool does not exist: `docker compose up` must create them.
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"))
    pools = {t.pool for d in bag.dags.values() for t in d.tasks if t.pool != "default_pool"}
    assert pools, "the example DAGs use a pool (LearnWorlds): this test must see it"
    command = compose["services"]["airflow-init"]["command"]
    assert command[:3] == ["python", "-m", "airflow_provider_lms.sandbox.pools"]
    assert command[3] == "/opt/airflow/dags"  # where the compose file mounts ./dags
    from airflow_provider_lms.sandbox.pools import pools_used

    assert set(pools_used(str(REPO / "dags"))) == pools
