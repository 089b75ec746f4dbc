"""LearnUpon: the audit trail, one file per day, built for backfills.

Each run extracts the audit events created in its own [data_interval_start, data_interval_end)
window (CronDataIntervalTimetable: daily windows with width) into a file named after the window's
start day, so backfilled runs never overlap and re-running a window rewrites the same bytes.
LearnUpon keeps the audit trail for 30 days only: backfill recent windows (see docs/backfill.md).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag
from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_provider_lms.operators.extract import LmsExtractOperator

OUTPUT = "{{ var.value.get('lms_output_root', 'file:///tmp/lms-output') }}/learnupon"


@dag(
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    # The sandbox keeps audit events for the 30 days before its "today" (2026-11-01).
    start_date=pendulum.datetime(2026, 10, 2, tz="UTC"),
    catchup=False,
    max_active_runs=3,
    tags=["lms", "learnupon", "example"],
)
def learnupon_audit_trails():
    LmsExtractOperator(
        task_id="audit_trails",
        conn_id="learnupon_default",
        endpoint="audit_trails",
        destination=OUTPUT + "/audit_trails/{{ data_interval_start | ds }}.jsonl",
    )


learnupon_audit_trails()
