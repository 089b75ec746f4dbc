"""NexPort Campus: organizations -> enrollments of each organization in the data interval.

Daily over real data intervals (CronDataIntervalTimetable), so every run extracts a distinct
[start, end) window of enrollment dates and backfills never overlap. One mapped task per
organization searches its enrollments (SearchEnrollments, ``org_ids``) and writes its own file;
re-running a window rewrites the same files with the same bytes.

To filter on completion or last activity instead, add ``"date_field": "completed"`` (or
``"last_activity"``) to the parameters. With many organizations, raise ORGS_PER_TASK: each mapped
task then runs one search per organization into its file.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_provider_lms.assets import lms_asset
from airflow_provider_lms.chaining import batched_parameters, read_field
from airflow_provider_lms.operators.extract import LmsExtractOperator
from airflow_provider_lms.partitions import LmsCommitPartitionOperator

OUTPUT = "{{ var.value.get('lms_output_root', 'file:///tmp/lms-output') }}/nexport"
PARTITION = OUTPUT + "/enrollments/{{ data_interval_start | ds }}"
ORGS_PER_TASK = 1


@dag(
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.datetime(2026, 10, 1, tz="UTC"),
    catchup=False,
    max_active_runs=4,
    tags=["lms", "nexport", "example"],
)
def nexport_organizations_enrollments():
    organizations = LmsExtractOperator(
        task_id="organizations",
        conn_id="nexport_default",
        endpoint="organizations",
        destination=OUTPUT + "/organizations/{{ data_interval_start | ds }}.jsonl",
    )

    @task
    def organization_batches(organizations_result: dict) -> list[list[dict]]:
        return batched_parameters(read_field(organizations_result["uri"], "org_id"), "org_ids", ORGS_PER_TASK)

    enrollments = LmsExtractOperator.partial(
        task_id="search_enrollments",
        conn_id="nexport_default",
        endpoint="search_enrollments",
        destination=PARTITION + "/batch-{{ '%03d' % ti.map_index }}.jsonl",
        asset=False,  # the commit announces the whole partition
    ).expand(parameters=organization_batches(organizations.output))
    # Manifest last; batch files of an earlier run with more organizations are removed.
    LmsCommitPartitionOperator(
        task_id="commit_enrollments",
        partition=PARTITION,
        extracts=enrollments.output,
        asset=lms_asset("nexport_default", "search_enrollments"),
    )


nexport_organizations_enrollments()
