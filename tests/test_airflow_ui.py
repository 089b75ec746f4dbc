"""The connection forms and the Test button inside a real ``airflow api-server``.

Generic over the registered connection types (``get_provider_info()``) and the sandbox twins
(``sandbox.TWINS``): a vendor that lands is covered without editing this file. The expected form
is read from the provider info; what is checked is what Airflow's server makes of it.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from airflow_provider_lms.sandbox import TWINS, start_twin, twin_class
from tests.airflow_servers import (
    AirflowInstance,
    closed_port_url,
    connection_types,
    rest_body,
    sensitive_extras,
    shared_ui_server,
)

pytestmark = pytest.mark.slow

TYPES = connection_types()
VENDORS = sorted(TWINS)
#: Airflow's standard connection attributes -> their key in hook_meta's ``standard_fields``.
STANDARD_FIELDS = {
    "host": "host",
    "port": "port",
    "login": "login",
    "password": "password",
    "schema": "url_schema",
    "description": "description",
}
#: Extra-field names that hold a secret and so must be declared ``"format": "password"``.
SECRET_NAME = re.compile(r"secret|password|passwd|private_?key|api_?key|(^|_)token$", re.IGNORECASE)
#: A wrong-credentials message must say what to fix.
CREDENTIAL_HINT = re.compile(r"credential|password|api.?key|secret|token|unauthori[sz]ed", re.IGNORECASE)


def by_type(form: dict[str, Any]) -> str:
    return form["connection-type"]


@pytest.fixture(scope="module")
def airflow(request) -> AirflowInstance:
    return shared_ui_server(request.config)


@pytest.fixture(scope="module")
def hook_meta(airflow) -> dict[str, dict[str, Any]]:
    response = airflow.get("/ui/connections/hook_meta")
    assert response.ok, response.text
    return {entry["connection_type"]: entry for entry in response.json()}


@pytest.fixture
def twin(request):
    running = start_twin(request.param)
    yield running
    running.stop()


def _secrets(conn: dict[str, Any], form: dict[str, Any]) -> dict[str, str]:
    """The secret values of a connection: its password and the form's sensitive extras."""
    extra = conn.get("extra") or {}
    extra = json.loads(extra) if isinstance(extra, str) else extra
    found = {"password": conn["password"]} if conn.get("password") else {}
    found.update({name: extra[name] for name in sensitive_extras(form) if extra.get(name)})
    return found


def _form_of(conn_type: str) -> dict[str, Any]:
    forms = [form for form in TYPES if form["connection-type"] == conn_type]
    assert forms, f"the twin's connection type {conn_type!r} is not registered in get_provider_info"
    return forms[0]


def _test_button(airflow: AirflowInstance, body: dict[str, Any]) -> tuple[bool, str]:
    response = airflow.post("/api/v2/connections/test", body)
    assert response.status_code == 200, response.text
    result = response.json()
    return result["status"], result["message"]


def test_every_connection_type_has_a_sandbox_twin():
    twin_types = {twin_class(v)().connection("http://127.0.0.1:1")["conn_type"] for v in VENDORS}
    assert twin_types == {form["connection-type"] for form in TYPES}


@pytest.mark.parametrize("form", TYPES, ids=by_type)
def test_hook_meta_shows_the_declared_form(hook_meta, form):
    meta = hook_meta.get(form["connection-type"])
    assert meta, f"{form['connection-type']} missing from /ui/connections/hook_meta"
    assert meta["hook_class_name"] == form["hook-class-name"]
    assert meta["hook_name"] == form["hook-name"]

    behaviour = form.get("ui-field-behaviour") or {}
    hidden = behaviour.get("hidden-fields", [])
    relabeling, placeholders = behaviour.get("relabeling", {}), behaviour.get("placeholders", {})
    # Airflow 3.3 applies these to standard fields only: anything else is silently dropped.
    for what, names in (("hidden", hidden), ("relabeled", relabeling), ("placeholder", placeholders)):
        assert set(names) <= set(STANDARD_FIELDS), f"{what} names that are not standard fields: {names}"
    for field, key in STANDARD_FIELDS.items():
        shown = meta["standard_fields"][key]
        expected = {
            "hidden": field in hidden,
            "title": relabeling.get(field),
            "placeholder": placeholders.get(field),
        }
        assert shown == (expected if any(expected.values()) else None), field
    for field in ("host", "login", "password"):
        if field not in hidden:
            assert relabeling.get(field), f"visible field {field} keeps Airflow's generic label"

    declared = form.get("conn-fields") or {}
    shown_extras = meta["extra_fields"] or {}
    assert set(shown_extras) == set(declared)
    for name, spec in declared.items():
        shown = shown_extras[name]
        assert shown["schema"] == {**spec["schema"], "title": spec["label"]}, name
        assert shown["description"] == spec.get("description"), name
        if SECRET_NAME.search(name):
            assert shown["schema"].get("format") == "password", f"secret field {name} is not masked"


