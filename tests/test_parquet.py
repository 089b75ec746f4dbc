"""Parquet destinations against the LearnUpon twin: exact data, the schema rule, atomicity, idempotence."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from airflow_provider_lms import parquet
from airflow_provider_lms.exceptions import LmsConfigError, LmsPaginationError
from airflow_provider_lms.operators.extract import LmsExtractOperator
from airflow_provider_lms.vendors.learnupon.hook import LearnUponHook
from airflow_provider_lms.writers import atomic_output


def _in_window(stamp: str, start: str, end: str) -> bool:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return datetime.fromisoformat(start) <= moment < datetime.fromisoformat(end)


def _rows(path) -> list[dict]:
    return pq.read_table(path).to_pylist()


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def staging(tmp_path, monkeypatch):
    """Parquet staging files go to a directory of this test, so leftovers can be checked."""
    where = tmp_path / "staging"
    where.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    return where


def test_operator_writes_the_window_to_parquet_with_typed_columns(twin_factory, connect, tmp_path, staging):
    twin = twin_factory("learnupon")
    start, end = "2026-10-01T00:00:00+00:00", "2026-10-15T00:00:00+00:00"
    out = tmp_path / "lu" / "enrollments.parquet"
    result = LmsExtractOperator(
        task_id="enrollments",
        conn_id=connect(twin),
        endpoint="enrollments",
        destination=f"file://{out}",
        parameters={"page_size": 50},
        window_start=start,
        window_end=end,
    ).execute({})
    expected = [e for e in twin.twin.data["enrollments"] if _in_window(e["updated_at"], start, end)]
    assert expected and result["records"] == len(expected) and result["pages"] >= 2
    assert _rows(out) == expected  # every field, every value, vendor order
    schema = pq.read_schema(out)
    assert schema.field("id").type == pa.int64() and schema.field("percentage").type == pa.int64()
    assert schema.field("date_completed").type == pa.string()  # null on some rows, text on others
    assert list(staging.iterdir()) == []


def test_faults_and_retries_still_give_exact_data(
    twin_factory, connect, tmp_path, staging, no_sleep, monkeypatch
):
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 100)
    twin = twin_factory("learnupon", fault_rate=0.05, seed=3)
    hook = LearnUponHook(connect(twin), backoff_base=0.01, sleep=no_sleep)
    out = tmp_path / "enrollments.parquet"
    with atomic_output(str(out)) as writer:
        for page in hook.iter_pages(hook.plan("enrollments", {"page_size": 25})):
            writer.write(page.records)
    assert twin.twin.faults.injected > 0 and no_sleep.calls  # retries really happened
    expected = twin.twin.data["enrollments"]
    assert _rows(out) == expected
    assert pq.ParquetFile(out).metadata.num_row_groups == -(-len(expected) // 100)


def _evolving_groups() -> list[dict]:
    """Records whose fields appear late and change type from page to page."""
    groups = []
    for i in range(90):
        record = {"id": 301 + i, "title": f"Team {i}"}
        if i < 30:
            record.update(score=i, active=True)
        elif i < 60:
            score = 45.0 if i == 45 else i + 0.5
            record.update(score=score, active=False, owner={"id": i, "tags": ["a", "é"]})
        else:
            record.update(score="n/a" if i % 2 else i, active="yes", late_int=i)
            if i % 3 == 0:
                record["title"] = None
        groups.append(record)
    return groups


def _expected_by_rule(record: dict, columns: list[str]) -> dict:
    """docs/parquet.md's rule, written out independently for this data set."""

    def text(value):
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, (int, float)):
            return repr(value)
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    row = {name: record.get(name) for name in columns}
    for name in ("score", "active", "owner"):
        row[name] = text(row[name])
    return row


