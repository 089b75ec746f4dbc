"""A real extract to S3: moto's S3-compatible server on loopback, Airflow's ObjectStoragePath with the
Amazon provider's filesystem (the ``s3`` extra), and an Airflow AWS connection pointing at the server.

Checked: the object holds the twin's records, nothing partial is left beside it, a rerun writes the
same bytes, a failed rerun leaves the previous object, and the asset event and lineage name S3.
"""

from __future__ import annotations

import gzip
import json
import socket
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("airflow.providers.amazon", reason="needs the s3 extra (setup.sh installs it)")
boto3 = pytest.importorskip("boto3")

from airflow.sdk import Asset  # noqa: E402

from airflow_provider_lms.exceptions import LmsConfigError, LmsHttpError  # noqa: E402
from airflow_provider_lms.operators.extract import LmsExtractOperator  # noqa: E402
from airflow_provider_lms.storage import require_filesystem  # noqa: E402

BUCKET = "lake"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id="lms-key",
        aws_secret_access_key="lms-secret-key",
        region_name="us-east-1",
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            client.create_bucket(Bucket=BUCKET)
            break
        except Exception:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise
            time.sleep(0.2)
    yield SimpleNamespace(url=url, client=client)
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture
def aws_conn(s3_server, monkeypatch) -> str:
    # Safety net: an S3 client that ignores the connection (Airflow 3.4.0b2's ObjectStoragePath loses
    # the conn_id on .parent) would go to AWS itself. Point the SDK's default at a closed loopback
    # port instead: such a run fails with "connection refused" and never leaves 127.0.0.1.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed}")
    # Airflow registers the providers' filesystems once per process and caches attached stores. In the
    # whole suite the S3 connection was not attached (run alone, it was); start this test from a fresh
    # registry, as a new worker process would.
    from airflow.sdk.io import fs, store

    print(f"s3 filesystem registered before the reset: {fs.has_fs('s3')}")
    fs._register_filesystems.cache_clear()
    store._STORE_CACHE.clear()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    conn = {
        "conn_type": "aws",
        "login": "lms-key",
        "password": "lms-secret-key",
        "extra": {"endpoint_url": s3_server.url, "region_name": "us-east-1"},
    }
    monkeypatch.setenv("AIRFLOW_CONN_AWS_LAKE", json.dumps(conn))
    return "aws_lake"


def _keys(client, prefix: str) -> list[str]:
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def _object(client, key: str) -> bytes:
    return client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


@pytest.mark.slow
def test_extract_to_s3_is_atomic_and_byte_identical_on_rerun(s3_server, aws_conn, twin_factory, connect):
    twin = twin_factory("learnupon")
    conn_id = connect(twin)
    key = "lms/learnupon/users.jsonl.gz"
    destination = f"s3://{aws_conn}@{BUCKET}/{key}"
    asset = Asset(f"s3://{BUCKET}/{key}")

    def extract(**kwargs):
        op = LmsExtractOperator(
            task_id="users",
            conn_id=conn_id,
            endpoint="users",
            destination=destination,
            parameters={"page_size": 40},
            window_start=None,
            window_end=None,
            asset=asset,
            **kwargs,
        )
        events = defaultdict(lambda: SimpleNamespace(extra={}))
        return op, op.execute({"outlet_events": events}), events

    op, result, events = extract()
    assert _keys(s3_server.client, "lms/") == [key]  # no partial object beside it
    first = _object(s3_server.client, key)
    assert [json.loads(line) for line in gzip.decompress(first).splitlines()] == twin.twin.data["users"]
    assert result["records"] == len(twin.twin.data["users"]) and result["pages"] > 1

    # The asset event and the lineage name the S3 object (OpenLineage: namespace s3://bucket, name key).
    assert events[asset].extra["uri"] == destination and events[asset].extra["records"] == result["records"]
    pytest.importorskip("airflow.providers.openlineage")
    lineage = op.get_openlineage_facets_on_complete(None)
    assert [(d.namespace, d.name) for d in lineage.outputs] == [(f"s3://{BUCKET}", key)]

    extract()  # the same window again: the same bytes
    assert _object(s3_server.client, key) == first

    failing = twin_factory("learnupon", outage_after=1)
    op = LmsExtractOperator(
        task_id="users",
        conn_id=connect(failing, "lu_failing"),
        endpoint="users",
        destination=destination,
        parameters={"page_size": 40},
        window_start=None,
        window_end=None,
    )
    op.hook._max_attempts, op.hook._backoff_base = 2, 0.001
    with pytest.raises(LmsHttpError):
        op.execute({})
    assert _object(s3_server.client, key) == first  # the previous object stays whole
    assert _keys(s3_server.client, "lms/") == [key]  # and the partial upload is gone


def test_a_scheme_without_its_filesystem_is_one_clear_error_before_any_request(twin_factory, connect):
    twin = twin_factory("learnupon")
    op = LmsExtractOperator(
        task_id="t",
        conn_id=connect(twin),
        endpoint="users",
        destination="gs://lake/users.jsonl",
        window_start=None,
        window_end=None,
    )
    with pytest.raises(LmsConfigError, match=r"gs:// filesystem is not installed on this worker: .*gcsfs"):
        op.execute({})
    assert twin.twin.request_log == []
    require_filesystem("s3://lake/users.jsonl")  # installed here (the s3 extra): no error
