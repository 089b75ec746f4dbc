"""One Absorb token per worker, shared by every process that extracts with the same API user.

Absorb keeps ONE token per user: each ``POST /authenticate`` invalidates the token handed out
before. Mapped tasks run as separate processes, so tokens held in memory would knock each other
out. Instead the token lives in a small file beside a lock file:

- the file name is a slow keyed hash of gateway, portal key, username AND password: a token only
  ever serves the exact credentials that obtained it (a wrong password misses the cache and fails
  at Absorb), and neither the name nor the file reveals any of them;
- the directory is created ``0700`` and must belong to the current user, the token file is ``0600``;
- ``fcntl.flock`` on the lock file makes "read the cache, else authenticate and write" atomic
  across processes, so only one process authenticates and the others reuse its token;
- after a 401 a process first re-reads the cache: another process may already have renewed.

The kernel drops an ``flock`` when its holder dies, so a killed task never leaves the lock held.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from airflow_provider_lms.exceptions import LmsConfigError
from airflow_provider_lms.token_auth import CachedToken, MemoryTokenStore

__all__ = ["CachedToken", "FileTokenStore", "MemoryTokenStore", "TokenStore", "cache_key", "token_store"]

try:  # POSIX only; elsewhere each hook keeps its own token (a MemoryTokenStore)
    import fcntl
except ImportError:  # pragma: no cover - Windows workers
    fcntl = None  # type: ignore[assignment]

#: Value of the ``token_cache_dir`` extra that turns the shared cache off.
DISABLED = "off"


def default_cache_dir() -> Path:
    """``$TMPDIR/airflow-lms-tokens-<uid>``: private to the OS user the tasks run as."""
    return Path(tempfile.gettempdir()) / f"airflow-lms-tokens-{os.getuid()}"


#: PBKDF2 rounds for the cache key: the file name must not make guessing the password cheap.
KEY_ROUNDS = 20_000


def cache_key(base_url: str, private_key: str, username: str, password: str) -> str:
    """The cache identity of one set of credentials.

    Tokens are per portal and user: a regional gateway serves many portals (told apart by their
    private key) whose usernames may coincide, so all count. The password counts too, so that a
    token obtained with the right password never vouches for a wrong one. A PBKDF2 fingerprint
    (salted with gateway, key and username), so the file name reveals none of them.
    """
    identity = f"{base_url.rstrip('/').lower()}\n{private_key.strip().lower()}\n{username}"
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), identity.encode("utf-8"), KEY_ROUNDS)
    return digest.hex()[:32]


class FileTokenStore:
    """A token file guarded by ``flock``, shared by every process of one OS user on one host."""

    def __init__(
        self,
        directory: Path,
        key: str,
        *,
        lock_timeout: float = 600.0,
        poll: float = 0.02,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.directory = Path(directory)
        self.path = self.directory / f"absorb-{key}.json"
        self.lock_path = self.directory / f"absorb-{key}.lock"
        self.lock_timeout, self._poll, self._sleep = lock_timeout, poll, sleep
        self.location = str(self.directory)

    def _ensure_private_directory(self) -> None:
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = os.stat(self.directory, follow_symlinks=False)
        except OSError as exc:
            raise LmsConfigError(
                f"cannot use the Absorb token cache directory {self.directory}: {exc.strerror}. Set the "
                f"connection extra token_cache_dir to a writable directory, or to {DISABLED!r}."
            ) from None
        # A directory someone else owns (or may write to) could hand us, or steal, a token.
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
            raise LmsConfigError(
                f"the Absorb token cache directory {self.directory} must be a directory owned by this "
                f"user with mode 0700 (it is {oct(info.st_mode & 0o777)}, owner uid {info.st_uid}); "
                "fix it or point the connection extra token_cache_dir elsewhere"
            )

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the cross-process lock (waiting up to ``lock_timeout`` seconds for it)."""
        self._ensure_private_directory()
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            deadline = time.monotonic() + self.lock_timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() >= deadline:
                        raise LmsConfigError(
                            f"waited {self.lock_timeout:.0f} s for the Absorb token cache lock "
                            f"{self.lock_path}; another task is stuck authenticating"
                        ) from None
                    self._sleep(self._poll)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the flock

    def read(self) -> CachedToken | None:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return None
        except OSError:
            return None  # a symlink or unreadable file is not ours to trust
        with os.fdopen(fd, "r", encoding="utf-8") as handle:
            info = os.fstat(handle.fileno())
            if info.st_uid != os.getuid() or info.st_mode & 0o077:
                return None
            return CachedToken.from_json(handle.read())

    def write(self, token: CachedToken) -> None:
        # Write a private temporary file, then rename: readers never see half a token.
        partial = self.directory / f".{self.path.name}.{os.getpid()}.partial"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(token.to_json())
        os.replace(partial, self.path)


TokenStore = MemoryTokenStore | FileTokenStore


def token_store(setting: str | os.PathLike | None, key: str) -> TokenStore:
    """The store for a ``token_cache_dir`` setting: a directory, empty for the default, or ``off``."""
    text = str(setting).strip() if setting is not None else ""
    if text.lower() in (DISABLED, "none", "false") or fcntl is None:
        return MemoryTokenStore()
    directory = Path(text).expanduser() if text else default_cache_dir()
    return FileTokenStore(directory, key)
