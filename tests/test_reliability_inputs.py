"""Issue 10's second matrix: hostile inputs (ids, parameters, windows, credentials, XML, a huge
page, destinations) x every vendor. Each must end exact or in a clean ``LmsError`` failure before
anything is written, and never leak a secret. See tests/reliability.py.
"""

from __future__ import annotations

import pytest

from tests.reliability import run_cell
from tests.reliability_cells import INPUT_CELLS


@pytest.mark.parametrize("cell", INPUT_CELLS, ids=lambda cell: cell.id)
def test_hostile_input_is_exact_or_a_clean_failure(cell):
    outcome = run_cell(cell)
    assert not outcome.secrets, f"{cell.id}: {'; '.join(outcome.secrets)}"
    assert outcome.kind != "wrong", f"{cell.id}: {outcome.detail}"
