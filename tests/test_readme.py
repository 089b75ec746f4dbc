"""README.md stays true: its two commands, CI calling the second, the endpoint table."""

from __future__ import annotations

import re
from pathlib import Path

from airflow_provider_lms.endpoint_table import render

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()


def _first_code_block() -> list[str]:
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", README, re.S)
    assert block, "README must open with a fenced code block"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_readme_opens_with_exactly_two_commands_that_exist():
    commands = _first_code_block()
    assert commands == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    assert README.index("```") < README.index("## "), "the commands come before any section"
    for command in commands:
        assert (REPO / command.split()[1]).is_file()


def test_ci_runs_the_readme_test_command():
    ci = (REPO / ".ci/run").read_text()
    assert _first_code_block()[1] in ci


def test_endpoint_table_matches_the_catalogs():
    match = re.search(r"<!-- endpoints:start -->\n(.*?)\n<!-- endpoints:end -->", README, re.S)
    assert match, "README needs the generated endpoint table between endpoints markers"
    assert match.group(1).strip() == render().strip(), (
        "regenerate: python -m airflow_provider_lms.endpoint_table"
    )


def test_readme_backfill_recipe_is_the_tested_one():
    # tests/test_scheduler_backfill.py runs the commands of docs/backfill.md: the README must quote them.
    recipe = (REPO / "docs/backfill.md").read_text()
    section = README[README.index("## Backfills") : README.index("## Running it with docker compose")]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    commands = [c.strip() for c in block.replace("\\\n", " ").splitlines() if c.strip()]
    assert len(commands) == 3
    flat_recipe = " ".join(recipe.replace("\\\n", " ").split())
    for command in commands:
        assert " ".join(command.split()) in flat_recipe, command


def test_quickstart_dag_for_pip_users_is_the_tested_example_dag():
    # pip users copy the DAG from the README; the same code runs in the example-DAG tests.
    marker = README.index("<!-- quickstart-dag")
    block = re.search(r"```python\n(.*?)```", README[marker:], re.S).group(1)
    source = (REPO / "dags" / "learnupon_audit_trails.py").read_text()
    body = source[source.index("from __future__ import annotations\n") :].split("\n", 2)[2]
    assert block == body


def test_pip_quickstart_reads_the_file_the_dag_writes_for_that_date():
    # `airflow dags test D 2026-10-21` runs [10-20, 10-21): the file is named after the window start.
    section = README[: README.index("## ")]
    assert "airflow dags test learnupon_audit_trails 2026-10-21" in section
    assert "/tmp/lms-output/learnupon/audit_trails/2026-10-20.jsonl" in section


def _reliability_rows() -> dict[tuple[str, str, str], list[int]]:
    from tests.reliability import readme_table

    rows = {}
    for line in readme_table().splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0].startswith("**"):
            continue
        rows[(cells[0], cells[1], cells[2])] = [int(c) for c in cells[3:]]
    return rows


def test_readme_reliability_table_covers_every_matrix_cell():
    # Cheap: counts only. The figures come from `python -m tests.reliability --update-readme`.
    from collections import Counter

    from tests.reliability_cells import FAULT_CELLS, INPUT_CELLS

    cells = Counter((c.matrix, c.category, c.vendor) for c in FAULT_CELLS + INPUT_CELLS)
    rows = _reliability_rows()
    assert {key: row[0] for key, row in rows.items()} == dict(cells), (
        "regenerate: .venv/bin/python -m tests.reliability --update-readme"
    )
    for key, (run, exact, clean, wrong, _secrets) in rows.items():
        assert exact + clean + wrong == run, key


def test_readme_reliability_table_reports_nothing_wrong_and_no_secret():
    rows = _reliability_rows()
    wrong = {key: row[3] for key, row in rows.items() if row[3]}
    secrets = {key: row[4] for key, row in rows.items() if row[4]}
    assert not wrong and not secrets, (
        f"wrong cells {wrong}, cells with secrets {secrets}: "
        "see .venv/bin/python -m tests.reliability --details"
    )
