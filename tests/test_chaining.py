"""Reading ids out of one extract's output (any format) and batching them for the next."""

from __future__ import annotations

import pytest

from airflow_provider_lms.chaining import batched_parameters, iter_output, read_field
from airflow_provider_lms.operators.extract import LmsExtractOperator


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".parquet"])
def test_ids_read_back_from_every_output_format(twin_factory, connect, tmp_path, suffix):
    twin = twin_factory("learnupon")
    out = tmp_path / f"courses{suffix}"
    LmsExtractOperator(
        task_id="t",
        conn_id=connect(twin),
        endpoint="courses",
        destination=str(out),
        window_start=None,
        window_end=None,
    ).execute({})
    courses = twin.twin.data["courses"]
    assert read_field(str(out), "id") == [c["id"] for c in courses]
    assert [r["name"] for r in iter_output(str(out))] == [c["name"] for c in courses]


def test_read_field_flattens_lists_and_keeps_first_occurrences(tmp_path):
    out = tmp_path / "x.jsonl"
    out.write_text('{"ids": [3, 1]}\n{"ids": [1, 2]}\n{"ids": null}\n\n{"other": 1}\n')
    assert read_field(str(out), "ids") == [3, 1, 2]
    assert read_field(str(out), "ids", unique=False) == [3, 1, 1, 2]
    nested = tmp_path / "modules.jsonl"
    nested.write_text('{"modules": [{"id": 1}, {"id": 2}]}\n{"modules": [{"id": 1}]}\n')
    assert read_field(str(nested), "modules") == [{"id": 1}, {"id": 2}]


def test_batched_parameters():
    assert batched_parameters([1, 2, 3], "course_id", 2, page_size=50) == [
        [{"course_id": 1, "page_size": 50}, {"course_id": 2, "page_size": 50}],
        [{"course_id": 3, "page_size": 50}],
    ]
    assert batched_parameters([], "course_id", 2) == []
    with pytest.raises(ValueError):
        batched_parameters([1], "x", 0)
