"""LearnUpon: courses -> enrollments updated in the data interval, fanned out over course batches.

Daily over real data intervals (CronDataIntervalTimetable), so every run extracts a distinct
[start, end) window and backfills never overlap. Each batch of courses is one mapped task writing
its own file; re-running a window rewrites the same files with the same bytes.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_provider_lms.chaining import batched_parameters, read_field
from airflow_provider_lms.operators.extract import LmsExtractOperator

OUTPUT = "{{ var.value.get('lms_output_root', 'file:///tmp/lms-output') }}/learnupon"
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

    LmsExtractOperator.partial(
        task_id="enrollments",
        conn_id="learnupon_default",
        endpoint="enrollments",
        destination=OUTPUT
        + "/enrollments/{{ data_interval_start | ds }}/batch-{{ '%03d' % ti.map_index }}.jsonl",
    ).expand(parameters=course_batches(courses.output))


learnupon_courses_enrollments()
