"""Provider registration, read by Airflow through the ``apache_airflow_provider`` entry point.

Everything vendor-specific comes from the vendor descriptors (:mod:`airflow_provider_lms.vendors`):
the connection forms are plain data (``vendors/<name>/form.py``), so the UI builds them without
importing any hook.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_lms import __version__
from airflow_provider_lms.vendors import vendors


def _vendor_names() -> str:
    names = [v.hook_name for v in vendors()]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-provider-lms",
        "name": "LMS (Learning Management Systems)",
        "description": f"Extract users, courses, enrollments, exam results and more from {_vendor_names()}.",
        "versions": [__version__],
        "connection-types": [v.connection_type() for v in vendors()],
        "operators": [
            {"integration-name": "LMS", "python-modules": ["airflow_provider_lms.operators.extract"]}
        ],
        "hooks": [
            {
                "integration-name": "LMS",
                "python-modules": [v.hook_module for v in vendors()],
            }
        ],
    }
