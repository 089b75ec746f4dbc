"""LearnWorlds' 30 requests / 10 s: the hook's pacing, the twin's real rolling limiter, 429s honoured."""

from __future__ import annotations

import json
import time

import pytest

from airflow_provider_lms.throttle import EvenPaceThrottle
from airflow_provider_lms.vendors.learnworlds.hook import LearnWorldsHook


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_pacing_keeps_sends_29_gaps_apart_more_than_a_window_apart():
    clock = FakeClock()
    throttle = EvenPaceThrottle(30, 10.0, clock=clock, sleep=clock.sleep)
    sends = []
    for _ in range(120):
        throttle.before_request()
        sends.append(clock.now)
    assert sends[0] > 100.0  # a new hook waits one interval: the previous task may just have sent
    # The server counts arrivals; arrival k+30 comes after send k+30, arrival k before send k+1 (a
    # hook waits for each response). So 29 send gaps must exceed the window.
    spans = [later - earlier for earlier, later in zip(sends, sends[29:], strict=False)]
    assert min(spans) > 10.0
    assert sends[-1] - sends[0] < 119 * 10.0 / 29 * 1.03  # and no slower than needed


def _course_users(data, course_ids):
    rows = []
    for cid in course_ids:
        enrolled = {
            a["user_id"]
            for a in data["product_access"]
            if a["product"]["id"] == cid and a["product"]["type"] == "course"
        }
        rows += [{**u, "_parameters": {"course_id": cid}} for u in data["users"] if u["id"] in enrolled]
    return rows


def _fan_out(hook: LearnWorldsHook, course_ids):
    return [r for cid in course_ids for r in hook.iter_records("course_users", {"course_id": cid})]


def test_a_client_faster_than_the_limit_is_refused_and_honours_the_429(twin_factory, connect):
    twin = twin_factory("learnworlds", rate_limit=20, rate_window=1.0)
    # The connection claims a much higher limit than the school enforces: 429s will come.
    conn_id = connect(
        twin, "lw_greedy", extra=json.dumps({"rate_limit_requests": 1000, "rate_limit_seconds": 1})
    )
    course_ids = [c["id"] for c in twin.twin.data["courses"]]
    hook = LearnWorldsHook(conn_id, backoff_base=0.01)
    got = _fan_out(hook, course_ids)
    assert got == _course_users(twin.twin.data, course_ids)
    assert twin.twin.rate_limited >= 1 and twin.twin.count(status=429) == twin.twin.rate_limited
    assert hook.transport.retry_count == twin.twin.rate_limited


def test_sequential_hooks_on_one_school_share_its_budget(twin_factory, connect):
    # Two tasks one after the other (one pool slot): the second must not burst on top of the first.
    twin = twin_factory("learnworlds", courses=60, rate_limit=15, rate_window=1.0)
    conn_id = connect(twin, "learnworlds_default")
    course_ids = [c["id"] for c in twin.twin.data["courses"]]
    first, second = course_ids[:30], course_ids[30:]
    got = _fan_out(LearnWorldsHook(conn_id), first) + _fan_out(LearnWorldsHook(conn_id), second)
    assert got == _course_users(twin.twin.data, course_ids)
    assert twin.twin.rate_limited == 0


@pytest.mark.slow
def test_300_course_fan_out_at_the_real_30_per_10_seconds_gets_no_429(twin_factory, connect):
    """The vendor's own numbers, in real time (~2 minutes of mostly sleeping)."""
    twin = twin_factory("learnworlds", courses=300)  # the twin's default: 30 requests / 10 s
    conn_id = connect(twin, "learnworlds_default")
    course_ids = [c["id"] for c in twin.twin.data["courses"]]
    started = time.monotonic()
    got = _fan_out(LearnWorldsHook(conn_id), course_ids)
    elapsed = time.monotonic() - started
    assert got == _course_users(twin.twin.data, course_ids)
    assert twin.twin.count() == 301 and twin.twin.rate_limited == 0
    assert elapsed < 301 * 10 / 29 * 1.1  # paced at the limit, not far below it
