"""Hints for an endpoint name the connection's vendor does not know: does another vendor know it?

A catalog name used on the wrong vendor's connection (another vendor's endpoint name) is
usually a copied task with the wrong ``conn_id``; the error should say so rather than only list the
connection's own catalog.
"""

from __future__ import annotations


def vendors_knowing(name: str, besides: str) -> list[str]:
    """Names of the other vendors (``hook_name``) whose catalog has an endpoint called ``name``."""
    # Imported here: the hooks import the catalog module, which calls this only on a miss.
    from importlib import import_module

    from airflow_provider_lms.hooks import hook_classes

    found = []
    for path in hook_classes().values():
        module, _, cls_name = path.rpartition(".")
        hook = getattr(import_module(module), cls_name)
        catalog = getattr(hook, "catalog", None)
        if catalog is not None and catalog.vendor != besides and name in catalog:
            found.append(catalog.vendor)
    return sorted(found)


def wrong_vendor_hint(name: str, vendor: str) -> str:
    """`` 'x' is a <other> endpoint; this connection is <vendor>.`` or "" when no vendor knows it."""
    others = vendors_knowing(name, vendor)
    if not others:
        return ""
    return (
        f" {name!r} is {_article(others[0])} {' and '.join(others)} endpoint; this connection is {vendor}: "
        "check the task's conn_id."
    )


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"
