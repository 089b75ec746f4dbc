"""Local emulations ("twins") of the vendor APIs, for the demo and the tests.

``python -m airflow_provider_lms.sandbox`` serves every twin on 127.0.0.1; :func:`start_twin`
serves one from Python.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_lms.sandbox.server import FaultPlan, RunningTwin, VendorTwin
from airflow_provider_lms.vendors import vendor as _vendor
from airflow_provider_lms.vendors import vendors


def twins() -> dict[str, str]:
    """vendor -> twin class path, from the vendor descriptors (``vendors/<name>/__init__.py``)."""
    return {v.name: v.twin_class for v in vendors()}


def port_offsets() -> dict[str, int]:
    """Ports of ``python -m airflow_provider_lms.sandbox --port BASE``: BASE + the vendor's offset."""
    return {v.name: v.port_offset for v in vendors()}


#: The same, as found at import.
TWINS: dict[str, str] = twins()
PORT_OFFSETS: dict[str, int] = port_offsets()


def twin_class(vendor: str) -> type[VendorTwin]:
    return _vendor(vendor).load_twin()


def start_twin(
    vendor: str,
    *,
    port: int = 0,
    fault_rate: float = 0.0,
    seed: int = 1,
    outage_after: int | None = None,
    host: str = "127.0.0.1",
    **options: Any,
) -> RunningTwin:
    """Build and serve the ``vendor`` twin on 127.0.0.1 (port 0: any free port). Call ``stop()``.

    ``fault_rate`` answers that share of requests 429/503; ``outage_after`` answers 500 to every
    request after that many (a mid-extract failure).
    """
    faults = FaultPlan(rate=fault_rate, seed=seed, outage_after=outage_after)
    twin = twin_class(vendor)(faults=faults, seed=seed, **options)
    return RunningTwin(twin, port=port, host=host).start()


__all__ = [
    "PORT_OFFSETS",
    "TWINS",
    "FaultPlan",
    "RunningTwin",
    "VendorTwin",
    "port_offsets",
    "start_twin",
    "twin_class",
    "twins",
]
