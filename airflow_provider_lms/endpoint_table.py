"""Render the catalogs of every registered vendor as the Markdown table in README.md.

python -m airflow_provider_lms.endpoint_table
"""

from __future__ import annotations

from importlib import import_module

from airflow_provider_lms.get_provider_info import get_provider_info


def _hooks():
    for conn in get_provider_info()["connection-types"]:
        module, _, name = conn["hook-class-name"].rpartition(".")
        yield conn["connection-type"], getattr(import_module(module), name)


def render() -> str:
    """The endpoint table: one row per catalog endpoint of every vendor."""
    rows = [
        "| type | endpoint | request | parameters | date window | records |",
        "|---|---|---|---|---|---|",
    ]
    for conn_type, hook in _hooks():
        for endpoint in hook.catalog:
            params = "; ".join(
                part
                for part in (
                    ", ".join(f"**{p.shown_name}**" if p.required else p.shown_name for p in endpoint.params),
                    *endpoint.requirement_text(),  # conditional rules: "needs one of a, b"
                    # A page_size is refused there: say so where authors look.
                    "page size fixed by the vendor" if endpoint.fixed_page_size else "",
                )
                if part
            )
            params = params or "-"
            window = endpoint.window.describe() if endpoint.window else "full snapshot"
            rows.append(
                f"| {conn_type} | `{endpoint.name}` | {endpoint.method} `{endpoint.path}` | {params} "
                f"| {window} | `{endpoint.records_path}` |"
            )
    return "\n".join(rows)


if __name__ == "__main__":
    print(render())
