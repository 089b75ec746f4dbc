"""LmsExtractOperator: one templated, paginated extract from any LMS connection to storage."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from contextlib import closing
from functools import cached_property
from typing import Any

from airflow.sdk import Asset, BaseOperator, Context

from airflow_provider_lms.assets import extract_asset
from airflow_provider_lms.concurrent_pages import concurrency_from, ordered_sets
from airflow_provider_lms.exceptions import LmsConfigError, LmsDataChangedError, LmsError
from airflow_provider_lms.hooks import hook_for_connection
from airflow_provider_lms.hooks.base import EndpointSpec, LmsHook
from airflow_provider_lms.lineage import ExtractFacts, api_dataset, operator_lineage
from airflow_provider_lms.naive_times import naive_window_note
from airflow_provider_lms.progress import parameter_label, window_label
from airflow_provider_lms.storage import require_filesystem
from airflow_provider_lms.writers import as_storage_path, atomic_output, writer_factory


class LmsExtractOperator(BaseOperator):
    """Extract one endpoint of an LMS API to a file, page by page, atomically.

    The vendor is chosen from the connection's type. Output is JSON Lines (``.jsonl``) or gzipped
    JSON Lines (``.jsonl.gz``); a failed run leaves the previous file (or none), never a partial one.

    :param conn_id: an LMS connection (any connection type of this provider). (templated)
    :param endpoint: a catalog name (``"enrollments"``), a custom ``"/path"``, or a dict spec with
        ``name`` (to override a catalog entry) or ``path``, and optionally ``method``, ``records_path``,
        ``metadata_path``, ``headers``, ``pagination``, ``body``. (templated)
    :param parameters: endpoint parameters such as ``{"exam_id": 7, "page_size": 100}``; a list of
        such dicts runs the endpoint once per dict into the same file (for mapped batches). (templated)
    :param window_start: start of the date window, inclusive (default ``{{ data_interval_start }}``). (templated)
    :param window_end: end of the date window, exclusive (default ``{{ data_interval_end }}``). (templated)
        A window end without a timezone (``"2026-10-20"``, a naive ``datetime``) is taken as UTC, and
        the task logs one warning naming it.
    :param destination: where to write, an ObjectStoragePath URI such as
        ``file:///data/lms/{{ ds }}/users.jsonl``, ``s3://bucket/users.jsonl.gz`` or
        ``.../users.parquet`` (needs the ``parquet`` extra). (templated)
    :param asset: the Airflow Asset this extract updates (an outlet). By default
        ``lms://<conn_id>/<endpoint>`` (see :func:`airflow_provider_lms.assets.lms_asset`) when both are
        static; an ``Asset`` or a name to choose another; ``False`` for none. Each event's extra holds
        ``uri``, ``records``, ``pages`` and ``window`` of the run.
    :param max_concurrency: most requests in flight at once (default: the connection extra
        ``max_concurrency``, else the vendor's default). Where page 1 declares the page count
        (a total of pages or records), later pages are fetched that many at a time;
        a list of ``parameters`` runs that many sets at a time. The file is the same, byte for byte,
        as with ``max_concurrency=1`` (strictly sequential); vendor rate limits still hold.
    :return: ``{"uri", "records", "pages", "duplicates_skipped", "window_start", "window_end"}``
        (never the records). ``duplicates_skipped`` counts records left out because the page before
        already held them (rows inserted while paging shift offsets).

    When the vendor declares a total and it changes while paging, or the records read do not add
    up to it, the whole extract is discarded and read again once from page 1; a second mismatch
    fails the task with the destination untouched.
    """

    #: Restarts after the source changed mid-extract (see LmsDataChangedError) before failing.
    restarts_on_change = 1

    template_fields: Sequence[str] = (
        "conn_id",
        "endpoint",
        "parameters",
        "window_start",
        "window_end",
        "destination",
    )
    template_fields_renderers = {"parameters": "json", "endpoint": "json"}
    ui_color = "#e8f4ea"

    def __init__(
        self,
        *,
        conn_id: str,
        endpoint: EndpointSpec,
        destination: str,
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        window_start: Any = "{{ data_interval_start }}",
        window_end: Any = "{{ data_interval_end }}",
        asset: Asset | str | bool | None = None,
        max_concurrency: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if max_concurrency is not None:  # a typo fails when the DAG is parsed, not at run time
            concurrency_from(max_concurrency, "LmsExtractOperator", 1)
        self.max_concurrency = max_concurrency
        self.conn_id, self.endpoint, self.destination = conn_id, endpoint, destination
        self.parameters, self.window_start, self.window_end = parameters, window_start, window_end
        self.asset = asset
        declared = extract_asset(asset, conn_id, endpoint)
        if declared is not None and declared not in self.outlets:
            self.outlets.append(declared)

    @classmethod
    def partial(cls, **kwargs: Any):  # type: ignore[override]
        """As ``BaseOperator.partial``, declaring the extract's asset so mapped tasks update it too."""
        declared = extract_asset(kwargs.get("asset"), kwargs.get("conn_id"), kwargs.get("endpoint"))
        if declared is not None:
            outlets = kwargs.get("outlets") or []
            outlets = list(outlets) if isinstance(outlets, (list, tuple)) else [outlets]
            kwargs["outlets"] = outlets if declared in outlets else [*outlets, declared]
        return super().partial(**kwargs)

    @cached_property
    def hook(self) -> LmsHook:
        if self.max_concurrency is None:
            return hook_for_connection(self.conn_id)
        return hook_for_connection(self.conn_id, max_concurrency=self.max_concurrency)

    def parameter_sets(self) -> list[Mapping[str, Any]]:
        if self.parameters is None:
            return [{}]
        if isinstance(self.parameters, Mapping):
            return [self.parameters]
        if isinstance(self.parameters, (list, tuple)) and all(
            isinstance(p, Mapping) for p in self.parameters
        ):
            return list(self.parameters)
        raise LmsConfigError(
            f"parameters must be a dict or a list of dicts, not {type(self.parameters).__name__}"
        )

    def execute(self, context: Context) -> dict[str, Any]:
        require_filesystem(self.destination)  # s3:// without the s3 extra: one clear error, first
        as_storage_path(self.destination)  # an unusable destination fails before any request
        writer_factory(self.destination)
        note = naive_window_note(self.window_start, self.window_end)
        if note:
            self.log.warning(note)
        plans = [
            self.hook.plan(self.endpoint, params, self.window_start, self.window_end)
            for params in self.parameter_sets()
        ]
        window = plans[0].window
        facts = self._lineage_facts(plans[0].endpoint)
        started = time.monotonic()
        for attempt in range(self.restarts_on_change + 1):
            try:
                writer, pages, skipped = self._extract(plans, facts)
                break
            except LmsDataChangedError as exc:
                if attempt == self.restarts_on_change:
                    raise LmsDataChangedError(
                        f"{exc}. It changed again after {attempt} restart(s): the task fails and the "
                        "destination is left as it was"
                    ) from None
                # Nothing reached the destination: the partial file was discarded with the error.
                self.log.warning(
                    "The source changed while paging; reading the extract again from page 1: %s", exc
                )
        elapsed = time.monotonic() - started
        name = plans[0].endpoint.name
        start, end = window.as_strings() if window else (None, None)
        self.log.info(
            "Extracted %d records in %d pages%s from %s %s, %s, to %s in %.1f s (%.0f records/s)",
            writer.count,
            pages,
            f" ({len(plans)} parameter sets)" if len(plans) > 1 else "",
            self.hook.conn_type,
            name,
            window_label(start, end),
            self.destination,
            elapsed,
            writer.count / max(elapsed, 1e-6),
        )
        facts.records, facts.pages, facts.window_start, facts.window_end = writer.count, pages, start, end
        self._extract_facts = facts
        self._describe_asset_events(context, writer.count, pages, start, end)
        if skipped:
            self.log.warning(
                "Skipped %d record(s) already read on the page before (rows were inserted while paging)",
                skipped,
            )
        return {
            "uri": str(self.destination),
            "records": writer.count,
            "pages": pages,
            "duplicates_skipped": skipped,
            "window_start": start,
            "window_end": end,
        }

    def _extract(self, plans: list[Any], facts: ExtractFacts) -> tuple[Any, int, int]:
        """One attempt: every plan's pages into one atomic output; (writer, pages, skipped)."""
        pages = skipped = 0
        width = self.hook.max_concurrency if len(plans) > 1 else 1
        if width > 1:  # made once here, not raced for by the sets' threads
            self.hook.transport  # noqa: B018
            self.hook.page_limit  # noqa: B018
        with (
            atomic_output(self.destination) as writer,
            # Sets run up to max_concurrency at a time; their pages arrive in set order.
            closing(
                ordered_sets(len(plans), lambda i: self.hook.iter_pages(plans[i]), width)
            ) as pages_in_order,
        ):
            current, before, set_pages, started = 0, 0, 0, time.monotonic()
            for index, page in pages_in_order:
                if index != current:
                    self._log_set(plans, current, writer.count - before, set_pages, started)
                    current, before, set_pages, started = index, writer.count, 0, time.monotonic()
                writer.write(page.records)
                facts.fields.observe(page.records)
                set_pages += 1
                pages += 1
                skipped += page.skipped
            for index in range(current, len(plans)):  # the last set, and any that had no pages
                self._log_set(plans, index, writer.count - before, set_pages, started)
                before, set_pages, started = writer.count, 0, time.monotonic()
        return writer, pages, skipped

    def _log_set(self, plans: list[Any], index: int, records: int, set_pages: int, started: float) -> None:
        if len(plans) > 1:  # one line per parameter set; the total follows in execute()
            self.log.info(
                "Parameter set %d/%d (%s): %d records in %d pages in %.1f s",
                index + 1,
                len(plans),
                parameter_label(plans[index].parameters, self.hook.redactor) or "no parameters",
                records,
                set_pages,
                time.monotonic() - started,
            )

    def _describe_asset_events(
        self, context: Context, records: int, pages: int, start: str | None, end: str | None
    ) -> None:
        # The destination is only known once rendered: each asset event carries it in its extra.
        extra = {
            "uri": self.hook.redactor.url(str(self.destination)),
            "records": records,
            "pages": pages,
            "window": {"start": start, "end": end} if start or end else None,
        }
        events = context.get("outlet_events")
        if events is None:
            return
        for outlet in self.outlets:
            if isinstance(outlet, Asset):
                events[outlet].extra.update(extra)

    # ---- lineage (OpenLineage imports stay inside airflow_provider_lms.lineage's functions) ----

    def _lineage_facts(self, endpoint) -> ExtractFacts:
        namespace, name = api_dataset(self.hook, endpoint)
        return ExtractFacts(self.hook.conn_type, endpoint.name, namespace, name, str(self.destination))

    def get_openlineage_facets_on_start(self):
        """OpenLineage at task start: the endpoint it reads and the file it writes."""
        try:
            endpoint = self.hook.resolve(self.endpoint)
            input_dataset = api_dataset(self.hook, endpoint)
            name, conn_type = endpoint.name, self.hook.conn_type
        except LmsError:  # the task itself will report the problem; lineage stays quiet
            input_dataset, name, conn_type = None, str(self.endpoint), ""
        try:
            as_storage_path(self.destination)
            output = str(self.destination)
        except LmsError:
            output = None
        return operator_lineage(
            input_dataset=input_dataset, output_uri=output, conn_type=conn_type, endpoint=name
        )

    def get_openlineage_facets_on_complete(self, task_instance):
        """OpenLineage at success: as on start, plus the fields seen and records, pages and window."""
        facts: ExtractFacts | None = getattr(self, "_extract_facts", None)
        if facts is None:
            return self.get_openlineage_facets_on_start()
        return operator_lineage(
            input_dataset=(facts.input_namespace, facts.input_name),
            output_uri=facts.output_uri,
            conn_type=facts.conn_type,
            endpoint=facts.endpoint,
            facts=facts,
        )
