"""LearnUpon: courses -> exam modules -> exam results and question answers, mapped per batch of exams.

Exam results have no server-side date filter, so each daily run stores a full snapshot of the
results of every exam, named by the run's data interval; re-running a day rewrites the same files,
and the commit tasks' manifests (written last) list exactly them.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_provider_lms.assets import lms_asset
from airflow_provider_lms.chaining import batched_parameters, iter_output
from airflow_provider_lms.operators.extract import LmsExtractOperator
from airflow_provider_lms.partitions import LmsCommitPartitionOperator

OUTPUT = "{{ var.value.get('lms_output_root', 'file:///tmp/lms-output') }}/learnupon"
DAY = "{{ data_interval_start | ds }}"
EXAM_BATCH_SIZE = 5


@dag(
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.datetime(2026, 10, 1, tz="UTC"),
    catchup=False,
    tags=["lms", "learnupon", "example"],
)
def learnupon_exam_results():
    courses = LmsExtractOperator(
        task_id="courses",
        conn_id="learnupon_default",
        endpoint="courses",
        destination=f"{OUTPUT}/exam_courses/{DAY}.jsonl",
    )

    @task
    def exam_batches(courses_result: dict) -> list[list[dict]]:
        """Exam module ids found in the courses' module lists, in batches."""
        exam_ids = [
            module["id"]
            for course in iter_output(courses_result["uri"])
            for module in course.get("modules", [])
            if module.get("type") == "exam"
        ]
        return batched_parameters(sorted(set(exam_ids)), "exam_id", EXAM_BATCH_SIZE)

    batches = exam_batches(courses.output)
    for endpoint in ("exam_results", "exam_question_answers"):
        extracts = LmsExtractOperator.partial(
            task_id=endpoint,
            conn_id="learnupon_default",
            endpoint=endpoint,
            destination=f"{OUTPUT}/{endpoint}/{DAY}/batch-{{{{ '%03d' % ti.map_index }}}}.jsonl",
            asset=False,  # the commit announces the whole partition
        ).expand(parameters=batches)
        # Manifest last; batch files of an earlier run with more exams are removed.
        LmsCommitPartitionOperator(
            task_id=f"commit_{endpoint}",
            partition=f"{OUTPUT}/{endpoint}/{DAY}",
            extracts=extracts.output,
            asset=lms_asset("learnupon_default", endpoint),
        )


learnupon_exam_results()
