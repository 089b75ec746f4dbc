"""Preview: the ``lms-preview`` command (run for real, connection from AIRFLOW_CONN_) and LmsHook.preview."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from airflow_provider_lms.exceptions import LmsConfigError
from airflow_provider_lms.preview import catalog_lines
from airflow_provider_lms.vendors.learnupon.hook import LEARNUPON_CATALOG, LearnUponHook

COMMAND = [sys.executable, "-m", "airflow_provider_lms.preview"]
CONSOLE_SCRIPT = str(Path(sys.executable).parent / "lms-preview")


def preview_command(twin, *args: str, command=COMMAND, conn: dict | None = None):
    env = {**os.environ, "AIRFLOW_CONN_LU_PREVIEW": json.dumps(conn or twin.connection())}
    return subprocess.run(
        [*command, "lu_preview", *args], env=env, capture_output=True, text=True, timeout=120
    )


def secrets_of(twin) -> list[str]:
    conn = twin.connection()
    basic = base64.b64encode(f"{conn['login']}:{conn['password']}".encode()).decode()
    return [conn["password"], basic]


def assert_no_secret(done, secrets):
    for secret in secrets:
        assert secret not in done.stdout and secret not in done.stderr


def test_catalog_endpoint_prints_first_records_and_the_masked_request(twin_factory):
    twin = twin_factory("learnupon")
    done = preview_command(twin, "users", "--limit", "3", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    shown = json.loads(done.stdout)  # stdout is only the preview: logs went to stderr
    assert shown["records"] == twin.twin.data["users"][:3]
    assert shown["requests"] == [f"GET {twin.url}/api/v1/users?per_page=3&page=1\nAuthorization: Basic ***"]
    assert twin.twin.count(path_pattern="/users$") == 1
    assert_no_secret(done, secrets_of(twin))


def test_custom_endpoint_spec_with_secret_header_and_query_key_is_masked(twin_factory):
    twin = twin_factory("learnupon")
    spec = {
        "path": "/groups",
        "records_path": "$.groups[*]",
        "headers": {"X-Api-Key": "hdr-secret-4242", "X-Team": "data"},
    }
    done = preview_command(
        twin, json.dumps(spec), "-n", "4", "-p", "page_size=2", "-p", "api_key=qry-secret-9999", "--json"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    shown = json.loads(done.stdout)
    assert shown["records"] == twin.twin.data["groups"][:4]
    assert len(shown["requests"]) == 2  # two pages of two
    first = shown["requests"][0].splitlines()
    assert first[0] == f"GET {twin.url}/api/v1/groups?api_key=***&per_page=2&page=1"
    assert set(first[1:]) == {"X-Api-Key: ***", "X-Team: data", "Authorization: Basic ***"}
    assert_no_secret(done, [*secrets_of(twin), "hdr-secret-4242", "qry-secret-9999"])


def test_console_script_previews_a_windowed_endpoint_as_text(twin_factory):
    twin = twin_factory("learnupon")
    start, end = "2026-10-20T00:00:00+00:00", "2026-10-21T00:00:00+00:00"
    done = preview_command(
        twin, "enrollments", "-n", "5", "--window-start", start, "--window-end", end, command=[CONSOLE_SCRIPT]
    )
    assert done.returncode == 0, done.stderr[-2000:]
    head, _, body = done.stdout.partition("First 5 record(s):")
    assert "date_from=2026-10-19&date_to=2026-10-22" in head  # a day wider each side, trimmed locally
    assert "Authorization: Basic ***" in head
    decoder, records, rest = json.JSONDecoder(), [], body.strip()
    while rest:
        record, used = decoder.raw_decode(rest)
        records.append(record)
        rest = rest[used:].strip()

    def in_window(e):
        moment = datetime.fromisoformat(e["updated_at"].replace("Z", "+00:00"))
        return datetime.fromisoformat(start) <= moment < datetime.fromisoformat(end)

    assert records == [e for e in twin.twin.data["enrollments"] if in_window(e)][:5]


def test_missing_required_parameter_fails_before_any_request(twin_factory):
    twin = twin_factory("learnupon")
    done = preview_command(twin, "exam_results")
    assert done.returncode == 2
    assert "endpoint 'exam_results' needs 'exam_id'" in done.stderr and done.stdout == ""
    assert twin.twin.count() == 0


def test_wrong_credentials_say_so_without_the_secret(twin_factory):
    twin = twin_factory("learnupon")
    conn = {**twin.connection(), "password": "wrong-password-1234"}
    done = preview_command(twin, "users", conn=conn)
    assert done.returncode == 1
    assert "rejected the credentials of connection 'lu_preview'" in done.stderr
    assert_no_secret(done, ["wrong-password-1234"])


# ---- the hook method ----------------------------------------------------------------------------


def test_hook_preview_pages_until_it_has_enough(twin_factory, connect):
    twin = twin_factory("learnupon")
    hook = LearnUponHook(connect(twin))
    shown = hook.preview("users", {"page_size": 2}, limit=5)
    assert shown.records == twin.twin.data["users"][:5]
    assert [r.splitlines()[0] for r in shown.requests] == [
        f"GET {twin.url}/api/v1/users?per_page=2&page={n}" for n in (1, 2, 3)
    ]
    assert shown.request == shown.requests[0]


def test_hook_preview_stops_after_max_pages(twin_factory, connect):
    twin = twin_factory("learnupon")
    shown = LearnUponHook(connect(twin)).preview("users", {"page_size": 3}, limit=50, max_pages=2)
    assert shown.records == twin.twin.data["users"][:6] and len(shown.requests) == 2


@pytest.mark.parametrize(
    ("endpoint", "kwargs", "message"),
    [
        ("users", {"limit": 0}, "limit >= 1"),
        ("user", {}, "Did you mean users"),
        ("users", {"window_start": "yesterday-ish", "window_end": "2026-10-21"}, "not a date"),
    ],
)
def test_hook_preview_refuses_bad_input_without_a_request(twin_factory, connect, endpoint, kwargs, message):
    twin = twin_factory("learnupon")
    with pytest.raises(LmsConfigError, match=message):
        LearnUponHook(connect(twin)).preview(endpoint, **kwargs)
    assert twin.twin.count() == 0


def test_catalog_listing_names_every_endpoint(twin_factory, connect):
    twin = twin_factory("learnupon")
    text = "\n".join(catalog_lines(LearnUponHook(connect(twin))))
    for endpoint in LEARNUPON_CATALOG:
        assert f"  {endpoint.name} " in text
    assert "exam_id (required)" in text and twin.twin.count() == 0


def test_the_list_tells_the_whole_rule():
    """``lms-preview --list`` shows conditional requirements and vendor-fixed page sizes, not only
    the flat required parameters."""
    from airflow_provider_lms.hooks.learnworlds import LearnWorldsHook
    from airflow_provider_lms.hooks.nexport import NexPortHook

    lines = catalog_lines(NexPortHook("nexport_x"))
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("search_enrollments "))
    assert lines[at + 2].strip() == "needs one of user_ids, org_ids"
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("student_sessions "))
    assert lines[at + 2].strip() == "needs a window or from_date"
    lines = catalog_lines(LearnWorldsHook("lw_x"))
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("leads "))
    assert "page size fixed by the vendor" in lines[at + 2]
    assert "page_size" not in lines[at + 1]
