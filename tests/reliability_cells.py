"""The cells of the two reliability matrices: server faults x vendor, and hostile inputs.

Each fault says which outcomes it allows: transient faults must end **exact** (retried), structural
lies in a **clean failure** (or exact where no record can be lost or repeated either way).
"""

from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import urlencode

from tests.reliability import (
    PAGE_SIZE,
    VENDORS,
    Cell,
    Creds,
    Fault,
    LearnWorlds,
    Reply,
    VendorStub,
    accepted_hook_args,
    standard_records,
)

EXACT = frozenset({"exact"})
CLEAN = frozenset({"clean"})
EITHER = frozenset({"exact", "clean"})
TOTAL_VENDORS = tuple(v for v, vendor in VENDORS.items() if vendor.has_total)


def once(index: int, make, times: int = 1):
    """Lie on the first ``times`` requests for page ``index`` (0-based), then answer honestly."""

    def reply(stub: VendorStub, request, i: int, size: int):
        if i == index and stub.per_index[i] <= times:
            return make(stub, request, i, size)
        return None

    return reply


def always(index: int, make):
    def reply(stub: VendorStub, request, i: int, size: int):
        return make(stub, request, i, size) if i == index else None

    return reply


def honest_with(**options):
    return lambda stub, request, i, size: replace(stub.honest(i, size), **options)


def padded(stub: VendorStub, i: int, size: int, pad: int = 3000) -> Reply:
    """The honest page with an ignored ``_pad`` key, so the body spans several chunks."""
    reply = stub.honest(i, size)
    body = json.loads(reply.body)
    body["_pad"] = "x" * pad
    return replace(reply, body=json.dumps(body).encode())


def body_of(status: int, body: bytes, content_type: str = "application/json"):
    return lambda stub, request, i, size: Reply(status, body, {"Content-Type": content_type})


def too_many(retry_after: str | None):
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return lambda stub, request, i, size: Reply.json({"error": "Too many requests"}, 429, headers)


def echo_headers(stub, request, i, size):
    # A careless gateway: the plain-text error page quotes the request, credentials first.
    first = {k: v for k, v in request.headers.items() if k in ("authorization", "x-api-key", "lw-client")}
    text = (
        f"Internal error for {json.dumps(first)} query={json.dumps(request.query)} "
        f"body={request.body.decode('latin-1')} headers={json.dumps(request.headers)}"
    )
    return Reply(500, text.encode("latin-1", "replace"), {"Content-Type": "text/plain"})


def echo_on_auth(stub, request, i, size):
    return replace(echo_headers(stub, request, i, size), status=400)


