"""Absorb's one token per user, shared by workers on different hosts.

A new ``POST /authenticate`` invalidates every earlier token of the user. The default file cache
(:mod:`airflow_provider_lms.vendors.absorb.token_cache`) shares the token between the processes of ONE
host; two Celery workers on two hosts would each authenticate and knock the other out, over and
over. The connection extra ``token_store`` gives the token a home every host reaches:

- ``variable``: an Airflow Variable (``absorb_token_<hash>``) through the Task SDK. Airflow stores it
  Fernet-encrypted in its metadata database, and the key name holds ``token`` so the UI, the API and
  task logs mask its value. Nothing new to run: every deployment has it.
- a URI such as ``s3://bucket/airflow/absorb-tokens`` or ``file:///shared/nfs/tokens``: a directory
  on an ObjectStoragePath every worker reaches; the token is Fernet-encrypted with Airflow's
  ``[core] fernet_key`` before it is written.

Neither offers a lock or compare-and-set, so hosts agree through a *lease* record:

1. a task that must authenticate (no usable token, or the shared one was just rejected with a 401)
   holds its host's file lock (one contender per host), then reads the lease;
2. if nobody holds an unexpired lease it writes ``{owner, until}``, waits ``settle`` seconds and
   reads it back: the last writer wins, and everyone who raced reads the same winner;
3. under the lease it RE-READS the shared token: when another host renewed it meanwhile (the token
   differs from the rejected one) it takes that one; only when the store still holds the rejected
   token (or none) does it authenticate, write the token with the next generation number, and
   release the lease.

So each rejected token causes at most one re-authentication across the cluster, and the others
converge on the newest token without calling ``/authenticate``. A crashed holder's lease expires
after ``lease_ttl`` seconds. The token never goes to XCom or a log: it is registered with the
hook's redactor and Airflow's masker before anything can print it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from airflow_provider_lms.exceptions import LmsConfigError
from airflow_provider_lms.vendors.absorb.token_cache import (
    CachedToken,
    FileTokenStore,
    TokenStore,
    token_store,
)

log = logging.getLogger(__name__)

#: ``token_store`` values: the default per-host file cache, or the Airflow Variable store.
FILE, VARIABLE = "file", "variable"
LEASE_TTL = 30.0  # seconds a lease protects one /authenticate (a crashed holder blocks this long)
SETTLE = 0.5  # seconds between writing a lease and reading it back: longer than racing writes take
POLL = 0.2


class RecordBackend(Protocol):
    """A shared key -> text store every host reaches (no locks, no compare-and-set)."""

    location: str

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...


def in_airflow_task() -> bool:
    """True inside a running task, where the Task SDK can read and write Variables."""
    try:
        from airflow.sdk.execution_time import task_runner
    except ImportError:  # pragma: no cover - always installed with Airflow 3
        return False
    return getattr(task_runner, "SUPERVISOR_COMMS", None) is not None


class VariableBackend:
    """Records as Airflow Variables (Fernet-encrypted in the metadata DB by Airflow itself)."""

    location = "Airflow Variables"

    def get(self, name: str) -> str | None:
        from airflow.sdk import Variable

        return Variable.get(name, default=None)

    def set(self, name: str, value: str) -> None:
        from airflow.sdk import Variable

        Variable.set(name, value, description="airflow-provider-lms: Absorb token sharing (do not edit)")


class PathBackend:
    """Records as files in an ObjectStoragePath directory; values Fernet-encrypted when ``secret``."""

    def __init__(self, uri: str) -> None:
        from airflow_provider_lms.writers import storage_path

        self.directory = storage_path(uri)  # a folder: the file-destination checks do not apply
        self.location = uri

    def _fernet(self):
        from airflow.sdk.crypto import get_fernet

        fernet = get_fernet()
        if not fernet.is_encrypted:
            raise LmsConfigError(
                f"token_store {self.location!r} keeps the Absorb token on shared storage, encrypted with "
                "Airflow's [core] fernet_key, and no fernet_key is configured; set one (the same on every "
                "worker) or use token_store 'variable'"
            )
        return fernet

    def get(self, name: str, *, secret: bool = False) -> str | None:
        try:
            data = (self.directory / name).read_bytes()
        except FileNotFoundError:
            return None
        if not secret:
            return data.decode()
        try:
            return self._fernet().decrypt(data).decode()
        except Exception:  # wrong key or foreign content: not a token we can trust
            log.warning(
                "Absorb shared token in %s could not be decrypted; authenticating afresh", self.location
            )
            return None

    def set(self, name: str, value: str, *, secret: bool = False) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        data = self._fernet().encrypt(value.encode()) if secret else value.encode()
        partial = self.directory / f".{name}.{uuid.uuid4().hex}.partial"
        partial.write_bytes(data)
        partial.replace(self.directory / name)  # readers see the old record or the new, whole


class SharedTokenStore:
    """The token record and its lease in a :class:`RecordBackend`; see the module docstring.

    :param backend: where the records live (Variables, or an ObjectStoragePath directory).
    :param key: the token's identity hash (gateway, portal key, user) from the hook.
    :param host_lock: this host's file store, whose lock keeps contenders to one per host.
    """

    #: A usable shared token is taken with one read; the lease is only for whoever must authenticate.
    lock_free_reads = True

    def __init__(
        self,
        backend: RecordBackend,
        key: str,
        *,
        host_lock: FileTokenStore | None = None,
        lease_ttl: float = LEASE_TTL,
        settle: float = SETTLE,
        poll: float = POLL,
        lock_timeout: float = 600.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.backend, self.host_lock = backend, host_lock
        self.token_name = f"absorb_token_{key}"  # "token" in the name: Airflow masks the value
        self.lease_name = f"absorb_token_{key}_lease"
        self.lease_ttl, self.settle, self.poll, self.lock_timeout = lease_ttl, settle, poll, lock_timeout
        self._clock, self._sleep = clock, sleep
        self.owner = f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.location = f"shared: {backend.location}"
        #: leases this store won (each one guards at most one /authenticate).
        self.leases = 0

    # ---- records ------------------------------------------------------------------------------

    def _get(self, name: str, secret: bool) -> str | None:
        if isinstance(self.backend, PathBackend):
            return self.backend.get(name, secret=secret)
        return self.backend.get(name)

    def _set(self, name: str, value: str, secret: bool) -> None:
        if isinstance(self.backend, PathBackend):
            self.backend.set(name, value, secret=secret)
        else:
            self.backend.set(name, value)

    def read(self) -> CachedToken | None:
        return CachedToken.from_json(self._get(self.token_name, secret=True))

    def write(self, token: CachedToken) -> None:
        self._set(self.token_name, token.to_json(), secret=True)

    def _lease(self) -> dict[str, Any] | None:
        try:
            lease = json.loads(self._get(self.lease_name, secret=False) or "null")
        except ValueError:
            return None
        return lease if isinstance(lease, dict) else None

    # ---- the lease ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold this host's lock and the cluster-wide lease (waiting up to ``lock_timeout``)."""
        host = self.host_lock.locked() if self.host_lock is not None else contextlib.nullcontext()
        with host:
            self._acquire()
            try:
                yield
            finally:
                self._release()

    def _acquire(self) -> None:
        deadline = time.monotonic() + self.lock_timeout
        while True:
            lease = self._lease()
            if (
                lease is None
                or lease.get("owner") in (None, self.owner)
                or float(lease.get("until", 0)) <= self._clock()
            ):
                self._set(
                    self.lease_name,
                    json.dumps({"owner": self.owner, "until": self._clock() + self.lease_ttl}),
                    False,
                )
                self._sleep(self.settle)  # every racing writer has written by now: the last one wins
                confirmed = self._lease()
                if confirmed is not None and confirmed.get("owner") == self.owner:
                    self.leases += 1
                    return
            if time.monotonic() >= deadline:
                raise LmsConfigError(
                    f"waited {self.lock_timeout:.0f} s for the Absorb token lease in {self.backend.location}; "
                    f"it is held by {lease.get('owner') if lease else 'an unreadable record'}"
                )
            self._sleep(self.poll * (1 + random.random()))  # jitter: racing hosts drift apart

    def _release(self) -> None:
        lease = self._lease()
        if lease is not None and lease.get("owner") == self.owner:
            self._set(self.lease_name, json.dumps({"owner": None, "until": 0}), False)


