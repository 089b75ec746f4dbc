"""Write records to an ObjectStoragePath atomically: the destination holds the previous complete
file or the new complete file, never a partial one.

Records are written as they arrive (constant memory) to a hidden temporary sibling, which replaces
the destination only once the whole extract succeeded. Output bytes depend only on the records, so
the same window extracted twice gives the same file.

Nothing is created before the output is committed: the temporary file sits in the destination's
nearest existing folder, and the missing folders are made only when it is renamed into place, so a
failed run leaves no empty folders behind. Destinations that cannot work (an existing directory,
a folder path, ``file://otherhost/...``, a relative ``file:`` URI, a parent that is a file, a
filesystem that is not installed) are refused before any request.

Output is always valid JSON: a non-finite float (NaN, Infinity) is refused with the record and
field named (:mod:`airflow_provider_lms.json_body` already refuses them in responses).

Formats by suffix: ``.jsonl``, ``.jsonl.gz`` and ``.parquet`` (pyarrow, an optional extra imported
only for Parquet destinations; see :mod:`airflow_provider_lms.parquet`). A writer has ``write``
(records), ``close`` (finish, on success), ``discard`` (clean up, on failure) and ``count``.
"""

from __future__ import annotations

import gzip
import logging
import math
import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from airflow.sdk import ObjectStoragePath

from airflow_provider_lms.exceptions import LmsConfigError, LmsResponseError
from airflow_provider_lms.fast_json import encode_lines, reference_line
from airflow_provider_lms.storage import INSTALL_HINTS

log = logging.getLogger(__name__)

#: Records encoded per write: output lines of a huge page are never all held at once (small
#: enough that the encoder's buffers stay a fraction of a page).
_BATCH = 128


#: Filesystems an extra of ours installs, by scheme (the message names it).
class JsonLinesWriter:
    """One JSON object per line, UTF-8; ``compress`` adds gzip with a fixed header (no mtime)."""

    def __init__(self, raw: IO[bytes], *, compress: bool = False) -> None:
        self._gzip = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") if compress else None
        self._out: IO[bytes] = self._gzip or raw
        self.count = 0

    def write(self, records: Iterable[dict[str, Any]]) -> None:
        if isinstance(records, list):  # a page: encoded in slices, so the bytes held stay small
            for start in range(0, len(records), _BATCH):
                self._flush(records[start : start + _BATCH])
            return
        pending: list[dict[str, Any]] = []
        for record in records:
            pending.append(record)
            if len(pending) >= _BATCH:
                self._flush(pending)
                pending = []
        self._flush(pending)

    def _line(self, record: dict[str, Any], index: int = 0) -> str:
        try:
            return reference_line(record)
        except ValueError:  # NaN / Infinity: no JSON reader would take the line back
            field = non_finite_field(record) or "a field"
            raise LmsResponseError(
                f"record {self.count + index + 1} of the output: {field} is {_non_finite_value(record)}, "
                f"which JSON cannot hold; refused rather than writing an unreadable file"
            ) from None

    def _flush(self, records: list[dict[str, Any]]) -> None:
        # fast_json gives json.dumps's exact bytes (orjson where it is sure, json elsewhere).
        if records:
            self._out.write(encode_lines(records, self._line))
            self.count += len(records)

    def close(self) -> None:
        if self._gzip is not None:
            self._gzip.close()

    def discard(self) -> None:
        """Nothing to clean up: the partial file is removed by :func:`atomic_output`."""


def non_finite_field(value: Any, path: str = "$") -> str | None:
    """The path of the first NaN / Infinity inside ``value`` (``$.scores[2]``), or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return path
    if isinstance(value, dict):
        items = ((f"{path}.{k}", v) for k, v in value.items())
    elif isinstance(value, (list, tuple)):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for where, item in items:
        found = non_finite_field(item, where)
        if found:
            return found
    return None


def _non_finite_value(record: Any) -> str:
    stack = [record]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return repr(item)
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return "not finite"


def _parquet_writer(raw: IO[bytes]):
    from airflow_provider_lms.parquet import ParquetWriter  # pyarrow only when Parquet is asked for

    return ParquetWriter(raw)


def _require_pyarrow() -> None:
    from airflow_provider_lms.parquet import load_pyarrow

    load_pyarrow()


FORMATS = {
    ".jsonl.gz": lambda raw: JsonLinesWriter(raw, compress=True),
    ".jsonl": JsonLinesWriter,
    ".parquet": _parquet_writer,
}
#: Checks a format needs before any extract work (a missing optional dependency fails early).
FORMAT_REQUIREMENTS = {".parquet": _require_pyarrow}


def writer_factory(uri: str):
    """The writer for ``uri``'s suffix; raises before any extract work for an unknown one."""
    name = str(uri).rsplit("/", 1)[-1].lower()
    for suffix, factory in FORMATS.items():
        if name.endswith(suffix):
            FORMAT_REQUIREMENTS.get(suffix, lambda: None)()
            return factory
    raise LmsConfigError(
        f"destination {uri!r} has no supported suffix; end it with one of {', '.join(FORMATS)}"
    )


def storage_path(uri: str) -> ObjectStoragePath:
    """``file:///x``, ``s3://bucket/x`` ..., or a plain absolute path, as an ObjectStoragePath: a
    file or a folder (partitions). Refuses empty, relative and other-host ``file:`` URIs and
    filesystems that are not installed."""
    text = str(uri).strip()
    if not text:
        raise LmsConfigError("destination is empty: give a URI such as file:///data/lms/users.jsonl")
    text = _local_uri(text)
    try:
        path = ObjectStoragePath(text)
        path.fs  # noqa: B018  (resolves the filesystem: an uninstalled one fails here, not mid-extract)
    except (ValueError, ImportError) as exc:
        raise LmsConfigError(_filesystem_help(uri, text, exc)) from None
    return path


