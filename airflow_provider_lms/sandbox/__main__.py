"""Serve the vendor twins on 127.0.0.1 until interrupted.

    python -m airflow_provider_lms.sandbox --port 8900 --fault-rate 0.05

Prints one ``export AIRFLOW_CONN_<VENDOR>_DEFAULT='...'`` line per twin, ready to paste into a shell.
With ``--connections-file`` it also writes them as a JSON file for Airflow's
``LocalFilesystemBackend`` once every twin serves (what docker-compose.yaml reads), naming the host
``--advertise-host`` (the compose service name) instead of the bound address.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from airflow_provider_lms.sandbox import port_offsets, start_twin, twins


def main(argv: list[str] | None = None) -> int:
    TWINS, PORT_OFFSETS = twins(), port_offsets()  # noqa: N806 (found when run, not at import)
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
    parser.add_argument(
        "--advertise-host", default=None, help="host name the connections use (default: --host)"
    )
    parser.add_argument(
        "--connections-file",
        default=None,
        help="also write the connections here (LocalFilesystemBackend JSON)",
    )
    args = parser.parse_args(argv)
    vendors = [v.strip() for v in args.vendors.split(",") if v.strip()]
    unknown = [v for v in vendors if v not in TWINS]
    if unknown:
        parser.error(f"unknown vendors {unknown}; available: {sorted(TWINS)}")
    running = []
    connections: dict[str, dict[str, Any]] = {}
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
        connection = twin.connection()
        if args.advertise_host:
            connection["host"] = twin.url.replace(f"//{args.host}:", f"//{args.advertise_host}:", 1)
        connections[f"{vendor}_default"] = connection
        print(f"export AIRFLOW_CONN_{vendor.upper()}_DEFAULT='{json.dumps(connection)}'", flush=True)
    if args.connections_file:
        write_connections_file(Path(args.connections_file), connections)
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


def write_connections_file(path: Path, connections: dict[str, dict[str, Any]]) -> None:
    """The connections as Airflow's LocalFilesystemBackend reads them, written atomically."""
    entries = {}
    for conn_id, connection in connections.items():
        entry = dict(connection)
        if isinstance(entry.get("extra"), dict):
            entry["extra_dejson"] = entry.pop("extra")
        entries[conn_id] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w") as file:
        json.dump(entries, file, indent=2, sort_keys=True)
    os.chmod(temporary, 0o644)  # the Airflow containers run as another user
    os.replace(temporary, path)


if __name__ == "__main__":
    sys.exit(main())
