"""Endpoints as data: what each vendor endpoint is called, where it lives and what it accepts.

A DAG author names a catalog endpoint (``"enrollments"``), overrides parts of one
(``{"name": "enrollments", "path": "/enrollments"}``) or describes an endpoint the catalog lacks
(``{"path": "/reports/x", "records_path": "$.rows[*]"}``). Parameters are checked here, before
any HTTP call.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, unquote

from airflow_provider_lms.exceptions import LmsConfigError, LmsWindowError
from airflow_provider_lms.page_request import PageRequest
from airflow_provider_lms.pagination import Paginator, SinglePage, paginator_from_spec
from airflow_provider_lms.param_rules import VALUE_FORMATS, Rule, is_given, value_problem
from airflow_provider_lms.records import AUTO, RecordSelector
from airflow_provider_lms.windows import (
    RECORD_TIME_FIELD,
    WINDOW_TRIM,
    ZERO_WIDTH_HELP,
    DateWindow,
    Window,
)

PAGE_SIZE = "page_size"
#: Reserved parameters of every windowed endpoint: they steer the window trim, never reach the vendor.
TRIM_PARAMS = (RECORD_TIME_FIELD, WINDOW_TRIM)
#: Reserved parameter of endpoints with ``date_choices``: which date the window filters.
DATE_FIELD = "date_field"


@dataclass(frozen=True)
class Param:
    """One parameter a DAG author may pass in ``parameters``."""

    name: str
    required: bool = False
    location: str = "query"  # "path", "query" or "body"
    api_name: str | None = None  # the vendor's name when it differs from ours
    description: str = ""
    choices: tuple[Any, ...] = ()
    #: The vendor takes several values here (a list of ids); every other parameter takes one value.
    multiple: bool = False
    #: Sent when the DAG author leaves the parameter out (``None``: nothing is sent).
    default: Any = None
    #: A list is sent as one string joined by this (``learningTrackIds=a,b``).
    joiner: str | None = None
    #: One value or a list is sent as a list (an empty list counts as not given).
    coerce_list: bool = False
    #: Every value must be in this format of :data:`~airflow_provider_lms.param_rules.VALUE_FORMATS`.
    value_format: str | None = None
    #: What a good value is called in the message for a bad one ("an account id").
    value_label: str = ""
    #: ``name`` is a prefix: every parameter named ``<name><anything>`` is this one (custom-field
    #: filters such as ``cf_<field>``); it travels under the name the DAG author gave.
    prefix: bool = False

    def __post_init__(self) -> None:
        if self.value_format is not None and self.value_format not in VALUE_FORMATS:
            raise ValueError(f"parameter {self.name!r}: value_format {self.value_format!r} is unknown")

    @property
    def wire_name(self) -> str:
        return self.api_name or self.name

    @property
    def shown_name(self) -> str:
        """The name as listed to DAG authors (``cf_<field>`` for a prefix)."""
        return f"{self.name}<field>" if self.prefix else self.name

    def matches(self, name: str) -> bool:
        return name.startswith(self.name) and len(name) > len(self.name) if self.prefix else name == self.name


def date_field_param(choices: Iterable[str], description: str = "date the window filters") -> Param:
    """The reserved ``date_field`` parameter of an endpoint with ``date_choices`` (for display and
    the accepted-parameter list; the engine applies it before the request is built)."""
    return Param(DATE_FIELD, choices=tuple(choices), description=description)


@dataclass(frozen=True)
class Endpoint:
    """A readable list (or object) of one vendor API."""

    name: str
    path: str
    records_path: str = "$[*]"
    method: str = "GET"
    params: tuple[Param, ...] = ()
    window: DateWindow | None = None
    paginator: Callable[[], Paginator] | None = None  # None: the hook's default
    max_page_size: int | None = None  # None: the hook's default
    default_page_size: int | None = None
    metadata_path: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, Any] | None = None  # fixed JSON body (POST search endpoints)
    description: str = ""
    custom: bool = False  # custom endpoints pass unknown parameters through as query parameters
    #: The record's own unique id (a field or dotted path such as ``course.id``), or None when the
    #: records have none. Paging skips a record whose id was already on the previous page.
    id_field: str | None = None
    #: ``date_field`` value -> the window on that date; the first is the default (and ``window``).
    date_choices: Mapping[str, DateWindow] = field(default_factory=dict)
    #: Older names DAG authors may still use for ``date_field`` (documented aliases).
    date_field_aliases: tuple[str, ...] = ()
    #: Conditional requirements (one-of, requires, excludes), checked with the parameters.
    rules: tuple[Rule, ...] = ()

    #: The vendor fixes the page size of this list: a ``page_size`` would be ignored, so it is refused.
    fixed_page_size: bool = False

    def __post_init__(self) -> None:
        if self.date_choices and self.window is None:
            object.__setattr__(self, "window", next(iter(self.date_choices.values())))

    @property
    def param_names(self) -> list[str]:
        return [p.name for p in self.params]

    def accepted_params(self) -> str:
        names = [f"{p.shown_name} (required)" if p.required else p.shown_name for p in self.params]
        if not self.fixed_page_size:
            names.append(PAGE_SIZE)
        if self.window is not None and self.window.record_field is not None:
            names.extend(TRIM_PARAMS)
        return ", ".join(names)

    def requirement_text(self) -> list[str]:
        """What the endpoint needs beyond its required parameters, one human line per rule
        (``"needs one of user_ids, org_ids"``, ``"needs a window or from_date"``), for tables and listings."""
        return [rule.text() for rule in self.rules]

    def selector(self) -> RecordSelector:
        return RecordSelector(self.records_path, self.metadata_path)

    def check_window(self, window: Window | None) -> None:
        """A zero-width window on a date-filtered endpoint would silently extract nothing."""
        if window is not None and self.window is not None and window.start == window.end:
            raise LmsWindowError(
                f"endpoint {self.name!r} filters by date but the window is empty "
                f"({window.start.isoformat()} to {window.end.isoformat()}). {ZERO_WIDTH_HELP}"
            )

    def build_request(
        self, parameters: Mapping[str, Any] | None, window: Window | None
    ) -> tuple[PageRequest, int | None]:
        """Validate ``parameters`` and return the first request (before pagination) and page size."""
        if not isinstance(parameters, (Mapping, type(None))):
            raise LmsConfigError(f"parameters must be a dict, not {type(parameters).__name__}")
        given = dict(parameters or {})
        page_size = self._page_size(given.pop(PAGE_SIZE, None))
        known = {p.name: p for p in self.params if not p.prefix}
        for name in given:
            prefixed = next((p for p in self.params if p.prefix and p.matches(name)), None)
            if name not in known and prefixed is not None:
                known[name] = replace(prefixed, name=name, api_name=None, prefix=False)
        for param in self.params:
            if param.default is not None and param.name not in given:
                given[param.name] = copy.deepcopy(param.default)
            if param.coerce_list:
                value = given.get(param.name)
                if isinstance(value, (str, int)):
                    given[param.name] = [value]
                elif isinstance(value, (list, tuple)):
                    given[param.name] = list(value) or None  # an empty list counts as not given
        unknown = [name for name in given if name not in known]
        if unknown and not self.custom:
            raise LmsConfigError(
                f"endpoint {self.name!r} does not accept {', '.join(map(repr, unknown))}; "
                f"accepted parameters: {self.accepted_params()}"
            )
        missing = [p.name for p in self.params if p.required and given.get(p.name) in (None, "")]
        if missing:
            raise LmsConfigError(
                f"endpoint {self.name!r} needs {', '.join(map(repr, missing))}; "
                f"accepted parameters: {self.accepted_params()}"
            )
        if self.window is not None and window is not None:
            clashing = [n for n in given if known.get(n) and known[n].wire_name in self.window.owned_params]
            if clashing:
                raise LmsConfigError(
                    f"endpoint {self.name!r}: {', '.join(clashing)} come from the task window; set "
                    "window_start/window_end instead (or window_start=None to pass them yourself)"
                )
        path_values: dict[str, str] = {}
        request = PageRequest(self.method, "", headers=dict(self.headers))
        if self.body is not None:
            request.body = dict(self.body)
        for name, value in given.items():
            param = known.get(name) or Param(name)
            value = self._check_shape(param, value)
            if param.choices and value not in param.choices:
                raise LmsConfigError(
                    f"endpoint {self.name!r}: {name}={value!r} is not one of {list(param.choices)}"
                )
            if value is None:
                continue
            if param.joiner is not None and isinstance(value, list):
                value = param.joiner.join(str(v) for v in value)
            if param.location == "path":
                path_values[param.wire_name] = quote(self._path_value(name, value), safe="")
            elif param.location == "body":
                request.body_dict()[param.wire_name] = value
            else:
                request.params[param.wire_name] = value
        request.path = self._fill_path(path_values)
        self._check_rules(given, window)
        if self.window is not None and window is not None:
            self.window.apply(request, window)
        return request, page_size

    def _check_rules(self, given: Mapping[str, Any], window: Window | None) -> None:
        """The conditional requirements, then each value's format (once the shapes are right)."""
        problems = [p for rule in self.rules if (p := rule.problem(given, window))]
        if problems:
            raise LmsConfigError(
                f"endpoint {self.name!r} {'; '.join(problems)}. Accepted parameters: {self.accepted_params()}"
            )
        for param in self.params:
            value = given.get(param.name)
            if param.value_format is not None and is_given(value):
                problem = value_problem(param.value_format, param.value_label, param.name, value)
                if problem:
                    raise LmsConfigError(f"endpoint {self.name!r}: {problem}")

    def _check_shape(self, param: Param, value: Any) -> Any:
        """One value for a single-value parameter: a list would silently send only its last item
        (or a ``%5B...%5D`` path). Declared multi-value parameters take a list (a set is sorted)."""
        many = isinstance(value, (list, tuple, set, frozenset))
        if isinstance(value, Mapping) or (many and not param.multiple) or (many and param.location == "path"):
            raise LmsConfigError(
                f"endpoint {self.name!r}: {param.name} takes one value, not a {type(value).__name__} "
                f"({_short(value)}). To extract several, pass a list of parameter dicts (one extract per "
                f"dict), e.g. chaining.batched_parameters(ids, {param.name!r}, batch_size=10)"
                + ("; this parameter wants a comma-separated string" if "comma" in param.description else "")
            )
        if many:
            items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
            nested = [item for item in items if isinstance(item, (list, tuple, set, frozenset, Mapping))]
            if nested:
                raise LmsConfigError(
                    f"endpoint {self.name!r}: {param.name} takes a flat list of values, not {_short(value)}"
                )
            return items
        return value

    def _path_value(self, name: str, value: Any) -> str:
        """A path parameter may only fill its own segment: ``..`` or ``a/b`` would read another
        endpoint (the URL layer resolves dot segments, and servers may decode ``%2e`` or ``%2F``),
        so such values are refused before any request."""
        text = str(value)
        problem = _segment_problem(text)
        if problem:
            raise LmsConfigError(
                f"endpoint {self.name!r}: path parameter {name}={text!r} {problem}; it would change "
                "which URL is read. Give the id itself."
            )
        return text

    def _fill_path(self, values: dict[str, str]) -> str:
        try:
            path = self.path.format(**values)
        except KeyError as exc:
            raise LmsConfigError(
                f"endpoint {self.name!r} path {self.path!r} needs parameter {exc.args[0]!r}"
            ) from None
        check_relative_path(path, self.name)
        return path

    def _page_size(self, value: Any) -> int | None:
        if value is None:
            return self.default_page_size or self.max_page_size
        if self.fixed_page_size:
            raise LmsConfigError(
                f"endpoint {self.name!r}: page_size={value!r} cannot apply, the vendor fixes the page "
                "size of this list (it would be ignored); remove page_size"
            )
        try:
            size = int(value)
        except (TypeError, ValueError):
            raise LmsConfigError(f"page_size={value!r} is not a whole number") from None
        if size < 1 or (self.max_page_size and size > self.max_page_size):
            raise LmsConfigError(
                f"endpoint {self.name!r}: page_size={size} is out of range 1..{self.max_page_size}"
            )
        return size