def test_fields_appearing_late_or_changing_type_follow_the_documented_rule(
    twin_factory, connect, tmp_path, staging, monkeypatch
):
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 25)
    twin = twin_factory("learnupon")
    twin.twin.data["groups"] = groups = _evolving_groups()
    conn_id = connect(twin)
    digests = []
    for page_size in (20, 7):
        out = tmp_path / f"groups-{page_size}.parquet"
        LmsExtractOperator(
            task_id="groups",
            conn_id=conn_id,
            endpoint="groups",
            destination=str(out),
            parameters={"page_size": page_size},
            window_start=None,
            window_end=None,
        ).execute({})
        digests.append(_digest(out))
    assert twin.twin.count(path_pattern="/groups$") == 5 + 13  # both extracts really paged
    columns = ["id", "title", "score", "active", "owner", "late_int"]
    schema = pq.read_schema(out)
    assert schema.names == columns  # order of first appearance
    assert [schema.field(c).type for c in columns] == [
        pa.int64(),
        pa.string(),
        pa.string(),  # int, then float, then text: string
        pa.string(),  # bool, then text: string
        pa.string(),  # objects are JSON text
        pa.int64(),  # appeared on the 61st record: null before
    ]
    assert _rows(out) == [_expected_by_rule(g, columns) for g in groups]
    assert _rows(out)[45]["score"] == "45" and _rows(out)[31]["score"] == "31.5"
    # Row groups come from record counts, not from pages: the same records give the same bytes,
    # whatever the page size, and the same table as writing everything with the final schema.
    assert digests[0] == digests[1]
    assert pq.ParquetFile(out).metadata.num_row_groups == 4
    single = io.BytesIO()
    writer = parquet.ParquetWriter(single, row_group_rows=1000)
    writer.write(groups)
    writer.close()
    assert pq.read_table(out).equals(pq.read_table(io.BytesIO(single.getvalue())))
    assert list(staging.iterdir()) == []


def test_staged_row_groups_are_rewritten_when_the_schema_widens():
    sink = io.BytesIO()
    writer = parquet.ParquetWriter(sink, row_group_rows=2)
    writer.write([{"a": 1}, {"a": 2}])  # row group 1: a int64
    writer.write([{"a": 2.5}, {"a": 3, "b": [1]}])  # a widens to double, b appears
    writer.write([{"a": "x"}])  # a widens to string
    writer.close()
    assert writer.rewrites == 2 and writer.count == 5
    table = pq.read_table(io.BytesIO(sink.getvalue()))
    assert table.schema.names == ["a", "b"] and table.schema.field("a").type == pa.string()
    assert table.to_pylist() == [
        {"a": "1", "b": None},
        {"a": "2", "b": None},
        {"a": "2.5", "b": None},
        {"a": "3", "b": "[1]"},
        {"a": "x", "b": None},
    ]


@pytest.mark.parametrize(
    "values",
    [
        [1, 2.5, "x"],
        [5, 5.0, 2**60 + 1],
        [2**60 + 1, 1, 0.5],
        [True, 1, None, {"k": [1, 2]}],
        [None, 3, 1e20, "text"],
    ],
)
def test_rewrites_give_the_table_a_single_pass_with_the_final_schema_gives(values):
    def table(row_group_rows):
        sink = io.BytesIO()
        writer = parquet.ParquetWriter(sink, row_group_rows=row_group_rows)
        writer.write({"v": v, "i": i} for i, v in enumerate(values))
        writer.close()
        return pq.read_table(io.BytesIO(sink.getvalue())), writer.rewrites

    (one_by_one, rewrites), (at_once, none) = table(1), table(len(values))
    assert rewrites >= 1 and none == 0
    assert one_by_one.to_pylist() == at_once.to_pylist() and one_by_one.schema == at_once.schema


@pytest.mark.parametrize(
    ("values", "arrow_type"),
    [
        ([1, None, 2], pa.int64()),
        ([1, 2.5], pa.float64()),
        ([True, None], pa.bool_()),
        ([True, 1], pa.string()),
        ([None, None], pa.string()),
        ([2**64, 1], pa.string()),  # beyond int64
        ([2**60, 1], pa.int64()),
        ([2**60, 1.5], pa.string()),  # a double cannot hold 2**60 + 1 exactly: never via double
        ([{"k": 1}, [1]], pa.string()),
    ],
)
def test_column_types_follow_the_join_of_their_values(values, arrow_type):
    sink = io.BytesIO()
    writer = parquet.ParquetWriter(sink)
    writer.write({"v": v} for v in values)
    writer.close()
    assert pq.read_schema(io.BytesIO(sink.getvalue())).field("v").type == arrow_type