def truncated_json(stub, request, i, size):
    body = stub.honest(i, size).body
    return Reply(200, body[: len(body) // 2], {"Content-Type": "application/json"})


def invalid_utf8(stub, request, i, size):
    body = stub.honest(i, size).body.replace(b"Record", b"R\xe9cord")
    return Reply(200, body, {"Content-Type": "application/json; charset=utf-8"})


def latin1_records(vendor):
    return [{**r, "name": r["name"].replace("Record", "Récord")} for r in standard_records(vendor)]


def latin1_declared(stub, request, i, size):
    body = json.dumps(json.loads(stub.honest(i, size).body), ensure_ascii=False).encode("latin-1")
    return Reply(200, body, {"Content-Type": "application/json; charset=iso-8859-1"})


def nan_records(vendor):
    records = standard_records(vendor)
    records[4]["score"] = float("nan")
    records[5]["score"] = float("inf")
    return records


def expire_tokens(stub: VendorStub, request, i, size):
    if i == 1 and not stub.state.get("expired"):
        stub.state["expired"] = True
        stub.tokens.clear()
        return stub.vendor.rejected()
    return None


def redirect_elsewhere(stub: VendorStub, request, i, size):
    if i == 1 and stub.per_index[i] == 1:
        query = {k: v for k, v in request.query.items() if k != "access_token"}
        return Reply.redirect(f"{stub.state['elsewhere']}{request.path}?{urlencode(query, doseq=True)}", 307)
    return None


def redirect_loop(stub: VendorStub, request, i, size):
    if i == 1:
        return Reply.redirect(f"{stub.url}{request.path}?{urlencode(request.query, doseq=True)}", 307)
    return None


def repeat_first(stub: VendorStub, request, i, size):
    if i == 2:  # page 3 = page 1
        return stub.vendor.render(stub.listing, stub.records[:size], i, size, len(stub.records), True)
    return None


def cycle(stub: VendorStub, request, i, size):
    if i >= 2:  # pages 1, 2, 1, 2... with "more" always set
        start = (i % 2) * size
        return stub.vendor.render(stub.listing, stub.records[start : start + size], i, size, 10**6, True)
    return None


def empty_in_middle(stub: VendorStub, request, i, size):
    data = stub.records
    if i == 1:
        return stub.vendor.render(stub.listing, [], i, size, len(data), True)
    if i >= 2:
        chunk = data[(i - 1) * size : i * size]
        return stub.vendor.render(stub.listing, chunk, i, size, len(data), i * size < len(data))
    return None


def short_pages(stub: VendorStub, request, i, size):
    served = max(size - 1, 1)  # the server caps the page below what was asked
    data = stub.records
    chunk = data[i * served : (i + 1) * served]
    more = None if stub.vendor.conn_type == "learnupon" else (i + 1) * served < len(data)
    if stub.vendor.conn_type == "ispring":
        more = (i + 1) * served < len(data)
    return stub.vendor.render(stub.listing, chunk, i, served, len(data), more)


def total_high(stub: VendorStub, request, i, size):
    data = stub.records
    if stub.vendor.has_total:
        return stub.honest(i, size, total=len(data) + 5, more=(i + 1) * size < len(data) + 5)
    return stub.honest(i, size, more=(i + 1) * size <= len(data))  # "more" on the last page


def total_low(stub: VendorStub, request, i, size):
    return stub.honest(i, size, total=5, more=(i + 1) * size < 5)


def insert_at_front(stub: VendorStub, request, i, size):
    if i >= 1 and not stub.state.get("changed"):
        stub.state["changed"] = True
        stub.records.insert(0, stub.vendor.record(999, 1_761_955_200.0 - 60))
    return None


def delete_at_front(stub: VendorStub, request, i, size):
    if i >= 1 and not stub.state.get("changed"):
        stub.state["changed"] = True
        del stub.records[0]
    return None


def _final_set(stub: VendorStub):
    return [list(stub.records)]


def _without_score(record):
    return {k: v for k, v in record.items() if k != "score"}


FAULTS: list[Fault] = [
    # transient: retried to the exact record set
    Fault("429 with Retry-After", "transient", EXACT, once(1, too_many("1"))),
    Fault("429 without Retry-After", "transient", EXACT, once(1, too_many(None))),
    Fault("429 Retry-After nan", "transient", EXACT, once(1, too_many("nan"))),
    Fault("503 twice", "transient", EXACT, once(1, body_of(503, b'{"error": "unavailable"}'), times=2)),
    Fault("connection dropped", "transient", EXACT, once(1, lambda s, r, i, n: Reply(drop=True))),
    Fault("reset before body", "transient", EXACT, once(1, honest_with(reset_before_body=True))),
    Fault(
        "reset during body",
        "transient",
        EXACT,
        once(1, lambda s, r, i, n: replace(s.honest(i, n), truncate_at=len(s.honest(i, n).body) // 2)),
    ),
    Fault(
        "broken chunked body",
        "transient",
        EXACT,
        once(1, lambda s, r, i, n: replace(padded(s, i, n), chunked=True, broken_chunk=True)),
    ),
    Fault(
        "corrupt gzip",
        "transient",
        EXACT,
        once(
            1,
            lambda s, r, i, n: Reply(
                200,
                b"\x1f\x8b\x08\x00garbage-not-gzip",
                {"Content-Type": "application/json", "Content-Encoding": "gzip"},
            ),
        ),
    ),
    Fault("read timeout", "transient", EXACT, once(1, honest_with(delay=1.6))),
    Fault(
        "trickled body",
        "transient",
        EXACT,
        # ~8 s byte by byte, never idle for a read timeout: only a bound on the whole response
        # (hook argument response_timeout=1.0, passed when the hook has it) ends it in time; the
        # cell's bound leaves a loaded machine room without letting the whole trickle pass.
        once(1, lambda s, r, i, n: replace(padded(s, i, n, pad=350), trickle=0.012)),
        time_bound=4.0,
    ),
    Fault(
        "negative rate-limit header",
        "transient",
        EXACT,
        always(
            0,
            lambda s, r, i, n: replace(
                s.honest(i, n), headers={**s.honest(i, n).headers, "X-LU-Rate-Limit-Remaining-Minute": "-1"}
            ),
        ),
        vendors=("learnupon",),
    ),
    # server errors that do not go away
    Fault("500 on every attempt", "server errors", CLEAN, always(1, body_of(500, b'{"error": "boom"}'))),
    Fault("429 Retry-After one day", "server errors", CLEAN, always(1, too_many("86400"))),
    Fault("500 echoing the request", "server errors", CLEAN, always(1, echo_headers)),
    # broken bodies
    Fault("truncated JSON", "broken bodies", CLEAN, always(1, truncated_json)),
    Fault(
        "HTML page",
        "broken bodies",
        CLEAN,
        always(1, body_of(200, b"<html><body>Maintenance</body></html>", "text/html")),
    ),
    Fault("empty body", "broken bodies", CLEAN, always(1, body_of(200, b""))),
    Fault("null body", "broken bodies", CLEAN, always(1, body_of(200, b"null"))),
    Fault("deep nesting", "broken bodies", CLEAN, always(1, body_of(200, b"[" * 100_000 + b"]" * 100_000))),
    Fault("invalid UTF-8", "broken bodies", CLEAN, always(1, invalid_utf8)),
    Fault(
        "Latin-1 declared",
        "broken bodies",
        EXACT,
        lambda s, r, i, n: latin1_declared(s, r, i, n),
        records=latin1_records,
    ),
    Fault("NaN and Infinity", "broken bodies", EITHER, None, records=nan_records, normalize=_without_score),
    # auth and redirects
    Fault(
        "token expiry", "auth", EXACT, expire_tokens, vendors=("absorb", "nexport", "ispring", "learnworlds")
    ),
    Fault("401 mid-extract (Basic)", "auth", EITHER, expire_tokens, vendors=("learnupon",)),
    Fault("redirect to another origin", "auth", EITHER, redirect_elsewhere),
    Fault("redirect loop", "auth", CLEAN, redirect_loop),
    # paging lies
    Fault("page 3 repeats page 1", "paging lies", CLEAN, repeat_first),
    Fault("pages cycle forever", "paging lies", CLEAN, cycle, time_bound=8.0),
    Fault("empty page in the middle", "paging lies", EITHER, empty_in_middle),
    Fault("short pages, no signal", "paging lies", EXACT, short_pages),
    Fault("total too high", "paging lies", EITHER, total_high),
    Fault("total too low", "paging lies", CLEAN, total_low, vendors=TOTAL_VENDORS),
    Fault("insert at front mid-extract", "paging lies", EITHER, insert_at_front, alternatives=_final_set),
    Fault(
        "delete at front mid-extract",
        "paging lies",
        EITHER,
        delete_at_front,
        vendors=TOTAL_VENDORS,
        alternatives=_final_set,
    ),
]


def _fault_cells() -> list[Cell]:
    cells = []
    for fault in FAULTS:
        for vendor in fault.vendors:
            cells.append(
                Cell(
                    "faults",
                    fault.category,
                    vendor,
                    _slug(fault.name),
                    fault.expect,
                    fault=fault,
                    time_bound=fault.time_bound,
                )
            )
    return cells


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


# ---- hostile inputs -------------------------------------------------------------------------------

HOSTILE_IDS = {
    "dot-dot": "..",
    "dot": ".",
    "question-mark": "7?x=1",
    "hash": "7#x",
    "encoded-slash": "7%2F..%2Fusers",
    "url": "http://127.0.0.1:9/elsewhere",
}
SCALAR_LISTS = {
    "learnupon": ("windowed", {"course_id": [5001, 5002]}),
    "absorb": ("plain", {"_sort": ["id", "username"]}),
    "nexport": ("plain", {"date_field": ["enrolled", "completed"]}),
    "ispring": ("windowed", {"window_field": ["accessDate", "dueDate"]}),
    "learnworlds": ("plain", {"tags": ["a", "b"]}),
}
WINDOWS = {
    "window inside the data": (("2025-11-01T02:00:00Z", "2025-11-01T05:00:00Z"), EXACT),
    "window reversed": (("2025-11-02T00:00:00Z", "2025-11-01T00:00:00Z"), CLEAN),
    "window naive": (("2025-11-01T00:00:00", "2025-11-01T06:00:00"), EITHER),
    "window malformed": (("yesterday", "2025-13-45"), CLEAN),
    "window near year 1": (("0001-01-01T00:00:00Z", "0001-01-02T00:00:00Z"), EITHER),
    "window near year 9999": (("9999-12-30T00:00:00Z", "9999-12-31T23:59:59Z"), EITHER),
}
PAGE_SIZES = {
    "page size 0": (0, CLEAN),
    "page size -1": (-1, CLEAN),
    "page size huge": (10**9, EITHER),
    "page size abc": ("abc", CLEAN),
}
CREDENTIALS = {
    "credentials with : @ / %": (Creds(login="svc@acme/x%41", password="p:@/%w-S3cret!"), EXACT, None),
    "non-Latin-1 password": (Creds(password="pässwörd-ñ-密码-S3cret"), EITHER, None),
    "non-Latin-1 login": (Creds(login="клиент-密码"), EITHER, None),
    "non-Latin-1 private key": (Creds(private_key="ключ-密钥-7f3c9e21"), EITHER, ("absorb",)),
}

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'.encode()
        for n in range(1, 10)
    )
    + b"]><response><userProfiles><userProfile><userId>&lol9;</userId></userProfile></userProfiles></response>"
)
EXTERNAL_FILE = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
    b"<response><userProfiles><userProfile><userId>&x;</userId></userProfile></userProfiles></response>"
)


def _external_url(stub, request, i, size):
    body = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "{stub.state["elsewhere"]}/leak">]>'
        "<response><userProfiles><userProfile><userId>&x;</userId></userProfile></userProfiles></response>"
    ).encode()
    return Reply(200, body, {"Content-Type": "application/xml"})


