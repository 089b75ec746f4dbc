"""Preview an endpoint before building a DAG: the first records and the requests that fetched them.

    lms-preview my_lms users --limit 5
    lms-preview my_lms exam_results -p exam_id=9001
    lms-preview my_lms enrollments --window-start 2026-10-20 --window-end 2026-10-21
    lms-preview my_lms '{"path": "/groups", "records_path": "$.groups[*]"}'
    lms-preview my_lms --list            # the vendor's catalog

(``python -m airflow_provider_lms.preview`` is the same command.) The connection is read the way
Airflow reads it: ``AIRFLOW_CONN_<ID>`` environment variables, a secrets backend or the metadata
database. Secrets are masked in everything printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from collections.abc import Sequence
from typing import IO, Any

from airflow_provider_lms.exceptions import LmsConfigError, LmsError

PROG = "lms-preview"


def parse_endpoint(text: str) -> str | dict[str, Any]:
    """A catalog name, a ``/path``, or a JSON object spec (``{"path": ..., "records_path": ...}``)."""
    text = text.strip()
    if not text.startswith("{"):
        return text
    try:
        spec = json.loads(text)
    except ValueError as exc:
        raise LmsConfigError(f"endpoint spec is not valid JSON: {exc}") from None
    if not isinstance(spec, dict):
        raise LmsConfigError("endpoint spec must be a JSON object")
    return spec


def parse_parameters(pairs: Sequence[str], as_json: str | None) -> dict[str, Any]:
    """``-p name=value`` pairs (values read as JSON when they parse, else kept as text) over ``--parameters``."""
    parameters: dict[str, Any] = {}
    if as_json:
        try:
            loaded = json.loads(as_json)
        except ValueError as exc:
            raise LmsConfigError(f"--parameters is not valid JSON: {exc}") from None
        if not isinstance(loaded, dict):
            raise LmsConfigError("--parameters must be a JSON object")
        parameters.update(loaded)
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise LmsConfigError(f"parameter {pair!r} is not name=value")
        try:
            parameters[name.strip()] = json.loads(value)
        except ValueError:
            parameters[name.strip()] = value
    return parameters


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("conn_id", help="an LMS connection id, e.g. my_lms")
    parser.add_argument("endpoint", nargs="?", help="catalog name, /custom/path or a JSON spec")
    parser.add_argument("-n", "--limit", type=int, default=10, help="records to show (default 10)")
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--parameters", metavar="JSON", help="all parameters as a JSON object")
    parser.add_argument("--window-start", help="start of the date window (inclusive), e.g. 2026-10-20")
    parser.add_argument("--window-end", help="end of the date window (exclusive)")
    parser.add_argument("--max-pages", type=int, default=10, help="most pages to read (default 10)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--list", action="store_true", help="list the vendor's catalog endpoints")
    return parser


def catalog_lines(hook) -> list[str]:
    lines = [f"{hook.hook_name} endpoints (connection {hook.conn_id}):"]
    for endpoint in hook.catalog:
        window = "  [date window]" if endpoint.window is not None else ""
        lines.append(f"  {endpoint.name:<28} {endpoint.path}{window}")
        lines.append(f"  {'':<28} parameters: {endpoint.accepted_params()}")
        for text in endpoint.requirement_text():
            lines.append(f"  {'':<28} {text}")
        if endpoint.fixed_page_size:
            lines.append(f"  {'':<28} page size fixed by the vendor (page_size is refused)")
    return lines


@contextlib.contextmanager
def logs_to_stderr():
    """Keep stdout for the preview itself: Airflow's loggers write progress lines to stderr."""
    import airflow  # noqa: F401  (configures logging on import; redirect it afterwards)

    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
            handler.setStream(sys.stderr)
    # Airflow's structlog loggers bind sys.stdout when first used, which happens inside this block.
    with contextlib.redirect_stdout(sys.stderr):
        yield


def run(args: argparse.Namespace, out: IO[str]) -> int:
    from airflow_provider_lms.hooks import hook_for_connection

    hook = hook_for_connection(args.conn_id).quick()  # a person is waiting: seconds, not minutes
    if args.list:
        print("\n".join(catalog_lines(hook)), file=out)
        return 0
    if not args.endpoint:
        raise LmsConfigError("give an endpoint (a catalog name, /path or JSON spec), or --list")
    preview = hook.preview(
        parse_endpoint(args.endpoint),
        parse_parameters(args.param, args.parameters),
        limit=args.limit,
        window_start=args.window_start,
        window_end=args.window_end,
        max_pages=args.max_pages,
    )
    # Records pass through the redactor too: some APIs echo credentials back.
    records_text = hook.redactor.text(json.dumps(preview.records, ensure_ascii=False, default=str))
    records = json.loads(records_text)
    if args.json:
        payload = {"conn_id": args.conn_id, "requests": preview.requests, "records": records}
        print(json.dumps(payload, ensure_ascii=False, indent=2), file=out)
        return 0
    for number, request in enumerate(preview.requests, start=1):
        print(f"Request {number}:", file=out)
        print("\n".join(f"  {line}" for line in request.splitlines()), file=out)
    print(f"\nFirst {len(records)} record(s):", file=out)
    for record in records:
        print(json.dumps(record, ensure_ascii=False, indent=2), file=out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``lms-preview``: 0 on success, 2 for a bad request, 1 when the vendor failed."""
    args = build_parser().parse_args(argv)
    out = sys.stdout
    try:
        with logs_to_stderr():
            return run(args, out)
    except BrokenPipeError:  # piped into head: stop quietly
        sys.stderr.close()
        return 0
    except LmsConfigError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except LmsError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # unknown connection id and the like: say it plainly, no traceback
        if type(exc).__name__ == "AirflowNotFoundException":
            print(
                f"{PROG}: connection {args.conn_id!r} is not defined: add it in Airflow or set "
                f"AIRFLOW_CONN_{args.conn_id.upper()}",
                file=sys.stderr,
            )
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
