"""Vendor hooks. :func:`hook_for_connection` picks the hook class from a connection's type."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from airflow_provider_lms.connections import get_connection
from airflow_provider_lms.exceptions import LmsConfigError
from airflow_provider_lms.get_provider_info import get_provider_info

if TYPE_CHECKING:
    from airflow_provider_lms.hooks.base import LmsHook


def hook_classes() -> dict[str, str]:
    """Connection type -> hook class path, from the provider info (one source of truth)."""
    return {c["connection-type"]: c["hook-class-name"] for c in get_provider_info()["connection-types"]}


def hook_class_for_type(conn_type: str) -> type[LmsHook]:
    classes = hook_classes()
    if conn_type not in classes:
        raise LmsConfigError(
            f"connection type {conn_type!r} is not an LMS type; use one of {', '.join(sorted(classes))}"
        )
    module, _, name = classes[conn_type].rpartition(".")
    return getattr(import_module(module), name)


def hook_for_connection(conn_id: str, **hook_kwargs: Any) -> LmsHook:
    """The vendor hook for ``conn_id``, chosen by the connection's type."""
    conn = get_connection(conn_id)  # the metadata database too, outside a task
    return hook_class_for_type(conn.conn_type)(conn_id=conn_id, **hook_kwargs)
