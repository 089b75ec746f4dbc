"""Absorb's one token across hosts: processes with separate token-cache directories (stand-ins for
two worker hosts, no shared lock) share the token through a ``token_store`` every host reaches.

They run as separate forked processes (no shared memory) against the Absorb twin, which enforces
one token per user and counts ``/authenticate`` calls and 401s.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from airflow_provider_lms.exceptions import LmsConfigError
from airflow_provider_lms.vendors.absorb.shared_token import (
    PathBackend,
    SharedTokenStore,
    select_token_store,
)
from airflow_provider_lms.vendors.absorb.token_cache import FileTokenStore
from tests.test_absorb_parallel import _extracts, _run_in_processes
from tests.test_absorb_support import by_id, register

HOSTS = ("host-a", "host-b")


@pytest.fixture
def fernet_key(monkeypatch):
    from airflow.sdk.crypto import get_fernet

    key = Fernet.generate_key().decode()
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", key)
    get_fernet.cache_clear()
    yield key
    get_fernet.cache_clear()


def _two_hosts(connect, running, tmp_path, shared: str | None) -> dict[str, str]:
    """One connection per "host": its own token_cache_dir, the same token_store (if any)."""
    conns = {}
    for host in HOSTS:
        extra = {"token_store": shared} if shared else {}
        conns[host] = register(
            connect, running, tmp_path / host, conn_id=f"absorb_{host}".replace("-", "_"), **extra
        )
    return conns


def _run(conns: dict[str, str], extracts, workdir: Path, *, strict: bool = True):
    """Eight extracts, alternating between the two hosts, released together; results per process
    (``strict=False``: a failed extract gives None instead of failing the test)."""
    return _run_in_processes(lambda index: conns[HOSTS[index % 2]], extracts, workdir, strict=strict)


@pytest.mark.slow
@pytest.mark.parametrize("revoke", [False, True], ids=["steady", "token-stolen-mid-run"])
def test_two_hosts_share_one_token_through_the_store(twin_factory, connect, tmp_path, fernet_key, revoke):
    running = twin_factory("absorb", revoke_after_requests=15 if revoke else None)
    store = tmp_path / "shared-store"
    conns = _two_hosts(connect, running, tmp_path, store.as_uri())
    extracts = _extracts(running.twin.data)
    results = _run(conns, extracts, tmp_path / "work")

    for (_, _, expected), (_, records, _) in zip(extracts, results, strict=True):
        assert by_id(records) == by_id(expected)
    reports = [r for r, _, _ in results]
    calls = sum(r["authenticate_calls"] for r in reports)
    assert running.twin.authentications == calls == running.twin.count("POST", "/authenticate", 200)
    if revoke:
        # Another client took the token: every process saw 401s on it, ONE re-authenticated for all.
        assert running.twin.revocations == 1
        assert running.twin.authentications == 2
        assert running.twin.count(status=401) >= 1
    else:
        assert running.twin.authentications == 1
        assert running.twin.count(status=401) == 0
    assert all(r["token_cache"] == f"shared: {store.as_uri()}" for r in reports)

    # The token on shared storage is Fernet-encrypted; no token in any log.
    record = (store / next(p.name for p in store.iterdir() if not p.name.endswith("_lease"))).read_bytes()
    for token in running.twin.issued_tokens:
        assert token.encode() not in record
        assert all(token not in text for _, _, text in results)
    data = json.loads(Fernet(fernet_key.encode()).decrypt(record))
    assert data["token"] == running.twin.issued_tokens[-1] and data["authentications"] == calls


@pytest.mark.slow
def test_without_the_store_two_hosts_knock_each_other_out(twin_factory, connect, tmp_path):
    # The control: same eight extracts, each host with only its file cache. The hosts take turns
    # invalidating each other's token: a 401 storm, and extracts may run out of retries.
    running = twin_factory("absorb")
    conns = _two_hosts(connect, running, tmp_path, None)
    extracts = _extracts(running.twin.data)
    results = _run(conns, extracts, tmp_path / "work", strict=False)
    for (_, _, expected), result in zip(extracts, results, strict=True):
        assert result is None or by_id(result[1]) == by_id(expected)
    assert running.twin.authentications >= 3
    assert running.twin.count(status=401) >= 2


def test_the_lease_admits_one_holder_at_a_time(tmp_path, fernet_key):
    """Six contenders, each its own store object (no shared lock), on one shared directory."""
    backend_dir = (tmp_path / "store").as_uri()
    inside, overlaps, wins = [0], [0], []
    guard = threading.Lock()

    def contend(name: str) -> None:
        store = SharedTokenStore(PathBackend(backend_dir), "k", settle=0.05, poll=0.01, lock_timeout=60)
        for _ in range(3):
            with store.locked():
                with guard:
                    inside[0] += 1
                    overlaps[0] = max(overlaps[0], inside[0])
                threading.Event().wait(0.01)
                with guard:
                    inside[0] -= 1
            wins.append(name)

    threads = [threading.Thread(target=contend, args=(f"t{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(wins) == 18 and overlaps[0] == 1


def test_a_dead_holders_lease_expires(tmp_path, fernet_key):
    backend = PathBackend((tmp_path / "store").as_uri())
    now = [1000.0]
    crashed = SharedTokenStore(backend, "k", settle=0, clock=lambda: now[0], sleep=lambda s: None)
    crashed._acquire()  # and never releases
    waiting = SharedTokenStore(
        backend,
        "k",
        settle=0,
        lease_ttl=30,
        clock=lambda: now[0],
        sleep=lambda s: now.__setitem__(0, now[0] + 1),
    )
    with waiting.locked():
        assert now[0] >= 1030  # it waited for the lease to expire, then took it
    crashed._acquire()  # held again, unexpired: a contender with no patience gives up, saying who
    impatient = SharedTokenStore(backend, "k", settle=0, lock_timeout=0, clock=lambda: now[0])
    with pytest.raises(LmsConfigError, match=f"waited 0 s for the Absorb token lease.*{crashed.owner}"):
        impatient._acquire()


def test_store_selection(tmp_path, fernet_key, caplog):
    cache = str(tmp_path / "tokens")
    store = select_token_store(None, "k", cache)
    assert isinstance(store, FileTokenStore) and not getattr(store, "lock_free_reads", False)
    assert isinstance(select_token_store("file", "k", cache), FileTokenStore)
    shared = select_token_store("file:///srv/tokens", "k", cache)
    assert isinstance(shared, SharedTokenStore) and shared.lock_free_reads  # one read, no lease
    assert isinstance(shared.host_lock, FileTokenStore)
    with caplog.at_level("WARNING"):
        store = select_token_store("variable", "k", cache)  # not inside a task here
    assert isinstance(store, FileTokenStore) and "works inside Airflow tasks" in caplog.text
    with pytest.raises(LmsConfigError, match="'variable'"):
        select_token_store("redis", "k", cache)


def test_shared_directory_refuses_to_store_the_token_unencrypted(tmp_path, monkeypatch):
    from airflow.sdk.crypto import get_fernet

    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", "")
    get_fernet.cache_clear()
    try:
        store = SharedTokenStore(PathBackend((tmp_path / "s").as_uri()), "k")
        from airflow_provider_lms.vendors.absorb.token_cache import CachedToken

        with pytest.raises(LmsConfigError, match="fernet_key"):
            store.write(CachedToken("secret-token", 0, 1))
        assert not any((tmp_path / "s").glob("absorb_token_k"))
    finally:
        get_fernet.cache_clear()
