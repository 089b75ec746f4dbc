"""The Absorb example DAG runs through Airflow (dag.test on SQLite) against the twin: every output
file holds exactly what the documented API holds for the run's data interval."""

from __future__ import annotations

import json

import pendulum
import pytest

from tests.test_absorb_support import by_id, edited_in, shown


def _read(paths):
    return [json.loads(line) for path in paths for line in path.read_text().splitlines()]


def test_users_and_courses_fan_out_to_enrollments(twin_factory, connect, run_dag, tmp_path):
    running = twin_factory("absorb", fault_rate=0.05, seed=2)
    extra = {**running.connection()["extra"], "token_cache_dir": str(tmp_path / "tokens")}
    connect(running, "absorb_default", extra=extra)
    run, out = run_dag("absorb_users_courses_enrollments", "2026-10-20")
    assert run.state == "success"
    start, end = run.data_interval_start, run.data_interval_end
    assert end - start == pendulum.duration(days=1)
    window, day = (start.isoformat(), end.isoformat()), start.strftime("%Y-%m-%d")
    data, root = running.twin.data, out / "absorb"

    users = _read([root / f"users/{day}.jsonl"])
    edited_users = [shown(u) for u in data["users"] if edited_in(u, window)]
    assert by_id(users) == by_id(edited_users) and users

    user_files = sorted((root / f"user_enrollments/{day}").glob("batch-*.jsonl"))
    assert len(user_files) == -(-len(edited_users) // 25)
    ids = {u["id"] for u in edited_users}
    expected = [shown(e) for e in data["course_enrollments"] if e["userId"] in ids]
    assert by_id(_read(user_files)) == by_id(expected)

    assert by_id(_read([root / f"courses/{day}.jsonl"])) == by_id([shown(c) for c in data["courses"]])
    course_files = sorted((root / f"course_enrollments/{day}").glob("batch-*.jsonl"))
    assert len(course_files) == -(-len(data["courses"]) // 5)
    expected = [shown(e) for e in data["course_enrollments"] if edited_in(e, window)]
    assert by_id(_read(course_files)) == by_id(expected) and expected

    # Every task (mapped ones included) built its own hook: the shared cache made one token do.
    assert running.twin.authentications == 1


@pytest.fixture
def fernet_key(monkeypatch):
    """A Fernet key for this test's metadata database: Variables are stored encrypted."""
    from airflow.models import crypto
    from cryptography.fernet import Fernet

    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", Fernet.generate_key().decode())
    crypto.get_fernet.cache_clear()
    yield
    crypto.get_fernet.cache_clear()


def test_token_shared_through_an_airflow_variable(twin_factory, connect, run_dag, tmp_path, fernet_key):
    """token_store 'variable': the tasks share the token through an Airflow Variable, which Airflow
    keeps Fernet-encrypted in its metadata database (each task here has its own cache directory's
    host lock, the Variable is what they share)."""
    from airflow.models.variable import Variable as VariableModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    running = twin_factory("absorb", seed=2)
    extra = {
        **running.connection()["extra"],
        "token_cache_dir": str(tmp_path / "tokens"),
        "token_store": "variable",
    }
    connect(running, "absorb_default", extra=extra)
    run, _ = run_dag("absorb_users_courses_enrollments", "2026-10-20")
    assert run.state == "success"
    assert running.twin.authentications == 1 and running.twin.count(status=401) == 0
    with create_session() as session:
        rows = session.scalars(select(VariableModel).where(VariableModel.key.like("absorb_token_%"))).all()
        stored = {row.key: (row.is_encrypted, row._val, row.val) for row in rows}
    token_keys = [k for k in stored if not k.endswith("_lease")]
    assert len(token_keys) == 1
    encrypted, raw, plain = stored[token_keys[0]]
    token = running.twin.issued_tokens[-1]
    assert encrypted and token not in raw and json.loads(plain)["token"] == token
