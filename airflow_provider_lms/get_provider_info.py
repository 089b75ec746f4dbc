"""Provider registration, read by Airflow through the ``apache_airflow_provider`` entry point.

The connection forms are plain data (``forms/<vendor>.py``) so the UI can build them without
importing any hook.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from airflow_provider_lms import __version__

VENDORS = ("learnupon", "absorb", "nexport", "ispring", "learnworlds")


def connection_forms() -> list[dict[str, Any]]:
    return [import_module(f"airflow_provider_lms.forms.{vendor}").CONNECTION_TYPE for vendor in VENDORS]


def get_provider_info() -> dict[str, Any]:
    forms = connection_forms()
    return {
        "package-name": "airflow-provider-lms",
        "name": "LMS (Learning Management Systems)",
        "description": "Extract users, courses, enrollments, exam results and more from "
        "LearnUpon, Absorb, NexPort Campus, iSpring Learn and LearnWorlds.",
        "versions": [__version__],
        "connection-types": [
            {
                k: form[k]
                for k in (
                    "connection-type",
                    "hook-class-name",
                    "hook-name",
                    "ui-field-behaviour",
                    "conn-fields",
                )
                if k in form
            }
            for form in forms
        ],
        "operators": [
            {"integration-name": "LMS", "python-modules": ["airflow_provider_lms.operators.extract"]}
        ],
        "hooks": [
            {
                "integration-name": "LMS",
                "python-modules": [f"airflow_provider_lms.hooks.{v}" for v in VENDORS],
            }
        ],
    }