def as_storage_path(uri: str) -> ObjectStoragePath:
    """:func:`storage_path` for a destination FILE: refuses, before any extract work, one that
    cannot be a file (ends with ``/``, is an existing directory, or has a file for a parent)."""
    path = storage_path(uri)
    if str(uri).strip().endswith("/"):
        raise LmsConfigError(
            f"destination {uri!r} ends with '/', a folder: name the file, e.g. {str(uri).strip()}users.jsonl"
        )
    if path.protocol in ("file", "local"):
        _check_local(uri, path.path)
    return path


def _local_uri(text: str) -> str:
    """Plain paths and ``file:`` URIs as ``file:///abs/path``; relative or remote-host ones refused."""
    if "://" not in text and not text.lower().startswith("file:"):
        if not text.startswith("/"):
            raise LmsConfigError(f"destination {text!r} is relative: give a URI or an absolute path")
        return f"file://{text}"
    if not text.lower().startswith("file:"):
        return text
    rest = text[len("file:") :]
    if rest.startswith("//"):
        host, slash, path = rest[2:].partition("/")
        if host.lower() not in ("", "localhost"):
            raise LmsConfigError(
                f"destination {text!r} names the host {host!r}: file:// URIs can only write on this "
                f"worker. Use file:///{path} (three slashes) for a local path, or an object store URI"
            )
        rest = slash + path
    if not rest.startswith("/"):
        raise LmsConfigError(
            f"destination {text!r} is a relative file: URI; give an absolute one such as "
            f"file:///data/lms/users.jsonl"
        )
    return f"file://{rest}"


def _filesystem_help(uri: str, text: str, exc: Exception) -> str:
    scheme = text.split("://", 1)[0].lower() if "://" in text else "file"
    hint = INSTALL_HINTS.get(scheme)
    if hint is None:
        try:
            from fsspec.registry import known_implementations

            known = known_implementations.get(scheme, {})
            hint = known.get("err") or (
                f"install {known['class'].split('.')[0]}" if known.get("class") else None
            )
        except ImportError:  # pragma: no cover - fsspec comes with Airflow
            hint = None
    if hint is None:
        return f"destination {uri!r}: no filesystem is known for {scheme}:// ({exc})"
    return f"destination {uri!r}: the {scheme}:// filesystem is not installed on this worker: {hint}"


def _check_local(uri: str, path: str) -> None:
    if os.path.isdir(path):
        raise LmsConfigError(
            f"destination {uri!r} is an existing directory: name a file inside it, e.g. "
            f"{uri.rstrip('/')}/users.jsonl"
        )
    ancestor = _existing_ancestor(path)
    if not os.path.isdir(ancestor):
        raise LmsConfigError(
            f"destination {uri!r}: {ancestor} is a file, so no folder can be made there; choose another path"
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise LmsConfigError(
            f"destination {uri!r}: this worker may not write in {ancestor} (permission denied); choose "
            f"a path it can write, or give it the permission"
        )


def _existing_ancestor(path: str) -> str:
    """The nearest ancestor of ``path`` that exists (a folder, or a file in the way)."""
    current = os.path.dirname(os.path.abspath(path))
    while not os.path.lexists(current):
        current = os.path.dirname(current)
    return current


@contextmanager
def atomic_output(uri: str) -> Iterator[Any]:
    """Yield a writer; on clean exit the file appears at ``uri`` whole, on error nothing changes."""
    destination = as_storage_path(uri)
    factory = writer_factory(uri)
    partial = _staging_folder(destination) / f".{destination.name}.{uuid.uuid4().hex}.partial"
    writer = None
    try:
        with _storage_errors(uri, "open a temporary file for"):
            raw_file = partial.open("wb")
        with raw_file as raw:
            writer = factory(raw)
            yield writer
            writer.close()
        with _storage_errors(uri, "commit"):
            destination.parent.mkdir(parents=True, exist_ok=True)  # folders appear with the output
            partial.replace(destination)
    except BaseException:
        if writer is not None:
            writer.discard()
        try:
            partial.unlink(missing_ok=True)
        except OSError:  # pragma: no cover - cleanup must not mask the real error
            log.warning("Could not remove partial file %s", partial)
        raise


def _staging_folder(destination: ObjectStoragePath) -> ObjectStoragePath:
    """Where the temporary file goes: the nearest existing folder for local paths (the same
    filesystem as the destination, so the rename stays atomic), the parent for object stores."""
    if destination.protocol in ("file", "local"):
        return ObjectStoragePath(f"file://{_existing_ancestor(destination.path)}")
    return destination.parent


@contextmanager
def _storage_errors(uri: str, doing: str) -> Iterator[None]:
    """Filesystem errors as messages that say what to fix (not a raw FileExistsError)."""
    try:
        yield
    except PermissionError:
        raise LmsConfigError(
            f"could not {doing} destination {uri!r}: permission denied; choose a path this worker can write"
        ) from None
    except (FileExistsError, NotADirectoryError, IsADirectoryError) as exc:
        raise LmsConfigError(
            f"could not {doing} destination {uri!r}: {exc.strerror or exc} ({exc.filename}); a file is "
            f"where a folder should be, or a folder where the file should be"
        ) from None
