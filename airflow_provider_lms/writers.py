"""Write records to an ObjectStoragePath atomically: the destination holds the previous complete
file or the new complete file, never a partial one.

Records are written as they arrive (constant memory) to a hidden temporary sibling, which replaces
the destination only once the whole extract succeeded. Output bytes depend only on the records, so
the same window extracted twice gives the same file.

Formats by suffix: ``.jsonl``, ``.jsonl.gz`` and ``.parquet`` (pyarrow, an optional extra imported
only for Parquet destinations; see :mod:`airflow_provider_lms.parquet`). A writer has ``write``
(records), ``close`` (finish, on success), ``discard`` (clean up, on failure) and ``count``.
"""

from __future__ import annotations

import gzip
import json
import logging
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from airflow.sdk import ObjectStoragePath

from airflow_provider_lms.exceptions import LmsConfigError

log = logging.getLogger(__name__)


class JsonLinesWriter:
    """One JSON object per line, UTF-8; ``compress`` adds gzip with a fixed header (no mtime)."""

    def __init__(self, raw: IO[bytes], *, compress: bool = False) -> None:
        self._gzip = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") if compress else None
        self._out: IO[bytes] = self._gzip or raw
        self.count = 0

    def write(self, records: Iterable[dict[str, Any]]) -> None:
        lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":"), default=str) for r in records]
        if lines:
            self._out.write(("\n".join(lines) + "\n").encode())
            self.count += len(lines)

    def close(self) -> None:
        if self._gzip is not None:
            self._gzip.close()

    def discard(self) -> None:
        """Nothing to clean up: the partial file is removed by :func:`atomic_output`."""


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


def as_storage_path(uri: str) -> ObjectStoragePath:
    """``file:///x``, ``s3://bucket/x`` ..., or a plain absolute path (taken as a local file)."""
    text = str(uri).strip()
    if not text:
        raise LmsConfigError("destination is empty: give a URI such as file:///data/lms/users.jsonl")
    if "://" not in text:
        if not text.startswith("/"):
            raise LmsConfigError(f"destination {text!r} is relative: give a URI or an absolute path")
        text = f"file://{text}"
    return ObjectStoragePath(text)


@contextmanager
def atomic_output(uri: str) -> Iterator[Any]:
    """Yield a writer; on clean exit the file appears at ``uri`` whole, on error nothing changes."""
    destination = as_storage_path(uri)
    factory = writer_factory(uri)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.parent / f".{destination.name}.{uuid.uuid4().hex}.partial"
    writer = None
    try:
        with partial.open("wb") as raw:
            writer = factory(raw)
            yield writer
            writer.close()
        partial.replace(destination)
    except BaseException:
        if writer is not None:
            writer.discard()
        try:
            partial.unlink(missing_ok=True)
        except OSError:  # pragma: no cover - cleanup must not mask the real error
            log.warning("Could not remove partial file %s", partial)
        raise
