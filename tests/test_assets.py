"""Assets: extracts declare ``lms://<conn>/<endpoint>`` as outlet, DAG runs emit events with the run's
extra, and the example downstream DAG is scheduled on the enrollments asset."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from airflow.sdk import Asset

from airflow_provider_lms.assets import extract_asset, lms_asset
from airflow_provider_lms.exceptions import LmsConfigError
from airflow_provider_lms.operators.extract import LmsExtractOperator

DAGS = Path(__file__).resolve().parent.parent / "dags"
ENROLLMENTS = Asset(
    name="lms://learnupon_default/enrollments", uri="lms://learnupon_default/enrollments", group="lms"
)


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert not bag.import_errors, bag.import_errors
    return bag


def test_asset_names_follow_connection_and_endpoint():
    assert lms_asset("learnupon_default", "enrollments") == ENROLLMENTS
    assert lms_asset("lu", "/reports/x y").uri == "lms://lu/reports/x%20y"
    assert lms_asset("lu", {"name": "enrollments", "path": "/enrollments"}).uri == "lms://lu/enrollments"
    assert lms_asset("lu", {"path": "/groups", "records_path": "$.groups[*]"}).uri == "lms://lu/groups"
    with pytest.raises(LmsConfigError, match="templated values are only known at run time"):
        lms_asset("{{ params.conn }}", "users")


def test_operator_declares_its_asset_unless_told_otherwise():
    def outlets(**kwargs):
        return LmsExtractOperator(task_id="t", destination="/x/{{ ds }}.jsonl", **kwargs).outlets

    assert outlets(conn_id="learnupon_default", endpoint="enrollments") == [ENROLLMENTS]
    assert outlets(conn_id="{{ params.conn }}", endpoint="users") == []  # known only at run time
    assert outlets(conn_id="lu", endpoint="users", asset=False) == []
    assert outlets(conn_id="lu", endpoint="users", asset="warehouse.users") == [Asset("warehouse.users")]
    mine = Asset("s3://lake/lms/users/")
    assert outlets(conn_id="lu", endpoint="users", outlets=[mine]) == [mine, lms_asset("lu", "users")]
    with pytest.raises(LmsConfigError, match="asset must be"):
        extract_asset(42, "lu", "users")


def test_mapped_extracts_declare_the_asset_at_parse_time(dagbag):
    dag = dagbag.dags["learnupon_courses_enrollments"]
    partial = LmsExtractOperator.partial(
        task_id="t", conn_id="learnupon_default", endpoint="enrollments", destination="/x/{{ ds }}.jsonl"
    )
    assert partial.kwargs["outlets"] == [ENROLLMENTS]
    # The example DAG's batches announce nothing themselves: the partition's commit does, once.
    enrollments = dag.get_task("enrollments")
    assert type(enrollments).__name__ == "MappedOperator" and enrollments.outlets == []
    assert dag.get_task("commit_enrollments").outlets == [ENROLLMENTS]
    assert dag.get_task("courses").outlets == [lms_asset("learnupon_default", "courses")]


def test_downstream_example_dag_is_scheduled_on_the_enrollments_asset(dagbag):
    from airflow.sdk import AssetAll

    dag = dagbag.dags["learnupon_enrollments_landed"]
    assert type(dag.timetable).__name__ == "AssetTriggeredTimetable"
    assert dag.timetable.asset_condition == AssetAll(ENROLLMENTS)


def _set_paused(dag_id: str, paused: bool) -> None:
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session

    with create_session() as session:
        session.get(DagModel, dag_id).is_paused = paused


def _in_window(record, start, end) -> bool:
    return start <= datetime.fromisoformat(record["updated_at"].replace("Z", "+00:00")) < end


def test_dag_run_emits_asset_events_that_queue_the_downstream_dag(twin_factory, connect, run_dag, dagbag):
    from airflow.models.asset import AssetDagRunQueue, AssetEvent, AssetModel
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    twin = twin_factory("learnupon")
    connect(twin, "learnupon_default")
    # The downstream DAG with no events: it runs, finds nothing to read. (This also registers it.)
    idle, _ = run_dag("learnupon_enrollments_landed", "2026-10-20")
    assert idle.state == "success"
    _set_paused("learnupon_enrollments_landed", False)  # paused DAGs are not queued by asset events
    try:
        run, out = run_dag("learnupon_courses_enrollments", "2026-10-20")
        assert run.state == "success"
        start, end = run.data_interval_start, run.data_interval_end
        with create_session() as session:
            events = session.scalars(
                select(AssetEvent).where(AssetEvent.source_run_id == run.run_id).order_by(AssetEvent.id)
            ).all()
            by_asset = {(e.asset.uri, e.source_task_id, e.source_map_index): dict(e.extra) for e in events}
            queued = session.scalars(
                select(AssetDagRunQueue)
                .join(AssetModel, AssetModel.id == AssetDagRunQueue.asset_id)
                .where(AssetModel.uri == ENROLLMENTS.uri)
            ).all()
            queued_dags = {q.target_dag_id for q in queued}
            needing, _ = DagModel.dags_needing_dagruns(session)
            needing_ids = {d.dag_id for d in needing}
    finally:
        _set_paused("learnupon_enrollments_landed", True)

    window = {"start": start.isoformat(), "end": end.isoformat()}
    day = start.strftime("%Y-%m-%d")
    courses = by_asset.pop(("lms://learnupon_default/courses", "courses", -1))
    assert courses == {
        "uri": f"{out.as_uri()}/learnupon/courses/{day}.jsonl",
        "records": len(twin.twin.data["courses"]),
        "pages": 1,
        "window": window,
    }
    # One event for the window's partition, naming its manifest (written last) and its files.
    assert sorted(by_asset) == [("lms://learnupon_default/enrollments", "commit_enrollments", -1)]
    extra = by_asset[("lms://learnupon_default/enrollments", "commit_enrollments", -1)]
    partition = out / f"learnupon/enrollments/{day}"
    assert extra["manifest"] == extra["uri"] == f"{partition.as_uri()}/_manifest.json"
    assert extra["files"] == [f"batch-{i:03d}.jsonl" for i in range(3)]
    assert extra["window"] == window and extra["run_id"] == run.run_id
    assert sorted(p.name for p in partition.iterdir()) == ["_manifest.json", *extra["files"]]
    landed = []
    for name in extra["files"]:
        landed.extend(json.loads(line) for line in (partition / name).read_text().splitlines())
    assert extra["records"] == len(landed)
    expected = [e for e in twin.twin.data["enrollments"] if _in_window(e, start, end)]
    assert expected and sorted(r["id"] for r in landed) == sorted(e["id"] for e in expected)
    # The scheduler's own queue: "new enrollments landed" will start the downstream DAG.
    assert "learnupon_enrollments_landed" in queued_dags and "learnupon_enrollments_landed" in needing_ids

    # The downstream tasks, fed the events the scheduler hands over (their extras name the files).
    downstream = dagbag.dags["learnupon_enrollments_landed"]
    enrollment_events = [e for e in events if e.asset.uri == ENROLLMENTS.uri]
    files = downstream.get_task("landed_files").python_callable(
        triggering_asset_events={ENROLLMENTS: enrollment_events}
    )
    summary = downstream.get_task("status_counts").python_callable(files)
    assert summary == {
        "partitions": 1,
        "records": len(expected),
        "by_status": dict(sorted(Counter(e["enrollment_status"] for e in expected).items())),
    }
