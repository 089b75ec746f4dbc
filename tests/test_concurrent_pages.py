"""max_concurrency: pages fetched ahead and parameter sets side by side, same bytes as sequential,
within the vendor's limits, with every page check still in force."""

from __future__ import annotations

import hashlib
import json
import threading
import time

import pytest

from airflow_provider_lms.auth import SignedRequest
from airflow_provider_lms.exceptions import LmsConfigError, LmsPaginationError
from airflow_provider_lms.hooks.learnupon import LearnUponHook
from airflow_provider_lms.operators.extract import LmsExtractOperator
from airflow_provider_lms.token_auth import Token, TokenAuth
from tests.stubs import Reply, StubServer

TOTAL, SIZE = 45, 5  # 9 pages


@pytest.fixture
def prefetched(monkeypatch):
    """Pages whose prefetched response the engine used, per extract (proves the pool ran)."""
    from airflow_provider_lms import concurrent_pages

    counts: list[int] = []
    close = concurrent_pages.PagePrefetcher.close

    def counting_close(self):
        if self.prefetched:
            counts.append(self.prefetched)
        close(self)

    monkeypatch.setattr(concurrent_pages.PagePrefetcher, "close", counting_close)
    return counts


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _extract(conn_id, out, concurrency, **kwargs):
    options = {"window_start": None, "window_end": None, **kwargs}
    result = LmsExtractOperator(
        task_id="extract", conn_id=conn_id, destination=str(out), max_concurrency=concurrency, **options
    ).execute({})
    return result, _digest(out)


# ---- against the twins ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vendor", "endpoint", "parameters"),
    [
        ("absorb", "users", {"page_size": 7}),
        ("absorb", "courses", {"page_size": 3}),
    ],
)
def test_known_page_counts_give_the_same_bytes_at_1_and_4(
    twin_factory, connect, tmp_path, prefetched, vendor, endpoint, parameters
):
    twin = twin_factory(vendor)
    conn_id = connect(twin)
    sequential, one = _extract(conn_id, tmp_path / "one.jsonl", 1, endpoint=endpoint, parameters=parameters)
    assert prefetched == []
    concurrent, four = _extract(conn_id, tmp_path / "four.jsonl", 4, endpoint=endpoint, parameters=parameters)
    assert sequential["pages"] >= 3, "the extract must span pages for the test to mean anything"
    assert prefetched and prefetched[-1] == sequential["pages"] - 1  # pages 2..N came from the pool
    assert one == four and sequential == {**concurrent, "uri": sequential["uri"]}


def test_nexport_counted_pages_give_the_same_bytes_at_1_and_4(twin_factory, connect, tmp_path, prefetched):
    twin = twin_factory("nexport")
    conn_id = connect(twin)
    orgs = [o["org_id"] for o in twin.twin.data["organizations"]]
    options = {
        "endpoint": "search_enrollments",
        "parameters": {"org_ids": orgs, "page_size": 10},
        "window_start": "2026-09-01T00:00:00Z",
        "window_end": "2026-11-01T00:00:00Z",
    }
    sequential, one = _extract(conn_id, tmp_path / "one.jsonl", 1, **options)
    concurrent, four = _extract(conn_id, tmp_path / "four.jsonl", 4, **options)
    assert sequential["pages"] >= 3 and sequential["records"] > 20
    assert prefetched == [sequential["pages"] - 1]
    assert one == four and sequential == {**concurrent, "uri": sequential["uri"]}


def test_learnworlds_fan_out_keeps_its_pacing_and_set_order(twin_factory, connect, tmp_path):
    # A shortened window (6 requests / 2 s) with the twin enforcing the same: 0 429s allowed.
    twin = twin_factory("learnworlds", courses=8, rate_limit=6, rate_window=2.0)
    conn_id = connect(twin, extra=json.dumps({"rate_limit_requests": 6, "rate_limit_seconds": 2}))
    sets = [{"course_id": c["id"]} for c in twin.twin.data["courses"][:8]]
    _, one = _extract(conn_id, tmp_path / "one.jsonl", 1, endpoint="course_users", parameters=sets)
    started = time.monotonic()
    _, four = _extract(conn_id, tmp_path / "four.jsonl", 4, endpoint="course_users", parameters=sets)
    took = time.monotonic() - started
    assert one == four
    assert twin.twin.rate_limited == 0 and twin.twin.count(status=429) == 0
    # 8 paced requests (interval 2 s * 1.02 / 5) cannot be faster than 7 intervals + the first.
    assert took >= 7 * 2 * 1.02 / 5