def _huge_page(stub: VendorStub, request, i, size):
    # The server ignores the page size and answers everything at once.
    return stub.vendor.render(stub.listing, stub.records, 0, len(stub.records), len(stub.records), False)


def _huge_records(vendor):
    return [{**r, "note": "n" * 200} for r in standard_records(vendor, 300)]


def _one_untimed(vendor):
    records = standard_records(vendor)
    del records[3][vendor.time_field]
    return records


def _existing_dir(tmp, elsewhere):
    (tmp / "out" / "existing.jsonl").mkdir()
    (tmp / "out" / "existing.jsonl" / "keep.txt").write_text("keep")
    return f"file://{tmp / 'out' / 'existing.jsonl'}"


DESTINATIONS = {
    "destination is a directory": _existing_dir,
    "destination relative": lambda tmp, e: "out/records.jsonl",
    "destination file://host/path": lambda tmp, e: "file://somehost/records.jsonl",
    "destination parent is a file": lambda tmp, e: f"file://{tmp / 'out' / 'records.jsonl'}/x.jsonl",
    "destination on a missing filesystem": lambda tmp, e: "nosuchfs://bucket/records.jsonl",
    "destination s3 without s3fs": lambda tmp, e: "s3://bucket/records.jsonl",
}


def _s3fs_missing() -> bool:
    try:
        import s3fs  # noqa: F401
    except ImportError:
        return True
    return False  # with s3fs installed the cell would try the network: leave it out


