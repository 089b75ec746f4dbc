#!/usr/bin/env bash
# Create .venv and install the provider with its test and Parquet extras. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test,parquet]"
