"""This provider against its peers, side by side in one run (run on demand; not part of the tests).

    .venv/bin/pip install -r benchmarks/requirements.txt      # dlt, for its contender
    .venv/bin/python benchmarks/peer_benchmark.py --quick     # ~15 min on a small machine: 20k records
                                                              # (+ ours alone at 100k and 1M for RSS)
    .venv/bin/python benchmarks/peer_benchmark.py             # 100k and 1M records, 0 and 100 ms
    .venv/bin/python benchmarks/peer_benchmark.py --records 100000 --memory-sizes 1000000
                                                              # ~30 min: every contender at 100k,
                                                              # ours alone at 1M for the RSS ratio

A threaded server on 127.0.0.1 (:mod:`lms_server`, in this process) serves ~1 KB nested records,
500 a page, in two paging styles: Absorb-like (``totalItems`` declared, so the page count is known
after page 1) and LearnUpon-like (a has-next header only). Every contender runs in its own
subprocess (its CPU and memory are its own, the server's never count) and writes every record as
JSON Lines:

  ours-seq      LmsExtractOperator, max_concurrency=1
  ours-conc     LmsExtractOperator, max_concurrency=8 (LearnUpon-like paging stays sequential)
  requests      a plain ``requests.Session`` loop writing each page (the client-side limit)
  pool          a plain 8-thread pool over the known page numbers (the concurrency limit;
                Absorb-like only, the other style has no page count to spread)
  dlt           dlt's ``rest_api`` source through a pipeline to the filesystem destination, JSONL
  http-op       Airflow's HttpOperator with a ``pagination_function`` (keeps every response)

Contenders are interleaved (the order rotates each round) and each figure is the median of
``--repeat`` rounds. The table shows records/s, client CPU seconds (user + system of the
contender's process and its children, for the extract only), peak RSS (the high-water mark reset
just before the first request), requests and 429s the server saw. The last line is JSON: ours
against each contender (records/s ratios) at each latency, the CPU ratio at 0 ms against the plain
loop, and our peak RSS at the largest size against the smallest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from proc_stats import status_mb  # beside this script (python benchmarks/<script>.py)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MARK = "BENCHMARK-RESULT "
PAGE_SIZE = 500
THREADS = 8
CONTENDERS = ["ours-seq", "ours-conc", "requests", "pool", "dlt", "http-op"]
STYLES = ("absorb", "learnupon")

# ---- what each style looks like to each client --------------------------------------------------

ENDPOINTS = {
    "absorb": {
        "path": "/absorb/users",
        "records_path": "users",
        "pagination": {
            "type": "page_number",
            "page_param": "_offset",
            "page_size_param": "_limit",
            "first_page": 0,
            "total_items_path": "totalItems",
            "served_page_size_path": "limit",
        },
    },
    "learnupon": {
        "path": "/learnupon/enrollments",
        "records_path": "enrollments",
        "pagination": {
            "type": "page_number",
            "page_param": "page",
            "page_size_param": "per_page",
            "has_next_header": "LU-Has-Next-Page",
        },
    },
}


def _first_params(style: str) -> dict:
    return {"_offset": 0, "_limit": PAGE_SIZE} if style == "absorb" else {"page": 1, "per_page": PAGE_SIZE}


def _page_params(style: str, index: int) -> dict:
    """Parameters of the page ``index`` (0-based)."""
    if style == "absorb":
        return {"_offset": index, "_limit": PAGE_SIZE}
    return {"page": index + 1, "per_page": PAGE_SIZE}


def _records_key(style: str) -> str:
    return "users" if style == "absorb" else "enrollments"


def _has_more(style: str, body: dict, headers, index: int) -> bool:
    if style == "absorb":
        return (index + 1) * PAGE_SIZE < body["totalItems"]
    return headers.get("LU-Has-Next-Page") == "true"


# ---- contenders (each runs inside its own child process) ----------------------------------------


def _dump(record) -> str:
    # What every hand-written contender writes: the same settings as the provider's writer.
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def _write_page(handle, records: list) -> None:
    handle.write(("\n".join(map(_dump, records)) + "\n").encode() if records else b"")


def _ours(concurrency: int):
    def run(ctx: dict) -> dict:
        from airflow_provider_lms.operators.extract import LmsExtractOperator

        out = Path(ctx["out"]) / "ours.jsonl"
        # The bench connection's hook defaults to 1 (LearnUpon's): the sequential run passes nothing.
        options = {"max_concurrency": concurrency} if concurrency > 1 else {}
        bench = LmsExtractOperator(
            task_id="bench",
            conn_id="lms_bench",
            endpoint=ENDPOINTS[ctx["style"]],
            parameters={"page_size": PAGE_SIZE},
            destination=str(out),
            window_start=None,
            window_end=None,
            **options,
        )
        bench.hook.base_url()  # read the connection before the clock starts
        return _measure(lambda: {"records": bench.execute({})["records"]}, out)

    return run


def _requests_loop(ctx: dict) -> dict:
    import requests

    style, out = ctx["style"], Path(ctx["out"]) / "requests.jsonl"
    url, key = ctx["url"] + ENDPOINTS[style]["path"], _records_key(style)

    def extract() -> dict:
        count, index = 0, 0
        with requests.Session() as session, out.open("wb") as handle:
            while True:
                response = session.get(url, params=_page_params(style, index), timeout=60)
                response.raise_for_status()
                body = response.json()
                _write_page(handle, body[key])
                count += len(body[key])
                if not _has_more(style, body, response.headers, index):
                    return {"records": count}
                index += 1

    return _measure(extract, out)


def _thread_pool(ctx: dict) -> dict:
    import math
    from concurrent.futures import ThreadPoolExecutor

    import requests
    from requests.adapters import HTTPAdapter

    style, out = ctx["style"], Path(ctx["out"]) / "pool.jsonl"
    url, key = ctx["url"] + ENDPOINTS[style]["path"], _records_key(style)
    if style != "absorb":
        raise SystemExit("the pool needs a known page count")

    def extract() -> dict:
        session = requests.Session()
        session.mount("http://", HTTPAdapter(pool_maxsize=THREADS))

        def fetch(index: int) -> list:
            response = session.get(url, params=_page_params(style, index), timeout=60)
            response.raise_for_status()
            return response.json()[key]

        first = session.get(url, params=_page_params(style, 0), timeout=60)
        first.raise_for_status()
        body = first.json()
        pages = math.ceil(body["totalItems"] / PAGE_SIZE)
        count = len(body[key])
        with out.open("wb") as handle, ThreadPoolExecutor(THREADS) as pool:
            _write_page(handle, body[key])
            for records in pool.map(fetch, range(1, pages)):
                _write_page(handle, records)
                count += len(records)
        return {"records": count}

    return _measure(extract, out)


def _dlt(ctx: dict) -> dict:
    import dlt
    from dlt.sources.rest_api import rest_api_source

    style, out = ctx["style"], Path(ctx["out"]) / "dlt"
    key = _records_key(style)
    first = _first_params(style)
    page_param = "_offset" if style == "absorb" else "page"
    size_param = "_limit" if style == "absorb" else "per_page"
    source = rest_api_source(
        {
            "client": {"base_url": ctx["url"]},
            "resources": [
                {
                    "name": key,
                    "endpoint": {
                        "path": ENDPOINTS[style]["path"].lstrip("/"),
                        "params": {size_param: PAGE_SIZE},
                        "data_selector": key,
                        "paginator": {
                            # dlt's page_number total_path counts pages, not items: neither style
                            # declares pages, so dlt pages on to the first empty page (+1 request).
                            "type": "page_number",
                            "page_param": page_param,
                            "base_page": first[page_param],
                            "total_path": None,
                            "stop_after_empty_page": True,
                        },
                    },
                }
            ],
        },
        max_table_nesting=0,  # one table of nested records, as the other contenders write
    )
    pipeline = dlt.pipeline(
        pipeline_name=f"bench_{os.getpid()}",
        pipelines_dir=str(Path(ctx["out"]) / "dlt-pipelines"),
        destination=dlt.destinations.filesystem(bucket_url=out.as_uri()),
        dataset_name="bench",
    )

    def extract() -> dict:
        pipeline.run(source, loader_file_format="jsonl")
        files = [p for p in out.rglob("*.jsonl*") if key in str(p)]
        count = 0
        for path in files:
            opener = __import__("gzip").open if path.suffix == ".gz" else open
            with opener(path, "rb") as handle:
                count += sum(1 for _ in handle)
        return {"records": count}

    return _measure(extract, None)


def _http_operator(ctx: dict) -> dict:
    from airflow.providers.http.operators.http import HttpOperator

    style, out = ctx["style"], Path(ctx["out"]) / "http.jsonl"
    key = _records_key(style)
    size_param = "_limit" if style == "absorb" else "per_page"

    def next_page(response):
        if style == "absorb":
            body = response.json()
            index = int(body["offset"])
            return {"data": {"_offset": index + 1}} if _has_more(style, body, None, index) else None
        if response.headers.get("LU-Has-Next-Page") != "true":
            return None
        return {"data": {"page": int(response.headers["LU-Current-Page"]) + 1}}

    bench = HttpOperator(
        task_id="bench",
        http_conn_id="lms_bench_http",
        endpoint="api/v1" + ENDPOINTS[style]["path"],
        method="GET",
        data={**_first_params(style), size_param: PAGE_SIZE},
        pagination_function=next_page,
        response_filter=lambda responses: [r for page in responses for r in page.json()[key]],
        log_response=False,
    )

    def extract() -> dict:
        records = bench.execute({})
        with out.open("wb") as handle:
            _write_page(handle, records)
        return {"records": len(records)}

    return _measure(extract, out)


RUNNERS = {
    "ours-seq": _ours(1),
    "ours-conc": _ours(THREADS),
    "requests": _requests_loop,
    "pool": _thread_pool,
    "dlt": _dlt,
    "http-op": _http_operator,
}


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _measure(extract, out: Path | None) -> dict:
    try:  # Linux: writing 5 resets VmHWM, so the peak excludes imports and set-up
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass
    cpu, started = _cpu(), time.perf_counter()
    result = extract()
    result.update(seconds=time.perf_counter() - started, cpu=_cpu() - cpu, peak_rss_mb=status_mb("VmHWM"))
    if out is not None and out.is_file():
        result["sha256"] = hashlib.sha256(out.read_bytes()).hexdigest()[:16]
    return result


def child(name: str, ctx: dict) -> None:
    result = RUNNERS[name](ctx)
    sys.__stdout__.write(MARK + json.dumps({"contender": name, **result}) + "\n")


# ---- the driver ---------------------------------------------------------------------------------


def run_contender(name: str, style: str, server, scratch: Path, index: int) -> dict:
    out = scratch / f"{index}-{name}"
    out.mkdir()
    port = server.httpd.server_address[1]
    ctx = {"url": f"{server.url}/api/v1", "style": style, "out": str(out)}
    home = scratch / "airflow-home"
    home.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW_CONN_LMS_BENCH": json.dumps(
            {"conn_type": "learnupon", "host": f"http://127.0.0.1:{port}", "login": "bench", "password": "x"}
        ),
        "AIRFLOW_CONN_LMS_BENCH_HTTP": json.dumps(
            {"conn_type": "http", "host": "127.0.0.1", "port": port, "schema": "http"}
        ),
        "PYTHONPATH": f"{REPO}{os.pathsep}{HERE}",
        "RUNTIME__LOG_LEVEL": "WARNING",
        "DLT_TELEMETRY_DISABLED": "1",
        "RUNTIME__DLTHUB_TELEMETRY": "false",
    }
    before = server.stats.snapshot()
    done = subprocess.run(
        [sys.executable, __file__, "--child", name, "--context", json.dumps(ctx)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    after = server.stats.snapshot()
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        return {"contender": name, "error": (done.stderr or done.stdout)[-600:]}
    result = json.loads(lines[-1][len(MARK) :])
    result.update(requests=after[0] - before[0], too_many=after[1] - before[1])
    return result


def applicable(name: str, style: str) -> bool:
    return not (name == "pool" and style != "absorb")


def run_scenario(records: int, latency_ms: int, style: str, names: list[str], repeat: int, scratch: Path):
    from lms_server import LmsServer

    runs: dict[str, list[dict]] = {n: [] for n in names if applicable(n, style)}
    order = list(runs)
    with LmsServer(records, latency_ms / 1000) as server:
        for round_ in range(repeat):
            rotated = order[round_ % len(order) :] + order[: round_ % len(order)]
            for name in rotated:
                tag = f"{records}-{latency_ms}-{style}-{round_}"
                result = run_contender(name, style, server, scratch, tag)  # type: ignore[arg-type]
                runs[name].append(result)
                state = result.get("error", "").strip().splitlines()[-1:] if "error" in result else ""
                print(
                    f"    {style:<9} {records:>8} recs {latency_ms:>3} ms  round {round_ + 1}  {name:<9} "
                    + (
                        f"FAILED {state}" if state else f"{result['records'] / result['seconds']:>9.0f} rec/s"
                    ),
                    flush=True,
                )
    return {name: summarise(results, records) for name, results in runs.items()}


def summarise(results: list[dict], expected: int) -> dict:
    ok = [r for r in results if "error" not in r]
    if not ok:
        return {"error": results[0]["error"].strip().splitlines()[-1] if results[0]["error"] else "?"}
    median = {
        key: statistics.median(r[key] for r in ok)
        for key in ("seconds", "cpu", "peak_rss_mb", "requests", "too_many")
    }
    median["records"] = ok[0]["records"]
    median["records_per_s"] = expected / median["seconds"]
    median["complete"] = all(r["records"] == expected for r in ok)
    median["sha256"] = sorted({r.get("sha256", "-") for r in ok})
    median["runs"] = len(ok)
    return median


def table(results: dict) -> str:
    head = (
        f"{'style':<10}{'records':>9}{'lat ms':>7}  {'contender':<10}{'records/s':>10}{'CPU s':>8}"
        f"{'CPU/1k rec':>11}{'peak RSS MB':>12}{'requests':>9}{'429s':>6}  output"
    )
    lines = [head, "-" * len(head)]
    for (records, latency, style), by_name in results.items():
        for name, r in by_name.items():
            prefix = f"{style:<10}{records:>9}{latency:>7}  {name:<10}"
            if "error" in r:
                lines.append(prefix + f"failed: {r['error'][:80]}")
                continue
            note = "" if r["complete"] else f"  ({r['records']} records!)"
            lines.append(
                prefix
                + f"{r['records_per_s']:>10.0f}{r['cpu']:>8.2f}{1000 * r['cpu'] / records:>11.3f}"
                + f"{r['peak_rss_mb']:>12.1f}{r['requests']:>9.0f}{r['too_many']:>6.0f}  "
                + ",".join(r["sha256"])
                + note
            )
    return "\n".join(lines)


def ratios(results: dict, sizes: dict[int, int]) -> dict:
    """Ours against each contender: records/s ratios (> 1: ours is faster), CPU and RSS ratios."""
    out: dict = {}
    for (records, latency, style), by_name in results.items():
        if records != sizes[latency]:
            continue
        ours_name = "ours-conc" if "ours-conc" in by_name else "ours-seq"
        ours = by_name.get(ours_name, {})
        if "error" in ours or not ours:
            continue
        for name, r in by_name.items():
            if name.startswith("ours") or "error" in r:
                continue
            out[f"{style}_{latency}ms_{ours_name}_vs_{name}"] = round(
                ours["records_per_s"] / r["records_per_s"], 3
            )
        if latency == 0:
            loop = by_name.get("requests", {})
            for mine in ("ours-seq", "ours-conc"):
                if mine in by_name and "error" not in by_name[mine] and loop and "error" not in loop:
                    out[f"{style}_0ms_{mine}_cpu_vs_requests"] = round(by_name[mine]["cpu"] / loop["cpu"], 3)
    rss = {}
    for (records, latency, style), by_name in results.items():
        r = by_name.get("ours-seq", {})
        if latency == 0 and r and "error" not in r:
            rss.setdefault(style, {})[records] = r["peak_rss_mb"]
    for style, by_size in rss.items():
        if len(by_size) > 1:
            low, high = (100000 if 100000 in by_size else min(by_size)), max(by_size)
            out[f"{style}_ours-seq_rss_{high}_vs_{low}"] = round(by_size[high] / by_size[low], 3)
    return out


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
    return f"{os.cpu_count()} CPUs ({model or platform.machine()}), load {load}, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: minutes, not an hour")
    parser.add_argument("--records", help="comma-separated sizes at 0 ms (default 100000,1000000)")
    parser.add_argument("--latency-records", type=int, help="records at 100 ms (default 100000)")
    parser.add_argument("--latencies", default="0,100", help="milliseconds per request")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; figures are medians")
    parser.add_argument(
        "--memory-sizes",
        help="sizes at which ours-seq alone runs once at 0 ms for the RSS ratio (--quick: 100000,1000000)",
    )
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument("--styles", default=",".join(STYLES))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--context", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, json.loads(args.context))
        return 0
    sys.path.insert(0, str(HERE))
    from lms_server import Pages

    names = [n for n in args.contenders.split(",") if n]
    styles = [s for s in args.styles.split(",") if s]
    latencies = [int(x) for x in args.latencies.split(",") if x]
    if args.quick:
        sizes0 = [int(x) for x in (args.records or "20000").split(",")]
        size100 = args.latency_records or 20000
    else:
        sizes0 = [int(x) for x in (args.records or "100000,1000000").split(",")]
        size100 = args.latency_records or 100000
    print(f"Machine: {machine()}")
    print(
        f"Records of {Pages(1).record_bytes():.0f} bytes on average, {PAGE_SIZE} a page, {THREADS} threads\n"
    )
    scenarios = []
    for latency in latencies:
        for records in sizes0 if latency == 0 else [size100]:
            for style in styles:
                scenarios.append((records, latency, style))
    results: dict = {}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lms-peer-bench-") as scratch:
        for records, latency, style in scenarios:
            results[(records, latency, style)] = run_scenario(
                records, latency, style, names, args.repeat, Path(scratch)
            )
        memory_sizes = args.memory_sizes or ("100000,1000000" if args.quick else "")
        if 0 in latencies:
            for records in [int(x) for x in memory_sizes.split(",") if x]:  # RSS: ours, one round
                if (records, 0, "absorb") in results:  # measured already, with every contender
                    continue
                results[(records, 0, "absorb")] = run_scenario(
                    records, 0, "absorb", ["ours-seq"], 1, Path(scratch)
                )
    print(f"\n{table(results)}\n\n(took {time.monotonic() - started:.0f} s)")
    sizes = {latency: (min(sizes0) if latency == 0 else size100) for latency in latencies}
    print(json.dumps({"ratios": ratios(results, sizes)}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
