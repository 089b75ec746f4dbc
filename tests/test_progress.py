"""Progress lines: the parameter set, page n/N with percent and ETA where the vendor declares a
total, one line per parameter set and a total naming the window (issue: progress a person can follow)."""

from __future__ import annotations

import re

from airflow_provider_lms.operators.extract import LmsExtractOperator
from airflow_provider_lms.pagination import Declared
from airflow_provider_lms.progress import expected_pages, format_duration, parameter_label
from airflow_provider_lms.redaction import Redactor


def _lines(capsys, needle: str) -> list[str]:
    return [m for m in capsys.readouterr().out.splitlines() if needle in m]


def test_declared_totals_give_page_of_pages_percent_and_eta(twin_factory, connect, tmp_path, capsys):
    twin = twin_factory("absorb")
    users = len(twin.twin.data["users"])
    op = LmsExtractOperator(
        task_id="t",
        conn_id=connect(twin),
        endpoint="users",
        parameters={"page_size": 10},
        destination=str(tmp_path / "u.jsonl"),
        window_start=None,
        window_end=None,
    )
    op.execute({})
    pages = -(-users // 10)
    lines = _lines(capsys, "absorb users page")
    assert len(lines) == pages > 1
    assert re.search(rf"page 1/{pages} \(\d+%, ETA \d+ s\): 10 records \(10 so far", lines[0])
    assert f"page {pages}/{pages} (100%, ETA 0 s)" in lines[-1]


def test_each_parameter_set_is_named_and_the_total_names_the_window(twin_factory, connect, tmp_path, capsys):
    twin = twin_factory("learnupon")
    exams = [9001, 9004]
    op = LmsExtractOperator(
        task_id="t",
        conn_id=connect(twin),
        endpoint="exam_results",
        parameters=[{"exam_id": exam, "page_size": 2} for exam in exams],
        destination=str(tmp_path / "r.jsonl"),
        window_start="2026-10-20",
        window_end="2026-10-21",
    )
    result = op.execute({})
    out = capsys.readouterr().out.splitlines()
    for exam in exams:
        expected = len([r for r in twin.twin.data["exam_results"] if r["exam_id"] == exam])
        assert any(f"learnupon exam_results [exam_id={exam}] page 1:" in m for m in out)
        assert any(
            re.search(rf"Parameter set \d/2 \(exam_id={exam}\): {expected} records in \d+ pages", m)
            for m in out
        )
    summary = [m for m in out if "Extracted" in m]
    assert len(summary) == 1
    assert (
        f"Extracted {result['records']} records in {result['pages']} pages (2 parameter sets)" in summary[0]
    )
    assert "window [2026-10-20T00:00:00+00:00, 2026-10-21T00:00:00+00:00)" in summary[0]


def test_expected_pages_from_what_the_vendor_declares():
    assert expected_pages(Declared(total_pages=12), 50) == 12
    assert expected_pages(Declared(total_items=101), 50) == 3
    assert expected_pages(Declared(total_items=101, page_size=20), 50) == 6  # the served size wins
    assert expected_pages(Declared(total_items=0), 50) == 1
    assert expected_pages(Declared(), 50) is None
    assert expected_pages(Declared(total_items=10), None) is None


def test_labels_and_durations_read_as_a_person_writes_them():
    redactor = Redactor()
    redactor.add("s3cret-value")
    assert parameter_label({"course_id": 5001, "page_size": 50}, redactor) == "course_id=5001"
    assert parameter_label({"user_ids": [1, 2, 3, 4, 5]}, redactor) == "user_ids=[5 values]"
    assert parameter_label({}, redactor) == ""
    assert len(parameter_label({"q": "x" * 500}, redactor)) == 120
    # a key passed as a parameter of a custom endpoint never reaches a progress line
    assert parameter_label({"api_key": "k-123", "q": "s3cret-value"}, redactor) == "api_key=***, q=***"
    assert [format_duration(s) for s in (0.4, 42, 185, 7805)] == ["0 s", "42 s", "3 min 5 s", "2 h 10 min"]