@pytest.mark.parametrize("form", TYPES, ids=by_type)
def test_rest_api_never_returns_a_secret(airflow, form):
    conn_type = form["connection-type"]
    markers = {name: f"{name}-marker-{conn_type}-7f3a" for name in sensitive_extras(form)}
    hidden = (form.get("ui-field-behaviour") or {}).get("hidden-fields", [])
    body = {"connection_id": f"masked_{conn_type}", "conn_type": conn_type, "extra": json.dumps(markers)}
    if "password" not in hidden:
        body["password"] = f"password-marker-{conn_type}-7f3a"
    secrets = [v for k, v in body.items() if k == "password"] + list(markers.values())
    assert secrets, f"{conn_type} declares no secret field at all"
    created = airflow.post("/api/v2/connections", body)
    assert created.status_code == 201, created.text
    try:
        for page in (
            created.text,
            airflow.get(f"/api/v2/connections/{body['connection_id']}").text,
            airflow.get("/api/v2/connections").text,
        ):
            leaked = [s for s in secrets if s in page]
            assert not leaked, f"the REST API shows {leaked} (the edit form shows what it returns)"
    finally:
        assert airflow.delete(f"/api/v2/connections/{body['connection_id']}").status_code == 204


@pytest.mark.parametrize("twin", VENDORS, indirect=True)
def test_test_button_succeeds_against_the_twin(airflow, twin):
    conn = twin.connection()
    form = _form_of(conn["conn_type"])
    conn_id = f"test_ok_{twin.twin.name}"
    created = airflow.post("/api/v2/connections", rest_body(conn_id, conn))
    assert created.status_code == 201, created.text
    try:
        # What the connection list's Test button sends: the stored connection, secrets masked.
        listed = airflow.get(f"/api/v2/connections/{conn_id}").json()
        ok, message = _test_button(airflow, {k: v for k, v in listed.items() if v is not None})
        assert ok, message
        # What a script sends before saving: every field in the body.
        ok_unsaved, message_unsaved = _test_button(airflow, rest_body(f"unsaved_{conn_id}", conn))
        assert ok_unsaved, message_unsaved
    finally:
        assert airflow.delete(f"/api/v2/connections/{conn_id}").status_code == 204
    assert twin.twin.count() >= 2  # both tests reached the twin
    for text in (message, message_unsaved):
        assert not [s for s in _secrets(conn, form).values() if s in text], text


@pytest.mark.parametrize("twin", VENDORS, indirect=True)
def test_test_button_rejects_wrong_credentials(airflow, twin):
    conn = twin.connection()
    form = _form_of(conn["conn_type"])
    real = _secrets(conn, form)
    assert real, f"the {twin.twin.name} twin's connection has no secret to get wrong"
    wrong_values = {name: f"wrong-{name}-value" for name in real}
    wrong = dict(conn)
    if "password" in wrong_values:
        wrong["password"] = wrong_values.pop("password")
    if wrong_values:
        extra = conn.get("extra") or {}
        wrong["extra"] = {**(json.loads(extra) if isinstance(extra, str) else extra), **wrong_values}
    ok, message = _test_button(airflow, rest_body(f"wrong_{twin.twin.name}", wrong))
    assert not ok, message
    assert CREDENTIAL_HINT.search(message), message
    shown = [s for s in [*real.values(), *_secrets(wrong, form).values()] if s in message]
    assert not shown, message


@pytest.mark.parametrize("twin", VENDORS, indirect=True)
def test_test_button_reports_an_unreachable_host(airflow, twin):
    closed = closed_port_url()
    conn = twin.connection()
    moved = json.loads(json.dumps(conn).replace(twin.url, closed))
    assert moved != conn, "the twin's connection does not carry its URL"
    started = time.monotonic()
    ok, message = _test_button(airflow, rest_body(f"unreachable_{twin.twin.name}", moved))
    assert not ok, message
    assert closed.removeprefix("http://") in message, message  # says which address failed
    assert re.search(r"refused|unreachable|could not connect|failed to establish", message, re.I), message
    assert time.monotonic() - started < 30
    assert twin.twin.count() == 0
