"""LearnWorlds fan-out: one task reads 300 courses' enrollments under the real 30 requests / 10 s.

    .venv/bin/python benchmarks/fanout_benchmark.py                       # ~2 min: 300 courses, 0 ms
    .venv/bin/python benchmarks/fanout_benchmark.py --latency 0,0.3 --concurrency 1,2

The LearnWorlds twin (``airflow_provider_lms.sandbox``, in this process, on 127.0.0.1) enforces a
rolling 30 requests per 10 s, counting every request (the token call too) and answering 429 beyond
it. One :class:`LmsExtractOperator` extracts ``course_users`` for a list of 300 parameter sets (the
mapped-batch pattern), so the sets run through the hook's throttle (and its pool, where
``max_concurrency`` > 1). Printed per run: wall time, requests, 429s, and two floors:

* the pace floor, ``(requests - 1) x 10 s / 30``: the sustained 3 requests/s the limit allows;
* the burst floor, ``floor((requests - 1) / 30) x 10 s``: what a client may reach that knows the
  window was empty when it began (30 at once, then 30 every 10 s). No task can know that: the
  task before it in the same pool slot may have just spent the budget.

The last line is JSON with both ratios per run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run(courses: int, latency: float, concurrency: int, scratch: Path) -> dict:
    from airflow_provider_lms.operators.extract import LmsExtractOperator
    from airflow_provider_lms.sandbox import start_twin

    twin = start_twin("learnworlds", courses=courses, latency=latency)
    try:
        conn_id = f"lw_fanout_{concurrency}_{int(latency * 1000)}"
        os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(twin.connection())
        ids = [course["id"] for course in twin.twin.data["courses"]]
        out = scratch / f"{conn_id}.jsonl"
        operator = LmsExtractOperator(
            task_id="fanout",
            conn_id=conn_id,
            endpoint="course_users",
            parameters=[{"course_id": course_id} for course_id in ids],
            destination=str(out),
            window_start=None,
            window_end=None,
            max_concurrency=concurrency,
        )
        before = len(twin.twin.request_log)
        started = time.monotonic()
        result = operator.execute({})
        seconds = time.monotonic() - started
        log = twin.twin.request_log[before:]
    finally:
        twin.stop()
    sent = len(log)
    pace_floor = (sent - 1) * twin.twin.rate_window / twin.twin.rate_limit
    burst_floor = math.floor((sent - 1) / twin.twin.rate_limit) * twin.twin.rate_window
    return {
        "courses": courses,
        "latency_s": latency,
        "max_concurrency": concurrency,
        "records": result["records"],
        "seconds": round(seconds, 1),
        "requests": sent,
        "429s": sum(1 for _method, _path, status in log if status == 429),
        "pace_floor_s": round(pace_floor, 1),
        "burst_floor_s": round(burst_floor, 1),
        "vs_pace_floor": round(seconds / pace_floor, 3),
        "vs_burst_floor": round(seconds / burst_floor, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--courses", type=int, default=300)
    parser.add_argument("--latency", default="0", help="comma-separated seconds per response")
    parser.add_argument("--concurrency", default="1", help="comma-separated max_concurrency values")
    args = parser.parse_args(argv)
    home = tempfile.mkdtemp(prefix="lms-fanout-airflow-")
    os.environ.setdefault("AIRFLOW_HOME", home)
    os.environ.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{home}/airflow.db")
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")  # two lines per set otherwise
    sys.path.insert(0, str(REPO))
    results = []
    with tempfile.TemporaryDirectory(prefix="lms-fanout-") as scratch:
        for latency in [float(x) for x in args.latency.split(",") if x]:
            for concurrency in [int(x) for x in args.concurrency.split(",") if x]:
                r = run(args.courses, latency, concurrency, Path(scratch))
                results.append(r)
                print(
                    f"{r['courses']} courses, {latency * 1000:.0f} ms, max_concurrency {concurrency}: "
                    f"{r['seconds']} s, {r['requests']} requests, {r['429s']} 429s, {r['records']} records; "
                    f"floors {r['pace_floor_s']} s (pace) / {r['burst_floor_s']} s (burst): "
                    f"{r['vs_pace_floor']}x / {r['vs_burst_floor']}x",
                    flush=True,
                )
    print(json.dumps({"fanout": results}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
