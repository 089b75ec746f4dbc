"""Local emulations ("twins") of the vendor APIs, for the demo and the tests.

``python -m airflow_provider_lms.sandbox`` serves every twin on 127.0.0.1; :func:`start_twin`
serves one from Python.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from airflow_provider_lms.sandbox.server import FaultPlan, RunningTwin, VendorTwin

#: vendor -> twin class path. A new vendor adds one line here and one module beside this file.
TWINS: dict[str, str] = {
    "learnupon": "airflow_provider_lms.sandbox.learnupon.LearnUponTwin",
    "ispring": "airflow_provider_lms.sandbox.ispring.IspringTwin",
    "learnworlds": "airflow_provider_lms.sandbox.learnworlds.LearnWorldsTwin",
    "absorb": "airflow_provider_lms.sandbox.absorb.AbsorbTwin",
    "nexport": "airflow_provider_lms.sandbox.nexport.NexPortTwin",
}

#: Default ports of ``python -m airflow_provider_lms.sandbox`` (base port + offset).
PORT_OFFSETS = {"learnupon": 0, "absorb": 1, "nexport": 2, "ispring": 3, "learnworlds": 4}


def twin_class(vendor: str) -> type[VendorTwin]:
    module, _, name = TWINS[vendor].rpartition(".")
    return getattr(import_module(module), name)


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


__all__ = ["TWINS", "FaultPlan", "RunningTwin", "VendorTwin", "start_twin", "twin_class"]
