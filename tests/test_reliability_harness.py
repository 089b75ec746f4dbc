"""The matrices' harness tells the outcomes apart: honest stubs give exact cells, lies give wrong
ones, failures that change the destination are wrong, and the table counts what it is given."""

from __future__ import annotations

import pytest

from tests.reliability import EXACT_ONLY, VENDORS, Cell, Creds, Fault, Outcome, compare, run_cell, table
from tests.reliability_cells import cycle, repeat_first


@pytest.mark.parametrize("vendor", list(VENDORS))
def test_an_honest_stub_gives_the_exact_record_set(vendor):
    outcome = run_cell(Cell("faults", "control", vendor, "honest", EXACT_ONLY))
    assert (outcome.kind, outcome.secrets) == ("exact", []), outcome.detail
    assert outcome.detail == "10 records"


@pytest.mark.parametrize("vendor", ["learnupon", "learnworlds"])
def test_an_honest_windowed_stub_gives_the_records_of_the_window(vendor):
    cell = Cell(
        "inputs",
        "control",
        vendor,
        "window",
        EXACT_ONLY,
        listing="windowed",
        window=("2025-11-01T01:00:00Z", "2025-11-01T04:00:00Z"),
    )
    outcome = run_cell(cell)
    assert (outcome.kind, outcome.detail) == ("exact", "3 records")


@pytest.mark.parametrize("vendor", list(VENDORS))
def test_credentials_the_vendor_would_refuse_are_a_clean_failure(vendor):
    # The stub checks what arrives, so a cell only counts exact when the vendor would have said yes.
    cell = Cell(
        "faults",
        "control",
        vendor,
        "bad password",
        frozenset({"clean"}),
        creds=Creds(password="not-the-password"),
        stub_creds=Creds(),
    )
    outcome = run_cell(cell)
    assert outcome.kind == "clean", outcome.detail


def test_a_repeated_page_that_succeeds_is_wrong_when_exact_was_demanded():
    # Exact is impossible here (page 3's records never come): a success must not pass as exact.
    fault = Fault("repeat", "control", EXACT_ONLY, repeat_first)
    outcome = run_cell(Cell("faults", "control", "absorb", "repeat", EXACT_ONLY, fault=fault))
    assert outcome.kind == "wrong"


def test_a_cycling_server_ends_within_the_cell_bound():
    fault = Fault("cycle", "control", frozenset({"clean"}), cycle)
    outcome = run_cell(Cell("faults", "control", "learnupon", "cycle", frozenset({"clean"}), fault=fault))
    assert outcome.seconds < 15


def test_compare_names_lost_and_repeated_records():
    a, b, c = {"id": 1}, {"id": 2}, {"id": 3}
    assert compare([a, b], [b, a]) is None
    assert compare([a, a, b], [a, b, c]) == "3 records written, 3 expected (1 lost, 1 unexpected, 1 repeated)"


def test_table_counts_each_outcome():
    cells = [Cell("faults", "transient", "absorb", f"c{i}", EXACT_ONLY) for i in range(3)]
    outcomes = [Outcome("exact", "", [], 0), Outcome("clean", "", [], 0), Outcome("wrong", "", ["leak"], 0)]
    text = table(list(zip(cells, outcomes, strict=True)))
    assert "| faults | transient | absorb | 3 | 1 | 1 | 1 | 1 |" in text
    assert text.splitlines()[-1] == "| **all** | | | **3** | **1** | **1** | **1** | **1** |"
