"""Extract throughput and memory: this provider against the usual hand-written alternatives.

    .venv/bin/python benchmarks/extract_benchmark.py                 # scale 50: ~34k enrollments
    .venv/bin/python benchmarks/extract_benchmark.py --scale 10 --contenders hook,naive

Serves the LearnUpon twin on 127.0.0.1 in this process, then runs each contender in its own
subprocess (so one's memory never counts against another, and the twin's never counts at all).
Every contender reads all enrollments, 500 per page, and (except ``hook``) writes them to a file:

  hook          LearnUponHook.iter_records, records counted and dropped (the engine alone)
  op-jsonl      LmsExtractOperator to .jsonl
  op-jsonl-gz   LmsExtractOperator to .jsonl.gz
  op-parquet    LmsExtractOperator to .parquet (needs pyarrow)
  naive         requests.get per page, every page kept in a list, JSON Lines written at the end
  http-operator apache-airflow-providers-http HttpOperator with a pagination_function and a
                response_filter (keeps every Response), JSON Lines written from its result

Memory is the subprocess's resident set: ``peak RSS`` is its high-water mark during the extract
(VmHWM, reset just before the first request) and ``growth`` that peak minus the RSS at that moment,
so imports and set-up are excluded. ``--tracemalloc`` adds the peak of
Python allocations (slower: run it separately from the timing). Not a test: run it on demand.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from proc_stats import status_mb  # beside this script (python benchmarks/<script>.py)

REPO = Path(__file__).resolve().parent.parent
CONTENDERS = ["hook", "op-jsonl", "op-jsonl-gz", "op-parquet", "naive", "http-operator"]
PAGE_SIZE = 500
MARK = "BENCHMARK-RESULT "

# ---- contenders (run inside the child process) --------------------------------------------------


def _hook(ctx: dict) -> dict:
    from airflow_provider_lms.vendors.learnupon.hook import LearnUponHook

    hook = LearnUponHook("lu_bench")
    hook.base_url()  # read the connection before the clock starts
    return _measure(
        ctx, lambda: {"records": sum(1 for _ in hook.iter_records("enrollments", {"page_size": PAGE_SIZE}))}
    )


def _operator(suffix: str):
    def run(ctx: dict) -> dict:
        from airflow_provider_lms.operators.extract import LmsExtractOperator

        out = Path(ctx["out"]) / f"enrollments{suffix}"
        enrollments = LmsExtractOperator(
            task_id="enrollments",
            conn_id="lu_bench",
            endpoint="enrollments",
            parameters={"page_size": PAGE_SIZE},
            destination=str(out),
            window_start=None,
            window_end=None,
        )
        enrollments.hook.base_url()
        if suffix == ".parquet":
            from airflow_provider_lms.parquet import load_pyarrow

            load_pyarrow()  # an import, not extract work

        def extract() -> dict:
            return {"records": enrollments.execute({})["records"], "bytes": out.stat().st_size}

        return _measure(ctx, extract)

    return run


def _write_jsonl(path: Path, records: list[dict]) -> int:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    return path.stat().st_size


def _naive(ctx: dict) -> dict:
    import requests

    url = f"{ctx['url']}/api/v1/enrollments/search"
    auth = (ctx["login"], ctx["password"])
    out = Path(ctx["out"]) / "enrollments-naive.jsonl"

    def extract() -> dict:
        records, page = [], 1
        while True:  # what a first PythonOperator usually looks like
            response = requests.get(url, params={"page": page, "per_page": PAGE_SIZE}, auth=auth, timeout=60)
            response.raise_for_status()
            records.extend(response.json()["enrollments"])
            if response.headers.get("LU-Has-Next-Page") != "true":
                break
            page += 1
        return {"records": len(records), "bytes": _write_jsonl(out, records)}

    return _measure(ctx, extract)


def _http_operator(ctx: dict) -> dict:
    from airflow.providers.http.operators.http import HttpOperator

    out = Path(ctx["out"]) / "enrollments-http.jsonl"

    def next_page(response):
        if response.headers.get("LU-Has-Next-Page") != "true":
            return None
        return {"data": {"page": int(response.headers["LU-Current-Page"]) + 1}}

    enrollments = HttpOperator(
        task_id="enrollments",
        http_conn_id="lu_http",
        endpoint="api/v1/enrollments/search",
        method="GET",
        data={"page": 1, "per_page": PAGE_SIZE},
        pagination_function=next_page,
        response_filter=lambda responses: [r for page in responses for r in page.json()["enrollments"]],
        log_response=False,
    )

    def extract() -> dict:
        records = enrollments.execute({})
        return {"records": len(records), "bytes": _write_jsonl(out, records)}

    return _measure(ctx, extract)


RUNNERS = {
    "hook": _hook,
    "op-jsonl": _operator(".jsonl"),
    "op-jsonl-gz": _operator(".jsonl.gz"),
    "op-parquet": _operator(".parquet"),
    "naive": _naive,
    "http-operator": _http_operator,
}


def _reset_peak_rss() -> bool:
    # Linux: writing 5 resets VmHWM, so the peak excludes whatever imports and set-up touched.
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def _measure(ctx: dict, extract) -> dict:
    if ctx["tracemalloc"]:
        import tracemalloc

        tracemalloc.start()
    reset = _reset_peak_rss()
    before = status_mb("VmRSS")
    started = time.perf_counter()
    result = extract()
    seconds = time.perf_counter() - started
    # Without the reset, ru_maxrss is the lifetime peak (an upper bound that includes imports).
    peak = status_mb("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result.update(seconds=seconds, rss_before_mb=before, peak_rss_mb=peak, growth_mb=max(peak - before, 0.0))
    if ctx["tracemalloc"]:
        result["py_heap_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    return result


def child(name: str, ctx: dict) -> None:
    result = RUNNERS[name](ctx)
    sys.__stdout__.write(MARK + json.dumps({"contender": name, **result}) + "\n")


# ---- the driver ---------------------------------------------------------------------------------


def run_contender(name: str, twin, out: Path, home: Path, use_tracemalloc: bool) -> dict:
    conn = twin.connection()
    host, port = twin.server.server_address[:2]
    http_conn = {
        "conn_type": "http",
        "host": host,
        "port": port,
        "schema": "http",
        "login": conn["login"],
        "password": conn["password"],
    }
    ctx = {
        "url": twin.url,
        "login": conn["login"],
        "password": conn["password"],
        "out": str(out),
        "tracemalloc": use_tracemalloc,
    }
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW_CONN_LU_BENCH": json.dumps(conn),
        "AIRFLOW_CONN_LU_HTTP": json.dumps(http_conn),
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run(
        [sys.executable, __file__, "--child", name, "--context", json.dumps(ctx)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        return {"contender": name, "error": (done.stderr or done.stdout)[-800:]}
    return json.loads(lines[-1][len(MARK) :])


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs ({model or platform.machine()}), load average {load}, Python {platform.python_version()}"


def versions() -> str:
    names = ["apache-airflow", "apache-airflow-providers-http", "requests", "pyarrow"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {version(name)}")
        except Exception:  # not installed
            found.append(f"{name} -")
    return ", ".join(found)


def table(results: list[dict], expected: int) -> str:
    head = f"{'contender':<14} {'records':>8} {'seconds':>8} {'records/s':>10} {'peak RSS MB':>12} {'growth MB':>10} {'file MB':>8}"
    if any("py_heap_peak_mb" in r for r in results):
        head += f" {'py heap MB':>11}"
    lines = [head, "-" * len(head)]
    for r in results:
        if "error" in r:
            lines.append(f"{r['contender']:<14} failed: {r['error'].splitlines()[-1] if r['error'] else '?'}")
            continue
        flag = "" if r["records"] == expected else f"  (!= {expected})"
        size = f"{r['bytes'] / 2**20:8.2f}" if "bytes" in r else f"{'-':>8}"
        line = (
            f"{r['contender']:<14} {r['records']:>8} {r['seconds']:>8.2f} {r['records'] / r['seconds']:>10.0f} "
            f"{r['peak_rss_mb']:>12.1f} {r['growth_mb']:>10.1f} {size}"
        )
        if "py_heap_peak_mb" in r:
            line += f" {r['py_heap_peak_mb']:>11.1f}"
        lines.append(line + flag)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=50, help="twin data scale (1 = ~700 enrollments)")
    parser.add_argument("--contenders", default=",".join(CONTENDERS), help="comma-separated subset")
    parser.add_argument("--repeat", type=int, default=1, help="runs per contender; the fastest is shown")
    parser.add_argument("--tracemalloc", action="store_true", help="also report Python heap peaks (slower)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--context", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, json.loads(args.context))
        return 0

    sys.path.insert(0, str(REPO))
    from airflow_provider_lms.sandbox import start_twin

    names = [n.strip() for n in args.contenders.split(",") if n.strip()]
    unknown = sorted(set(names) - set(RUNNERS))
    if unknown:
        parser.error(f"unknown contenders {unknown}; choose from {CONTENDERS}")
    built = time.perf_counter()
    twin = start_twin("learnupon", scale=args.scale)
    expected = len(twin.twin.data["enrollments"])
    print(
        f"LearnUpon twin at {twin.url}: scale {args.scale:g}, {expected} enrollments, "
        f"{-(-expected // PAGE_SIZE)} pages of {PAGE_SIZE} (built in {time.perf_counter() - built:.1f} s)"
    )
    print(f"Machine: {machine()}")
    print(f"Versions: {versions()}\n")
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="lms-bench-") as scratch:
            home = Path(scratch) / "airflow-home"
            home.mkdir()
            for index, name in enumerate(names):
                runs = []
                for attempt in range(args.repeat):
                    out = Path(scratch) / f"{index}-{name}-{attempt}"
                    out.mkdir()
                    runs.append(run_contender(name, twin, out, home, args.tracemalloc))
                ok = [r for r in runs if "error" not in r]
                best = min(ok, key=lambda r: r["seconds"]) if ok else runs[0]
                results.append(best)
                print(f"  {name}: done", flush=True)
    finally:
        twin.stop()
    print()
    print(table(results, expected))
    return 0 if all("error" not in r and r["records"] == expected for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
