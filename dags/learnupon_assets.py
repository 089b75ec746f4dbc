"""LearnUpon: react to "new enrollments landed" instead of guessing when the extract finishes.

Every LmsExtractOperator updates the asset ``lms://<conn_id>/<endpoint>``; the enrollments extract of
``learnupon_courses_enrollments`` updates ``lms://learnupon_default/enrollments`` once per mapped
batch. This DAG is scheduled on that asset: the scheduler starts a run after new events arrive and
hands it every event since the previous run. Each event's extra names the file it wrote
(``uri``), how many records it holds and the window it covers, so the run reads exactly those files.
"""

from __future__ import annotations

from collections import Counter

import pendulum
from airflow.sdk import dag, task

from airflow_provider_lms.assets import lms_asset
from airflow_provider_lms.chaining import iter_output

ENROLLMENTS = lms_asset("learnupon_default", "enrollments")


@dag(
    schedule=[ENROLLMENTS],
    start_date=pendulum.datetime(2026, 10, 1, tz="UTC"),
    catchup=False,
    tags=["lms", "learnupon", "example", "assets"],
)
def learnupon_enrollments_landed():
    @task
    def landed_files(triggering_asset_events=None) -> list[dict]:
        """The files the triggering extracts wrote, from the events' extras."""
        events = triggering_asset_events[ENROLLMENTS] if triggering_asset_events else []
        return [
            {"uri": e.extra["uri"], "records": e.extra["records"], "window": e.extra["window"]}
            for e in events
            if e.extra.get("uri")
        ]

    @task(multiple_outputs=False)  # one summary XCom, not one per key
    def status_counts(files: list[dict]) -> dict:
        """Enrollments per status over the landed files: a stand-in for a warehouse load."""
        counts: Counter[str] = Counter()
        for landed in files:
            counts.update(record["enrollment_status"] for record in iter_output(landed["uri"]))
        return {
            "files": len(files),
            "records": sum(counts.values()),
            "by_status": dict(sorted(counts.items())),
        }

    status_counts(landed_files())


learnupon_enrollments_landed()
