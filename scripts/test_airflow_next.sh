#!/usr/bin/env bash
# The test suite on the next Airflow release, in its own virtualenv (.venv-next), to decide the
# apache-airflow upper bound. AIRFLOW_NEXT picks the version (default: 3.4.0b2, the newest 3.4 in the
# registry we reach; 3.4.0 itself is released upstream). Arguments go to pytest:
#   bash scripts/test_airflow_next.sh                     # the whole suite
#   AIRFLOW_NEXT=3.4.0 bash scripts/test_airflow_next.sh -x tests/test_operator_extract.py
set -euo pipefail
cd "$(dirname "$0")/.."
AIRFLOW_NEXT="${AIRFLOW_NEXT:-3.4.0b2}"
python3 -m venv .venv-next
.venv-next/bin/python -m pip install --quiet --upgrade pip
.venv-next/bin/python -m pip install --quiet "apache-airflow==${AIRFLOW_NEXT}" \
  -e ".[test,parquet,s3,openlineage]" -c scripts/constraints-test.txt
.venv-next/bin/python -c "import airflow, sys; print(f'Airflow {airflow.__version__} on Python {sys.version.split()[0]}')"
exec .venv-next/bin/python -m pytest "$@"
