"""Issue 10's first matrix: server faults x every vendor, against small lying stubs.

Each cell runs the real operator against a stub speaking that vendor's wire format; transient faults
must end with the exact record set (retried), structural lies in a clean ``LmsError`` failure with
the destination untouched, and no cell may leak a secret. See tests/reliability.py.
"""

from __future__ import annotations

import pytest

from tests.reliability import run_cell
from tests.reliability_cells import FAULT_CELLS


@pytest.mark.parametrize("cell", FAULT_CELLS, ids=lambda cell: cell.id)
def test_fault_cell_is_exact_or_a_clean_failure(cell):
    outcome = run_cell(cell)
    assert not outcome.secrets, f"{cell.id}: {'; '.join(outcome.secrets)}"
    assert outcome.kind != "wrong", f"{cell.id}: {outcome.detail}"
