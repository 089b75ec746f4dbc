"""Pull records out of a parsed response body with a JSONPath, compiled once per extract."""

from __future__ import annotations

import re
from typing import Any

from jsonpath_ng import parse as parse_jsonpath
from jsonpath_ng.exceptions import JsonPathParserError

from airflow_provider_lms.exceptions import LmsConfigError, LmsResponseError

# `$.a.b[*]`, `$[*]`, `$.a`: the shape of nearly every record path. Walking the dict directly is an
# order of magnitude faster than jsonpath-ng's generic matcher, which stays as the fallback.
_SIMPLE_PATH = re.compile(r"^\$((?:\.[A-Za-z_][\w-]*)*)(\[\*\])?$")


class RecordSelector:
    """Select the records (and optional metadata copied onto each record) from a response body."""

    def __init__(self, records_path: str, metadata_path: str | None = None) -> None:
        self.records_path = records_path
        self.metadata_path = metadata_path
        self._records = _compile(records_path)
        self._metadata = _compile(metadata_path) if metadata_path else None

    def select(self, body: Any) -> list[dict[str, Any]]:
        """Return the records of one page; raise if the path does not fit the body at all."""
        found, matched = self._records(body)
        if not matched:
            keys = sorted(body) if isinstance(body, dict) else type(body).__name__
            hint = ""
            if isinstance(body, dict):
                lists = [k for k, v in body.items() if isinstance(v, list)]
                hint = f", e.g. {', '.join(f'$.{k}[*]' for k in lists)}" if lists else ""
            raise LmsResponseError(
                f"record path {self.records_path!r} matched nothing in the response "
                f"(top level: {keys}); set records_path on the endpoint to where the records are{hint}"
            )
        records = [r if isinstance(r, dict) else {"value": r} for r in found]
        if self._metadata is not None:
            meta_found, meta_matched = self._metadata(body)
            if meta_matched:
                metadata = meta_found[0] if len(meta_found) == 1 else meta_found
                for record in records:
                    record["_metadata"] = metadata
        return records


AUTO = "auto"


def _auto(body: Any) -> tuple[list[Any], bool]:
    # A bare list, or an envelope with exactly one list in it (`{"groups": [...], "total": 3}`).
    if isinstance(body, list):
        return list(body), True
    if isinstance(body, dict):
        lists = [value for value in body.values() if isinstance(value, list)]
        if len(lists) == 1:
            return list(lists[0]), True
    return [], False


def _compile(path: str):
    """Return a function body -> (values, matched) for ``path``."""
    if path == AUTO:
        return _auto
    simple = _SIMPLE_PATH.match(path.strip())
    if simple:
        keys = [k for k in simple.group(1).split(".") if k]
        explode = bool(simple.group(2))

        def walk(body: Any) -> tuple[list[Any], bool]:
            node = body
            for key in keys:
                if not isinstance(node, dict) or key not in node:
                    return [], False
                node = node[key]
            if node is None:
                return [], True
            if isinstance(node, list):
                return list(node), True
            if explode:  # `[*]` over an object: the path points at the wrong level
                return [], False
            return [node], True

        return walk
    try:
        expression = parse_jsonpath(path)
    except (JsonPathParserError, Exception) as exc:  # jsonpath-ng raises bare Exceptions too
        raise LmsConfigError(f"records path {path!r} is not valid JSONPath: {exc}") from None

    def find(body: Any) -> tuple[list[Any], bool]:
        matches = [m.value for m in expression.find(body)]
        flat: list[Any] = []
        for value in matches:
            flat.extend(value if isinstance(value, list) else [value])
        return flat, bool(matches)

    return find


def get_dotted(body: Any, path: str) -> Any:
    """Value at a dotted key path (``meta.totalPages``) or None."""
    node = body
    for key in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def get_int(body: Any, path: str) -> int | None:
    """Whole number at a dotted key path (``meta.totalPages``), or None if absent or not a number."""
    try:
        return int(get_dotted(body, path))
    except (TypeError, ValueError):
        return None
