#!/usr/bin/env bash
# The main job: install, start the sandbox LMS servers, run every example DAG through Airflow on
# SQLite, and print what was extracted and where.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python scripts/demo.py "$@"
