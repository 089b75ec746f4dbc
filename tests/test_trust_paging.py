"""Trust, paging (issue 10, items 6-9): against stub servers that lie in each vendor's paging style,
every extract ends with the exact record set or a clear failure that leaves the destination as it
was. Lies: an empty page while "more" is declared, a silently capped page size, repeated and
alternating pages, endless pages, totals that change or do not add up, rows inserted in front of
our offset."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable

import pytest

from airflow_provider_lms.exceptions import LmsConfigError, LmsDataChangedError, LmsPaginationError
from airflow_provider_lms.operators.extract import LmsExtractOperator
from airflow_provider_lms.page_checks import ExtractChecks
from airflow_provider_lms.pagination import Declared
from airflow_provider_lms.vendors.absorb.hook import AbsorbHook
from airflow_provider_lms.vendors.ispring.hook import IspringHook
from airflow_provider_lms.vendors.learnupon.hook import LearnUponHook
from airflow_provider_lms.vendors.learnworlds.hook import LearnWorldsHook
from airflow_provider_lms.vendors.nexport.hook import NexPortHook
from tests.stubs import Reply, StubRequest, StubServer

UUID = "3f8c08bc-e009-471c-802c-09f0d814bf59"
OLD_CONTENT = b'{"previous": "run"}\n'

# ---- the stub vendors ----------------------------------------------------------------------------

AUTH_PATHS = {
    "absorb": "/authenticate",
    "learnworlds": "/admin/api/oauth2/access_token",
    "nexport": "/api/v1/AdminApi/Authenticate",
    "ispring": "/api/v3/token",
}
AUTH_REPLIES = {
    "absorb": json.dumps("stub-token"),  # a bare JSON string
    "learnworlds": {"tokenData": {"access_token": "stub-token", "expires_in": 3600}, "success": True},
    "nexport": {"access_token": "stub-token", "expires_in": 3600, "api_error_entity": {"error_code": 0}},
    "ispring": {"access_token": "stub-token", "expires_in": 1800, "token_type": "bearer"},
}
HOOKS = {
    "learnupon": LearnUponHook,
    "absorb": AbsorbHook,
    "learnworlds": LearnWorldsHook,
    "nexport": NexPortHook,
    "ispring": IspringHook,
}
EXTRAS = {
    "absorb": {"private_key": "stub-key", "token_cache_dir": "off"},
    # The operator builds its own hook: a fast pace keeps these tests quick without a fake sleep.
    "learnworlds": {"rate_limit_requests": 1000, "rate_limit_seconds": 1},
}


def records(count: int, prefix: str = "r", key: str = "id") -> list[dict]:
    return [{key: f"{prefix}{i:03d}", "name": f"record {i}"} for i in range(1, count + 1)]


class Vendor:
    """A stub of one vendor: token calls answered, data requests handed to ``pages``."""

    def __init__(self, vendor: str, pages: Callable[[StubRequest], Reply]) -> None:
        self.vendor = vendor
        self.stub = StubServer(self._handle)
        self.pages = pages

    def _handle(self, request: StubRequest) -> Reply:
        if request.path == AUTH_PATHS.get(self.vendor):
            return Reply.json(AUTH_REPLIES[self.vendor])
        return self.pages(request)

    def data_requests(self) -> list[StubRequest]:
        return [r for r in self.stub.requests if r.path != AUTH_PATHS.get(self.vendor)]

    def __enter__(self) -> Vendor:
        self.stub.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stub.stop()


@pytest.fixture
def vendor(monkeypatch):
    """``vendor("absorb", pages, **extra)`` -> (Vendor, conn_id); the stub stops after the test."""
    started: list[Vendor] = []

    def start(name: str, pages: Callable[[StubRequest], Reply], **extra) -> tuple[Vendor, str]:
        running = Vendor(name, pages).__enter__()
        started.append(running)
        conn_id = f"stub_{name}_{len(started)}"
        conn = {
            "conn_type": name,
            "host": running.stub.url,
            "login": "stub-login",
            "password": "stub-password",
            "extra": {**EXTRAS.get(name, {}), **extra},
        }
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
        return running, conn_id

    yield start
    for running in started:
        running.__exit__()


def hook(name: str, conn_id: str, **kwargs):
    return HOOKS[name](conn_id, backoff_base=0.0, sleep=lambda _s: None, **kwargs)


def extract(conn_id: str, endpoint: str, destination, parameters=None) -> dict:
    task = LmsExtractOperator(
        task_id="extract",
        conn_id=conn_id,
        endpoint=endpoint,
        parameters=parameters,
        destination=str(destination),
        window_start=None,
        window_end=None,
    )
    return task.execute({})


def ids_in(path, key: str = "id") -> list:
    return [json.loads(line)[key] for line in path.read_text().splitlines()]


def assert_untouched(destination) -> None:
    """The previous run's file is byte for byte as it was, and no partial file is left beside it."""
    assert destination.read_bytes() == OLD_CONTENT
    assert sorted(p.name for p in destination.parent.iterdir()) == [destination.name]


