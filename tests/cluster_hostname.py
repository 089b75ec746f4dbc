"""``[core] hostname_callable`` for the distributed test's Celery workers: each stands in for its own
host, so each records its own name on the task instances it runs (all run on one machine here)."""

from __future__ import annotations

import os
import socket


def worker_hostname() -> str:
    return os.environ.get("LMS_WORKER_HOSTNAME") or socket.getfqdn()
