"""LearnUpon: react to "new enrollments landed" instead of guessing when the extract finishes.

Every LmsExtractOperator updates the asset ``lms://<conn_id>/<endpoint>``; the enrollments extract of
``learnupon_courses_enrollments`` updates ``lms://learnupon_default/enrollments`` once per window,
when its commit task has written the partition's manifest. This DAG is scheduled on that asset: the
scheduler starts a run after new events arrive and hands it every event since the previous run.
Each event's extra names the manifest (``manifest``), how many records the partition holds and the
window it covers; the run reads the records through the manifest, so exactly the files of the
committed run, never a stale batch of an earlier one.
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
        """The partitions the triggering commits wrote (their manifests), from the events' extras."""
        events = triggering_asset_events[ENROLLMENTS] if triggering_asset_events else []
        return [
            {"uri": e.extra["manifest"], "records": e.extra["records"], "window": e.extra["window"]}
            for e in events
            if e.extra.get("manifest")
        ]

    @task(multiple_outputs=False)  # one summary XCom, not one per key
    def status_counts(files: list[dict]) -> dict:
        """Enrollments per status over the landed partitions (read through their manifests): a
        stand-in for a warehouse load."""
        counts: Counter[str] = Counter()
        for landed in files:
            counts.update(record["enrollment_status"] for record in iter_output(landed["uri"]))
        return {
            "partitions": len(files),
            "records": sum(counts.values()),
            "by_status": dict(sorted(counts.items())),
        }

    status_counts(landed_files())


learnupon_enrollments_landed()
