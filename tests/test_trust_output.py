"""Trust, output side (issue 10): the file is valid JSON and lands where it was asked, or the task
fails before any request with a message that says what to fix, and the destination is untouched.

The vendor is a small stub LearnUpon (tests/stubs.py) on 127.0.0.1; the operator runs for real.
"""

from __future__ import annotations

import io
import json
import os

import pytest

from airflow_provider_lms.exceptions import LmsConfigError, LmsHttpError, LmsResponseError
from airflow_provider_lms.operators.extract import LmsExtractOperator
from airflow_provider_lms.writers import JsonLinesWriter
from tests.stubs import Reply, StubServer

PREVIOUS = b'{"id":0,"previous":"run"}\n'


@pytest.fixture
def portal(monkeypatch):
    """A stub LearnUpon serving ``portal.body`` (bytes) as its single users page."""

    class Portal:
        body = json.dumps({"user": [{"id": 1}, {"id": 2}]}).encode()
        status = 200

        def extra(self, **extra):
            conn = {
                "conn_type": "learnupon",
                "host": stub.url,
                "login": "api-user",
                "password": "s3cret-Passw0rd",
                "extra": extra,
            }
            monkeypatch.setenv("AIRFLOW_CONN_LU_OUT", json.dumps(conn))

    portal = Portal()
    headers = {"Content-Type": "application/json", "LU-Has-Next-Page": "false"}
    with StubServer(lambda req: Reply(portal.status, portal.body, headers)) as stub:
        portal.stub = stub
        portal.extra()
        yield portal


def extract(destination: str, **kwargs) -> dict:
    op = LmsExtractOperator(
        task_id="extract",
        conn_id="lu_out",
        endpoint="users",
        destination=destination,
        window_start=None,
        window_end=None,
        **kwargs,
    )
    op.hook._max_attempts, op.hook._backoff_base = 2, 0.001
    return op.execute({})


def strict_lines(path) -> list:
    """Parse every output line as a strict JSON reader would (no NaN / Infinity)."""

    def refuse(literal):
        raise ValueError(f"{literal} is not JSON")

    return [json.loads(line, parse_constant=refuse) for line in path.read_text().splitlines()]


# ---- item 13: output is always valid JSON --------------------------------------------------------


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
def test_a_non_finite_number_fails_naming_the_field_and_leaves_the_previous_file(literal, portal, tmp_path):
    portal.body = f'{{"user": [{{"id": 1, "score": 2.5}}, {{"id": 2, "score": {literal}}}]}}'.encode()
    out = tmp_path / "users.jsonl"
    out.write_bytes(PREVIOUS)
    with pytest.raises(LmsResponseError) as error:
        extract(f"file://{out}")
    text = str(error.value)
    assert "field $.user[1].score" in text and "not a JSON number" in text
    assert "non_finite_numbers" in text  # the fix is in the message
    assert out.read_bytes() == PREVIOUS
    assert sorted(os.listdir(tmp_path)) == ["users.jsonl"]  # no partial left


@pytest.mark.parametrize(
    ("mode", "expected"), [("null", [None, None, None]), ("string", ["NaN", "Infinity", "-Infinity"])]
)
def test_non_finite_numbers_can_be_accepted_explicitly(mode, expected, portal, tmp_path):
    portal.body = b'{"user": [{"id": 1, "s": NaN}, {"id": 2, "s": 1e999}, {"id": 3, "s": -Infinity}]}'
    portal.extra(non_finite_numbers=mode)
    out = tmp_path / "users.jsonl"
    assert extract(f"file://{out}")["records"] == 3
    assert [line["s"] for line in strict_lines(out)] == expected


def test_an_unknown_non_finite_mode_is_a_config_error(portal, tmp_path):
    portal.extra(non_finite_numbers="zero")
    with pytest.raises(LmsConfigError, match="non_finite_numbers='zero' is not one of error, null, string"):
        extract(f"file://{tmp_path / 'users.jsonl'}")


