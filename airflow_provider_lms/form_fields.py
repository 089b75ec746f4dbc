"""Declarative connection forms (Airflow 3 ``ui-field-behaviour`` / ``conn-fields``), one per vendor."""

from __future__ import annotations

from typing import Any


def secret_field(label: str, description: str) -> dict[str, Any]:
    """A masked extra field."""
    return {
        "label": label,
        "description": description,
        "schema": {"type": ["string", "null"], "format": "password"},
    }


def text_field(label: str, description: str, **schema: Any) -> dict[str, Any]:
    return {"label": label, "description": description, "schema": {"type": ["string", "null"], **schema}}


def number_field(label: str, description: str) -> dict[str, Any]:
    return {"label": label, "description": description, "schema": {"type": ["integer", "null"]}}


#: The Port field is optional (a port in the Host URL works too). Shown rather than hidden because
#: Airflow 3.3's connection-list Test button sends port 0 for a port-less connection and the API
#: refuses that as "a different destination" (apache/airflow#73298): a stored port avoids it.
PORT_PLACEHOLDER = "443"

#: Extras every LMS connection understands.
COMMON_FIELDS: dict[str, Any] = {
    "timeout": number_field("Read timeout (s)", "Seconds to wait for a response (default 60)."),
    "max_attempts": number_field(
        "Max attempts", "Attempts per request on 429/5xx/network errors (default 6)."
    ),
}