def previous_run(tmp_path, name: str = "out.jsonl"):
    destination = tmp_path / name
    destination.write_bytes(OLD_CONTENT)
    return destination


# Vendor page shapes ------------------------------------------------------------------------------


def learnupon_page(chunk, more: bool | None = None, served: int | None = None) -> Reply:
    headers = {}
    if more is not None:
        headers["LU-Has-Next-Page"] = "true" if more else "false"
    if served is not None:
        headers["LU-Records-Per-Page"] = str(served)
    return Reply.json({"user": chunk}, headers=headers)


def absorb_page(chunk, total: int, limit: int, offset: int) -> Reply:
    return Reply.json(
        {"totalItems": total, "returnedItems": len(chunk), "limit": limit, "offset": offset, "users": chunk}
    )


def learnworlds_page(chunk, page: int, total_items: int, total_pages: int, size: int) -> Reply:
    meta = {"page": page, "totalItems": total_items, "totalPages": total_pages, "itemsPerPage": size}
    return Reply.json({"data": chunk, "meta": meta})


def nexport_page(chunk, page: int, size: int, total: int) -> Reply:
    return Reply.json(
        {
            "enrollments": chunk,
            "page": page,
            "page_size": size,
            "total_count": total,
            "api_error_entity": {"error_code": 0, "warning_messages": []},
        }
    )


def absorb_source(source: list[dict], after_page: Callable[[int, int], None] | None = None):
    """Absorb's ``_offset`` page index over ``source``; ``after_page(offset, nth)`` may change it."""
    served: dict[int, int] = {}

    def pages(request: StubRequest) -> Reply:
        limit, offset = request.int_arg("_limit", 20), request.int_arg("_offset", 0)
        reply = absorb_page(source[offset * limit : (offset + 1) * limit], len(source), limit, offset)
        served[offset] = served.get(offset, 0) + 1
        if after_page:
            after_page(offset, served[offset])
        return reply

    return pages


# ---- item 6: an empty page while the vendor says there is more ------------------------------------


def test_learnupon_empty_page_with_has_next_true_fails_and_leaves_the_destination(vendor, tmp_path):
    source = records(12)

    def pages(request: StubRequest) -> Reply:
        page, size = request.int_arg("page", 1), request.int_arg("per_page", 50)
        if page == 2:
            return learnupon_page([], more=True)  # lost its place, still says "more"
        return learnupon_page(source[(page - 1) * size : page * size], more=page * size < len(source))

    running, conn_id = vendor("learnupon", pages)
    destination = previous_run(tmp_path)
    with pytest.raises(LmsPaginationError, match="came back empty although the LU-Has-Next-Page header"):
        extract(conn_id, "users", destination, {"page_size": 5})
    assert_untouched(destination)


def test_absorb_empty_page_before_total_items_is_an_error(vendor, tmp_path):
    source = records(20)

    def pages(request: StubRequest) -> Reply:
        limit, offset = request.int_arg("_limit", 20), request.int_arg("_offset", 0)
        chunk = [] if offset == 1 else source[offset * limit : (offset + 1) * limit]
        return absorb_page(chunk, len(source), limit, offset)

    running, conn_id = vendor("absorb", pages)
    with pytest.raises(LmsPaginationError, match=r"_offset=1 came back empty although totalItems says 20"):
        list(hook("absorb", conn_id).iter_records("users", {"page_size": 5}))
    destination = previous_run(tmp_path)
    with pytest.raises(LmsPaginationError, match="came back empty"):
        extract(conn_id, "users", destination, {"page_size": 5})
    assert_untouched(destination)


