"""Peak memory of ONE large page: what a single huge vendor response costs the worker (issue 10, item 19).

    .venv/bin/python benchmarks/page_memory.py                 # one ~200 MB page of LearnUpon users
    .venv/bin/python benchmarks/page_memory.py --mb 50 --limit-mb 20   # over the limit: refused

A child process serves one page of ``--mb`` megabytes (a LearnUpon ``/users`` answer) from a stub on
127.0.0.1, so the server's copy never counts. This process extracts it with LmsExtractOperator
to a ``.jsonl`` file and reports its resident-set growth: the peak (Linux VmHWM, reset just
before the request) minus the RSS at that moment. Run it with another checkout on PYTHONPATH to
compare versions. Not a test: run it on demand.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.environ.get("LMS_CHECKOUT", str(REPO)))


def _serve(megabytes: float, ready) -> None:
    from tests.stubs import Reply, StubServer

    record = {
        "id": 0,
        "email": "learner@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "created_at": "2026-10-20T08:00:00Z",
        "score": 87.5,
        "pad": "x" * 80,
    }
    size = len(json.dumps(record)) + 2
    count = int(megabytes * 1e6 / size)
    body = json.dumps({"user": [{**record, "id": i} for i in range(count)]}).encode()
    headers = {"Content-Type": "application/json", "LU-Has-Next-Page": "false"}
    stub = StubServer(lambda req: Reply(200, body, headers)).start()
    ready.put((stub.url, count, len(body)))
    time.sleep(3600)


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=float, default=200.0, help="size of the page in MB (default 200)")
    parser.add_argument(
        "--limit-mb",
        type=float,
        default=None,
        help="connection extra max_response_bytes, in MB (default: twice the page, so it is read)",
    )
    args = parser.parse_args()

    ready: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(args.mb, ready), daemon=True)
    server.start()
    url, count, length = ready.get(timeout=600)
    limit_mb = args.limit_mb if args.limit_mb is not None else 2 * args.mb
    extra = {"max_response_bytes": int(limit_mb * 1e6)}
    conn = {"conn_type": "learnupon", "host": url, "login": "u", "password": "p", "extra": extra}
    os.environ["AIRFLOW_CONN_LU_MEMORY"] = json.dumps(conn)

    import airflow_provider_lms
    from airflow_provider_lms.operators.extract import LmsExtractOperator

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "users.jsonl"
        op = LmsExtractOperator(
            task_id="memory",
            conn_id="lu_memory",
            endpoint="users",
            destination=f"file://{out}",
            window_start=None,
            window_end=None,
        )
        op.hook.transport  # noqa: B018  (set up before the measurement)
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # reset VmHWM: the peak counts the extract only
        before = _status_mb("VmRSS")
        started = time.perf_counter()
        try:
            outcome = f"{op.execute({})['records']} records written"
        except Exception as exc:  # the refusal is a result too
            outcome = f"{type(exc).__name__}: {str(exc)[:160]}"
        seconds = time.perf_counter() - started
        peak = _status_mb("VmHWM")
        written = out.stat().st_size if out.exists() else 0
    server.terminate()
    body_mb = length / 2**20
    print(f"code:      {Path(airflow_provider_lms.__file__).parent}")
    print(f"page:      {count} records, {body_mb:.0f} MiB of JSON; output {written / 2**20:.0f} MiB")
    print(f"outcome:   {outcome} in {seconds:.1f} s")
    print(f"RSS:       {before:.0f} MiB before, peak {peak:.0f} MiB")
    print(f"growth:    {peak - before:.0f} MiB = {(peak - before) / body_mb:.1f} x the body")
    return 0


if __name__ == "__main__":
    sys.exit(main())