# ---- against stubs: latency, 429, repeats -----------------------------------------------------


class PagedStub:
    """Absorb-like pages (``totalItems``) of ``TOTAL`` records, ``delay`` s each; records arrivals."""

    def __init__(
        self,
        delay: float = 0.0,
        *,
        repeat: bool = False,
        throttled_page: int | None = None,
        throttled_group: str | None = None,
    ):
        self.delay, self.repeat, self.throttled_page = delay, repeat, throttled_page
        self.throttled_group = throttled_group
        self.arrivals: list[tuple[float, int, int]] = []  # (time, page, status)
        self.lock = threading.Lock()

    def __call__(self, request):
        page = request.int_arg("page", 1)
        status = 200
        with self.lock:
            if page == self.throttled_page and request.arg("group") == self.throttled_group:
                self.throttled_page, status = None, 429
            self.arrivals.append((time.monotonic(), page, status))
        if status == 429:
            return Reply.json({"message": "slow down"}, status=429, headers={"Retry-After": "1"})
        first = 0 if self.repeat else (page - 1) * SIZE
        records = [{"id": n + 1, "name": f"user {n + 1}", "score": n / 4} for n in range(first, first + SIZE)]
        return Reply.json({"totalItems": TOTAL, "users": records}, delay=self.delay)


ENDPOINT = {
    "path": "/users",
    "records_path": "users",
    "pagination": {
        "type": "page_number",
        "page_param": "page",
        "page_size_param": "per_page",
        "total_items_path": "totalItems",
    },
}


@pytest.fixture
def stub_conn(monkeypatch):
    def register(stub: StubServer, conn_id: str = "lms_stub") -> str:
        conn = {"conn_type": "learnupon", "host": stub.url, "login": "stub", "password": "secret-pw"}
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
        return conn_id

    return register


def test_pages_overlap_on_a_slow_server_and_come_out_in_order(stub_conn, tmp_path):
    pages = PagedStub(delay=0.2)
    with StubServer(pages) as stub:
        conn_id = stub_conn(stub)
        started = time.monotonic()
        _, one = _extract(
            conn_id, tmp_path / "one.jsonl", 1, endpoint=ENDPOINT, parameters={"page_size": SIZE}
        )
        sequential = time.monotonic() - started
        started = time.monotonic()
        result, four = _extract(
            conn_id, tmp_path / "four.jsonl", 4, endpoint=ENDPOINT, parameters={"page_size": SIZE}
        )
        concurrent = time.monotonic() - started
    assert one == four and result["records"] == TOTAL and result["pages"] == 9
    ids = [json.loads(line)["id"] for line in (tmp_path / "four.jsonl").read_text().splitlines()]
    assert ids == list(range(1, TOTAL + 1))
    assert sequential >= 9 * 0.2 and concurrent < sequential * 0.6


def test_a_429_holds_the_whole_pool(stub_conn, tmp_path):
    # Four parameter sets side by side, each paging on; set "b" is told 429 (Retry-After: 1) on
    # its page 2. The other sets' threads must wait out that second too, not keep sending.
    pages = PagedStub(delay=0.1, throttled_page=2, throttled_group="b")
    sets = [{"group": g, "page_size": SIZE} for g in "abcd"]
    with StubServer(pages) as stub:
        conn_id = stub_conn(stub)
        result, _ = _extract(conn_id, tmp_path / "out.jsonl", 4, endpoint=ENDPOINT, parameters=sets)
    assert result["records"] == 4 * TOTAL
    told = next(t for t, _, status in pages.arrivals if status == 429)
    # Requests already on their way may land just after the 429; none may START during its 1 s.
    during = [page for t, page, _ in pages.arrivals if told + 0.25 < t < told + 0.85]
    assert during == [], f"pages {during} were sent while the server asked everyone to wait"