def select_token_store(
    setting: Any, key: str, cache_dir: str | os.PathLike | None
) -> TokenStore | SharedTokenStore:
    """The store for the connection extra ``token_store``.

    ``file`` or empty: the per-host file cache (``token_cache_dir``), the default. ``variable``: an
    Airflow Variable, when running inside a task (elsewhere, e.g. ``lms-preview``, the file cache,
    with a warning). A URI (``s3://...``, ``file:///...``): that shared directory.
    """
    text = str(setting).strip() if setting is not None else ""
    local = token_store(cache_dir, key)
    if text.lower() in ("", FILE):
        return local
    host_lock = local if isinstance(local, FileTokenStore) else None
    if text.lower() == VARIABLE:
        if not in_airflow_task():
            log.warning(
                "Absorb token_store 'variable' works inside Airflow tasks; outside one (preview, CLI) this "
                "hook uses the file cache, and its /authenticate invalidates the token the workers share"
            )
            return local
        return SharedTokenStore(VariableBackend(), key, host_lock=host_lock)
    if "://" in text:
        return SharedTokenStore(PathBackend(text), key, host_lock=host_lock)
    raise LmsConfigError(
        f"token_store {text!r} is not one of 'file' (default: one host), 'variable' (an Airflow Variable "
        "every worker reaches) or a shared directory URI such as s3://bucket/absorb-tokens"
    )
