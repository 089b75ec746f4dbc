"""Lineage of LMS extracts: OpenLineage facets for the operator, hook lineage for the hooks.

The OpenLineage classes are imported inside the functions that build them, so the provider works
without ``apache-airflow-providers-openlineage`` (the ``openlineage`` extra). What an extract reports:

- input: the vendor API endpoint. Namespace ``<scheme>://<host>[:port]`` of the connection (never its
  credentials), name the endpoint's path under the API root, e.g. ``/api/v1/enrollments/search``
  (path parameters stay as ``{exam_id}``, so every batch of one endpoint is one dataset), with a
  schema facet of the top-level fields seen in the records.
- output: the destination file, named as Airflow's ObjectStoragePath names it: namespace
  ``s3://<bucket>`` (or ``file``), name the key (or the absolute path).
- run facet ``lmsExtract``: records, pages, the window, the connection type and the endpoint.

Hooks add their input to Airflow's hook-lineage collector when they plan an extract, so a hook used
inside a TaskFlow task is seen too.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from airflow_provider_lms.catalog import Endpoint
    from airflow_provider_lms.hooks.base import LmsHook

#: Records whose every value is typed for the schema facet; after these only new field names are added
#: (their type from the first value seen), which keeps the cost per record to a set difference.
TYPED_RECORDS = 1000


def api_dataset(hook: LmsHook, endpoint: Endpoint) -> tuple[str, str]:
    """``(namespace, name)`` of the vendor endpoint: the connection's origin and the endpoint path."""
    base = urlsplit(hook.base_url())
    origin = f"{base.scheme}://{base.hostname or ''}"
    if base.port:
        origin += f":{base.port}"  # userinfo is dropped: lineage never carries credentials
    path = endpoint.path
    if "://" in path:  # an absolute custom URL
        parts = urlsplit(path)
        origin, path = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}", parts.path
    name = "/" + "/".join(p for p in (base.path.strip("/"), path.strip("/")) if p)
    return origin, name


def storage_dataset(destination: str) -> tuple[str, str]:
    """``(namespace, name)`` of a destination, as ObjectStoragePath (and common.io) name it."""
    from airflow_provider_lms.writers import as_storage_path

    path = as_storage_path(destination)
    if path.protocol in ("file", "local", ""):
        return "file", "/" + path.key
    return path.namespace, path.key


def report_hook_input(hook: LmsHook, endpoint: Endpoint) -> None:
    """Add the endpoint to Airflow's hook-lineage collector (a no-op unless a lineage reader is on)."""
    try:
        from airflow.sdk.lineage import get_hook_lineage_collector
    except ImportError:  # pragma: no cover - Airflow without hook lineage
        return
    collector = get_hook_lineage_collector()
    namespace, name = api_dataset(hook, endpoint)
    collector.add_input_asset(context=hook, uri=namespace + name)


_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))


def json_type(value: Any) -> str:
    """The JSON type of a decoded value: boolean, integer, number, string, object, array or null."""
    if value is None:
        return "null"
    for kind, name in _JSON_TYPES:
        if isinstance(value, kind):
            return name
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return "string"  # written with default=str


@dataclass
class FieldsSeen:
    """The top-level fields of the records an extract wrote, in first-seen order, with their types.

    A field whose values disagree gets every type seen, e.g. ``integer|string``; ``null`` only shows
    when a field never had another value.
    """

    types: dict[str, set[str]] = field(default_factory=dict)
    typed: int = 0

    def observe(self, records: Iterable[Mapping[str, Any]]) -> None:
        for record in records:
            if self.typed < TYPED_RECORDS:
                self.typed += 1
                for name, value in record.items():
                    self.types.setdefault(name, set()).add(json_type(value))
            elif not record.keys() <= self.types.keys():  # a subset test builds no set: the common case
                for name in record.keys() - self.types.keys():
                    self.types[name] = {json_type(record[name])}

    def schema(self) -> list[tuple[str, str]]:
        fields = []
        for name, kinds in self.types.items():
            shown = sorted(kinds - {"null"}) or ["null"]
            fields.append((name, "|".join(shown)))
        return fields


@dataclass
class ExtractFacts:
    """What one extract read and wrote: kept by the operator for its ``on_complete`` facets."""

    conn_type: str
    endpoint: str
    input_namespace: str
    input_name: str
    output_uri: str
    records: int = 0
    pages: int = 0
    window_start: str | None = None
    window_end: str | None = None
    fields: FieldsSeen = field(default_factory=FieldsSeen)


@functools.cache
def _run_facet_class():
    import attrs
    from openlineage.client.facet_v2 import RunFacet

    @attrs.define
    class LmsExtractRunFacet(RunFacet):
        """``lmsExtract`` run facet: what one LMS extract did."""

        connType: str
        endpoint: str
        records: int | None = None
        pages: int | None = None
        windowStart: str | None = None
        windowEnd: str | None = None

    return LmsExtractRunFacet


def operator_lineage(
    *,
    input_dataset: tuple[str, str] | None,
    output_uri: str | None,
    conn_type: str,
    endpoint: str,
    facts: ExtractFacts | None = None,
):
    """An ``OperatorLineage``: the endpoint read, the file written and (when done) the run's figures."""
    from airflow.providers.common.compat.openlineage.facet import (
        Dataset,
        SchemaDatasetFacet,
        SchemaDatasetFacetFields,
    )
    from airflow.providers.openlineage.extractors import OperatorLineage

    dataset_facets = {}
    if facts is not None and facts.fields.types:
        dataset_facets["schema"] = SchemaDatasetFacet(
            fields=[SchemaDatasetFacetFields(name=n, type=t) for n, t in facts.fields.schema()]
        )
    inputs = []
    if input_dataset is not None:
        inputs.append(Dataset(namespace=input_dataset[0], name=input_dataset[1], facets=dataset_facets))
    outputs = []
    if output_uri is not None:
        namespace, name = storage_dataset(output_uri)
        outputs.append(Dataset(namespace=namespace, name=name, facets=dict(dataset_facets)))
    figures: dict[str, Any] = {}
    if facts is not None:
        figures = {
            "records": facts.records,
            "pages": facts.pages,
            "windowStart": facts.window_start,
            "windowEnd": facts.window_end,
        }
    run = _run_facet_class()(connType=conn_type, endpoint=endpoint, **figures)
    return OperatorLineage(inputs=inputs, outputs=outputs, run_facets={"lmsExtract": run})
