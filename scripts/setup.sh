#!/usr/bin/env bash
# Create .venv and install the provider with its test, Parquet, S3, OpenLineage and Celery extras.
# Idempotent. Debian packages the tests need, installed here when missing (as root): Chromium and
# ChromeDriver for the browser tests; PostgreSQL and Redis for the distributed (CeleryExecutor) test,
# which starts and stops its own servers on free loopback ports (the packages' services are not used).
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    # policy-rc.d: do not start the packages' system services (the tests run their own servers);
    # an existing policy file is left as it is.
    own_policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
      own_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
  else
    echo "setup: missing Debian packages ${missing[*]}; install them for the UI and distributed tests" >&2
  fi
fi
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test,parquet,s3,openlineage,celery]" -c scripts/constraints-test.txt
