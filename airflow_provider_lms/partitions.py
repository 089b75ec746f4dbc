"""Backfill-safe partitions: a window's mapped batch files, committed by a manifest written last.

Mapped extracts write ``.../<window>/batch-NNN.jsonl``, one file per batch. When a window is run
again with fewer batches (a course was deleted: 12 batches instead of 13), ``batch-012.jsonl`` of
the earlier run would stay and be read as part of the window. The unit of a backfill is therefore
the window's *partition*, the directory of its batch files:

- after every mapped extract of the window finished, :class:`LmsCommitPartitionOperator` writes
  ``_manifest.json`` into the partition (atomically, last): the files this run wrote with their
  record counts, the window and the run id;
- then it removes the data files of the partition that the manifest does not list;
- readers (:func:`airflow_provider_lms.chaining.iter_output`, the asset event, the downstream
  example DAG) read through the manifest, so even a crash between the two steps shows them only
  the files of the committed run.

Single-file extracts need none of this: their file is replaced atomically.

    enrollments = LmsExtractOperator.partial(..., destination=PARTITION + "/batch-{{ '%03d' % ti.map_index }}.jsonl",
                                             asset=False).expand(parameters=batches)
    LmsCommitPartitionOperator(task_id="commit_enrollments", partition=PARTITION,
                               extracts=enrollments.output, asset=lms_asset(CONN, "enrollments"))
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from airflow.sdk import Asset, BaseOperator, Context

from airflow_provider_lms.exceptions import LmsConfigError, LmsError
from airflow_provider_lms.writers import FORMATS, storage_path

log = logging.getLogger(__name__)

MANIFEST_NAME = "_manifest.json"
MANIFEST_FORMAT = "airflow-provider-lms/partition-manifest/1"


class LmsPartitionError(LmsError):
    """A partition's manifest is missing, malformed, or disagrees with the files it lists."""


def is_data_file(name: str) -> bool:
    """A file an extract writes (by suffix); hidden partial files and the manifest are not."""
    lower = name.lower()
    return not lower.startswith((".", "_")) and any(lower.endswith(suffix) for suffix in FORMATS)


def manifest_uri(partition: str) -> str:
    """The manifest's URI inside ``partition`` (a directory URI, with or without a trailing slash)."""
    return f"{str(partition).rstrip('/')}/{MANIFEST_NAME}"


def is_manifest(uri: str) -> bool:
    return str(uri).rstrip("/").rsplit("/", 1)[-1] == MANIFEST_NAME


def _name_in_partition(partition_path, uri: str) -> str:
    """The file name of ``uri``, which must lie directly in the partition directory."""
    path = storage_path(uri)
    if str(path.parent).rstrip("/") != str(partition_path).rstrip("/"):
        raise LmsConfigError(
            f"extract output {uri!r} is not directly inside the partition {str(partition_path)!r}; give "
            "the mapped extract a destination of the form <partition>/batch-{{ '%03d' % ti.map_index }}.jsonl"
        )
    if not is_data_file(path.name):
        raise LmsConfigError(f"extract output {uri!r} is not a data file the partition can list")
    return path.name


def build_manifest(
    partition: str,
    extracts: Iterable[Mapping[str, Any]],
    *,
    run_id: str | None,
    dag_id: str | None = None,
    window: Mapping[str, str | None] | None = None,
) -> dict[str, Any]:
    """The manifest for ``extracts`` (the return values of LmsExtractOperator) written into ``partition``.

    Raises before anything is written when an output lies outside the partition, is listed twice,
    is missing on storage, or when the extracts disagree about their window.
    """
    directory = storage_path(partition)
    files: list[dict[str, Any]] = []
    windows: set[tuple[str | None, str | None]] = set()
    for result in extracts:
        if not isinstance(result, Mapping) or "uri" not in result or "records" not in result:
            raise LmsConfigError(
                f"expected the return value of an LmsExtractOperator ({{'uri', 'records', ...}}), got "
                f"{type(result).__name__}; pass extracts=<mapped extract>.output"
            )
        name = _name_in_partition(directory, str(result["uri"]))
        if any(f["name"] == name for f in files):
            raise LmsConfigError(
                f"two extracts of this run wrote {name!r} in {partition!r}: give each mapped task its own "
                "file name (batch-{{ '%03d' % ti.map_index }}.jsonl)"
            )
        if not (directory / name).exists():
            raise LmsPartitionError(f"{name!r} is listed by this run's extract but missing in {partition!r}")
        files.append(
            {"name": name, "records": int(result["records"]), "pages": int(result.get("pages") or 0)}
        )
        windows.add((result.get("window_start"), result.get("window_end")))
    if len(windows) > 1:
        raise LmsConfigError(
            f"the extracts of partition {partition!r} cover different windows {sorted(windows, key=str)}; "
            "one partition holds one window"
        )
    if window is None and windows:
        start, end = windows.pop()
        window = {"start": start, "end": end} if start or end else None
    files.sort(key=lambda f: f["name"])
    return {
        "format": MANIFEST_FORMAT,
        "partition": str(partition).rstrip("/"),
        "dag_id": dag_id,
        "run_id": run_id,
        "window": dict(window) if window else None,
        "files": files,
        "records": sum(f["records"] for f in files),
    }


