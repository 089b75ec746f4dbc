"""Writers: every format is atomic (nothing partial on failure) and idempotent (same records, same bytes)."""

from __future__ import annotations

import gzip
import json
import tempfile
from datetime import datetime, timezone

import pyarrow.parquet as pq
import pytest

from airflow_provider_lms.exceptions import LmsConfigError
from airflow_provider_lms.writers import FORMATS, atomic_output, writer_factory

RECORDS = [
    {"id": 1, "name": "Ada", "tags": ["a"], "score": 9.5},
    {"id": 2, "name": "Bram", "tags": [], "score": None, "note": "é"},
    {"id": 3, "name": "Chloe", "score": 7},
]
SUFFIXES = [".jsonl", ".jsonl.gz", ".parquet"]


def _read(path) -> list[dict]:
    if path.name.endswith(".parquet"):
        return pq.read_table(path).to_pylist()
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return [json.loads(line) for line in raw.decode().splitlines()]


@pytest.fixture(autouse=True)
def staging(tmp_path, monkeypatch):
    where = tmp_path / "staging"
    where.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    return where


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_same_records_in_any_batches_give_the_same_bytes(tmp_path, suffix):
    outputs = []
    for batches in ([RECORDS], [RECORDS[:1], [], RECORDS[1:]], [[r] for r in RECORDS]):
        out = tmp_path / f"{len(outputs)}" / f"users{suffix}"  # parents are created
        with atomic_output(str(out)) as writer:
            for batch in batches:
                writer.write(batch)
        assert writer.count == 3
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]


def test_jsonl_keeps_vendor_values_and_order(tmp_path):
    out = tmp_path / "users.jsonl"
    moment = datetime(2026, 10, 20, 8, 30, tzinfo=timezone.utc)
    with atomic_output(f"file://{out}") as writer:
        writer.write([*RECORDS, {"id": 4, "at": moment}])
    assert out.read_text().splitlines()[1] == '{"id":2,"name":"Bram","tags":[],"score":null,"note":"é"}'
    assert _read(out)[:3] == RECORDS and _read(out)[3] == {"id": 4, "at": str(moment)}


def test_gzip_output_carries_no_timestamp(tmp_path):
    out = tmp_path / "users.jsonl.gz"
    with atomic_output(str(out)) as writer:
        writer.write(RECORDS)
    assert out.read_bytes()[4:8] == b"\0\0\0\0"  # gzip MTIME field
    assert _read(out) == RECORDS


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_failure_keeps_the_previous_file_and_leaves_nothing_behind(tmp_path, staging, suffix):
    out = tmp_path / f"users{suffix}"
    with atomic_output(str(out)) as writer:
        writer.write(RECORDS[:1])
    before = out.read_bytes()
    with pytest.raises(RuntimeError, match="vendor went away"):
        with atomic_output(str(out)) as writer:
            writer.write(RECORDS)
            raise RuntimeError("vendor went away")
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["staging", out.name])
    assert list(staging.iterdir()) == []


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_failure_without_a_previous_file_creates_none(tmp_path, suffix):
    out = tmp_path / f"users{suffix}"
    with pytest.raises(KeyboardInterrupt):
        with atomic_output(str(out)) as writer:
            writer.write(RECORDS)
            raise KeyboardInterrupt
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["staging"]


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("/data/users.csv", "end it with one of .jsonl.gz, .jsonl, .parquet"),
        ("file:///data/users", "no supported suffix"),
    ],
)
def test_unknown_suffix_is_refused_with_the_supported_list(uri, message):
    with pytest.raises(LmsConfigError, match=message):
        writer_factory(uri)


@pytest.mark.parametrize(("uri", "message"), [("users.jsonl", "is relative"), ("  ", "destination is empty")])
def test_relative_or_empty_destinations_are_refused(uri, message):
    with pytest.raises(LmsConfigError, match=message):
        with atomic_output(uri):
            pass


def test_every_format_is_selected_by_its_suffix():
    assert list(FORMATS) == [".jsonl.gz", ".jsonl", ".parquet"]
    for suffix in SUFFIXES:
        assert writer_factory(f"s3://bucket/x/USERS{suffix.upper()}") is FORMATS[suffix]
