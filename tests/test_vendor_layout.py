"""One folder per vendor, an engine that names no vendor.

* A sixth vendor folder (tests/fixtures/sixth_vendor/acme, the docs/architecture.md recipe) is
  picked up by everything derived from the descriptors — provider info, connection forms, hook
  lookup, sandbox registry and ports, the README endpoint table — and extracts from its own twin,
  with no shared file edited.
* No vendor hook overrides ``transport``, ``iter_pages`` or ``parse_body``, and no vendor module
  subclasses a paginator: what differs is configuration.
* The engine modules (everything outside ``vendors/`` and the ``hooks.<vendor>`` import shims)
  name no vendor.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import airflow_provider_lms
from airflow_provider_lms import vendors as vendor_registry
from airflow_provider_lms.pagination import Paginator

PACKAGE = Path(airflow_provider_lms.__file__).parent
SIXTH = Path(__file__).parent / "fixtures" / "sixth_vendor"
VENDOR_NAMES = [v.name for v in vendor_registry.vendors()]


@pytest.fixture
def sixth_vendor():
    """Mount the fixture folder as ``airflow_provider_lms.vendors.acme`` for one test."""
    vendor_registry.__path__.append(str(SIXTH))
    vendor_registry.vendors.cache_clear()
    try:
        yield vendor_registry.vendor("acme")
    finally:
        vendor_registry.__path__.remove(str(SIXTH))
        vendor_registry.vendors.cache_clear()


def test_the_five_vendors_are_found_in_port_order():
    assert VENDOR_NAMES == ["learnupon", "absorb", "nexport", "ispring", "learnworlds"]


def test_a_hook_takes_its_identity_from_its_descriptor():
    for descriptor in vendor_registry.vendors():
        hook = descriptor.load_hook()
        assert (hook.conn_type, hook.hook_name, hook.default_conn_name) == (
            descriptor.conn_type,
            descriptor.hook_name,
            descriptor.default_conn_id,
        )
        assert not {"connection-type", "hook-class-name", "hook-name"} & set(descriptor.form)


def test_the_public_hook_paths_still_import_the_vendor_hooks():
    from airflow_provider_lms.hooks.absorb import AbsorbHook
    from airflow_provider_lms.hooks.ispring import IspringHook
    from airflow_provider_lms.hooks.learnupon import LearnUponHook
    from airflow_provider_lms.hooks.learnworlds import LearnWorldsHook
    from airflow_provider_lms.hooks.nexport import NexPortHook

    found = {v.name: v.load_hook() for v in vendor_registry.vendors()}
    assert found == {
        "learnupon": LearnUponHook,
        "absorb": AbsorbHook,
        "nexport": NexPortHook,
        "ispring": IspringHook,
        "learnworlds": LearnWorldsHook,
    }


def test_a_sixth_vendor_folder_is_picked_up_everywhere(sixth_vendor, twin_factory, connect):
    from airflow_provider_lms import endpoint_table, sandbox
    from airflow_provider_lms.get_provider_info import get_provider_info
    from airflow_provider_lms.hooks import hook_class_for_type, hook_for_connection

    info = get_provider_info()
    acme = next(c for c in info["connection-types"] if c["connection-type"] == "acme")
    assert acme["hook-class-name"] == "airflow_provider_lms.vendors.acme.hook.AcmeHook"
    assert acme["conn-fields"]["timeout"]["label"]  # the common fields came with its form
    assert "airflow_provider_lms.vendors.acme.hook" in info["hooks"][0]["python-modules"]
    assert info["description"].endswith("iSpring Learn, LearnWorlds and Acme LMS.")
    assert hook_class_for_type("acme").__name__ == "AcmeHook"
    assert sandbox.twin_class("acme").__name__ == "AcmeTwin"
    assert sandbox.port_offsets()["acme"] == 5
    assert "| acme | `course_enrollments` |" in endpoint_table.render()

    twin = twin_factory("acme")
    conn_id = connect(twin)
    hook = hook_for_connection(conn_id)
    assert list(hook.iter_records("learners", {"page_size": 5})) == twin.twin.data["learners"]
    enrollments = list(hook.iter_records("course_enrollments", {"course_id": "C1", "page_size": 3}))
    expected = [e for e in twin.twin.data["enrollments"] if e["course_id"] == "C1"]
    assert enrollments == [{**e, "_parameters": {"course_id": "C1"}} for e in expected]
    assert hook.test_connection()[0]


def test_two_vendors_cannot_share_a_port(sixth_vendor, monkeypatch):
    import airflow_provider_lms.vendors.acme as acme

    monkeypatch.setattr(acme, "VENDOR", vendor_registry.Vendor(**{**acme.VENDOR.__dict__, "port_offset": 0}))
    vendor_registry.vendors.cache_clear()
    with pytest.raises(ValueError, match="share the port_offset 0"):
        vendor_registry.vendors()


@pytest.mark.parametrize("name", VENDOR_NAMES)
def test_no_vendor_hook_overrides_the_engine_pipeline(name):
    hook = vendor_registry.vendor(name).load_hook()
    for method in ("transport", "iter_pages", "parse_body", "plan"):
        assert method not in vars(hook), f"{hook.__name__} overrides {method}: make it an engine option"


@pytest.mark.parametrize("name", VENDOR_NAMES)
def test_no_vendor_module_subclasses_a_paginator(name):
    folder = PACKAGE / "vendors" / name
    for path in folder.glob("*.py"):
        module = f"airflow_provider_lms.vendors.{name}" + ("" if path.stem == "__init__" else f".{path.stem}")
        loaded = __import__(module, fromlist=["_"])
        for _, value in inspect.getmembers(loaded, inspect.isclass):
            if value.__module__ == module:
                assert not issubclass(value, Paginator), f"{module}.{value.__name__} subclasses a paginator"


def _engine_modules() -> list[Path]:
    shims = {PACKAGE / "hooks" / f"{name}.py" for name in VENDOR_NAMES}
    return [
        p
        for p in PACKAGE.rglob("*.py")
        if "vendors" not in p.relative_to(PACKAGE).parts[:1] and p not in shims
    ]


def test_the_engine_names_no_vendor():
    pattern = re.compile("|".join(VENDOR_NAMES + ["NexPort", "iSpring", "LearnWorlds"]), re.IGNORECASE)
    found = []
    for path in _engine_modules():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)
