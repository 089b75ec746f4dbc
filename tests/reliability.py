"""The reliability matrices' harness: minimal lying vendors, one extract per cell, and the verdict.

Each cell starts a :class:`~tests.stubs.StubServer` that speaks one vendor's wire format just far
enough (its auth endpoint and one list endpoint in that vendor's paging style and envelope), injects
one fault or takes one hostile input, runs the real :class:`LmsExtractOperator` into a temporary
destination with tiny retry settings and no real sleeps, and classifies what happened:

* **exact**: the extract succeeded and the output holds exactly the stub's record set;
* **clean failure**: an :class:`LmsError` with a message, the destination untouched (previous
  content or absent) and nothing half-written left beside it;
* **wrong**: anything else (records lost or repeated, a raw exception, a run beyond the cell's time
  bound, a changed destination, an outcome the cell does not allow).

Every cell also scans the exception (with its chain), every log record, the output and the XCom
value for each form of each secret (raw, URL-encoded, base64 Basic token, JSON-escaped) and records
any credential a second, foreign stub ("elsewhere") received.

The README's reliability table is printed by::

    .venv/bin/python -m tests.reliability    # --details lists every wrong cell, --update-readme writes it
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import json
import logging
import math
import os
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, quote_plus, unquote

from tests.stubs import Reply, StubRequest, StubServer

EXACT_ONLY = frozenset({"exact"})
PREVIOUS = b'{"previous": "run"}\n'
PAGE_SIZE = 3
MAX_LIST_REQUESTS = 60  # a looping client gets an honest end here, so a wrong cell still ends
HARD_BOUND = 20.0  # seconds before a cell is declared hung and its stubs stop answering
SLEEP_BOUND = 120.0  # requested (not slept) seconds: more means a real run would stall for minutes

#: Options the hardening work adds to hooks; passed only where the hook's signature has them.
OPTIONAL_HOOK_ARGS: dict[str, Any] = {"retry_budget": 5.0, "response_timeout": 1.0}


# ---- credentials and secrets ------------------------------------------------------------------


@dataclass(frozen=True)
class Creds:
    login: str = "svc-reliability"
    password: str = "pw-Rel1ab1l1ty-s3cret"
    private_key: str = "pk-Absorb-Key-7f3c9e21"


def secret_forms(secret: str) -> set[str]:
    """Every form in which ``secret`` may leak: raw, URL-encoded, JSON-escaped (ASCII or not)."""
    forms = {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    return {f for f in forms if len(f) >= 3}  # the issue: secrets under 4 characters went unmasked


def basic_token(login: str, password: str) -> str:
    return base64.b64encode(f"{login}:{password}".encode()).decode()


# ---- vendors: the least of each wire format ---------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """One endpoint the stub serves: catalog name, raw path, envelope key (None: bare array)."""

    endpoint: str
    path: str
    key: str | None
    parameters: dict[str, Any] = field(default_factory=dict)
    paged: bool = True


class Vendor:
    """How one vendor authenticates, pages and wraps records. Subclasses fill the blanks."""

    conn_type = ""
    auth_path: str | None = None
    id_field = "id"
    has_total = True
    time_field = "updated"
    unix_time = False
    plain: Listing
    windowed: Listing

    def connection(self, url: str, creds: Creds) -> dict[str, Any]:
        return {"conn_type": self.conn_type, "host": url, "login": creds.login, "password": creds.password}

    def secrets(self, creds: Creds) -> list[str]:
        return [creds.password]

    # auth
    def credentials_ok(self, request: StubRequest, creds: Creds) -> bool:
        return True

    def token_reply(self, token: str) -> Reply:
        raise NotImplementedError

    def token_refused(self) -> Reply:
        return Reply.json({"message": "invalid credentials"}, 401)

    def presented_token(self, request: StubRequest) -> str | None:
        value = request.headers.get("authorization", "")
        return value[7:] if value.startswith("Bearer ") else None

    def authorized(self, request: StubRequest, creds: Creds, tokens: set[str]) -> bool:
        return self.presented_token(request) in tokens

    def rejected(self) -> Reply:
        return Reply.json({"message": "Unauthorized"}, 401)

    # paging
    def page_of(self, request: StubRequest) -> tuple[int, int]:
        """(0-based page index, page size asked)."""
        raise NotImplementedError

    def render(
        self, listing: Listing, records: list[dict], index: int, size: int, total: int, more: bool | None
    ) -> Reply:
        raise NotImplementedError

    def record(self, i: int, moment: float) -> dict[str, Any]:
        stamp = moment if self.unix_time else iso(moment)
        return {self.id_field: f"r{i:03d}", "name": f"Record {i}", self.time_field: stamp}


def iso(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


class LearnUpon(Vendor):
    conn_type = "learnupon"
    has_total = False
    time_field = "updated_at"
    plain = Listing("users", "/api/v1/users", "user")
    windowed = Listing("enrollments", "/api/v1/enrollments/search", "enrollments")
    by_id = Listing("exam_results", "/api/v1/exams/{id}/enrollments", "enrollments")

    def secrets(self, creds: Creds) -> list[str]:
        return [creds.password, basic_token(creds.login, creds.password)]

    def authorized(self, request: StubRequest, creds: Creds, tokens: set[str]) -> bool:
        return request.headers.get("authorization") == f"Basic {basic_token(creds.login, creds.password)}"

    def page_of(self, request: StubRequest) -> tuple[int, int]:
        return request.int_arg("page", 1) - 1, request.int_arg("per_page", 50)

    def render(self, listing, records, index, size, total, more):
        headers = {"LU-Current-Page": str(index + 1), "LU-Records-Per-Page": str(size)}
        if more is not None:
            headers["LU-Has-Next-Page"] = "true" if more else "false"
        return Reply.json({listing.key: records}, headers=headers)


class Absorb(Vendor):
    conn_type = "absorb"
    auth_path = "/authenticate"
    time_field = "dateEdited"
    plain = Listing("users", "/users", "users")
    windowed = Listing("users", "/users", "users")
    by_id = Listing("course_enrollments", "/courses/{id}/enrollments", "enrollments")

    def connection(self, url, creds):
        conn = super().connection(url, creds)
        conn["extra"] = {"private_key": creds.private_key, "token_cache_dir": "off"}
        return conn

    def secrets(self, creds):
        return [creds.password, creds.private_key]

    def credentials_ok(self, request, creds):
        body = _json_or_none(request.body) or {}
        return (
            body.get("username") == creds.login
            and body.get("password") == creds.password
            and body.get("privateKey") == creds.private_key
            and request.headers.get("x-api-key") == _latin1(creds.private_key)
        )

    def token_reply(self, token):
        return Reply.json(json.dumps(token))

    def authorized(self, request, creds, tokens):
        return super().authorized(request, creds, tokens) and request.headers.get("x-api-key") == _latin1(
            creds.private_key
        )

    def page_of(self, request):
        return request.int_arg("_offset", 0), request.int_arg("_limit", 20)

    def render(self, listing, records, index, size, total, more):
        if not listing.paged:
            return Reply.json(records)
        return Reply.json(
            {
                "totalItems": total,
                "returnedItems": len(records),
                "limit": size,
                "offset": index,
                listing.key: records,
            }
        )


class NexPort(Vendor):
    conn_type = "nexport"
    auth_path = "/api/v1/AdminApi/Authenticate"
    id_field = "enrollment_id"
    time_field = "enrollment_date"
    org = "3f8c08bc-e009-471c-802c-09f0d814bf59"
    plain = Listing(
        "search_enrollments",
        "/api/v1/LearningApi/SearchEnrollments",
        "enrollments",
        {"org_ids": "3f8c08bc-e009-471c-802c-09f0d814bf59"},
    )
    windowed = plain
    by_id = None

    OK = {"error_code": 0, "error_message": "", "warning_messages": []}

    def credentials_ok(self, request, creds):
        body = _json_or_none(request.body) or {}
        return body.get("username") == creds.login and body.get("password") == creds.password

    def token_reply(self, token):
        return Reply.json(
            {"access_token": token, "token_type": "bearer", "expires_in": 3600, "api_error_entity": self.OK}
        )

    def token_refused(self):
        return Reply.json(
            {"api_error_entity": {"error_code": 1, "error_message": "Invalid username or password"}}
        )

    def presented_token(self, request):
        return request.arg("access_token")

    def rejected(self):
        return Reply.json({"api_error_entity": {"error_code": 2, "error_message": "Access token is expired"}})

    def page_of(self, request):
        return request.int_arg("page", 1) - 1, request.int_arg("per_page", 30)

    def render(self, listing, records, index, size, total, more):
        return Reply.json(
            {
                listing.key: records,
                "page": index + 1,
                "page_size": size,
                "total_count": total,
                "api_error_entity": self.OK,
            }
        )


class Ispring(Vendor):
    conn_type = "ispring"
    auth_path = "/api/v3/token"
    id_field = "userId"
    has_total = False
    time_field = "completionDate"
    plain = Listing("users", "/users", "userProfiles")
    windowed = Listing("learner_results", "/learners/results", "results")
    by_id = Listing("content_final_statuses", "/content/{id}/final_statuses", None, paged=False)

    def credentials_ok(self, request, creds):
        form = {k: v[-1] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        return form.get("client_id") == creds.login and form.get("client_secret") == creds.password

    def token_reply(self, token):
        return Reply.json({"access_token": token, "expires_in": 1800, "token_type": "bearer"})

    def page_of(self, request):
        token = request.arg("pageToken") or "p0"
        try:
            index = int(token[1:])
        except ValueError:
            index = 0
        return index, request.int_arg("pageSize", 1000)

    def render(self, listing, records, index, size, total, more):
        if not listing.paged:
            return Reply.json(records)
        body: dict[str, Any] = {listing.key: records}
        if more:
            body["nextPageToken"] = f"p{index + 1}"
        return Reply.json(body)


class LearnWorlds(Vendor):
    conn_type = "learnworlds"
    auth_path = "/admin/api/oauth2/access_token"
    time_field = "created"
    unix_time = True
    plain = Listing("users", "/admin/api/v2/users", "data")
    windowed = plain
    by_id = Listing("user_courses", "/admin/api/v2/users/{id}/courses", "data")

    def connection(self, url, creds):
        conn = super().connection(url, creds)
        conn["extra"] = {"rate_limit_requests": 1000, "rate_limit_seconds": 1}
        return conn

    def credentials_ok(self, request, creds):
        body = _json_or_none(request.body) or {}
        return (
            body.get("client_id") == creds.login
            and body.get("client_secret") == creds.password
            and request.headers.get("lw-client") == _latin1(creds.login)
        )

    def token_reply(self, token):
        return Reply.json(
            {
                "tokenData": {"access_token": token, "token_type": "Bearer", "expires_in": 8000},
                "success": True,
            }
        )

    def authorized(self, request, creds, tokens):
        return super().authorized(request, creds, tokens) and request.headers.get("lw-client") == _latin1(
            creds.login
        )

    def page_of(self, request):
        return request.int_arg("page", 1) - 1, request.int_arg("items_per_page", 20)

    def render(self, listing, records, index, size, total, more):
        pages = max(math.ceil(total / size) if size else 1, index + 1 + (1 if more else 0), 1)
        meta = {"page": index + 1, "totalItems": total, "totalPages": pages, "itemsPerPage": size}
        return Reply.json({listing.key: records, "meta": meta})


VENDORS: dict[str, Vendor] = {
    v.conn_type: v for v in (LearnUpon(), Absorb(), NexPort(), Ispring(), LearnWorlds())
}


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return None


def _latin1(text: str) -> str:
    # http.server decodes header bytes as Latin-1: a UTF-8 header arrives as its Latin-1 reading.
    return text.encode("utf-8").decode("latin-1")


# ---- the lying vendor --------------------------------------------------------------------------


class VendorStub:
    """One vendor's stub: issues tokens, checks them, pages ``records``, lets ``fault`` lie."""

    def __init__(
        self,
        vendor: Vendor,
        records: list[dict[str, Any]],
        *,
        creds: Creds,
        listing: Listing,
        fault: Fault | None = None,
        require_auth: bool = True,
        hostile_id: Any = None,
    ) -> None:
        self.vendor, self.creds, self.listing, self.fault = vendor, creds, listing, fault
        self.hostile_id = hostile_id
        self.records = list(records)
        self.original = list(records)
        self.require_auth = require_auth
        self.tokens: set[str] = set()
        self.issued: list[str] = []
        self.list_requests = 0
        self.per_index: Counter[int] = Counter()
        self.dead = False
        self.state: dict[str, Any] = {}
        self.server = StubServer(self.handle)
        # A short poll interval: shutdown() waits one interval, twice per cell, hundreds of cells.
        self.server._thread = threading.Thread(
            target=self.server._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        # Headers and body leave in separate writes: without TCP_NODELAY each costs a delayed ACK.
        self.server._server.RequestHandlerClass.disable_nagle_algorithm = True
        self.url = self.server.url

    def new_token(self) -> str:
        token = f"tok-{self.vendor.conn_type}-{uuid.uuid4().hex[:12]}"
        self.tokens.add(token)
        self.issued.append(token)
        return token

    def handle(self, request: StubRequest) -> Reply:
        if self.dead:
            return Reply(drop=True)
        vendor = self.vendor
        if vendor.auth_path and request.path == vendor.auth_path:
            if self.fault is not None and self.fault.auth_reply is not None:
                return self.fault.auth_reply(self, request, 0, 0)
            if not vendor.credentials_ok(request, self.creds):
                return vendor.token_refused()
            return vendor.token_reply(self.new_token())
        if self.require_auth and not vendor.authorized(request, self.creds, self.tokens):
            return vendor.rejected()
        if self.hostile_id is not None and not self._reads_the_literal_id(request.path):
            # The id changed which endpoint was read: serve it, so the extract "succeeds" visibly.
            self.state["misread"] = request.path
            return vendor.render(self.listing, self.records, 0, len(self.records), len(self.records), False)
        if self.hostile_id is not None:
            return Reply.json({"message": "no such id"}, 404)  # what the vendor says to an unknown id
        self.list_requests += 1
        index, size = vendor.page_of(request)
        self.per_index[index] += 1
        if self.list_requests > MAX_LIST_REQUESTS:
            return vendor.render(self.listing, [], index, size, 0, False)
        if self.fault is not None and self.fault.reply is not None:
            reply = self.fault.reply(self, request, index, size)
            if reply is not None:
                return reply
        return self.honest(index, size)

    def _reads_the_literal_id(self, raw_path: str) -> bool:
        want = self.listing.path.split("/")
        got = raw_path.split("/")
        if len(want) != len(got):
            return False
        for expected, seen in zip(want, got, strict=True):
            if expected == "{id}":
                if unquote(seen) != str(self.hostile_id):
                    return False
            elif expected != seen:
                return False
        return True

    def honest(
        self,
        index: int,
        size: int,
        records: list[dict[str, Any]] | None = None,
        *,
        total: int | None = None,
        more: bool | None | str = "auto",
    ) -> Reply:
        data = self.records if records is None else records
        size = max(size, 1)
        if not self.listing.paged:
            return self.vendor.render(self.listing, data, 0, len(data), len(data), False)
        if isinstance(self.vendor, LearnWorlds) and data and index * size >= len(data):
            index = (len(data) - 1) // size  # LearnWorlds answers a page past the end with the last page
        chunk = data[index * size : (index + 1) * size]
        total = len(data) if total is None else total
        has_more = (index + 1) * size < len(data) if more == "auto" else more
        return self.vendor.render(self.listing, chunk, index, size, total, has_more)  # type: ignore[arg-type]

    def __enter__(self) -> VendorStub:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.dead = True
        self.server.stop()


# ---- cells -------------------------------------------------------------------------------------

ReplyHook = Callable[[VendorStub, StubRequest, int, int], "Reply | None"]


@dataclass
class Fault:
    """A server-side fault: ``reply`` returns a lying reply or None (honest)."""

    name: str
    category: str
    expect: frozenset[str]
    reply: ReplyHook | None = None
    vendors: tuple[str, ...] = tuple(VENDORS)
    time_bound: float = 10.0
    #: acceptable record sets besides the original (e.g. after an insertion mid-extract)
    alternatives: Callable[[VendorStub], list[list[dict]]] | None = None
    normalize: Callable[[dict], dict] | None = None  # compare records through this
    records: Callable[[Vendor], list[dict]] | None = None  # the stub's data (default: 10 records)
    auth_reply: ReplyHook | None = None  # a lie told by the token endpoint instead


@dataclass
class Cell:
    """One test: a vendor, what goes wrong, what outcomes are acceptable."""

    matrix: str  # "faults" or "inputs"
    category: str
    vendor: str
    name: str
    expect: frozenset[str]
    fault: Fault | None = None
    listing: str | Listing = "plain"  # a Listing, or the name of one of the vendor's
    parameters: dict[str, Any] | None = None  # merged over the listing's parameters
    endpoint: Any = None  # overrides the listing's endpoint; a callable gets the foreign origin's URL
    window: tuple[Any, Any] = (None, None)
    creds: Creds = Creds()
    stub_creds: Creds | None = None  # what the stub accepts, when not ``creds``
    destination: Callable[[Path, str], str] | None = None  # (tmp dir, elsewhere url) -> URI
    hook_args: dict[str, Any] = field(default_factory=dict)
    by_id: str | None = None  # a hostile id for the listing's {id}
    time_bound: float = 10.0
    time_field: str | None = None  # the field an exact windowed extract is trimmed by (vendor's default)
    expect_all: bool = False  # an exact extract keeps every record, window or not
    refuse_first: bool = False  # bad input: must be refused before any list request (or foreign one)

    @property
    def id(self) -> str:
        return f"{self.vendor}-{self.name}"


@dataclass
class Outcome:
    kind: str  # exact / clean / wrong
    detail: str
    secrets: list[str]
    seconds: float
    error: BaseException | None = None


def standard_records(vendor: Vendor, n: int = 10, base: float = 1_761_955_200.0) -> list[dict[str, Any]]:
    """``n`` records an hour apart from 2025-11-01 (inside the inputs matrix's window)."""
    return [vendor.record(i, base + 3600 * i) for i in range(n)]


def accepted_hook_args(cls: type) -> set[str]:
    """Keyword arguments the hook class (or any LMS base) declares in its ``__init__``."""
    from airflow_provider_lms.hooks.base import LmsHook

    names: set[str] = set()
    for klass in cls.__mro__:
        if "__init__" in vars(klass) and issubclass(klass, LmsHook):
            for param in inspect.signature(klass.__init__).parameters.values():
                if param.kind not in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
                    names.add(param.name)
    return names


class RecordingSleep:
    def __init__(self) -> None:
        self.total = 0.0

    def __call__(self, seconds: float) -> None:
        self.total += max(float(seconds), 0.0) if not math.isnan(float(seconds)) else 0.0


class LogCapture:
    """Every log record any logger hands to its handlers (after the logger's own filters)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._original = logging.Logger.callHandlers
        # DEBUG only where URLs and secrets can show up: urllib3 prints every request line there.
        self._names = ("urllib3", "requests", "airflow_provider_lms", "airflow.task")
        self._levels = {name: logging.getLogger(name).level for name in self._names}

    def __enter__(self) -> LogCapture:
        capture, original = self, self._original

        def call_handlers(logger: logging.Logger, record: logging.LogRecord) -> None:
            try:
                text = record.getMessage()
            except Exception:  # a broken format string is still worth scanning
                text = f"{record.msg} {record.args}"
            if record.exc_info:
                text += "\n" + "".join(traceback.format_exception(*record.exc_info))
            capture.lines.append(text)
            original(logger, record)

        logging.Logger.callHandlers = call_handlers  # type: ignore[method-assign]
        for name in self._names:
            logging.getLogger(name).setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.Logger.callHandlers = self._original  # type: ignore[method-assign]
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)


def _tree(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` (hidden ones too) -> a digest of its content."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        found[rel] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _strict_json(line: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(line, parse_constant=refuse)


def _key(record: Any) -> str:
    return json.dumps(record, sort_keys=True, default=str)


def compare(got: list[dict], expected: list[dict]) -> str | None:
    """None when ``got`` is ``expected`` as a multiset; else what is lost and repeated."""
    have, want = Counter(map(_key, got)), Counter(map(_key, expected))
    if have == want:
        return None
    lost, extra = want - have, have - want
    repeated = sum(n - 1 for n in have.values() if n > 1)
    return f"{len(got)} records written, {len(expected)} expected ({sum(lost.values())} lost, {sum(extra.values())} unexpected, {repeated} repeated)"


def run_cell(cell: Cell) -> Outcome:
    """Run one cell with a hard time bound and classify it."""
    box: dict[str, Outcome] = {}
    stubs: list[VendorStub] = []

    def work() -> None:
        try:
            box["outcome"] = _run(cell, stubs)
        except BaseException as exc:  # the harness itself must never hide a cell
            box["outcome"] = Outcome("wrong", f"harness error {type(exc).__name__}: {exc}", [], 0.0)

    started = time.monotonic()
    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(HARD_BOUND)
    if worker.is_alive():
        for stub in stubs:
            stub.dead = True
        worker.join(10.0)
        return Outcome(
            "wrong", f"hung: still running after {HARD_BOUND:.0f} s", [], time.monotonic() - started
        )
    return box["outcome"]


def _run(cell: Cell, stubs: list[VendorStub]) -> Outcome:
    from airflow_provider_lms.exceptions import LmsError
    from airflow_provider_lms.hooks import hook_class_for_type
    from airflow_provider_lms.operators.extract import LmsExtractOperator

    vendor = VENDORS[cell.vendor]
    listing: Listing = cell.listing if isinstance(cell.listing, Listing) else getattr(vendor, cell.listing)
    fault = cell.fault
    records = fault.records(vendor) if fault and fault.records else standard_records(vendor)
    accepted_creds = cell.stub_creds or cell.creds
    main = VendorStub(
        vendor, records, creds=accepted_creds, listing=listing, fault=fault, hostile_id=cell.by_id
    )
    elsewhere = VendorStub(vendor, records, creds=cell.creds, listing=listing, require_auth=False)
    main.state["elsewhere"] = elsewhere.url
    stubs.extend([main, elsewhere])
    sleep = RecordingSleep()
    with main, elsewhere, tempfile.TemporaryDirectory(prefix="lms-cell-") as tmp_name:
        tmp = Path(tmp_name)
        out = tmp / "out"
        out.mkdir()
        (tmp / "cwd").mkdir()  # the working directory: a relative write lands here, in view
        target = out / "records.jsonl"
        target.write_bytes(PREVIOUS)
        destination = cell.destination(tmp, elsewhere.url) if cell.destination else f"file://{target}"
        before = _tree(tmp)

        conn_id = f"rel_{uuid.uuid4().hex[:10]}"
        env = f"AIRFLOW_CONN_{conn_id.upper()}"
        os.environ[env] = json.dumps(vendor.connection(main.url, cell.creds))
        parameters = {**listing.parameters, "page_size": PAGE_SIZE, **(cell.parameters or {})}
        if not listing.paged:
            parameters.pop("page_size", None)
        parameters = {k: v for k, v in parameters.items() if v is not _DROP}
        endpoint = cell.endpoint if cell.endpoint is not None else listing.endpoint
        if callable(endpoint):
            endpoint = endpoint(elsewhere.url)
        if cell.by_id is not None:
            parameters[_ID_PARAMS[cell.vendor]] = cell.by_id
        cls = hook_class_for_type(vendor.conn_type)
        fixed = (
            isinstance(endpoint, str)
            and endpoint in cls.catalog
            and cls.catalog.get(endpoint).fixed_page_size
        )
        if fixed and "page_size" not in (cell.parameters or {}):
            parameters.pop("page_size", None)  # the vendor fixes this list's page size: refused
        accepted = accepted_hook_args(cls)
        wanted = {
            "max_attempts": 3,
            "backoff_base": 0.0,
            "timeout": (1.0, 1.0),
            "sleep": sleep,
            **OPTIONAL_HOOK_ARGS,
            **cell.hook_args,
        }
        error: BaseException | None = None
        result: Any = None
        started = time.monotonic()
        cwd = os.getcwd()
        os.chdir(tmp / "cwd")
        with LogCapture() as logs:
            try:
                hook = cls(conn_id=conn_id, **{k: v for k, v in wanted.items() if k in accepted})
                operator = LmsExtractOperator(
                    task_id="cell",
                    conn_id=conn_id,
                    endpoint=endpoint,
                    destination=destination,
                    parameters=parameters,
                    window_start=cell.window[0],
                    window_end=cell.window[1],
                    asset=False,
                )
                operator.__dict__["hook"] = hook  # the hook with the cell's retry settings
                result = operator.execute({})  # type: ignore[arg-type]
            except BaseException as exc:  # classified below: nothing escapes a cell
                error = exc
            finally:
                os.chdir(cwd)
        seconds = time.monotonic() - started
        del os.environ[env]
        after = _tree(tmp)
        output = b"".join(p.read_bytes() for p in sorted(tmp.rglob("*")) if p.is_file()).decode(
            "utf-8", "replace"
        )

        # secrets
        secrets = vendor.secrets(cell.creds) + main.issued + elsewhere.issued
        texts = {
            "exception": "".join(traceback.format_exception(error)) if error else "",
            "log": "\n".join(logs.lines),
            "output": output,
            "xcom": json.dumps(result, default=str) if result is not None else "",
        }
        found = []
        for secret in secrets:
            for form in secret_forms(secret):
                for where, text in texts.items():
                    if form in text:
                        found.append(f"{where} holds a form of {_label(secret, cell.creds)}")
        for request in elsewhere.server.requests:
            seen = " ".join(
                [
                    request.path,
                    json.dumps(request.query),
                    json.dumps(request.headers),
                    request.body.decode("latin-1"),
                ]
            )
            for secret in secrets:
                if any(form in seen for form in secret_forms(secret)):
                    found.append(f"a foreign origin received {_label(secret, cell.creds)}")
        found = sorted(set(found))

        kind, detail = _verdict(cell, main, error, before, after, target, destination, records)
        bound = max(cell.time_bound, fault.time_bound if fault else 0.0)
        if kind != "wrong" and seconds > bound:
            kind, detail = "wrong", f"took {seconds:.1f} s (bound {bound:.0f} s); {detail}"
        if kind != "wrong" and sleep.total > SLEEP_BOUND:
            kind, detail = "wrong", f"asked to sleep {sleep.total:.0f} s in total; {detail}"
        if kind != "wrong" and kind not in cell.expect:
            kind, detail = "wrong", f"expected {'/'.join(sorted(cell.expect))}, got {kind}: {detail}"
        if error is not None and not isinstance(error, LmsError):
            kind = "wrong"
        sent = main.list_requests + len(elsewhere.server.requests)
        if kind != "wrong" and cell.refuse_first and sent:
            kind, detail = "wrong", f"{sent} request(s) sent before the input was refused; {detail}"
        return Outcome(kind, detail, found, seconds, error)


_DROP = object()
_ID_PARAMS = {
    "learnupon": "exam_id",
    "absorb": "course_id",
    "ispring": "contentId",
    "learnworlds": "user_id",
    "nexport": "org_ids",
}


def _label(secret: str, creds: Creds) -> str:
    if secret == creds.password:
        return "the password"
    if secret == creds.private_key:
        return "the private key"
    if secret.startswith("tok-"):
        return "an access token"
    return "the Basic token"


def _verdict(
    cell: Cell,
    stub: VendorStub,
    error: BaseException | None,
    before: dict[str, str],
    after: dict[str, str],
    target: Path,
    destination: str,
    records: list[dict],
) -> tuple[str, str]:
    from airflow_provider_lms.exceptions import LmsError

    if error is not None:
        first = str(error).splitlines()[0][:160] if str(error).strip() else ""
        if not isinstance(error, LmsError):
            return "wrong", f"raw {type(error).__name__}: {first}"
        if not str(error).strip():
            return "wrong", f"{type(error).__name__} without a message"
        if after != before:
            changed = sorted(set(after.items()) ^ set(before.items()))
            return (
                "wrong",
                f"{type(error).__name__} but the destination folder changed: {sorted({c[0] for c in changed})[:4]}",
            )
        return "clean", f"{type(error).__name__}: {first}"
    if "misread" in stub.state:
        return "wrong", f"succeeded reading {stub.state['misread']} instead of the endpoint asked for"
    if destination != f"file://{target}":
        return "wrong", f"succeeded writing to {destination!r}, which should have been refused"
    extra = sorted(set(after) - set(before))
    if extra:
        return "wrong", f"succeeded but left {extra[:3]} behind"
    try:
        lines = [_strict_json(line) for line in target.read_text("utf-8").splitlines() if line.strip()]
    except ValueError as exc:
        return "wrong", f"succeeded but the output is not valid JSON Lines ({exc})"
    fault = cell.fault
    normalize = fault.normalize if fault and fault.normalize else (lambda r: r)
    got = [normalize(r) for r in lines]
    expected_sets = [_expected(cell, records)]
    if fault and fault.alternatives:
        expected_sets += fault.alternatives(stub)
    problems = [compare(got, [normalize(r) for r in want]) for want in expected_sets]
    if any(p is None for p in problems):
        return "exact", f"{len(got)} records"
    return "wrong", f"succeeded with wrong records: {problems[0]}"


def _expected(cell: Cell, records: list[dict]) -> list[dict]:
    """The records an exact extract delivers: all, or those whose own time lies in the window."""
    if cell.window == (None, None) or cell.expect_all:
        return records
    import pendulum

    from airflow_provider_lms.exceptions import LmsError
    from airflow_provider_lms.windows import parse_window

    try:
        window = parse_window(*cell.window)
    except LmsError:
        return []  # a window we cannot read holds no record
    vendor = VENDORS[cell.vendor]
    kept = []
    for record in records:
        value = record[cell.time_field or vendor.time_field]
        moment = pendulum.from_timestamp(value) if vendor.unix_time else pendulum.parse(value)
        if window is None or window.contains(moment):
            kept.append(record)
    return kept


# ---- the table ---------------------------------------------------------------------------------


def table(outcomes: list[tuple[Cell, Outcome]]) -> str:
    """The README's reliability table: one row per matrix / category / vendor, then the totals."""
    rows: dict[tuple[str, str, str], Counter[str]] = {}
    for cell, outcome in outcomes:
        counts = rows.setdefault((cell.matrix, cell.category, cell.vendor), Counter())
        counts["cells"] += 1
        counts[outcome.kind] += 1
        counts["secrets"] += 1 if outcome.secrets else 0
    lines = [
        "| matrix | category | vendor | cells run | exact | clean failure | wrong | secrets found |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    total: Counter[str] = Counter()
    for (matrix, category, vendor), counts in rows.items():
        total.update(counts)
        lines.append(
            f"| {matrix} | {category} | {vendor} | {counts['cells']} | {counts['exact']} | "
            f"{counts['clean']} | {counts['wrong']} | {counts['secrets']} |"
        )
    lines.append(
        f"| **all** | | | **{total['cells']}** | **{total['exact']}** | **{total['clean']}** | "
        f"**{total['wrong']}** | **{total['secrets']}** |"
    )
    return "\n".join(lines)


def all_cells() -> list[Cell]:
    from tests.reliability_cells import FAULT_CELLS, INPUT_CELLS

    return FAULT_CELLS + INPUT_CELLS


README = Path(__file__).resolve().parent.parent / "README.md"
MARKERS = ("<!-- reliability:start -->", "<!-- reliability:end -->")


def readme_table() -> str:
    """The reliability table as README.md holds it (between the reliability markers)."""
    text = README.read_text()
    start, end = MARKERS
    return text.split(start, 1)[1].split(end, 1)[0].strip()


def update_readme(rendered: str) -> None:
    text = README.read_text()
    start, end = MARKERS
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    README.write_text(f"{head}{start}\n{rendered}\n{end}{tail}")


def _isolate_airflow() -> None:
    """The suite's own isolated Airflow home (tests/conftest.py sets it up on import)."""
    import tests.conftest  # noqa: F401


def main(argv: list[str]) -> int:
    _isolate_airflow()
    # Airflow's log renderer writes task and hook lines to stdout: keep them off the table.
    stdout = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    sys.stdout.flush()
    os.dup2(devnull, 1)
    try:
        outcomes = [(cell, run_cell(cell)) for cell in all_cells()]
    finally:
        sys.stdout.flush()
        os.dup2(stdout.fileno(), 1)
    rendered = table(outcomes)
    print(rendered, file=stdout)
    if "--update-readme" in argv:
        update_readme(rendered)
    if "--details" in argv:
        print(file=stdout)
        for cell, outcome in outcomes:
            if outcome.kind == "wrong" or outcome.secrets:
                secrets = f" SECRETS: {'; '.join(outcome.secrets)}" if outcome.secrets else ""
                print(f"- {cell.matrix}/{cell.id}: {outcome.kind}: {outcome.detail}{secrets}", file=stdout)
    stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


__all__ = ["Cell", "Creds", "Fault", "Outcome", "VENDORS", "run_cell", "table"]