def test_learnworlds_empty_page_before_total_pages_is_an_error(vendor):
    source = records(15)

    def pages(request: StubRequest) -> Reply:
        page = request.int_arg("page", 1)
        chunk = [] if page == 2 else source[(page - 1) * 5 : page * 5]
        return learnworlds_page(chunk, page, 15, 3, 5)

    running, conn_id = vendor("learnworlds", pages)
    with pytest.raises(LmsPaginationError, match="page=2 came back empty although meta.totalPages says 3"):
        list(hook("learnworlds", conn_id).iter_records("users", {"page_size": 5}))


def test_nexport_empty_page_before_total_count_is_an_error(vendor):
    source = records(12, key="enrollment_id")

    def pages(request: StubRequest) -> Reply:
        page, size = request.int_arg("page", 1), request.int_arg("per_page", 30)
        chunk = [] if page == 2 else source[(page - 1) * size : page * size]
        return nexport_page(chunk, page, size, len(source))

    running, conn_id = vendor("nexport", pages)
    with pytest.raises(LmsPaginationError, match="page=2 came back empty although total_count says 12"):
        list(hook("nexport", conn_id).iter_records("search_enrollments", {"user_ids": UUID, "page_size": 5}))


# ---- item 7: fewer rows than asked, and no has-next signal ----------------------------------------


@pytest.mark.parametrize("reports_size", [True, False], ids=["per-page-header", "no-signal-at-all"])
def test_learnupon_capped_page_size_without_has_next_reads_everything(vendor, tmp_path, reports_size):
    source = records(120)

    def pages(request: StubRequest) -> Reply:
        page = request.int_arg("page", 1)
        size = min(request.int_arg("per_page", 50), 50)  # asked 100, serves 50, says nothing of more
        return learnupon_page(source[(page - 1) * size : page * size], served=size if reports_size else None)

    running, conn_id = vendor("learnupon", pages)
    destination = tmp_path / "users.jsonl"
    result = extract(conn_id, "users", destination, {"page_size": 100})
    assert ids_in(destination) == [r["id"] for r in source]
    assert result["records"] == 120
    # With the served size a 20-record page is the last; without it only the empty page is proof.
    assert [r.int_arg("page", 0) for r in running.data_requests()] == (
        [1, 2, 3] if reports_size else [1, 2, 3, 4]
    )


def test_nexport_bare_array_with_a_silent_page_cap_reads_everything(vendor):
    source = records(20, key="assignment_id")

    def pages(request: StubRequest) -> Reply:
        page, size = request.int_arg("page", 1), min(request.int_arg("per_page", 30), 7)
        return Reply.json(source[(page - 1) * size : page * size])

    running, conn_id = vendor("nexport", pages)
    got = list(hook("nexport", conn_id).iter_records("assignments", {"section_id": UUID}))
    assert [r["assignment_id"] for r in got] == [r["assignment_id"] for r in source]
    assert len(running.data_requests()) == 4  # 7 + 7 + 6, then the empty page


# ---- item 8: repeats anywhere, and a hard bound on pages ------------------------------------------


def test_two_pages_served_alternately_with_more_stop_at_the_first_repeat(vendor, tmp_path):
    first, second = records(5, "a"), records(5, "b")

    def pages(request: StubRequest) -> Reply:
        number = len(running.data_requests())
        # (A safety stop for clients that never notice: after 40 pages the stub admits the end.)
        return learnupon_page(first if number % 2 else second, more=number < 40)

    running, conn_id = vendor("learnupon", pages)
    destination = previous_run(tmp_path)
    with pytest.raises(LmsPaginationError, match="page 3 repeats page 1 record for record"):
        extract(conn_id, "users", destination, {"page_size": 5})
    assert len(running.data_requests()) == 3
    assert_untouched(destination)


def test_a_page_repeating_an_earlier_one_not_its_neighbour_is_an_error(vendor):
    source = records(20)

    def pages(request: StubRequest) -> Reply:
        limit, offset = request.int_arg("_limit", 20), request.int_arg("_offset", 0)
        index = 0 if offset == 2 else offset  # the third page is the first one again
        return absorb_page(source[index * limit : (index + 1) * limit], len(source), limit, offset)

    running, conn_id = vendor("absorb", pages)
    with pytest.raises(LmsPaginationError, match="page 3 repeats page 1"):
        list(hook("absorb", conn_id).iter_records("users", {"page_size": 5}))


