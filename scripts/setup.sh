#!/usr/bin/env bash
# Create .venv and install the provider with its test, Parquet, S3 and OpenLineage extras. Idempotent.
# The browser tests need Debian's Chromium and ChromeDriver: installed here when missing (as root).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "setup: chromium and chromium-driver are missing; install them (Debian packages) for the UI tests" >&2
  fi
fi
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test,parquet,s3,openlineage]" -c scripts/constraints-test.txt
