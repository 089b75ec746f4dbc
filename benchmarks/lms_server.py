"""A threaded loopback server of LMS-like pages for the peer benchmark (not a test fixture).

Two paging styles, as the vendors page:

* ``/api/v1/absorb/users?_offset=<page index>&_limit=<n>``: Absorb-like, the body declares
  ``totalItems`` (so a client knows the page count after the first page);
* ``/api/v1/learnupon/enrollments?page=<n>&per_page=<n>``: LearnUpon-like, the only end signal is
  the ``LU-Has-Next-Page`` header (one page at a time).

Records are about 1 KB of nested JSON (names, a course, progress, dates, custom fields), built from
a few hundred templates with the record id spliced in, so serving a page costs the server little.
Every response waits ``latency`` seconds first; the server is threaded, so concurrent requests
overlap as they do on a real API. Requests and 429s are counted for the report.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TEMPLATES = 499
_NAMES = ["Ada", "Grace", "Linus", "Margaret", "Alan", "Barbara", "Dennis", "Frances", "Ken", "Radia"]
_COURSES = ["Safety basics", "Onboarding 2026", "GDPR for managers", "Forklift licence", "Excel advanced"]


def _template(n: int) -> tuple[bytes, bytes]:
    """One record's JSON bytes, split where its id goes."""
    first, last = _NAMES[n % len(_NAMES)], _NAMES[(n * 7 + 3) % len(_NAMES)]
    record = {
        "id": "@ID@",
        "username": f"{first.lower()}.{last.lower()}{n}",
        "email": f"{first.lower()}.{last.lower()}{n}@example.com",
        "firstName": first,
        "lastName": last,
        "departmentId": f"d{n % 37:04d}-3f1c-4a55-9c1e-{n:012d}",
        "isActive": n % 11 != 0,
        "dateEdited": f"2026-{n % 12 + 1:02d}-{n % 28 + 1:02d}T{n % 24:02d}:{n % 60:02d}:00.{n % 1000:03d}Z",
        "course": {
            "id": f"c{n % 53:04d}-8a2b-4c7d-b1e3-{n * 13:012d}",
            "name": _COURSES[n % len(_COURSES)] + (" (é)" if n % 17 == 0 else ""),
            "category": {
                "id": n % 9,
                "name": f"Category {n % 9}",
                "path": ["Root", "Compliance", f"C{n % 9}"],
            },
            "credits": round((n % 40) / 4, 2),
        },
        "progress": {
            "status": ["NotStarted", "InProgress", "Complete", "Failed"][n % 4],
            "percent": n % 101,
            "score": None if n % 5 == 0 else round(50 + (n % 500) / 10, 1),
            "attempts": n % 6,
            "timeSpentSeconds": n * 37 % 86400,
        },
        "dates": {
            "enrolled": f"2025-{n % 12 + 1:02d}-{n % 28 + 1:02d}T08:00:00Z",
            "started": None if n % 4 == 0 else f"2025-{n % 12 + 1:02d}-{n % 28 + 1:02d}T09:30:00Z",
            "completed": f"2026-{n % 12 + 1:02d}-{n % 28 + 1:02d}T10:45:00Z" if n % 4 == 2 else None,
        },
        "customFields": [
            {"name": "costCentre", "value": f"CC-{n % 300:03d}"},
            {"name": "region", "value": ["EMEA", "APAC", "AMER"][n % 3]},
            {"name": "manager", "value": f"{_NAMES[(n + 5) % len(_NAMES)]} {_NAMES[(n + 2) % 10]}"},
        ],
        "tags": [f"tag{n % 13}", f"tag{n % 7}"],
        "certificate": {
            "id": f"cert-{n:08d}-7d2e-4f0a-a1b2-{n * 31:012d}",
            "issued": f"2026-{n % 12 + 1:02d}-{n % 28 + 1:02d}T11:00:00Z",
            "expires": None if n % 3 else f"2028-{n % 12 + 1:02d}-{n % 28 + 1:02d}T11:00:00Z",
        },
        "externalId": f"HR-{n * 7919 % 1000003:07d}",
        "jobTitle": ["Senior Engineer", "Ward Nurse", "HGV Driver", "Accountant", "Teacher"][n % 5],
        "managerEmail": f"{_NAMES[(n + 5) % len(_NAMES)].lower()}.manager{n % 97}@example.com",
        "location": {
            "city": ["Lyon", "Leeds", "Lagos", "Lima"][n % 4],
            "country": ["FR", "GB", "NG", "PE"][n % 4],
        },
    }
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
    before, after = text.split(b'"@ID@"')
    return before, after


class Pages:
    """Page bodies for ``total`` records, made on demand."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.templates = [_template(n) for n in range(TEMPLATES)]

    def records(self, start: int, count: int) -> bytes:
        templates = self.templates
        parts = []
        for rid in range(start, min(start + count, self.total)):
            before, after = templates[rid % TEMPLATES]
            parts.append(before + str(rid + 1).encode() + after)
        return b"[" + b",".join(parts) + b"]"

    def record_bytes(self) -> float:
        return sum(len(b) + len(a) + 6 for b, a in self.templates) / TEMPLATES


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.too_many = 0

    def snapshot(self) -> tuple[int, int]:
        with self.lock:
            return self.requests, self.too_many


class LmsServer:
    """``with LmsServer(records, latency) as server: server.url``."""

    def __init__(self, records: int, latency: float, rate_limit: int | None = None) -> None:
        self.pages, self.latency, self.rate_limit = Pages(records), latency, rate_limit
        self.stats = Stats()
        self._recent: list[float] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                return None

            def do_GET(self) -> None:
                server.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.request_queue_size = 64
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> LmsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _limited(self) -> bool:
        if not self.rate_limit:
            return False
        with self.stats.lock:
            now = time.monotonic()
            self._recent = [t for t in self._recent if now - t < 1.0]
            if len(self._recent) >= self.rate_limit:
                return True
            self._recent.append(now)
            return False

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        if self.latency:
            time.sleep(self.latency)
        parts = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self.stats.lock:
            self.stats.requests += 1
        headers: dict[str, str] = {}
        if self._limited():
            with self.stats.lock:
                self.stats.too_many += 1
            status, body, headers = 429, b'{"message":"rate limited"}', {"Retry-After": "1"}
        elif parts.path == "/api/v1/absorb/users":
            limit, index = int(query.get("_limit", 100)), int(query.get("_offset", 0))
            records = self.pages.records(index * limit, limit)
            status = 200
            body = (
                b'{"totalItems":%d,"offset":%d,"limit":%d,"users":' % (self.pages.total, index, limit)
                + records
                + b"}"
            )
        elif parts.path == "/api/v1/learnupon/enrollments":
            size, page = int(query.get("per_page", 100)), int(query.get("page", 1))
            start = (page - 1) * size
            status, body = 200, b'{"enrollments":' + self.pages.records(start, size) + b"}"
            headers = {
                "LU-Has-Next-Page": "true" if start + size < self.pages.total else "false",
                "LU-Current-Page": str(page),
            }
        else:
            status, body = 404, b'{"message":"not found"}'
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