def test_same_window_twice_gives_byte_identical_parquet(twin_factory, connect, tmp_path, staging):
    twin = twin_factory("learnupon", fault_rate=0.05, seed=2)
    conn_id = connect(twin)
    out = tmp_path / "users.parquet"
    digests = []
    for _ in range(2):
        hook = LearnUponHook(conn_id, backoff_base=0.01, sleep=lambda s: None)
        with atomic_output(str(out)) as writer:
            for page in hook.iter_pages(hook.plan("users", {"page_size": 30})):
                writer.write(page.records)
        digests.append(_digest(out))
    assert digests[0] == digests[1]
    assert _rows(out) == twin.twin.data["users"]


def test_failure_mid_extract_keeps_the_previous_file_and_leaves_no_partials(
    twin_factory, connect, tmp_path, staging, monkeypatch
):
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 25)  # several row groups staged before the failure
    out = tmp_path / "users.parquet"
    good = twin_factory("learnupon")
    LmsExtractOperator(
        task_id="users",
        conn_id=connect(good),
        endpoint="users",
        destination=str(out),
        window_start=None,
        window_end=None,
    ).execute({})
    before = out.read_bytes()
    liar = twin_factory("learnupon", lie_about_pages=True)  # repeats its last page forever
    with pytest.raises(LmsPaginationError):
        LmsExtractOperator(
            task_id="users",
            conn_id=connect(liar, "liar"),
            endpoint="users",
            destination=str(out),
            parameters={"page_size": 10},
            window_start=None,
            window_end=None,
        ).execute({})
    assert liar.twin.count(path_pattern="/users$") == 13  # 12 real pages, then the repeat
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["staging", "users.parquet"]
    assert list(staging.iterdir()) == []


def test_an_empty_extract_is_a_valid_parquet_file(twin_factory, connect, tmp_path, staging):
    twin = twin_factory("learnupon")
    out = tmp_path / "none.parquet"
    result = LmsExtractOperator(
        task_id="e",
        conn_id=connect(twin),
        endpoint="enrollments",
        destination=str(out),
        parameters={"enrollment_status": "no-such-status"},
        window_start=None,
        window_end=None,
    ).execute({})
    assert result["records"] == 0 and pq.read_table(out).num_rows == 0


def test_missing_pyarrow_fails_before_any_request_with_the_install_hint(
    twin_factory, connect, tmp_path, monkeypatch
):
    twin = twin_factory("learnupon")
    for module in ("pyarrow", "pyarrow.parquet"):
        monkeypatch.setitem(sys.modules, module, None)  # what an install without the extra looks like
    out = tmp_path / "users.parquet"
    op = LmsExtractOperator(task_id="u", conn_id=connect(twin), endpoint="users", destination=str(out))
    with pytest.raises(LmsConfigError, match=r"pip install 'airflow-provider-lms\[parquet\]'"):
        op.execute({})
    assert twin.twin.count() == 0 and not out.exists()


def test_pyarrow_is_imported_only_for_parquet_destinations(twin_factory, connect, tmp_path):
    twin = twin_factory("learnupon")
    script = f"""
import sys
from airflow_provider_lms.operators.extract import LmsExtractOperator
def extract(suffix):
    LmsExtractOperator(task_id="u", conn_id="learnupon_default", endpoint="users",
                       destination="{tmp_path}/users" + suffix, window_start=None,
                       window_end=None).execute({{}})
    return "pyarrow" in sys.modules
print("imported:", extract(".jsonl"), extract(".jsonl.gz"), extract(".parquet"))
"""
    env = {**os.environ, "AIRFLOW_CONN_LEARNUPON_DEFAULT": json.dumps(twin.connection())}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    verdict = [line for line in done.stdout.splitlines() if line.startswith("imported:")]
    assert verdict == ["imported: False False True"]  # Airflow's task logs share stdout
    assert _rows(tmp_path / "users.parquet") == twin.twin.data["users"]
