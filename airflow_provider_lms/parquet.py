"""Parquet output: row groups written as records arrive, with a schema that widens when it must.

pyarrow is an optional extra, imported only when a ``.parquet`` destination is used.

Schema rule (see docs/parquet.md):

* Each top-level field becomes a column, in order of first appearance; a record without the field
  has null there.
* A column's type is the join of the kinds of every value seen in it: null joins anything; int and
  float make float (double); any other mix makes string. Integers beyond 2**53 (which a double
  cannot hold exactly) are "bigint": int64 alone, string when mixed with floats.
* Objects and arrays are JSON-encoded into string columns. In a string column, non-string values
  are written as JSON text (``true``, ``5``, ``87.5``; a whole float such as 5.0 is written ``5``).
* A column that only ever held nulls is a nullable string column.

Row groups hold :data:`ROW_GROUP_ROWS` records each (the last one fewer), so the bytes depend on the
records only, not on how the vendor paged them. They are written to a local staging file as they
fill; when a later record adds a column or widens a type, the row groups already staged are
rewritten one at a time under the wider schema. The result is the file that writing every record
with the final schema would give, and memory stays bounded by one row group.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from airflow_provider_lms.exceptions import LmsConfigError

#: Records per row group: bounds the writer's memory (roughly 10-30 MB of typical LMS records).
ROW_GROUP_ROWS = 10_000
INSTALL_HINT = "pip install 'airflow-provider-lms[parquet]'"

NULL, BOOL, INT, BIGINT, FLOAT, STRING = "null", "bool", "int", "bigint", "float", "string"
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_EXACT_IN_DOUBLE = 2**53  # integers up to this survive a double exactly
#: Joins of two different non-null kinds that are not string.
_JOINS = {
    frozenset((INT, FLOAT)): FLOAT,
    frozenset((INT, BIGINT)): BIGINT,
}


def load_pyarrow():
    """Import pyarrow (and its parquet module) or explain how to install it."""
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401  (binds pyarrow.parquet)
    except ImportError as exc:
        raise LmsConfigError(
            f"Parquet destinations need pyarrow, which is not installed ({exc}). Install the extra: "
            f"{INSTALL_HINT}, or write .jsonl / .jsonl.gz instead"
        ) from None
    return pyarrow


def kind_of(value: Any) -> str:
    """The schema kind of one JSON value."""
    if value is None:
        return NULL
    if isinstance(value, bool):  # before int: bool is an int subclass
        return BOOL
    if isinstance(value, int):
        if -_EXACT_IN_DOUBLE <= value <= _EXACT_IN_DOUBLE:
            return INT
        return BIGINT if _INT64_MIN <= value <= _INT64_MAX else STRING
    if isinstance(value, float):
        return FLOAT
    return STRING  # str, and objects/arrays (JSON-encoded)


def join_kinds(a: str, b: str) -> str:
    """The narrowest kind that holds values of both ``a`` and ``b``."""
    if a == b or b == NULL:
        return a
    if a == NULL:
        return b
    return _JOINS.get(frozenset((a, b)), STRING)


def as_text(value: Any) -> str:
    """A value of a string column: strings as they are, anything else as JSON text."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        if abs(value) <= _EXACT_IN_DOUBLE:
            return str(int(value))  # 5.0 and 5 read the same, whichever page came first
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


class ParquetWriter:
    """Writes records to ``raw`` as one Parquet file (see the module docstring for the rules).

    ``write`` may be called with any number of records; ``close`` finishes the file and copies it
    to ``raw``; ``discard`` drops the staging file after a failure.
    """

    def __init__(self, raw: IO[bytes], *, row_group_rows: int | None = None) -> None:
        row_group_rows = ROW_GROUP_ROWS if row_group_rows is None else row_group_rows
        if row_group_rows < 1:
            raise ValueError("row_group_rows must be at least 1")
        self._pa = load_pyarrow()
        self._raw = raw
        self.row_group_rows = row_group_rows
        self.count = 0
        self.rewrites = 0  # how many times a widened schema made us rewrite staged row groups
        self._kinds: dict[str, str] = {}  # column -> kind, in order of first appearance
        self._buffer: list[dict[str, Any]] = []
        self._staging = Path(tempfile.mkdtemp(prefix="lms-parquet-"))
        self._staged: Path | None = None
        self._file_writer = None
        self._file_schema = None
        self._generation = 0

    # ---- writer protocol ----------------------------------------------------------------------

    def write(self, records: Iterable[dict[str, Any]]) -> None:
        kinds = self._kinds
        for record in records:
            for name, value in record.items():
                seen = kinds.get(name)
                kind = kind_of(value)
                if seen is None:
                    kinds[name] = kind
                elif seen != kind:
                    kinds[name] = join_kinds(seen, kind)
            self._buffer.append(record)
            self.count += 1
            if len(self._buffer) >= self.row_group_rows and kinds:
                self._flush()

    def close(self) -> None:
        try:
            if self._buffer or self._file_writer is None:
                self._flush()
            self._file_writer.close()
            self._file_writer = None
            with self._staged.open("rb") as staged:
                shutil.copyfileobj(staged, self._raw, 1 << 20)
        finally:
            self.discard()

    def discard(self) -> None:
        """Remove the staging files (after close, or when the extract failed)."""
        if self._file_writer is not None:
            try:
                self._file_writer.close()
            except Exception:  # cleanup after a failure must not mask it
                pass
            self._file_writer = None
        shutil.rmtree(self._staging, ignore_errors=True)

    # ---- internals ----------------------------------------------------------------------------

    def schema(self):
        """The Arrow schema the records seen so far need."""
        pa = self._pa
        types = {
            NULL: pa.string(),
            BOOL: pa.bool_(),
            INT: pa.int64(),
            BIGINT: pa.int64(),
            FLOAT: pa.float64(),
            STRING: pa.string(),
        }
        return pa.schema([(name, types[kind]) for name, kind in self._kinds.items()])

    def _flush(self) -> None:
        schema = self.schema()
        if self._file_writer is None:
            self._open(schema)
        elif not schema.equals(self._file_schema):
            self._rewrite_staged(schema)
        if self._buffer:
            self._write_rows(self._buffer)
            self._buffer = []

    def _open(self, schema) -> None:
        self._generation += 1
        self._staged = self._staging / f"stage-{self._generation}.parquet"
        self._file_writer = self._pa.parquet.ParquetWriter(str(self._staged), schema, compression="snappy")
        self._file_schema = schema

    def _rewrite_staged(self, schema) -> None:
        # A column appeared or widened: re-encode what is staged, one row group at a time.
        self._file_writer.close()
        previous = self._staged
        self._open(schema)
        staged = self._pa.parquet.ParquetFile(str(previous))
        try:
            for index in range(staged.num_row_groups):
                self._write_rows(staged.read_row_group(index).to_pylist())
        finally:
            staged.close()
        previous.unlink()
        self.rewrites += 1

    def _write_rows(self, rows: list[dict[str, Any]]) -> None:
        pa, schema = self._pa, self._file_schema
        columns = []
        for field in schema:
            values = [row.get(field.name) for row in rows]
            if pa.types.is_string(field.type):
                values = [None if v is None else as_text(v) for v in values]
            columns.append(pa.array(values, type=field.type))
        if columns:  # records without any field have nothing to store
            table = pa.Table.from_arrays(columns, schema=schema)
            self._file_writer.write_table(table, row_group_size=len(rows))
