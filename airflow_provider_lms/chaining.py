"""Helpers for dependent pulls: read ids out of one extract's output, batch them for the next.

ids = read_field(courses_result["uri"], "id")
batches = batched_parameters(ids, "course_id", batch_size=20)   # -> expand(parameters=batches)

A partition's manifest (``.../<window>/_manifest.json``, see :mod:`airflow_provider_lms.partitions`)
reads as the records of exactly the files it lists: ``read_field(commit_result["manifest"], "id")``.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Sequence
from typing import Any

from airflow_provider_lms.partitions import is_manifest, manifest_files
from airflow_provider_lms.records import get_dotted
from airflow_provider_lms.writers import as_storage_path


def iter_output(uri: str) -> Iterator[dict[str, Any]]:
    """Records of a ``.jsonl``, ``.jsonl.gz`` or ``.parquet`` file written by LmsExtractOperator,
    or of every file a partition manifest (``_manifest.json``) lists, in the manifest's order.

    Parquet columns that hold JSON text (objects and arrays) come back as that text.
    """
    if is_manifest(uri):
        for listed in manifest_files(uri):
            yield from iter_output(listed)
        return
    path = as_storage_path(uri)
    if str(uri).endswith(".parquet"):
        yield from _iter_parquet(path)
        return
    with path.open("rb") as raw:
        stream = gzip.GzipFile(fileobj=raw) if str(uri).endswith(".gz") else raw
        for line in stream:
            if line.strip():
                yield json.loads(line)


def _iter_parquet(path) -> Iterator[dict[str, Any]]:
    from airflow_provider_lms.parquet import load_pyarrow

    load_pyarrow()
    import pyarrow.parquet as pq

    with path.open("rb") as raw:
        for batch in pq.ParquetFile(raw).iter_batches():
            yield from batch.to_pylist()


def read_field(uri: str, field: str, *, unique: bool = True) -> list[Any]:
    """Values of a dotted ``field`` over an output file, in file order (first occurrence if unique)."""
    values: list[Any] = []
    seen: set[Any] = set()
    for record in iter_output(uri):
        value = get_dotted(record, field)
        if isinstance(value, list):
            candidates = value
        else:
            candidates = [value]
        for candidate in candidates:
            if candidate is None:
                continue
            if unique:
                # Objects are not hashable: compare them by their canonical JSON.
                key = (
                    candidate
                    if isinstance(candidate, (str, int, float, bool))
                    else json.dumps(candidate, sort_keys=True)
                )
                if key in seen:
                    continue
                seen.add(key)
            values.append(candidate)
    return values


def batched_parameters(
    ids: Sequence[Any], parameter: str, batch_size: int, **fixed: Any
) -> list[list[dict[str, Any]]]:
    """``[[{parameter: id, **fixed}, ...], ...]`` in batches: one mapped task per batch."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return [
        [{parameter: value, **fixed} for value in ids[start : start + batch_size]]
        for start in range(0, len(ids), batch_size)
    ]
