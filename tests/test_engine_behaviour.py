"""Engine behaviour seen from outside: pacing, streaming memory, progress logs, masked secrets."""

from __future__ import annotations

import logging
import tracemalloc

import pytest

from airflow_provider_lms.operators.extract import LmsExtractOperator
from airflow_provider_lms.throttle import RollingWindowThrottle
from airflow_provider_lms.vendors.learnupon.hook import LearnUponHook


def test_learnupon_paces_itself_on_the_remaining_minute_header(twin_factory, connect, no_sleep):
    twin = twin_factory("learnupon", rate_limit_per_minute=8)
    hook = LearnUponHook(connect(twin), sleep=no_sleep)
    records = list(hook.iter_records("users", {"page_size": 20}))  # 120 users: 6 requests
    assert records == twin.twin.data["users"]
    assert twin.twin.count(status=429) == 0
    # After each response the budget left is 7, 6, 5, 4, 3; from 5 on the next request waits
    # a minute spread over what is left: 60/6, 60/5, 60/4.
    assert no_sleep.calls == pytest.approx([60 / 6, 60 / 5, 60 / 4])


def test_rolling_window_throttle_never_exceeds_its_budget():
    now = [0.0]
    sent = []

    def sleep(seconds):
        now[0] += seconds

    throttle = RollingWindowThrottle(3, 10.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(10):
        throttle.before_request()
        sent.append(now[0])
        now[0] += 0.5
    for i, moment in enumerate(sent):
        assert sum(1 for other in sent if moment <= other < moment + 10.0) <= 3, (i, sent)
    assert sent[-1] >= 30.0  # 10 requests at 3 per 10 s


def _peak_memory_of_extract(twin_factory, connect, tmp_path, scale):
    twin = twin_factory("learnupon", scale=scale)
    conn_id = connect(twin, f"lu_scale_{scale}")
    out = tmp_path / f"enrollments-{scale}.jsonl"

    def run():
        op = LmsExtractOperator(
            task_id="t",
            conn_id=conn_id,
            endpoint="enrollments",
            destination=str(out),
            window_start=None,
            window_end=None,
        )
        return op.execute({})

    run()  # warm up: first-use imports and caches are not the extract's memory
    tracemalloc.start()
    try:
        result = run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result["records"] == len(twin.twin.data["enrollments"])
    return peak, out.stat().st_size


def test_memory_stays_flat_while_streaming_a_large_extract(twin_factory, connect, tmp_path):
    small_peak, small_size = _peak_memory_of_extract(twin_factory, connect, tmp_path, 4)
    large_peak, large_size = _peak_memory_of_extract(twin_factory, connect, tmp_path, 48)
    assert large_size > 5 * small_size > 2_000_000
    # Both sides of the loopback run in this process, so the twin's page rendering counts too;
    # what matters is that twelve times the data does not need much more memory at once (each page
    # parsed by orjson briefly holds ~12x its bytes, so the data must dwarf a few pages).
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)
    assert large_peak < large_size / 2, (large_peak, large_size)


def test_progress_is_logged_per_page_and_summarised(twin_factory, connect, tmp_path, capsys):
    twin = twin_factory("learnupon")
    op = LmsExtractOperator(
        task_id="t",
        conn_id=connect(twin),
        endpoint="users",
        parameters={"page_size": 50},
        destination=str(tmp_path / "u.jsonl"),
        window_start=None,
        window_end=None,
    )
    op.execute({})
    messages = capsys.readouterr().out.splitlines()  # Airflow's task loggers print structured lines
    pages = [m for m in messages if "learnupon users page" in m]
    assert len(pages) == 3 and "(120 so far" in pages[-1] and "records/s" in pages[-1]
    assert any("Extracted 120 records in 3 pages from learnupon users, no window, to" in m for m in messages)


def test_password_never_reaches_logs_errors_or_xcom(twin_factory, connect, tmp_path, caplog, capsys):
    password = "sandbox-api-password"
    twin = twin_factory("learnupon", fault_rate=0.2, seed=5)
    conn_id = connect(twin)
    op = LmsExtractOperator(
        task_id="t",
        conn_id=conn_id,
        endpoint="users",
        parameters={"page_size": 10},
        destination=str(tmp_path / "u.jsonl"),
        window_start=None,
        window_end=None,
    )
    op.hook._backoff_base = 0.001
    with caplog.at_level(logging.DEBUG):
        result = op.execute({})
        bad = LearnUponHook(connect(twin, "lu_bad", password="wrong-" + password))
        ok, message = bad.test_connection()
    assert twin.twin.faults.injected > 0 and not ok
    captured = capsys.readouterr()
    texts = [r.getMessage() for r in caplog.records] + [message, repr(result), captured.out, captured.err]
    assert any("retrying" in t for t in texts)  # the retry path was logged
    assert not [t for t in texts if password in t]