def test_a_repeated_page_is_still_an_error_under_concurrency(stub_conn, tmp_path):
    with StubServer(PagedStub(repeat=True)) as stub:
        conn_id = stub_conn(stub)
        out = tmp_path / "out.jsonl"
        with pytest.raises(LmsPaginationError, match="page 2 repeats page 1"):
            _extract(conn_id, out, 4, endpoint=ENDPOINT, parameters={"page_size": SIZE})
    assert not out.exists()


def test_has_next_paging_stays_sequential(stub_conn, tmp_path, prefetched):
    # LearnUpon-like: nothing says how many pages there are, so nothing is fetched ahead.
    def handler(request):
        page = request.int_arg("page", 1)
        records = [{"id": (page - 1) * SIZE + n + 1} for n in range(SIZE)]
        more = "true" if page < 4 else "false"
        return Reply.json({"users": records}, headers={"LU-Has-Next-Page": more})

    spec = {
        **ENDPOINT,
        "pagination": {
            "type": "page_number",
            "page_param": "page",
            "page_size_param": "per_page",
            "has_next_header": "LU-Has-Next-Page",
        },
    }
    with StubServer(handler) as stub:
        conn_id = stub_conn(stub)
        result, _ = _extract(
            conn_id, tmp_path / "out.jsonl", 4, endpoint=spec, parameters={"page_size": SIZE}
        )
        asked = [r.arg("page") for r in stub.requests]
    assert result["records"] == 4 * SIZE and asked == ["1", "2", "3", "4"] and prefetched == []


# ---- settings and shared state -------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 17, -1, "many", 2.5, True])
def test_max_concurrency_is_validated(value, stub_conn, monkeypatch):
    with pytest.raises(LmsConfigError, match="max_concurrency"):
        LmsExtractOperator(
            task_id="x", conn_id="c", endpoint="users", destination="/tmp/x.jsonl", max_concurrency=value
        )
    conn = {
        "conn_type": "learnupon",
        "host": "http://127.0.0.1:9",
        "login": "a",
        "password": "b",
        "extra": json.dumps({"max_concurrency": value}),
    }
    monkeypatch.setenv("AIRFLOW_CONN_LMS_BAD", json.dumps(conn))
    with pytest.raises(LmsConfigError, match="connection 'lms_bad' extra max_concurrency"):
        LearnUponHook("lms_bad").max_concurrency  # noqa: B018


def test_defaults_per_vendor_and_the_extra(monkeypatch):
    from airflow_provider_lms.hooks.absorb import AbsorbHook
    from airflow_provider_lms.hooks.ispring import IspringHook

    assert LearnUponHook.default_max_concurrency == 1 and IspringHook.default_max_concurrency == 1
    assert AbsorbHook.default_max_concurrency > 1
    conn = {
        "conn_type": "learnupon",
        "host": "http://127.0.0.1:9",
        "login": "a",
        "password": "b",
        "extra": json.dumps({"max_concurrency": "3"}),
    }
    monkeypatch.setenv("AIRFLOW_CONN_LMS_THREE", json.dumps(conn))
    assert LearnUponHook("lms_three").max_concurrency == 3
    assert LearnUponHook("lms_three", max_concurrency=2).max_concurrency == 2


def test_a_rejected_token_is_renewed_once_for_all_threads():
    fetched = []

    def fetch() -> Token:
        time.sleep(0.05)
        fetched.append(1)
        return Token(f"token-{len(fetched)}")

    auth = TokenAuth(fetch)
    barrier = threading.Barrier(6)

    def worker():
        auth.sign(SignedRequest(headers={}, params={}))  # all sign with token-1 ...
        barrier.wait()
        assert auth.renew()  # ... and all are told it was rejected
        request = SignedRequest(headers={}, params={})
        auth.sign(request)
        assert request.headers["Authorization"] == "Bearer token-2"

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(fetched) == 2  # the first token and ONE renewal