def single_response(
    name: str, path: str, records_path: str, description: str, *params: Param, **options: Any
) -> Endpoint:
    """An endpoint whose list (or object) comes in one response: records at ``records_path``,
    no paging (``options`` are any other :class:`Endpoint` fields, e.g. ``id_field``)."""
    return Endpoint(
        name, path, records_path, params=params, paginator=SinglePage, description=description, **options
    )


def prepare_parameters(
    endpoint: Endpoint, parameters: Mapping[str, Any] | None
) -> tuple[Endpoint, dict[str, Any]]:
    """The engine's reserved parameters, before the request is built: ``date_field`` picks the
    endpoint's window, ``record_time_field`` / ``window_trim`` its trim. Returns the endpoint so
    configured and the remaining parameters (for :meth:`Endpoint.build_request`)."""
    if not isinstance(parameters, (Mapping, type(None))):
        raise LmsConfigError(f"parameters must be a dict, not {type(parameters).__name__}")
    given = dict(parameters or {})
    endpoint = apply_date_choice(endpoint, given)
    return apply_trim_parameters(endpoint, given), given


def apply_date_choice(endpoint: Endpoint, parameters: dict[str, Any]) -> Endpoint:
    """Take ``date_field`` (or an older alias of it) out of ``parameters`` (in place) and return
    the endpoint whose window filters that date (the first of ``date_choices`` when not given)."""
    if not endpoint.date_choices:
        return endpoint
    names = [n for n in (DATE_FIELD, *endpoint.date_field_aliases) if n in parameters]
    if len(names) > 1:
        raise LmsConfigError(
            f"endpoint {endpoint.name!r}: {' and '.join(names)} both choose the date the window "
            f"filters; give {DATE_FIELD} only"
        )
    name = names[0] if names else DATE_FIELD
    choice = parameters.pop(name, None) or next(iter(endpoint.date_choices))
    if not isinstance(choice, str) or choice not in endpoint.date_choices:
        raise LmsConfigError(
            f"endpoint {endpoint.name!r}: {name}={choice!r} is not one of {list(endpoint.date_choices)}"
        )
    return replace(endpoint, window=endpoint.date_choices[choice])


