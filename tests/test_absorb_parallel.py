"""Eight Absorb extracts in eight separate processes against ONE connection, started together.

Absorb keeps one token per user, so eight processes that each authenticate would keep knocking
each other out. Through the worker's shared token cache they authenticate once between them (twice
when another client steals the token mid-run), and every extract still returns exactly what the
API holds, with and without injected 429/503.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import sys
import time
import traceback
from pathlib import Path

import pytest

from airflow_provider_lms.vendors.absorb.hook import AbsorbHook
from tests.test_absorb_support import Scenario, by_id, register, shown


def _child(spec: dict, go, ready) -> None:
    """One extract in its own process: build the hook, wait for the start signal, extract."""
    # Everything the process logs or prints lands in a file the test inspects.
    log = open(spec["log"], "w", buffering=1)  # noqa: SIM115 - kept open until os._exit
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    sys.stdout = sys.stderr = log
    handler = logging.StreamHandler(log)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        hook = AbsorbHook(spec["conn_id"], backoff_base=0.01)
        ready.release()
        if not go.wait(120):
            raise TimeoutError("no start signal")
        started = time.monotonic()
        records = list(hook.iter_records(spec["endpoint"], spec["parameters"]))
        report = {
            **hook.token_report(),
            "started": started,
            "finished": time.monotonic(),
            "pid": os.getpid(),
            "requests": hook.transport.request_count,
            "retries": hook.transport.retry_count,
        }
        Path(spec["output"]).write_text(json.dumps({"report": report, "records": records}))
        code = 0
    except BaseException:
        Path(spec["output"]).write_text(json.dumps({"error": traceback.format_exc()}))
        code = 1
    logging.shutdown()
    log.flush()
    os._exit(code)  # a forked child must not run the parent's exit handlers


def _extracts(data):
    """Eight (endpoint, parameters, expected records): several pages each, so runs overlap."""
    scenario = Scenario(data)
    chosen = []
    for name, page_size in (
        ("users", 5),
        ("courses", 1),
        ("course_enrollments", 2),
        ("user_enrollments", 1),
        ("my_enrollments", 1),
        ("lesson_enrollments", 1),
        ("session_enrollments", 1),
    ):
        parameters, expected = scenario.case(name)
        chosen.append((name, {**parameters, "page_size": page_size}, expected))
    other = next(c["id"] for c in data["courses"] if c["id"] != scenario.course_id)
    expected = [shown(e) for e in data["course_enrollments"] if e["courseId"] == other]
    chosen.append(("course_enrollments", {"course_id": other, "page_size": 2}, expected))
    return chosen


def _run_in_processes(conn_id, extracts, workdir: Path, *, strict: bool = True):
    """Start one process per extract, release them together once all are ready, and collect
    (report, records, log text) per process. ``conn_id`` is one id, or a function of the extract's
    index (processes standing for several hosts); with ``strict=False`` a failed extract gives
    None instead of failing the test."""
    conn_for = conn_id if callable(conn_id) else (lambda index: conn_id)
    workdir.mkdir()
    context = multiprocessing.get_context("fork")
    go, ready = context.Event(), context.Semaphore(0)
    specs, processes = [], []
    for index, (endpoint, parameters, _) in enumerate(extracts):
        spec = {
            "conn_id": conn_for(index),
            "endpoint": endpoint,
            "parameters": parameters,
            "output": str(workdir / f"out-{index}.json"),
            "log": str(workdir / f"log-{index}.txt"),
        }
        specs.append(spec)
        process = context.Process(target=_child, args=(spec, go, ready), daemon=True)
        process.start()
        processes.append(process)
    try:
        for _ in processes:
            assert ready.acquire(timeout=120), "a child did not get ready"
        go.set()
        results = []
        for spec, process in zip(specs, processes, strict=True):
            process.join(180)
            outcome = json.loads(Path(spec["output"]).read_text())
            if not strict and process.exitcode != 0:
                results.append(None)
                continue
            assert process.exitcode == 0, outcome.get("error")
            results.append((outcome["report"], outcome["records"], Path(spec["log"]).read_text()))
        return results
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fault_rate", "revoke_after", "authentications"),
    [(0.0, None, 1), (0.05, 60, 2)],
    ids=["clean", "faults-and-a-stolen-token"],
)
def test_eight_processes_share_one_token_and_extract_exactly(
    twin_factory, connect, tmp_path, fault_rate, revoke_after, authentications
):
    running = twin_factory(
        "absorb", fault_rate=fault_rate, seed=11, latency=0.003, revoke_after_requests=revoke_after
    )
    conn_id = register(connect, running, tmp_path, "absorb_parallel")
    extracts = _extracts(running.twin.data)
    results = _run_in_processes(conn_id, extracts, tmp_path / "run")

    for (endpoint, parameters, expected), (_, records, _) in zip(extracts, results, strict=True):
        assert expected, endpoint
        assert by_id(records) == by_id(expected), f"{endpoint} {parameters}"
    twin = running.twin
    reports = [report for report, _, _ in results]
    # Bounded and reported: the twin's count of /authenticate equals what the processes report.
    assert twin.authentications == authentications
    assert sum(r["authenticate_calls"] for r in reports) == authentications
    assert sum(r["reused_tokens"] for r in reports) >= len(reports) - authentications
    # Eight separate processes that really ran at the same time (all started before any finished).
    assert len({r["pid"] for r in reports} | {os.getpid()}) == 9
    assert max(r["started"] for r in reports) < min(r["finished"] for r in reports)
    if revoke_after:
        assert twin.revocations == 1 and twin.count(status=401) >= 1
    else:
        assert twin.count(status=401) == 0
    if fault_rate:
        assert twin.faults.injected > 0 and sum(r["retries"] for r in reports) >= twin.faults.injected
    logs = "".join(log for _, _, log in results)
    assert logs.count("Absorb: /authenticate call #") == authentications  # each one is logged
    for secret in (twin.password, twin.private_key, *twin.issued_tokens):
        assert secret not in logs
    print(
        f"\n8 processes, fault_rate={fault_rate}: {twin.authentications} /authenticate, "
        f"{sum(r['requests'] for r in reports)} requests, {twin.count(status=401)} x 401, "
        f"{twin.faults.injected} injected faults"
    )
