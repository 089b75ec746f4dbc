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
        throttle.request_finished()  # what the transport says once the response came
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


def test_request_n_waits_until_request_n_minus_c_has_finished():
    import threading

    throttle = EvenPaceThrottle(30, 0.3, concurrency=2)  # interval ~11 ms
    first_sent, release_first, third_sent = threading.Event(), threading.Event(), threading.Event()

    def first():
        throttle.before_request()  # request 0
        first_sent.set()
        release_first.wait(10)
        throttle.request_finished()

    def third():
        throttle.before_request()  # request 2: needs request 0 finished
        third_sent.set()
        throttle.request_finished()

    a = threading.Thread(target=first)
    a.start()
    assert first_sent.wait(10)
    throttle.before_request()  # request 1: request -1 does not exist, so it goes
    c = threading.Thread(target=third)
    c.start()
    assert not third_sent.wait(0.3)  # two in flight, the older unfinished: the third waits
    release_first.set()
    assert third_sent.wait(10)
    throttle.request_finished()
    a.join(10), c.join(10)


def test_the_interval_makes_room_for_the_requests_in_flight():
    clock = FakeClock()
    sequential = EvenPaceThrottle(30, 10.0, clock=clock, sleep=clock.sleep)
    four = EvenPaceThrottle(30, 10.0, concurrency=4, clock=clock, sleep=clock.sleep)
    assert sequential.interval == pytest.approx(10.2 / 29)
    assert four.interval == pytest.approx(10.2 / 26)  # 26 intervals span the window, as 29 do at 1
    assert EvenPaceThrottle(30, 10.0, concurrency=16).concurrency == 4  # the cap
    start = clock.now
    sequential.before_request()
    assert clock.now - start == pytest.approx(4 * 10.2 / 29)  # room for a previous task's 4 in flight


def _with_uplink_jitter(twin, seed: int, most: float) -> None:
    """Requests reach the twin's limiter 0-``most`` s after they are sent (a congested network):
    arrivals no longer keep the send spacing, which is what concurrency makes dangerous."""
    import random

    rng, lock = random.Random(seed), __import__("threading").Lock()
    handle = twin.twin.handle

    def delayed(request):
        with lock:
            delay = rng.random() * most
        time.sleep(delay)
        return handle(request)

    twin.twin.handle = delayed


@pytest.mark.parametrize("concurrency", [2, 4])
def test_concurrent_fan_out_under_network_jitter_gets_no_429(twin_factory, connect, concurrency):
    twin = twin_factory("learnworlds", courses=36, rate_limit=10, rate_window=1.0)
    _with_uplink_jitter(twin, seed=concurrency, most=0.6)
    conn_id = connect(twin, "learnworlds_default")
    course_ids = [c["id"] for c in twin.twin.data["courses"]]
    hook = LearnWorldsHook(conn_id, max_concurrency=concurrency)
    from airflow_provider_lms.concurrent_pages import ordered_sets

    plans = [hook.plan("course_users", {"course_id": cid}) for cid in course_ids]
    hook.transport  # noqa: B018 - made once, before the threads
    got = []
    for _index, page in ordered_sets(len(plans), lambda i: hook.iter_pages(plans[i]), concurrency):
        got += page.records
    assert got == _course_users(twin.twin.data, course_ids)
    assert twin.twin.count() == len(course_ids) + 1 and twin.twin.rate_limited == 0


def test_a_sequential_task_after_a_concurrent_one_keeps_within_the_budget(twin_factory, connect):
    twin = twin_factory("learnworlds", courses=40, rate_limit=10, rate_window=1.0)
    _with_uplink_jitter(twin, seed=3, most=0.3)
    conn_id = connect(twin, "learnworlds_default")
    course_ids = [c["id"] for c in twin.twin.data["courses"]]
    from airflow_provider_lms.concurrent_pages import ordered_sets

    first = LearnWorldsHook(conn_id, max_concurrency=4)
    plans = [first.plan("course_users", {"course_id": cid}) for cid in course_ids[:20]]
    first.transport  # noqa: B018
    got = [
        r for _i, p in ordered_sets(len(plans), lambda i: first.iter_pages(plans[i]), 4) for r in p.records
    ]
    got += _fan_out(LearnWorldsHook(conn_id), course_ids[20:])  # the next task in the pool slot
    assert got == _course_users(twin.twin.data, course_ids)
    assert twin.twin.rate_limited == 0
