"""Airflow Assets for LMS extracts: one static asset per connection and endpoint.

A destination is usually templated (``.../enrollments/{{ ds }}.jsonl``), so it cannot be an asset URI
when the DAG is parsed. Each extract therefore updates a stable asset named after what it reads,
``lms://<conn_id>/<endpoint>``, and every asset event carries the run's specifics in its extra:
``{"uri": <rendered destination>, "records": n, "pages": n, "window": {"start", "end"}}``.

    from airflow_provider_lms.assets import lms_asset

    @dag(schedule=[lms_asset("my_lms", "enrollments")])
    def load_enrollments(): ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from airflow.sdk import Asset

from airflow_provider_lms.exceptions import LmsConfigError

ASSET_GROUP = "lms"
SCHEME = "lms"


def _is_templated(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def endpoint_key(endpoint: Any) -> str | None:
    """The endpoint part of the asset URI, or None when it is only known at run time (templated).

    ``"enrollments"`` -> ``enrollments``; ``"/reports/x"`` -> ``reports/x``; a dict spec -> its
    ``name``, else its ``path``.
    """
    if isinstance(endpoint, Mapping):
        endpoint = endpoint.get("name") or endpoint.get("path")
    if not isinstance(endpoint, str) or not endpoint.strip() or _is_templated(endpoint):
        return None
    return quote(endpoint.strip().strip("/"), safe="/-_.~")


def lms_asset(conn_id: str, endpoint: Any) -> Asset:
    """The asset an extract of ``endpoint`` from connection ``conn_id`` updates.

    Use it to schedule downstream DAGs: ``schedule=[lms_asset("my_lms", "enrollments")]``.

    :param conn_id: the LMS connection id the extract reads from.
    :param endpoint: the extract's endpoint: a catalog name, ``"/custom/path"`` or a dict spec.
    """
    key = endpoint_key(endpoint)
    if _is_templated(conn_id) or not isinstance(conn_id, str) or not conn_id.strip() or key is None:
        raise LmsConfigError(
            f"no static asset for conn_id={conn_id!r}, endpoint={endpoint!r}: templated values are only "
            "known at run time; pass asset=Asset('...') to the extract instead"
        )
    uri = f"{SCHEME}://{quote(conn_id.strip(), safe='-_.~')}/{key}"
    return Asset(name=uri, uri=uri, group=ASSET_GROUP)


def extract_asset(asset: Asset | str | bool | None, conn_id: Any, endpoint: Any) -> Asset | None:
    """The asset an extract declares as its outlet.

    ``None`` (default): :func:`lms_asset` when ``conn_id`` and ``endpoint`` are static, else none.
    ``False``: none. An :class:`Asset`: that one. A string: ``Asset(name)``.
    """
    if asset is False:
        return None
    if isinstance(asset, Asset):
        return asset
    if isinstance(asset, str):
        return Asset(asset)
    if asset is None or asset is True:
        try:
            return lms_asset(conn_id, endpoint)
        except LmsConfigError:
            if asset is True:
                raise
            return None
    raise LmsConfigError(f"asset must be an Asset, a name, True/False or None, not {type(asset).__name__}")