def apply_trim_parameters(endpoint: Endpoint, parameters: dict[str, Any]) -> Endpoint:
    """Take ``record_time_field`` / ``window_trim`` out of ``parameters`` (in place) and return the
    endpoint whose window trims by that field, or not at all (``window_trim="off"``).

    A window trim keeps records by their own timestamp where the vendor filter is coarser than the
    window; these reserved parameters fix a trim whose field the records do not carry.
    """
    given = {name: parameters.pop(name) for name in TRIM_PARAMS if name in parameters}
    if not given:
        return endpoint
    if endpoint.window is None or endpoint.window.record_field is None:
        raise LmsConfigError(
            f"endpoint {endpoint.name!r} does not trim records to a window, so "
            f"{' and '.join(given)} cannot apply; accepted parameters: {endpoint.accepted_params()}"
        )
    window = endpoint.window.with_trim(
        given.get(RECORD_TIME_FIELD), given.get(WINDOW_TRIM), endpoint=endpoint.name
    )
    return replace(endpoint, window=window)


class Catalog:
    """The endpoints of one vendor, by name."""

    def __init__(self, vendor: str, endpoints: Iterable[Endpoint]) -> None:
        self.vendor = vendor
        self.endpoints: dict[str, Endpoint] = {}
        for endpoint in endpoints:
            if endpoint.name in self.endpoints:
                raise ValueError(f"{vendor} catalog names {endpoint.name!r} twice")
            self.endpoints[endpoint.name] = endpoint

    def __iter__(self):
        return iter(self.endpoints.values())

    def __contains__(self, name: object) -> bool:
        return name in self.endpoints

    def get(self, name: str) -> Endpoint:
        try:
            return self.endpoints[name]
        except KeyError:
            close = difflib.get_close_matches(name, self.endpoints, n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            from airflow_provider_lms.catalog_hints import wrong_vendor_hint

            hint = wrong_vendor_hint(name, self.vendor) + hint
            raise LmsConfigError(
                f"{self.vendor} has no endpoint {name!r}.{hint} Known endpoints: "
                f"{', '.join(sorted(self.endpoints))}. For another path pass endpoint='/path' or a "
                "dict with path, records_path, method, headers, pagination."
            ) from None


CUSTOM_KEYS = {
    "name",
    "path",
    "method",
    "records_path",
    "metadata_path",
    "headers",
    "pagination",
    "max_page_size",
    "body",
    "id_field",
}


def check_relative_path(path: Any, endpoint: str) -> None:
    """Endpoint paths are relative to the connection's API root: credentials go only there.

    An absolute URL (``http://elsewhere/x``), a protocol-relative one (``//elsewhere/x``) or
    anything not starting with ``/`` (``@elsewhere/x`` would become ``https://api.host@elsewhere``)
    is refused, even when it names the connection's own host: give the path instead.
    """
    text = str(path)
    stripped = text.strip()
    if (
        not isinstance(path, str)
        or not stripped.startswith("/")
        or stripped.startswith(("//", "/\\"))
        or stripped != text
    ):
        raise LmsConfigError(
            f"endpoint {endpoint!r}: path {text!r} must be a path relative to the connection's API "
            "root, starting with a single '/' (e.g. '/users'). Absolute or protocol-relative URLs are "
            "refused: the connection's credentials are only ever sent to its own host."
        )


def _segment_problem(text: str) -> str | None:
    """Why ``text`` cannot be one path segment (also once percent-decoded, as often as a chain of
    servers and proxies might), or None."""
    decoded = text
    for _ in range(5):
        once = unquote(decoded)
        if once == decoded:
            break
        decoded = once
    bad = [c for c in ("/", "\\", "?", "#") if c in decoded]
    if not decoded.strip():
        return "is empty"
    if decoded.strip() in (".", ".."):
        return "is a dot segment"
    if bad:
        return f"contains {' '.join(map(repr, bad))}"
    if _has_control(decoded):
        return "contains a control character"
    return None


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def resolve_endpoint(catalog: Catalog, spec: str | Mapping[str, Any] | Endpoint) -> Endpoint:
    """Turn what the DAG author wrote in ``endpoint=`` into an :class:`Endpoint`."""
    if isinstance(spec, Endpoint):
        return spec
    if isinstance(spec, str):
        if spec.startswith("/") or "://" in spec:
            check_relative_path(spec, spec)
            return Endpoint(name=spec, path=spec, records_path=AUTO, custom=True)
        return catalog.get(spec.strip())
    if not isinstance(spec, Mapping):
        raise LmsConfigError(f"endpoint must be a name, a '/path' or a dict, not {type(spec).__name__}")
    unknown = set(spec) - CUSTOM_KEYS
    if unknown:
        raise LmsConfigError(f"endpoint spec keys {sorted(unknown)} are unknown; use {sorted(CUSTOM_KEYS)}")
    overrides: dict[str, Any] = {k: v for k, v in spec.items() if k not in ("name", "pagination")}
    if "method" in overrides:
        overrides["method"] = str(overrides["method"]).upper()
    if "headers" in overrides:
        overrides["headers"] = _parse_headers(overrides["headers"])
    if "pagination" in spec:
        overrides["paginator"] = (
            SinglePage if spec["pagination"] in ("none", None) else paginator_from_spec(spec["pagination"])
        )
    if spec.get("records_path"):
        RecordSelector(spec["records_path"], spec.get("metadata_path"))  # fail early on bad JSONPath
    if "path" in spec:
        check_relative_path(spec["path"], str(spec.get("name") or spec["path"]))
    if "name" in spec and spec["name"] in catalog:
        return replace(catalog.get(spec["name"]), **overrides)
    if not spec.get("path"):
        raise LmsConfigError(f"endpoint spec {dict(spec)!r} names no catalog endpoint and has no 'path'")
    overrides.setdefault("records_path", AUTO)
    return Endpoint(name=str(spec.get("name") or spec["path"]), custom=True, **overrides)


def _parse_headers(value: Any) -> dict[str, str]:
    # The guide's "header1:value1,header2:value2" form, or a dict.
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    headers: dict[str, str] = {}
    for pair in str(value).split(","):
        if pair.strip():
            name, sep, val = pair.partition(":")
            if not sep:
                raise LmsConfigError(f"header {pair!r} is not 'name:value'")
            headers[name.strip()] = val.strip()
    return headers