def test_repeats_are_caught_without_an_id_field_too(vendor):
    # A custom endpoint names no id: the page's content is compared instead.
    first, second = [{"value": 1}, {"value": 2}], [{"value": 3}, {"value": 4}]

    def pages(request: StubRequest) -> Reply:
        number = len(running.data_requests())
        return learnupon_page(first if number % 2 else second, more=number < 40)

    running, conn_id = vendor("learnupon", pages)
    with pytest.raises(LmsPaginationError, match="page 3 repeats page 1"):
        list(hook("learnupon", conn_id).iter_records({"path": "/reports/x", "records_path": "$.user[*]"}))


def test_token_pages_that_never_end_stop_at_the_page_limit(vendor):
    # Empty pages with fresh tokens are legitimate one by one; forever, they are a loop.
    def pages(request: StubRequest) -> Reply:
        number = len(running.data_requests())
        return Reply.json({"userProfiles": [], "nextPageToken": f"t{number}" if number < 300 else None})

    running, conn_id = vendor("ispring", pages)
    with pytest.raises(LmsPaginationError, match="25 pages were read .* 'page_limit'"):
        list(hook("ispring", conn_id, page_limit=25).iter_records("users"))
    assert len(running.data_requests()) == 25


def test_the_page_limit_comes_from_the_connection_extra(vendor, tmp_path):
    source = records(200)

    def pages(request: StubRequest) -> Reply:
        page = request.int_arg("page", 1)
        return learnupon_page(source[(page - 1) * 10 : page * 10], more=page * 10 < len(source))

    running, conn_id = vendor("learnupon", pages, page_limit=6)
    destination = previous_run(tmp_path)
    with pytest.raises(LmsPaginationError, match="stopped before page 7: 6 pages were read"):
        extract(conn_id, "users", destination, {"page_size": 10})
    assert len(running.data_requests()) == 6
    assert_untouched(destination)


def test_pages_past_the_declared_total_are_an_error(vendor):
    # totalItems 1000 in pages of 500 is 2 pages; the server keeps sending one new record a page.
    def pages(request: StubRequest) -> Reply:
        offset = request.int_arg("_offset", 0)
        chunk = [{"id": f"x{offset:04d}"}] if offset < 40 else []
        return absorb_page(chunk, 1000, 500, offset)

    running, conn_id = vendor("absorb", pages)
    with pytest.raises(
        LmsPaginationError, match=r"page 5 is past the end the vendor declared \(1000 records"
    ):
        list(hook("absorb", conn_id).iter_records("users", {"page_size": 500}))
    assert len(running.data_requests()) == 5


def test_empty_token_pages_between_full_ones_are_not_repeats(vendor):
    # iSpring may answer a page with no records and a token: legitimate, and never a "repeat".
    source = records(6, key="userId")
    script = [source[:2], [], source[2:4], [], source[4:]]

    def pages(request: StubRequest) -> Reply:
        index = int(request.arg("pageToken", "0") or 0)
        token = str(index + 1) if index + 1 < len(script) else None
        return Reply.json({"userProfiles": script[index], "nextPageToken": token})

    running, conn_id = vendor("ispring", pages)
    got = list(hook("ispring", conn_id).iter_records("users"))
    assert [r["userId"] for r in got] == [r["userId"] for r in source]


# ---- item 9: data changing while we page ----------------------------------------------------------


def test_a_row_inserted_in_front_is_not_written_twice_and_is_counted(vendor, tmp_path):
    # LearnUpon declares no total: the repeat of the previous page's last record is the only sign.
    source = records(12)

    def pages(request: StubRequest) -> Reply:
        page, size = request.int_arg("page", 1), request.int_arg("per_page", 50)
        reply = learnupon_page(source[(page - 1) * size : page * size], more=page * size < len(source))
        if page == 1:
            source.insert(0, {"id": "r000", "name": "inserted after page 1"})
        return reply

    running, conn_id = vendor("learnupon", pages)
    destination = tmp_path / "users.jsonl"
    result = extract(conn_id, "users", destination, {"page_size": 5})
    assert ids_in(destination) == [f"r{i:03d}" for i in range(1, 13)]  # r005 once, nothing lost
    assert result["records"] == 12 and result["duplicates_skipped"] == 1


