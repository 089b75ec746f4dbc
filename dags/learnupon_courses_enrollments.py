"""LearnUpon: courses -> enrollments updated in the data interval, fanned out over course batches.

Daily over real data intervals (CronDataIntervalTimetable), so every run extracts a distinct
[start, end) window and backfills never overlap. Each batch of courses is one mapped task writing
its own file; re-running a window rewrites the same files with the same bytes, and the commit
task's manifest (written last) lists exactly them: stale batches of an earlier, wider run go.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_provider_lms.assets import lms_asset
from airflow_provider_lms.chaining import batched_parameters, read_field
from airflow_provider_lms.operators.extract import LmsExtractOperator
from airflow_provider_lms.partitions import LmsCommitPartitionOperator

OUTPUT = "{{ var.value.get('lms_output_root', 'file:///tmp/lms-output') }}/learnupon"
PARTITION = OUTPUT + "/enrollments/{{ data_interval_start | ds }}"
COURSE_BATCH_SIZE = 10


@dag(
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.datetime(2026, 10, 1, tz="UTC"),
    catchup=False,
    max_active_runs=4,
    tags=["lms", "learnupon", "example"],
)
def learnupon_courses_enrollments():
    courses = LmsExtractOperator(
        task_id="courses",
        conn_id="learnupon_default",
        endpoint="courses",
        destination=OUTPUT + "/courses/{{ data_interval_start | ds }}.jsonl",
    )

    @task
    def course_batches(courses_result: dict) -> list[list[dict]]:
        return batched_parameters(read_field(courses_result["uri"], "id"), "course_id", COURSE_BATCH_SIZE)

    enrollments = LmsExtractOperator.partial(
        task_id="enrollments",
        conn_id="learnupon_default",
        endpoint="enrollments",
        destination=PARTITION + "/batch-{{ '%03d' % ti.map_index }}.jsonl",
        asset=False,  # the commit announces the whole partition, once
    ).expand(parameters=course_batches(courses.output))
    # Manifest last; stale batch files of an earlier run of this window are removed.
    LmsCommitPartitionOperator(
        task_id="commit_enrollments",
        partition=PARTITION,
        extracts=enrollments.output,
        asset=lms_asset("learnupon_default", "enrollments"),
    )


learnupon_courses_enrollments()
