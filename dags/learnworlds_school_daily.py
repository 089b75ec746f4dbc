"""LearnWorlds: courses -> enrolled users and grades per course (mapped in batches), and the day's
event log, all under one Airflow pool so the school's 30 requests / 10 s budget is shared.

LearnWorlds reads enrollments one course at a time, so a school with hundreds of courses means
hundreds of calls. Each hook paces itself to the connection's rate limit, but two tasks running at
once would each spend the full budget: every LearnWorlds task here runs in the pool
``learnworlds_default`` (create it with ONE slot, see docs/learnworlds.md), so the mapped batches
run one after another and the school never sees more than its limit.

Daily over real data intervals (CronDataIntervalTimetable): the event log file of a run holds the
events created in its [start, end) window; courses, users and grades are full snapshots. The
batch files of a window form a partition committed by a manifest written last (``commit_*``).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_provider_lms.assets import lms_asset
from airflow_provider_lms.chaining import batched_parameters, read_field
from airflow_provider_lms.operators.extract import LmsExtractOperator
from airflow_provider_lms.partitions import LmsCommitPartitionOperator

CONN_ID = "learnworlds_default"
#: One pool per LearnWorlds connection, one slot: the rate limit is per school, not per task.
POOL = "learnworlds_default"
OUTPUT = "{{ var.value.get('lms_output_root', 'file:///tmp/lms-output') }}/learnworlds"
DAY = "{{ data_interval_start | ds }}"
BATCH = "batch-{{ '%03d' % ti.map_index }}.jsonl"
COURSE_BATCH_SIZE = 25


@dag(
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.datetime(2026, 10, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["lms", "learnworlds", "example"],
)
def learnworlds_school_daily():
    courses = LmsExtractOperator(
        task_id="courses",
        conn_id=CONN_ID,
        endpoint="courses",
        destination=f"{OUTPUT}/courses/{DAY}.jsonl",
        pool=POOL,
    )

    @task
    def course_batches(courses_result: dict) -> list[list[dict]]:
        return batched_parameters(read_field(courses_result["uri"], "id"), "course_id", COURSE_BATCH_SIZE)

    batches = course_batches(courses.output)

    for endpoint in ("course_users", "course_grades"):
        extracts = LmsExtractOperator.partial(
            task_id=endpoint,
            conn_id=CONN_ID,
            endpoint=endpoint,
            destination=f"{OUTPUT}/{endpoint}/{DAY}/{BATCH}",
            pool=POOL,
            pool_slots=1,
            asset=False,  # the commit announces the whole partition
        ).expand(parameters=batches)
        # No API call: outside the pool. Manifest last, then stale batch files of earlier runs go.
        LmsCommitPartitionOperator(
            task_id=f"commit_{endpoint}",
            partition=f"{OUTPUT}/{endpoint}/{DAY}",
            extracts=extracts.output,
            asset=lms_asset(CONN_ID, endpoint),
        )

    LmsExtractOperator(
        task_id="event_logs",
        conn_id=CONN_ID,
        endpoint="event_logs",
        destination=f"{OUTPUT}/event_logs/{DAY}.jsonl",
        pool=POOL,
    )


learnworlds_school_daily()