def test_a_total_that_changes_mid_extract_restarts_once_and_writes_the_exact_set(vendor, tmp_path):
    source = records(12)

    def insert_once(offset: int, nth: int) -> None:
        if offset == 0 and nth == 1:
            source.insert(0, {"id": "r000", "name": "inserted while paging"})

    running, conn_id = vendor("absorb", absorb_source(source, insert_once))
    destination = previous_run(tmp_path)
    result = extract(conn_id, "users", destination, {"page_size": 5})
    assert ids_in(destination) == [f"r{i:03d}" for i in range(0, 13)]
    assert result["records"] == 13 and result["duplicates_skipped"] == 0
    # page 0 and 1 of the first attempt (Absorb fetches pages ahead: page 2 may have been asked
    # for too, and is discarded with the attempt), then all three pages again from the start
    offsets = [r.int_arg("_offset", -1) for r in running.data_requests()]
    restart = offsets.index(0, 1)
    assert offsets[0] == 0 and sorted(offsets[:restart]) in ([0, 1], [0, 1, 2])
    assert sorted(offsets[restart:]) == [0, 1, 2]


def test_a_row_deleted_in_front_restarts_instead_of_leaving_a_gap(vendor, tmp_path):
    source = records(12)

    def delete_once(offset: int, nth: int) -> None:
        if offset == 0 and nth == 1:
            del source[0]

    running, conn_id = vendor("absorb", absorb_source(source, delete_once))
    destination = tmp_path / "users.jsonl"
    extract(conn_id, "users", destination, {"page_size": 5})
    assert ids_in(destination) == [f"r{i:03d}" for i in range(2, 13)]  # r006 is not lost


def test_a_source_that_keeps_changing_fails_with_the_destination_untouched(vendor, tmp_path):
    source = records(12)
    inserted = iter(range(100, 200))

    def insert_always(offset: int, nth: int) -> None:
        if offset == 0:
            source.insert(0, {"id": f"n{next(inserted)}"})

    running, conn_id = vendor("absorb", absorb_source(source, insert_always))
    destination = previous_run(tmp_path)
    with pytest.raises(
        LmsDataChangedError, match=r"declared 13 records \(totalItems\) on page 1 and 14"
    ) as caught:
        extract(conn_id, "users", destination, {"page_size": 5})
    assert "changed again after 1 restart" in str(caught.value)
    assert_untouched(destination)


def test_a_final_count_short_of_the_total_restarts_once(vendor, tmp_path):
    # LearnWorlds stops on totalPages; the records must still add up to meta.totalItems.
    source = records(10)
    attempts = []

    def pages(request: StubRequest) -> Reply:
        page = request.int_arg("page", 1)
        if page == 1:
            attempts.append(1)
        chunk = source[(page - 1) * 5 : page * 5]
        if len(attempts) == 1 and page == 2:
            chunk = chunk[:4]  # the first attempt loses one record
        return learnworlds_page(chunk, page, 10, 2, 5)

    running, conn_id = vendor("learnworlds", pages)
    with pytest.raises(
        LmsDataChangedError, match=r"declared 10 records \(meta.totalItems\) but the extract read 9"
    ):
        list(hook("learnworlds", conn_id).iter_records("users", {"page_size": 5}))
    attempts.clear()
    destination = tmp_path / "users.jsonl"
    result = extract(conn_id, "users", destination, {"page_size": 5})
    assert ids_in(destination) == [r["id"] for r in source] and result["records"] == 10


def test_a_final_count_that_never_adds_up_fails_cleanly(vendor, tmp_path):
    source = records(10)

    def pages(request: StubRequest) -> Reply:
        page = request.int_arg("page", 1)
        chunk = source[(page - 1) * 5 : page * 5][:4]  # every page one short, every time
        return learnworlds_page(chunk, page, 10, 2, 5)

    running, conn_id = vendor("learnworlds", pages)
    destination = previous_run(tmp_path)
    with pytest.raises(LmsDataChangedError, match="read 8 distinct records in 2 pages"):
        extract(conn_id, "users", destination, {"page_size": 5})
    assert_untouched(destination)


