"""Airflow's own connection form, in headless Chromium, for every registered connection type.

For each type: open Admin > Connections > Add Connection, pick the type, check the fields a user
sees (labels, placeholders, hidden and masked fields, region choices), fill them in with the sandbox
twin's values, save, and press the connection's Test button. Screenshots of the form land in
``test-artifacts/ui/`` (gitignored).

Needs Debian's ``chromium`` and ``chromium-driver`` packages.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_lms.sandbox import TWINS, start_twin, twin_class
from tests.airflow_servers import AirflowInstance, connection_types, shared_ui_server

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts" / "ui"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
INSTALL_HINT = "apt-get install -y chromium chromium-driver && pip install -e '.[test]'"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1500",
)
STANDARD_FIELDS = ("description", "host", "port", "login", "password", "schema")
WAIT = 30.0
TYPES = connection_types()
#: connection type -> the vendor whose sandbox twin serves it
TWIN_OF = {twin_class(v)().connection("http://127.0.0.1:1")["conn_type"]: v for v in TWINS}

# Imported after the module constants so a missing package fails with the install hint below.
try:
    from selenium import webdriver
    from selenium.common.exceptions import NoSuchElementException, WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webelement import WebElement
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError as exc:  # pragma: no cover - a clear failure, never a skip
    raise ImportError(f"selenium is missing: {INSTALL_HINT}") from exc


@pytest.fixture(scope="module")
def airflow(request) -> AirflowInstance:
    return shared_ui_server(request.config)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    for binary in (CHROMIUM, CHROMEDRIVER):
        assert Path(binary).exists(), f"{binary} not found: {INSTALL_HINT}"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver, find, what: str, timeout: float = WAIT):
    """Poll ``find(driver)`` until it returns something truthy."""

    def attempt(d):
        try:
            return find(d)
        except (NoSuchElementException, WebDriverException):
            return None

    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(attempt, f"waiting for {what}")


def by_text(tag: str, text: str) -> tuple[str, str]:
    return By.XPATH, f".//{tag}[normalize-space()={json.dumps(text)}]"


def field_group(dialog: WebElement, name: str) -> WebElement:
    """The labelled row (role=group) that holds the input named ``name``."""
    return dialog.find_element(By.XPATH, f".//*[@role='group'][.//*[@name={json.dumps(name)}]]")


def field_label(dialog: WebElement, name: str) -> str:
    return field_group(dialog, name).find_element(By.TAG_NAME, "label").text.replace("*", "").strip()


def open_add_form(driver, airflow: AirflowInstance, hook_name: str) -> WebElement:
    driver.get(f"{airflow.api_url}/connections")
    wait_for(driver, lambda d: d.find_element(*by_text("button", "Add Connection")), "Add Connection").click()
    dialog = wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, "[role=dialog]"), "the dialog")
    dialog.find_element(By.CSS_SELECTOR, "input[role=combobox]").send_keys(hook_name)
    option = (By.XPATH, f"//*[@role='option'][normalize-space()={json.dumps(hook_name)}]")
    wait_for(driver, lambda d: d.find_element(*option), f"the {hook_name} option").click()
    wait_for(driver, lambda d: dialog.find_element(*by_text("button", "Standard Fields")), "the form")
    return dialog


def type_into(element: WebElement, value: Any) -> None:
    element.send_keys(f"{value:g}" if isinstance(value, float) else str(value))


def dropdown_options(driver, dialog: WebElement, name: str) -> list[str]:
    """Open the select of an enum field and read its choices."""
    field_group(dialog, f"element_{name}").find_element(By.CSS_SELECTOR, "input[role=combobox]").click()
    options = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "[role=option]"), "choices")
    labels = [o.text.strip() for o in options]
    # Close the menu without choosing (Tab would pick the focused choice, Escape close the dialog).
    dialog.find_element(By.TAG_NAME, "h2").click()
    wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, "[role=option]"), "the menu to close")
    return labels


def check_standard_fields(dialog: WebElement, form: dict, conn: dict) -> list[tuple[WebElement, Any]]:
    """Check the standard fields; the inputs to type the connection's values into."""
    behaviour = form.get("ui-field-behaviour") or {}
    hidden = behaviour.get("hidden-fields", [])
    to_fill = []
    for field in STANDARD_FIELDS:
        inputs = dialog.find_elements(By.CSS_SELECTOR, f"[name='{field}']")
        if field in hidden:
            assert not inputs, f"hidden field {field} is on the form"
            assert conn.get(field) in (None, ""), f"the form hides {field}, which the connection needs"
            continue
        assert inputs, f"field {field} is not on the form"
        element = inputs[0]
        if field in behaviour.get("relabeling", {}):
            assert field_label(dialog, field) == behaviour["relabeling"][field]
        assert (element.get_attribute("placeholder") or "") == behaviour.get("placeholders", {}).get(
            field, ""
        )
        if field == "password":
            assert element.get_attribute("type") == "password", "the password is not masked"
        if conn.get(field) not in (None, ""):
            to_fill.append((element, conn[field]))
    return to_fill


