"""Parameter rules an endpoint's flat ``required`` flags cannot express, as data.

An endpoint lists them in ``Endpoint.rules``: :class:`OneOf` (at least one group of parameters,
e.g. ``user_ids`` or ``org_ids``), :class:`Requires` (``syllabus_id`` needs ``org_id``) and
:class:`Excludes` (``user_id`` or ``subscriber_id``, not both). Each rule says what is wrong with
the given parameters (``problem``) and, for the endpoint table and ``lms-preview --list``, what it
asks for (``text``). Value formats (``Param(value_format="uuid")``) are checked here too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_lms.windows import Window


def is_given(value: Any) -> bool:
    """Whether a parameter counts as given: ``None``, ``""`` and an empty list do not."""
    return value not in (None, "", [], ())


def _either(options: list[str], last: str = ", or ") -> str:
    return options[0] if len(options) == 1 else last.join([", ".join(options[:-1]), options[-1]])


@dataclass(frozen=True)
class OneOf:
    """At least one group of parameters must be given in full (``user_ids`` or ``org_ids``...)."""

    groups: tuple[tuple[str, ...], ...]
    window_satisfies: bool = False  # a task window fills the parameters in

    def _options(self) -> list[str]:
        return [" and ".join(group) for group in self.groups]

    def problem(self, given: Mapping[str, Any], window: Window | None) -> str | None:
        if self.window_satisfies and window is not None:
            return None
        if any(all(is_given(given.get(n)) for n in group) for group in self.groups):
            return None
        text = _either(self._options())
        if self.window_satisfies:
            text += " (or a window: window_start/window_end)"
        return f"needs {text}"

    def text(self) -> str:
        options = self._options()
        if self.window_satisfies:
            return f"needs a window or {_either(options, ' or ')}"
        return f"needs {options[0]}" if len(options) == 1 else f"needs one of {', '.join(options)}"


@dataclass(frozen=True)
class Requires:
    """Giving any of ``when`` makes ``then`` required (``syllabus_id`` needs ``org_id``)."""

    when: tuple[str, ...]
    then: str

    def problem(self, given: Mapping[str, Any], window: Window | None) -> str | None:
        trigger = [n for n in self.when if is_given(given.get(n))]
        if trigger and not is_given(given.get(self.then)):
            return f"needs {self.then} when {' or '.join(trigger)} is given"
        return None

    def text(self) -> str:
        return f"needs {self.then} with {' or '.join(self.when)}"


@dataclass(frozen=True)
class Excludes:
    """Parameters that must not be given together."""

    names: tuple[str, ...]

    def problem(self, given: Mapping[str, Any], window: Window | None) -> str | None:
        both = [n for n in self.names if is_given(given.get(n))]
        return f"takes {' or '.join(self.names)}, not both" if len(both) > 1 else None

    def text(self) -> str:
        return f"takes {' or '.join(self.names)}, not both"


Rule = OneOf | Requires | Excludes


@dataclass(frozen=True)
class ValueFormat:
    """A check every value of a parameter must pass, and how to describe a good value."""

    accepts: Callable[[Any], bool]
    example: str


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


VALUE_FORMATS: dict[str, ValueFormat] = {
    "uuid": ValueFormat(_is_uuid, "a UUID such as '3f8c08bc-e009-471c-802c-09f0d814bf59'"),
}


def value_problem(fmt: str, label: str, name: str, value: Any) -> str | None:
    """Why ``value`` (one value or a list) of parameter ``name`` is not in format ``fmt``, or None."""
    check = VALUE_FORMATS[fmt]
    for item in value if isinstance(value, list) else [value]:
        if not check.accepts(item):
            return f"{name}={item!r} is not {label or 'a valid value'} ({check.example})"
    return None
