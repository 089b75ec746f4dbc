"""Absorb: users edited in the data interval -> all their enrollments, and courses -> the course
enrollments edited in the interval, both fanned out over batches of ids.

Daily over real data intervals (CronDataIntervalTimetable): windowed extracts map the interval
onto Absorb's OData ``_filter`` (``dateEdited ge ... and dateEdited lt ...``). Every mapped task
runs in its own process; they share one API token through the worker's token cache, because a
new Absorb ``/authenticate`` would log the others out (see docs/absorb.md).

Each window's batch files form a partition committed by a manifest written last
(``commit_*`` tasks): re-running a window with fewer batches leaves exactly the new files.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_provider_lms.assets import lms_asset
from airflow_provider_lms.chaining import batched_parameters, read_field
from airflow_provider_lms.operators.extract import LmsExtractOperator
from airflow_provider_lms.partitions import LmsCommitPartitionOperator

CONN_ID = "absorb_default"
OUTPUT = "{{ var.value.get('lms_output_root', 'file:///tmp/lms-output') }}/absorb"
DAY = "{{ data_interval_start | ds }}"
BATCH = "batch-{{ '%03d' % ti.map_index }}.jsonl"
USER_BATCH_SIZE = 25
COURSE_BATCH_SIZE = 5


@dag(
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.datetime(2026, 10, 1, tz="UTC"),
    catchup=False,
    max_active_runs=4,
    tags=["lms", "absorb", "example"],
)
def absorb_users_courses_enrollments():
    # Users whose profile changed in the interval: re-read every enrollment they have.
    users = LmsExtractOperator(
        task_id="users_edited",
        conn_id=CONN_ID,
        endpoint="users",
        destination=f"{OUTPUT}/users/{DAY}.jsonl",
    )

    @task
    def user_batches(users_result: dict) -> list[list[dict]]:
        return batched_parameters(read_field(users_result["uri"], "id"), "user_id", USER_BATCH_SIZE)

    user_enrollments = LmsExtractOperator.partial(
        task_id="user_enrollments",
        conn_id=CONN_ID,
        endpoint="user_enrollments",
        window_start=None,  # all enrollments of those users, whenever edited
        window_end=None,
        destination=f"{OUTPUT}/user_enrollments/{DAY}/{BATCH}",
        asset=False,  # the commit below announces the whole partition
    ).expand(parameters=user_batches(users.output))
    LmsCommitPartitionOperator(
        task_id="commit_user_enrollments",
        partition=f"{OUTPUT}/user_enrollments/{DAY}",
        extracts=user_enrollments.output,
        asset=lms_asset(CONN_ID, "user_enrollments"),
    )

    # Every course, then the enrollments edited in the interval, course by course.
    courses = LmsExtractOperator(
        task_id="courses",
        conn_id=CONN_ID,
        endpoint="courses",
        window_start=None,
        window_end=None,
        destination=f"{OUTPUT}/courses/{DAY}.jsonl",
    )

    @task
    def course_batches(courses_result: dict) -> list[list[dict]]:
        return batched_parameters(read_field(courses_result["uri"], "id"), "course_id", COURSE_BATCH_SIZE)

    course_enrollments = LmsExtractOperator.partial(
        task_id="course_enrollments",
        conn_id=CONN_ID,
        endpoint="course_enrollments",
        destination=f"{OUTPUT}/course_enrollments/{DAY}/{BATCH}",
        asset=False,
    ).expand(parameters=course_batches(courses.output))
    LmsCommitPartitionOperator(
        task_id="commit_course_enrollments",
        partition=f"{OUTPUT}/course_enrollments/{DAY}",
        extracts=course_enrollments.output,
        asset=lms_asset(CONN_ID, "course_enrollments"),
    )


absorb_users_courses_enrollments()
