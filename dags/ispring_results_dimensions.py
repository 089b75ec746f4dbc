"""iSpring Learn: course results completed in the data interval, with users and departments as
dimensions to join them to.

Daily over real data intervals (CronDataIntervalTimetable), so every run extracts a distinct
[start, end) window of completions and backfills never overlap. Results include blocked users
(the API alone would return active users only); pass ``parameters={"userStatuses": [1]}`` to keep
active users only. Users and departments are full snapshots, one file per run.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag
from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_provider_lms.operators.extract import LmsExtractOperator

OUTPUT = "{{ var.value.get('lms_output_root', 'file:///tmp/lms-output') }}/ispring"
DAY = "{{ data_interval_start | ds }}"


@dag(
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.datetime(2026, 10, 1, tz="UTC"),
    catchup=False,
    max_active_runs=4,
    tags=["lms", "ispring", "example"],
)
def ispring_results_dimensions():
    LmsExtractOperator(
        task_id="learner_results",
        conn_id="ispring_default",
        endpoint="learner_results",  # window on completionDate; date_field picks accessDate/dueDate
        destination=f"{OUTPUT}/learner_results/{DAY}.jsonl",
    )
    for dimension in ("users", "departments"):
        LmsExtractOperator(
            task_id=dimension,
            conn_id="ispring_default",
            endpoint=dimension,
            destination=f"{OUTPUT}/{dimension}/{DAY}.jsonl",
        )


ispring_results_dimensions()