def check_and_fill_extra_fields(driver, dialog: WebElement, form: dict, extra: dict) -> None:
    fields = form.get("conn-fields") or {}
    undeclared = set(extra) - set(fields)
    assert not undeclared, f"the connection needs extras the form has no field for: {undeclared}"
    dialog.find_element(*by_text("button", "Extra Fields")).click()
    for name, spec in fields.items():
        name_attr = f"element_{name}"
        wait_for(driver, lambda d, n=name_attr: field_group(dialog, n).is_displayed(), name)
        group = field_group(dialog, name_attr)
        assert field_label(dialog, name_attr) == spec["label"]
        if spec.get("description"):
            assert spec["description"] in group.text
        schema = spec.get("schema") or {}
        if "enum" in schema:
            shown = schema.get("values_display") or {}
            expected = [shown.get(str(v), str(v)) for v in schema["enum"] if v is not None]
            choices = dropdown_options(driver, dialog, name)
            assert set(expected) <= set(choices), (name, choices)
            if extra.get(name) is not None:
                field_group(dialog, name_attr).find_element(By.CSS_SELECTOR, "input").click()
                label = shown.get(str(extra[name]), str(extra[name]))
                driver.find_element(
                    By.XPATH, f"//*[@role='option'][normalize-space()={json.dumps(label)}]"
                ).click()
            continue
        element = group.find_element(By.CSS_SELECTOR, f"input[name='{name_attr}'], textarea")
        if schema.get("format") == "password":
            assert element.get_attribute("type") == "password", f"{name} is not masked"
        if extra.get(name) is not None:
            type_into(element, extra[name])


def press_test_button(driver, airflow: AirflowInstance, conn_id: str) -> tuple[str, str]:
    """Click the Test button of the connection's row; the toast's title and text."""
    driver.get(f"{airflow.api_url}/connections")
    row = (By.XPATH, f"//tr[.//td[normalize-space()={json.dumps(conn_id)}]]")
    button = wait_for(driver, lambda d: d.find_element(*row), f"the row of {conn_id}").find_element(
        By.CSS_SELECTOR, "button[aria-label='Test Connection']"
    )
    button.click()
    title = wait_for(
        driver,
        lambda d: d.find_element(By.CSS_SELECTOR, "[data-scope=toast][data-part=title]").text,
        "the test result",
    )
    text = driver.find_element(By.CSS_SELECTOR, "[data-scope=toast][data-part=root]").text
    return title, text


@pytest.mark.parametrize("form", TYPES, ids=lambda f: f["connection-type"])
def test_add_connection_form_saves_and_tests(browser, airflow, form):
    conn_type = form["connection-type"]
    assert conn_type in TWIN_OF, f"no sandbox twin serves {conn_type}"
    twin = start_twin(TWIN_OF[conn_type])
    conn_id = f"ui_{conn_type}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        conn = twin.connection()
        # Host and Port in their own fields, as an admin types them (the stored port also keeps
        # Airflow 3.3's list Test button working, see forms.PORT_PLACEHOLDER).
        host, _, port = conn["host"].rpartition(":")
        conn = {**conn, "host": host, "port": int(port)}
        extra = conn.get("extra") or {}
        extra = json.loads(extra) if isinstance(extra, str) else extra

        dialog = open_add_form(browser, airflow, form["hook-name"])
        dialog.find_element(By.NAME, "connection_id").send_keys(conn_id)
        to_fill = check_standard_fields(dialog, form, conn)
        dialog.screenshot(str(ARTIFACTS / f"{conn_type}-standard-fields.png"))  # placeholders visible
        for element, value in to_fill:
            type_into(element, value)
        if form.get("conn-fields"):
            check_and_fill_extra_fields(browser, dialog, form, extra)
            dialog.screenshot(str(ARTIFACTS / f"{conn_type}-extra-fields.png"))
        dialog.find_element(*by_text("button", "Save")).click()
        saved = wait_for(
            browser,
            lambda _: (r := airflow.get(f"/api/v2/connections/{conn_id}")).ok and r.json(),
            "the saved connection",
        )

        # The form stored what was typed, in types the hook accepts.
        assert saved["conn_type"] == conn_type
        for field in ("host", "port", "login"):
            assert saved[field] == conn.get(field), field
        stored_extra = json.loads(saved["extra"] or "{}")
        for name, value in extra.items():
            if (form["conn-fields"][name].get("schema") or {}).get("format") != "password":
                assert stored_extra.get(name) == value, name

        title, text = press_test_button(browser, airflow, conn_id)
        browser.save_screenshot(str(ARTIFACTS / f"{conn_type}-test-button.png"))
        assert title == "Test Connection Successful", text
        assert "Connected to http://127.0.0.1:" in text, text
    finally:
        airflow.delete(f"/api/v2/connections/{conn_id}")
        twin.stop()