def test_an_offset_shift_under_an_unchanged_total_restarts(vendor, tmp_path):
    # A row inserted in front and another deleted behind us: totalItems stays 10, but the second
    # page repeats the first page's last record. Skipped, the distinct count is 9: restart.
    source = records(10)

    def shift_once(offset: int, nth: int) -> None:
        if offset == 0 and nth == 1:
            source.insert(0, {"id": "r000"})
            del source[-1]

    running, conn_id = vendor("absorb", absorb_source(source, shift_once))
    destination = tmp_path / "users.jsonl"
    result = extract(conn_id, "users", destination, {"page_size": 5})
    assert ids_in(destination) == [f"r{i:03d}" for i in range(0, 10)]
    assert result["duplicates_skipped"] == 0  # the clean second attempt needed none
    assert len(running.data_requests()) == 4


def test_nexport_total_count_change_restarts(vendor, tmp_path):
    source = records(12, key="enrollment_id")
    served = []

    def pages(request: StubRequest) -> Reply:
        page, size = request.int_arg("page", 1), request.int_arg("per_page", 30)
        reply = nexport_page(source[(page - 1) * size : page * size], page, size, len(source))
        served.append(page)
        if served == [1]:
            source.insert(0, {"enrollment_id": "r000"})
        return reply

    running, conn_id = vendor("nexport", pages)
    destination = tmp_path / "enrollments.jsonl"
    extract(conn_id, "search_enrollments", destination, {"user_ids": UUID, "page_size": 5})
    assert ids_in(destination, "enrollment_id") == [f"r{i:03d}" for i in range(0, 13)]


def test_iter_records_does_not_restart_behind_its_caller(vendor):
    # Records already yielded cannot be taken back: the hook fails instead of repeating them.
    source = records(12)

    def insert_once(offset: int, nth: int) -> None:
        if offset == 0 and nth == 1:
            source.insert(0, {"id": "r000"})

    running, conn_id = vendor("absorb", absorb_source(source, insert_once))
    with pytest.raises(LmsDataChangedError, match="on page 1 and 13 on page 2"):
        list(hook("absorb", conn_id).iter_records("users", {"page_size": 5}))


def test_only_the_previous_pages_ids_and_one_digest_per_page_are_kept():
    # 500 pages of 100 ids: holding every id would take megabytes; the checks hold one page.
    checks = ExtractChecks("stub users", id_field="id", page_size=100)
    declared = Declared()
    page = [{"id": f"u{i:07d}"} for i in range(100)]
    checks.after_page(1, page, declared)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for number in range(2, 502):
        page = [{"id": f"u{number:04d}-{i:03d}"} for i in range(100)]
        checks.after_page(number, page, declared)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del page
    assert grown < 250_000, grown  # ~500 digests and one page of ids; every id would be ~4 MB
    assert checks.received == 50_100 and checks.skipped == 0


@pytest.mark.parametrize("value", ["many", 0, -5])
def test_an_unusable_page_limit_is_a_config_error_naming_it(vendor, value):
    running, conn_id = vendor("learnupon", lambda request: learnupon_page([], more=False), page_limit=value)
    with pytest.raises(LmsConfigError, match=rf"connection '{conn_id}' extra page_limit="):
        list(hook("learnupon", conn_id).iter_records("users"))
    assert running.data_requests() == []  # refused before any request


def test_offset_shift_skips_by_a_dotted_id_and_keeps_records_without_one():
    # LearnWorlds user_courses records are {created, expires, course}: their id is course.id.
    checks = ExtractChecks("stub user_courses", id_field="course.id")
    first = [{"course": {"id": "c1"}}, {"course": {"id": "c2"}}]
    second = [{"course": {"id": "c2"}}, {"course": {"id": "c3"}}, {"note": "no id"}]
    assert checks.after_page(1, first, Declared()) == (first, 0)
    assert checks.after_page(2, second, Declared()) == (second[1:], 1)


def test_ids_that_are_objects_are_compared_by_value():
    checks = ExtractChecks("stub", id_field="key")
    first = [{"key": [1, "a"]}, {"key": {"x": 2}}]
    second = [{"key": {"x": 2}}, {"key": [3]}]
    checks.after_page(1, first, Declared())
    assert checks.after_page(2, second, Declared()) == (second[1:], 1)