def write_manifest(partition: str, manifest: Mapping[str, Any]) -> str:
    """Write ``manifest`` as ``<partition>/_manifest.json`` atomically; returns its URI."""
    directory = storage_path(partition)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / MANIFEST_NAME
    partial = directory / f".{MANIFEST_NAME}.{uuid.uuid4().hex}.partial"
    try:
        with partial.open("wb") as raw:
            raw.write((json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest_uri(partition)


def prune_partition(partition: str, manifest: Mapping[str, Any]) -> list[str]:
    """Remove the data files of ``partition`` the manifest does not list; returns their names."""
    directory = storage_path(partition)
    keep = {f["name"] for f in manifest["files"]}
    removed = []
    for entry in directory.iterdir():
        if is_data_file(entry.name) and entry.name not in keep:
            entry.unlink()
            removed.append(entry.name)
    return sorted(removed)


def commit_partition(
    partition: str,
    extracts: Iterable[Mapping[str, Any]],
    *,
    run_id: str | None,
    dag_id: str | None = None,
    window: Mapping[str, str | None] | None = None,
) -> dict[str, Any]:
    """Write the partition's manifest (last), then remove files it does not list.

    :return: the manifest, plus ``manifest`` (its URI) and ``removed`` (names of stale files removed).
    """
    manifest = build_manifest(partition, extracts, run_id=run_id, dag_id=dag_id, window=window)
    uri = write_manifest(partition, manifest)
    removed = prune_partition(partition, manifest)
    if removed:
        log.info(
            "Partition %s: removed %d stale file(s) of an earlier run: %s", partition, len(removed), removed
        )
    return {**manifest, "manifest": uri, "removed": removed}


def read_manifest(uri: str) -> dict[str, Any]:
    """The manifest at ``uri`` (the manifest file itself, or its partition directory)."""
    target = uri if is_manifest(uri) else manifest_uri(uri)
    path = storage_path(target)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise LmsPartitionError(
            f"no manifest at {target!r}: the partition was never committed (run its commit task) or the "
            "path is wrong"
        ) from None
    except ValueError as exc:
        raise LmsPartitionError(f"the manifest {target!r} is not JSON: {exc}") from None
    if (
        not isinstance(data, dict)
        or data.get("format") != MANIFEST_FORMAT
        or not isinstance(data.get("files"), list)
    ):
        raise LmsPartitionError(f"{target!r} is not a partition manifest of format {MANIFEST_FORMAT}")
    return data


def manifest_files(uri: str) -> list[str]:
    """URIs of the files a partition's manifest lists, in name order."""
    target = uri if is_manifest(uri) else manifest_uri(uri)
    base = target.rsplit("/", 1)[0]
    return [f"{base}/{entry['name']}" for entry in read_manifest(target)["files"]]


class LmsCommitPartitionOperator(BaseOperator):
    """Commit a window's partition once its mapped extracts finished: manifest last, stale files out.

    Runs with ``trigger_rule="none_failed"``: a fan-out of zero batches (the mapped task is skipped)
    still commits an empty partition, which removes every file of an earlier run.

    :param partition: the directory the mapped extracts write into, e.g.
        ``file:///data/lms/course_enrollments/{{ data_interval_start | ds }}``. (templated)
    :param extracts: the mapped extract's ``.output`` (every batch's return value). (templated)
    :param asset: an Asset to update with one event for the whole partition; its extra names the
        manifest (``uri`` and ``manifest``), the ``files``, total ``records`` and the ``window``.
    :return: the manifest with ``manifest`` (its URI) and ``removed`` (stale files removed).
    """

    template_fields: Sequence[str] = ("partition", "extracts")
    ui_color = "#dde9f6"

    def __init__(
        self,
        *,
        partition: str,
        extracts: Any,
        asset: Asset | None = None,
        trigger_rule: str = "none_failed",
        **kwargs: Any,
    ) -> None:
        super().__init__(trigger_rule=trigger_rule, **kwargs)
        self.partition, self.extracts, self.asset = partition, extracts, asset
        if asset is not None and asset not in self.outlets:
            self.outlets.append(asset)

    def execute(self, context: Context) -> dict[str, Any]:
        if self.extracts is None:
            extracts = []
        elif isinstance(self.extracts, Sequence):
            # A mapped task's lazy XCom sequence: one slice request (iterating probes until a 404).
            extracts = list(self.extracts[:])
        else:
            extracts = list(self.extracts)
        run = context.get("dag_run")
        interval = (context.get("data_interval_start"), context.get("data_interval_end"))
        window = None
        if not extracts and all(interval):  # no batch to say which window: the run's interval
            window = {"start": interval[0].isoformat(), "end": interval[1].isoformat()}
        committed = commit_partition(
            self.partition,
            extracts,
            run_id=context.get("run_id"),
            dag_id=getattr(run, "dag_id", None),
            window=window,
        )
        self.log.info(
            "Committed partition %s: %d file(s), %d record(s); removed %d stale file(s)",
            self.partition,
            len(committed["files"]),
            committed["records"],
            len(committed["removed"]),
        )
        events = context.get("outlet_events")
        if events is not None:
            extra = {
                "uri": committed["manifest"],
                "manifest": committed["manifest"],
                "files": [f["name"] for f in committed["files"]],
                "records": committed["records"],
                "window": committed["window"],
                "run_id": committed["run_id"],
            }
            for outlet in self.outlets:
                if isinstance(outlet, Asset):
                    events[outlet].extra.update(extra)
        return committed