def test_the_writer_refuses_a_non_finite_float_whatever_its_source():
    writer = JsonLinesWriter(io.BytesIO())
    writer.write([{"id": 1}])
    with pytest.raises(LmsResponseError, match=r"record 2 of the output: \$\.a\.b\[1\] is inf"):
        writer.write([{"id": 2, "a": {"b": [1.0, float("inf")]}}])


def test_finite_floats_are_written_as_they_came(portal, tmp_path):
    portal.body = b'{"user": [{"id": 1, "s": 1e308}, {"id": 2, "s": -0.0}, {"id": 3, "s": 87.5}]}'
    out = tmp_path / "users.jsonl"
    extract(f"file://{out}")
    assert [line["s"] for line in strict_lines(out)] == [1e308, -0.0, 87.5]


# ---- item 14 and "Also": destinations that cannot work are refused before any request ----------


def test_an_existing_directory_is_refused(portal, tmp_path):
    folder = tmp_path / "users.jsonl"
    folder.mkdir()
    with pytest.raises(LmsConfigError, match="is an existing directory: name a file inside it"):
        extract(f"file://{folder}")
    assert portal.stub.requests == [] and os.listdir(folder) == []


@pytest.mark.parametrize(
    ("destination", "message"),
    [
        ("file://{tmp}/out/", "ends with '/', a folder"),
        ("file://fileserver{tmp}/users.jsonl", "names the host 'fileserver'"),
        ("file:relative/users.jsonl", "relative file: URI"),
        ("file:./users.jsonl", "relative file: URI"),
        ("gcs://lms-bucket/users.jsonl", "gcs:// filesystem is not installed.*gcsfs"),
    ],
)
def test_unusable_destinations_are_refused_before_any_request(
    destination, message, portal, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # where main used to write file://host/... and relative URIs
    with pytest.raises(LmsConfigError, match=message):
        extract(destination.format(tmp=tmp_path))
    assert portal.stub.requests == []
    assert os.listdir(tmp_path) == []


def test_file_localhost_is_this_worker(portal, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path / "..")
    out = tmp_path / "users.jsonl"
    result = extract(f"file://localhost{out}")
    assert result["records"] == 2 and strict_lines(out) == [{"id": 1}, {"id": 2}]


def test_a_parent_that_is_a_file_is_refused_clearly(portal, tmp_path):
    (tmp_path / "reports").write_text("a file, not a folder")
    with pytest.raises(LmsConfigError, match=r"reports is a file, so no folder can be made there"):
        extract(f"file://{tmp_path}/reports/2026/users.jsonl")
    assert portal.stub.requests == []


def test_a_failed_run_leaves_no_new_folders(portal, tmp_path):
    portal.status, portal.body = 503, b'{"message": "down"}'
    with pytest.raises(LmsHttpError):
        extract(f"file://{tmp_path}/lms/2026-10-20/users.jsonl")
    assert os.listdir(tmp_path) == []


def test_a_successful_run_creates_its_folders(portal, tmp_path):
    out = tmp_path / "lms" / "2026-10-20" / "users.jsonl"
    extract(f"file://{out}")
    assert strict_lines(out) == [{"id": 1}, {"id": 2}]
    assert os.listdir(out.parent) == ["users.jsonl"]  # and no temporary file left anywhere
    assert sorted(os.listdir(tmp_path)) == ["lms"]


def test_permission_denied_is_a_clear_message():
    # Root (the test runner) may write anywhere, so the OS error is raised by hand here.
    from airflow_provider_lms.writers import _storage_errors

    with pytest.raises(
        LmsConfigError, match="could not commit destination 'file:///x.jsonl': permission denied"
    ):
        with _storage_errors("file:///x.jsonl", "commit"):
            raise PermissionError(13, "Permission denied", "/x.jsonl")
