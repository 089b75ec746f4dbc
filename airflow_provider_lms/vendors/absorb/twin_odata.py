"""The OData ``$filter`` subset Absorb documents for ``_filter``, evaluated over sandbox records.

Operators eq, ne, gt, ge, lt, le, and, or, not and parentheses; literals ``datetime'...'``,
``guid'...'``, ``'text'`` (``''`` escapes a quote), numbers, true, false, null; functions
substringof, startswith, endswith, tolower, toupper. Field names match case-insensitively, as
in Absorb's own examples (``firstname eq 'Jeffrey'``). Anything else is a 400 in the twin.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

Record = dict[str, Any]
Predicate = Callable[[Record], bool]
Operand = Callable[[Record], Any]


class ODataError(ValueError):
    """The filter is not in the supported subset (the twin answers 400)."""


_TOKEN = re.compile(
    r"\s*(?:(?P<typed>(?:datetime|guid)'[^']*')|(?P<text>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<punct>[(),])|(?P<word>[A-Za-z_][\w/]*))"
)
COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
FUNCTIONS = {"substringof", "startswith", "endswith", "tolower", "toupper"}


@dataclass
class _Token:
    kind: str
    value: str


def _tokenize(text: str) -> list[_Token]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        found = _TOKEN.match(text, position)
        if not found or found.end() == position:
            raise ODataError(f"cannot read the filter at {text[position : position + 20]!r}")
        kind = found.lastgroup or ""
        tokens.append(_Token(kind, found.group(kind)))
        position = found.end()
    return tokens


def parse_moment(value: Any) -> datetime | None:
    """A record's or literal's date-time as an aware UTC datetime (naive = UTC)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def field_value(record: Record, name: str) -> Any:
    lowered = name.lower()
    for key, value in record.items():
        if key.lower() == lowered:
            return value
    return None


class _Parser:
    def __init__(self, text: str, fields: set[str]) -> None:
        self.tokens, self.position = _tokenize(text), 0
        self.fields = {f.lower() for f in fields}

    def parse(self) -> Predicate:
        if not self.tokens:
            raise ODataError("the filter is empty")
        predicate = self._or()
        if self.position != len(self.tokens):
            raise ODataError(f"unexpected {self.tokens[self.position].value!r}")
        return predicate

    # ---- helpers --------------------------------------------------------------------------------

    def _peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _next(self) -> _Token:
        token = self._peek()
        if token is None:
            raise ODataError("the filter ends too early")
        self.position += 1
        return token

    def _is_word(self, word: str) -> bool:
        token = self._peek()
        return token is not None and token.kind == "word" and token.value.lower() == word

    def _expect(self, value: str) -> None:
        token = self._next()
        if token.value != value:
            raise ODataError(f"expected {value!r}, found {token.value!r}")

    # ---- grammar --------------------------------------------------------------------------------

    def _or(self) -> Predicate:
        left = self._and()
        while self._is_word("or"):
            self.position += 1
            right = self._and()
            left = (lambda a, b: lambda r: a(r) or b(r))(left, right)
        return left

    def _and(self) -> Predicate:
        left = self._not()
        while self._is_word("and"):
            self.position += 1
            right = self._not()
            left = (lambda a, b: lambda r: a(r) and b(r))(left, right)
        return left

    def _not(self) -> Predicate:
        if self._is_word("not"):
            self.position += 1
            inner = self._not()
            return lambda r: not inner(r)
        return self._primary()

    def _primary(self) -> Predicate:
        token = self._peek()
        if token is not None and token.value == "(":
            self.position += 1
            inner = self._or()
            self._expect(")")
            return inner
        left = self._operand()
        operator = self._peek()
        if operator is None or operator.kind != "word" or operator.value.lower() not in COMPARISONS:
            return lambda r: bool(left(r))  # a boolean function such as startswith(...)
        self.position += 1
        right = self._operand()
        return _comparison(operator.value.lower(), left, right)

    def _operand(self) -> Operand:
        token = self._next()
        if token.kind == "typed":
            kind, _, rest = token.value.partition("'")
            raw = rest[:-1]
            if kind == "datetime":
                moment = parse_moment(raw)
                if moment is None:
                    raise ODataError(f"{token.value} is not a valid datetime literal")
                return lambda r: moment
            return lambda r: raw.lower()
        if token.kind == "text":
            text = token.value[1:-1].replace("''", "'")
            return lambda r: text
        if token.kind == "number":
            number = float(token.value) if "." in token.value else int(token.value)
            return lambda r: number
        if token.kind == "word":
            word = token.value.lower()
            if word in ("true", "false"):
                return lambda r: word == "true"
            if word == "null":
                return lambda r: None
            if self._peek() is not None and self._peek().value == "(":
                return self._function(word)
            if word not in self.fields:
                raise ODataError(f"field {token.value!r} cannot be filtered on")
            return lambda r: field_value(r, token.value)
        raise ODataError(f"unexpected {token.value!r}")

    def _function(self, name: str) -> Operand:
        if name not in FUNCTIONS:
            raise ODataError(f"function {name!r} is not supported")
        self._expect("(")
        arguments = [self._operand()]
        while self._peek() is not None and self._peek().value == ",":
            self.position += 1
            arguments.append(self._operand())
        self._expect(")")
        expected = 1 if name in ("tolower", "toupper") else 2
        if len(arguments) != expected:
            raise ODataError(f"{name} takes {expected} argument(s)")

        def text(operand: Operand, record: Record) -> str:
            value = operand(record)
            return "" if value is None else str(value)

        if name == "tolower":
            return lambda r: text(arguments[0], r).lower()
        if name == "toupper":
            return lambda r: text(arguments[0], r).upper()
        if name == "substringof":
            return lambda r: text(arguments[0], r) in text(arguments[1], r)
        if name == "startswith":
            return lambda r: text(arguments[0], r).startswith(text(arguments[1], r))
        return lambda r: text(arguments[0], r).endswith(text(arguments[1], r))


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    # A datetime literal compares against the record's ISO text as a moment.
    if isinstance(left, datetime) and not isinstance(right, datetime):
        right = parse_moment(right)
    elif isinstance(right, datetime) and not isinstance(left, datetime):
        left = parse_moment(left)
    if (
        isinstance(left, str)
        and isinstance(right, str)
        and _looks_like_guid(left)
        and _looks_like_guid(right)
    ):
        return left.lower(), right.lower()  # guids compare without regard to case
    return left, right


_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _looks_like_guid(value: str) -> bool:
    return bool(_GUID.match(value))


def _comparison(operator: str, left: Operand, right: Operand) -> Predicate:
    def check(record: Record) -> bool:
        a, b = _comparable(left(record), right(record))
        if operator == "eq":
            return a == b
        if operator == "ne":
            return a != b
        if a is None or b is None:
            return False  # ordering against null is never true
        try:
            if operator == "gt":
                return a > b
            if operator == "ge":
                return a >= b
            if operator == "lt":
                return a < b
            return a <= b
        except TypeError:
            return False

    return check


def compile_filter(text: str, fields: set[str]) -> Predicate:
    """A predicate for ``text``; ``fields`` are the names that may be filtered on."""
    return _Parser(text, fields).parse()
