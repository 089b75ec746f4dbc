"""Absorb's one-token-per-user rule: the shared token cache, renewal after a 401, expiry, and the
secrets that must never leave the process."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from airflow_provider_lms.exceptions import LmsConfigError
from airflow_provider_lms.vendors.absorb.hook import AbsorbHook
from airflow_provider_lms.vendors.absorb.token_cache import FileTokenStore, MemoryTokenStore
from tests.test_absorb_support import Scenario, by_id, register


@pytest.fixture
def absorb(twin_factory, connect, tmp_path, no_sleep):
    running = twin_factory("absorb")
    register(connect, running, tmp_path)

    def hook(**kwargs) -> AbsorbHook:
        return AbsorbHook("absorb_test", backoff_base=0.01, sleep=no_sleep, **kwargs)

    return running, hook


def _interleave(*extracts):
    """Advance several record iterators one record at a time, round robin; return their lists."""
    results = [[] for _ in extracts]
    live = dict(enumerate(extracts))
    while live:
        for index, iterator in list(live.items()):
            try:
                results[index].append(next(iterator))
            except StopIteration:
                del live[index]
    return results


def test_hooks_sharing_the_cache_authenticate_once(absorb):
    running, hook = absorb
    first, second, third = hook(), hook(), hook()
    users, courses, mine = _interleave(
        first.iter_records("users", {"page_size": 5}),
        second.iter_records("courses", {"page_size": 2}),
        third.iter_records("my_enrollments", {"page_size": 1}),
    )
    data = running.twin.data
    assert by_id(users) == by_id(data["users"]) and by_id(courses) == by_id(data["courses"])
    assert len(mine) == sum(e["userId"] == data["users"][0]["id"] for e in data["course_enrollments"])
    assert running.twin.authentications == 1
    assert running.twin.count(status=401) == 0
    reports = [h.token_report() for h in (first, second, third)]
    assert [r["authenticate_calls"] for r in reports] == [1, 0, 0]
    assert [r["reused_tokens"] for r in reports] == [0, 1, 1]


def test_without_a_shared_cache_clients_knock_each_other_out_yet_finish(absorb, tmp_path):
    # Two workers, each with its own cache: every authentication kills the other's token.
    running, hook = absorb
    a = hook(token_cache_dir=str(tmp_path / "worker-a"))
    b = hook(token_cache_dir=str(tmp_path / "worker-b"))
    users, courses = _interleave(
        a.iter_records("users", {"page_size": 10}), b.iter_records("courses", {"page_size": 2})
    )
    assert by_id(users) == by_id(running.twin.data["users"])
    assert by_id(courses) == by_id(running.twin.data["courses"])
    assert running.twin.count(status=401) > 0  # the twin enforced the one-token rule
    assert (
        running.twin.authentications
        == a.token_report()["authenticate_calls"] + b.token_report()["authenticate_calls"]
    )
    assert running.twin.authentications > 2


def test_a_token_revoked_by_another_client_is_renewed_once_for_all(absorb):
    running, hook = absorb
    first, second = hook(), hook()
    iterators = (
        first.iter_records("users", {"page_size": 5}),
        second.iter_records("users", {"page_size": 7}),
    )
    heads = [next(iterators[0]), next(iterators[1])]
    running.twin.revoke()  # someone logged in elsewhere as the same admin
    rest = _interleave(*iterators)
    for head, tail in zip(heads, rest, strict=True):
        assert by_id([head, *tail]) == by_id(running.twin.data["users"])
    assert running.twin.authentications == 2  # one initial, ONE renewal for both hooks
    assert [h.token_report()["authenticate_calls"] for h in (first, second)] in ([2, 0], [1, 1])


def test_a_token_expired_on_the_server_is_renewed(absorb):
    running, hook = absorb
    # One page at a time: with pages fetched ahead, how many were already sent when the clock moved
    # is a race (the next test pins the concurrent case down).
    extract = hook(max_concurrency=1).iter_records("users", {"page_size": 50})
    head = [next(extract)]
    running.twin.advance(4 * 3600 + 1)
    assert by_id(head + list(extract)) == by_id(running.twin.data["users"])
    assert running.twin.authentications == 2 and running.twin.count(status=401) == 1


def test_pages_in_flight_share_one_renewal_of_an_expired_token(absorb):
    running, hook = absorb
    serve, expired = running.twin.handle, []

    def expire_after_the_first_page(request):
        response = serve(request)
        if request.path.endswith("/users") and response.status == 200 and not expired:
            expired.append(True)
            running.twin.advance(4 * 3600 + 1)  # pages 2 and 3, fetched ahead, meet an expired token
        return response

    running.twin.handle = expire_after_the_first_page
    records = list(hook(max_concurrency=4).iter_records("users", {"page_size": 50}))
    assert by_id(records) == by_id(running.twin.data["users"])
    assert running.twin.authentications == 2  # one renewal for every page in flight
    assert 1 <= running.twin.count(status=401) <= 2


def test_a_token_near_its_four_hours_is_renewed_before_the_server_refuses_it(absorb):
    running, hook = absorb
    now = [1_000_000.0]
    client = hook(clock=lambda: now[0])
    list(client.iter_records("groups"))
    now[0] += 4 * 3600 - 299  # inside the five-minute margin
    list(client.iter_records("groups"))
    assert running.twin.authentications == 2 and running.twin.count(status=401) == 0


def test_the_cache_off_keeps_one_token_per_process(absorb):
    running, hook = absorb
    client = hook(token_cache_dir="off")
    assert isinstance(client.transport.auth.store, MemoryTokenStore)
    assert len(list(client.iter_records("groups"))) == len(running.twin.data["groups"])


def test_the_cache_file_is_private_and_holds_no_password(absorb, tmp_path):
    running, hook = absorb
    client = hook()
    list(client.iter_records("groups"))
    store = client.transport.auth.store
    assert isinstance(store, FileTokenStore)
    assert stat.S_IMODE(os.stat(store.directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    text = store.path.read_text()
    twin = running.twin
    assert twin._token[0] in text  # the live token, so other processes can reuse it
    for secret in (twin.password, twin.private_key, twin.username):
        assert secret not in text and secret not in store.path.name


def test_portals_sharing_a_gateway_and_a_username_get_separate_cache_entries():
    from airflow_provider_lms.vendors.absorb.token_cache import cache_key

    gateway = "https://rest.myabsorb.com"
    portal_a = cache_key(gateway, "5b1f6c2e-8a4d-4f7e-9c3b-2d6a1e0f9b47", "api-admin", "pw")
    portal_b = cache_key(gateway, "9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a", "api-admin", "pw")
    assert portal_a != portal_b
    assert portal_a == cache_key(gateway + "/", "5B1F6C2E-8A4D-4F7E-9C3B-2D6A1E0F9B47", "api-admin", "pw")


def test_a_cache_directory_others_can_read_is_refused(absorb, tmp_path):
    running, hook = absorb
    open_dir = tmp_path / "shared-with-everyone"
    open_dir.mkdir(mode=0o755)
    open_dir.chmod(0o755)
    with pytest.raises(LmsConfigError, match="mode 0700"):
        list(hook(token_cache_dir=str(open_dir)).iter_records("groups"))
    assert running.twin.request_log == []


def test_a_corrupt_cache_file_is_ignored(absorb):
    running, hook = absorb
    list(hook().iter_records("groups"))
    store = hook().transport.auth.store
    store.path.write_text("{not json")
    assert len(list(hook().iter_records("groups"))) == len(running.twin.data["groups"])
    assert running.twin.authentications == 2


def test_tokens_and_credentials_never_reach_a_log_or_an_error(absorb, caplog):
    running, hook = absorb
    caplog.set_level(logging.DEBUG)
    client = hook()
    parameters, _ = Scenario(running.twin.data).case("user_lesson_enrollments")
    extract = client.iter_records("users", {"page_size": 30})
    next(extract)
    running.twin.revoke()
    list(extract)
    list(client.iter_records("user_lesson_enrollments", parameters, "2026-10-01", "2026-10-20"))
    preview = client.preview("users", limit=2)
    twin = running.twin
    assert twin.authentications == 2
    secrets = [twin.password, twin.private_key, *twin.issued_tokens]
    visible = caplog.text + "\n".join(preview.requests) + preview.request
    for secret in secrets:
        assert secret not in visible
    assert "Authorization: Bearer ***" in "\n".join(preview.requests)
