"""A tiny HTTP framework for the vendor twins: routing, JSON, injected faults, latency.

Runs on the standard library only (ThreadingHTTPServer, HTTP/1.1 keep-alive) so the demo and the
tests need nothing beyond the provider's own dependencies. Binds to 127.0.0.1 only.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class SandboxRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    match: dict[str, str] = field(default_factory=dict)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def int_arg(self, name: str, default: int) -> int:
        try:
            return int(self.arg(name, str(default)))  # type: ignore[arg-type]
        except ValueError:
            return default

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class SandboxResponse:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> SandboxResponse:
        return cls(
            status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})}
        )


Handler = Callable[[SandboxRequest], SandboxResponse]


@dataclass
class FaultPlan:
    """Inject 429/503 into a share of requests; deterministic for a seed."""

    rate: float = 0.0
    retry_after: str | None = "0"
    seed: int = 0
    outage_after: int | None = None  # from this many requests on, every answer is a 500

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()
        self.injected = 0
        self.drawn = 0

    def draw(self) -> SandboxResponse | None:
        with self._lock:
            self.drawn += 1
            if self.outage_after is not None and self.drawn > self.outage_after:
                return SandboxResponse.json({"message": "Internal Server Error (outage)"}, 500)
            if self.rate <= 0 or self._random.random() >= self.rate:
                return None
            self.injected += 1
            too_many = self._random.random() < 0.5
        if too_many:
            headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
            return SandboxResponse.json({"message": "rate_limit_exceeded"}, 429, headers)
        return SandboxResponse.json({"message": "Service Unavailable (injected)"}, 503)


class VendorTwin:
    """Base for an emulated vendor API: subclasses register routes in :meth:`routes`."""

    name = "vendor"

    def __init__(self, *, faults: FaultPlan | None = None, latency: float = 0.0) -> None:
        self.faults = faults or FaultPlan()
        self.latency = latency
        self.request_log: list[tuple[str, str, int]] = []
        self._log_lock = threading.Lock()
        self._routes = [(m, re.compile(f"^{p}$"), h) for m, p, h in self.routes()]

    def routes(self) -> list[tuple[str, str, Handler]]:
        raise NotImplementedError

    def connection(self, base_url: str) -> dict[str, Any]:
        """An Airflow connection (JSON form) pointing at this twin."""
        raise NotImplementedError

    def fault_exempt(self, request: SandboxRequest) -> bool:
        """Requests never faulted (none by default)."""
        return False

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        if self.latency:
            time.sleep(self.latency)
        response = None if self.fault_exempt(request) else self.faults.draw()
        if response is None:
            response = self._dispatch(request)
        with self._log_lock:
            self.request_log.append((request.method, request.path, response.status))
        return response

    def _dispatch(self, request: SandboxRequest) -> SandboxResponse:
        allowed = False
        for method, pattern, handler in self._routes:
            found = pattern.match(request.path)
            if found:
                allowed = True
                if method == request.method:
                    request.match = found.groupdict()
                    return handler(request)
        if allowed:
            return SandboxResponse.json({"message": "Method not allowed"}, 405)
        return SandboxResponse.json({"message": f"No route {request.path}"}, 404)

    def count(
        self, method: str | None = None, path_pattern: str | None = None, status: int | None = None
    ) -> int:
        pattern = re.compile(path_pattern) if path_pattern else None
        with self._log_lock:
            return sum(
                1
                for m, p, s in self.request_log
                if (method is None or m == method)
                and (pattern is None or pattern.search(p))
                and (status is None or s == status)
            )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: avoid 40 ms stalls
    twin: VendorTwin

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = SandboxRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        try:
            response = self.twin.handle(request)
        except Exception as exc:  # a twin bug must show up as a 500, not a hung client
            response = SandboxResponse.json({"message": f"sandbox error: {type(exc).__name__}: {exc}"}, 500)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return None


class RunningTwin:
    """A twin served on 127.0.0.1 in a background thread.

    ``host`` other than 127.0.0.1 is for a sandbox container (docker-compose.yaml binds 0.0.0.0
    inside its own network); tests and local demos keep the loopback default.
    """

    def __init__(self, twin: VendorTwin, port: int = 0, host: str = "127.0.0.1") -> None:
        handler = type(f"{twin.name}Handler", (_Handler,), {"twin": twin})
        self.twin = twin
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        # A short poll interval: stop() waits for the serving loop to notice, once per twin.
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sandbox-{twin.name}",
            daemon=True,
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def connection(self) -> dict[str, Any]:
        return self.twin.connection(self.url)

    def start(self) -> RunningTwin:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> RunningTwin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def page_slice(items: list[Any], page: int, per_page: int) -> tuple[list[Any], bool]:
    """Items of a 1-based page and whether more follow."""
    start = (page - 1) * per_page
    chunk = items[start : start + per_page] if page >= 1 else []
    return chunk, start + per_page < len(items)
