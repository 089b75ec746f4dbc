"""Serve the vendor twins on 127.0.0.1 until interrupted.

    python -m airflow_provider_lms.sandbox --port 8900 --fault-rate 0.05

Prints one ``export AIRFLOW_CONN_<VENDOR>_DEFAULT='...'`` line per twin, ready to paste into a shell.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from airflow_provider_lms.sandbox import PORT_OFFSETS, TWINS, start_twin


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_lms.sandbox",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8900,
        help=f"base port; vendors use base+0..{max(PORT_OFFSETS.values())} (0: any free ports)",
    )
    parser.add_argument(
        "--vendors", default=",".join(TWINS), help=f"comma-separated subset of {','.join(TWINS)}"
    )
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of requests answered 429/503")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every response")
    parser.add_argument("--seed", type=int, default=1, help="dataset seed (same seed, same data)")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (0.0.0.0 only inside a container network)"
    )
    args = parser.parse_args(argv)
    vendors = [v.strip() for v in args.vendors.split(",") if v.strip()]
    unknown = [v for v in vendors if v not in TWINS]
    if unknown:
        parser.error(f"unknown vendors {unknown}; available: {sorted(TWINS)}")
    running = []
    for vendor in vendors:
        port = args.port + PORT_OFFSETS[vendor] if args.port else 0
        twin = start_twin(
            vendor,
            port=port,
            fault_rate=args.fault_rate,
            seed=args.seed,
            latency=args.latency,
            host=args.host,
        )
        running.append(twin)
        print(f"export AIRFLOW_CONN_{vendor.upper()}_DEFAULT='{json.dumps(twin.connection())}'", flush=True)
    print(f"sandbox serving {', '.join(vendors)} on {args.host}; Ctrl-C to stop", file=sys.stderr, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    for twin in running:
        twin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
