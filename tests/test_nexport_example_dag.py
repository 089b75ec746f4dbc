"""The NexPort example DAG runs through Airflow (dag.test on SQLite) against the twin, at DEBUG.

The run goes through injected 429/503 retries and must still be exact (every enrollment of every
organization in the data interval, once), and leave no token in a log line, stdout/stderr, an XCom
or a rendered template field. (Re-authentication and failing requests under
DEBUG are proven at hook level in test_nexport_secrets.py.)
"""

from __future__ import annotations

import io
import json
import logging
from urllib.parse import quote, quote_plus

import pendulum
from sqlalchemy import select

from airflow_provider_lms.partitions import read_manifest
from airflow_provider_lms.windows import parse_record_time

DAG_ID = "nexport_organizations_enrollments"


def _read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def _stored_run_artifacts(run_id: str) -> str:
    """XCom values and rendered template fields of the run, as text."""
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        xcoms = session.scalars(
            select(XComModel).where(XComModel.dag_id == DAG_ID, XComModel.run_id == run_id)
        )
        rendered = session.scalars(
            select(RenderedTaskInstanceFields).where(
                RenderedTaskInstanceFields.dag_id == DAG_ID, RenderedTaskInstanceFields.run_id == run_id
            )
        )
        values = [x.value for x in xcoms]
        fields = [r.rendered_fields for r in rendered]
    assert values and fields  # there is something to search
    return json.dumps({"xcom": values, "rendered": fields}, default=str)


def test_organizations_enrollments_dag_with_faults_at_debug(twin_factory, connect, run_dag, caplog, capfd):
    running = twin_factory("nexport", fault_rate=0.05, seed=57)  # this seed faults within the run
    connect(running, "nexport_default", extra=json.dumps({"max_attempts": 10}))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logging.getLogger().addHandler(handler)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    try:
        run, out = run_dag(DAG_ID, "2026-10-20")
    finally:
        logging.getLogger().removeHandler(handler)
    assert run.state == "success"

    twin = running.twin
    start, end = run.data_interval_start, run.data_interval_end
    assert end - start == pendulum.duration(days=1)
    day = start.strftime("%Y-%m-%d")
    organizations = _read_jsonl(out / f"nexport/organizations/{day}.jsonl")
    assert organizations == [
        {"org_id": o["org_id"], "name": o["name"], "short_name": o["short_name"]}
        for o in sorted(twin.data["organizations"], key=lambda o: o["name"])
    ]
    batches = sorted((out / f"nexport/enrollments/{day}").glob("batch-*.jsonl"))
    assert len(batches) == len(organizations)  # one mapped task per organization
    manifest = read_manifest((out / f"nexport/enrollments/{day}").as_uri())  # the commit's, written last
    assert [f["name"] for f in manifest["files"]] == [b.name for b in batches]
    assert manifest["run_id"] == run.run_id
    got = [r for b in batches for r in _read_jsonl(b)]
    expected = [e for e in twin.data["enrollments"] if start <= parse_record_time(e["enrollment_date"]) < end]
    assert expected and sorted(got, key=lambda e: e["enrollment_id"]) == sorted(
        expected, key=lambda e: e["enrollment_id"]
    )
    for batch, org in zip(batches, organizations, strict=True):  # each file holds its organization only
        assert all(
            twin.data["enrollment_org"][r["enrollment_id"]] == org["org_id"] for r in _read_jsonl(batch)
        )
    assert len(twin.issued_tokens) == len(batches) + 1  # one authentication per extract task
    assert twin.faults.injected > 0

    captured = capfd.readouterr()
    haystack = "\n".join(
        [r.getMessage() for r in caplog.records]
        + [stream.getvalue(), captured.out, captured.err, _stored_run_artifacts(run.run_id)]
    )
    assert "access_token=***" in haystack  # urllib3 logged the URLs, masked
    for token in twin.issued_tokens:
        for form in {token, quote(token, safe=""), quote_plus(token)}:
            assert form not in haystack
    assert twin.password not in haystack