def _input_cells() -> list[Cell]:
    from airflow_provider_lms.hooks import hook_class_for_type

    cells: list[Cell] = []
    for vendor_name, vendor in VENDORS.items():
        # ids that would change which endpoint is read
        for label, value in HOSTILE_IDS.items():
            if vendor.by_id is None:  # NexPort: ids travel in the body and are UUIDs
                cells.append(
                    Cell("inputs", "ids", vendor_name, f"id {label}", CLEAN, parameters={"org_ids": value})
                )
            else:
                cells.append(
                    Cell("inputs", "ids", vendor_name, f"id {label}", CLEAN, listing="by_id", by_id=value)
                )
        cells.append(
            Cell(
                "inputs",
                "ids",
                vendor_name,
                "endpoint path on another origin",
                CLEAN,
                endpoint=lambda elsewhere: {"path": f"{elsewhere}/steal", "records_path": "$[*]"},
                refuse_first=True,
            )
        )
        # lists for single values
        listing, params = SCALAR_LISTS[vendor_name]
        cells.append(
            Cell(
                "inputs",
                "parameters",
                vendor_name,
                "list for a scalar",
                CLEAN,
                listing=listing,
                parameters=params,
                refuse_first=True,
            )
        )
        if vendor.by_id is not None:
            cells.append(
                Cell(
                    "inputs",
                    "parameters",
                    vendor_name,
                    "list for a path id",
                    CLEAN,
                    listing="by_id",
                    by_id=[5001, 5002],
                )
            )
        for label, (size, expect) in PAGE_SIZES.items():
            cells.append(
                Cell(
                    "inputs",
                    "parameters",
                    vendor_name,
                    label,
                    expect,
                    parameters={"page_size": size},
                    refuse_first=expect == CLEAN,
                )
            )
        # windows
        for label, (window, expect) in WINDOWS.items():
            cells.append(
                Cell(
                    "inputs",
                    "windows",
                    vendor_name,
                    label,
                    expect,
                    listing="windowed",
                    window=window,
                    refuse_first=expect == CLEAN,
                )
            )
        # a record the window trim cannot place (item 11): never kept, never dropped silently
        cells.append(
            Cell(
                "inputs",
                "windows",
                vendor_name,
                "record without its time field",
                CLEAN,
                listing="windowed",
                window=WINDOWS["window inside the data"][0],
                fault=Fault("untimed record", "windows", CLEAN, records=_one_untimed),
            )
        )
        cells.append(
            Cell(
                "inputs",
                "windows",
                vendor_name,
                "record without its time field, window_trim off",
                EXACT,
                listing="windowed",
                window=WINDOWS["window inside the data"][0],
                parameters={"window_trim": "off"},
                expect_all=True,
                fault=Fault("untimed record", "windows", EXACT, records=_one_untimed),
            )
        )
        # credentials
        for label, (creds, expect, only) in CREDENTIALS.items():
            if only is None or vendor_name in only:
                cells.append(Cell("inputs", "credentials", vendor_name, label, expect, creds=creds))
        cells.append(
            Cell(
                "inputs",
                "credentials",
                vendor_name,
                "3-character secret echoed in an error",
                CLEAN,
                creds=Creds(password="Zq!", private_key="Zk!"),
                fault=Fault("echo", "credentials", CLEAN, always(1, echo_headers), auth_reply=echo_on_auth),
            )
        )
        # a huge page: refused over max_response_bytes where the hook has it, else just read
        accepts = "max_response_bytes" in accepted_hook_args(hook_class_for_type(vendor_name))
        cells.append(
            Cell(
                "inputs",
                "huge page",
                vendor_name,
                "page over max_response_bytes" if accepts else "page of 300 records (no max_response_bytes)",
                CLEAN if accepts else EXACT,
                fault=Fault("huge page", "huge page", EITHER, _huge_page, records=_huge_records),
                hook_args={"max_response_bytes": 20_000} if accepts else {},
            )
        )
        # destinations
        for label, make in DESTINATIONS.items():
            if label == "destination s3 without s3fs" and not _s3fs_missing():
                continue
            # Folders may be created only at commit, so a parent that is a file may show up late.
            early = label != "destination parent is a file"
            cells.append(
                Cell(
                    "inputs", "destinations", vendor_name, label, CLEAN, destination=make, refuse_first=early
                )
            )
    # XML bombs and external entities: iSpring is the XML vendor
    xml_faults = {
        "XML billion laughs": always(0, body_of(200, BILLION_LAUGHS, "application/xml")),
        "XML external entity (file)": always(0, body_of(200, EXTERNAL_FILE, "application/xml")),
        "XML external entity (URL)": always(0, _external_url),
    }
    for label, reply in xml_faults.items():
        cells.append(Cell("inputs", "xml", "ispring", label, CLEAN, fault=Fault(label, "xml", CLEAN, reply)))
    return cells


FAULT_CELLS = _fault_cells()
INPUT_CELLS = _input_cells()

assert PAGE_SIZE == 3 and isinstance(VENDORS["learnworlds"], LearnWorlds)
