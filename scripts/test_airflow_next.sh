#!/usr/bin/env bash
# The test suite on the next Airflow release, in its own virtualenv (.venv-next), to decide the
# apache-airflow upper bound. AIRFLOW_NEXT picks the version (default: 3.4.0b2, the newest 3.4 in the
# registry we reach; 3.4.0 itself is released upstream). Arguments go to pytest:
#   bash scripts/test_airflow_next.sh                     # the whole suite
#   AIRFLOW_NEXT=3.4.0 bash scripts/test_airflow_next.sh -x tests/test_operator_extract.py
# pyproject.toml pins apache-airflow below 3.4 until this passes, so the provider's own dependencies
# (read from pyproject.toml, apache-airflow left out) are installed beside the chosen Airflow and the
# provider itself goes in with --no-deps.
set -euo pipefail
cd "$(dirname "$0")/.."
AIRFLOW_NEXT="${AIRFLOW_NEXT:-3.4.0b2}"
python3 -m venv .venv-next
.venv-next/bin/python -m pip install --quiet --upgrade pip
requirements="$(mktemp)"
trap 'rm -f "$requirements"' EXIT
.venv-next/bin/python - "$requirements" <<'PY'
import re, sys, tomllib

project = tomllib.load(open("pyproject.toml", "rb"))["project"]
wanted = list(project["dependencies"])
for extra in ("test", "parquet", "s3", "openlineage"):
    wanted += project["optional-dependencies"][extra]
keep = [r for r in wanted if re.split(r"[<>=!~\[ ;]", r, maxsplit=1)[0] != "apache-airflow"]
open(sys.argv[1], "w").write("\n".join(keep) + "\n")
PY
.venv-next/bin/python -m pip install --quiet "apache-airflow==${AIRFLOW_NEXT}" -r "$requirements" \
  -c scripts/constraints-test.txt
.venv-next/bin/python -m pip install --quiet --no-deps -e .
.venv-next/bin/python -c "import airflow, sys; print(f'Airflow {airflow.__version__} on Python {sys.version.split()[0]}')"
exec .venv-next/bin/python -m pytest "$@"
