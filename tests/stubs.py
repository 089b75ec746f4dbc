"""Small misbehaving HTTP servers for tests: every answer is scripted by the test.

The sandbox twins share our own assumptions about the vendors; these stubs do not. A test gives a
handler ``request -> Reply`` and the stub serves it on a free 127.0.0.1 port, byte for byte as
told: wrong Content-Length, a connection reset before or during the body, a body trickled byte by
byte, broken chunked encoding, redirects, echoed headers. Every request is recorded so a test can
assert where credentials went.

    with StubServer(lambda req: Reply.json({"users": []})) as stub:
        hook_url = stub.url            # http://127.0.0.1:PORT
        ...
        assert stub.requests[0].headers.get("authorization") is None
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class StubRequest:
    """One request as the stub received it. Header names are lower-case."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    number: int  # 1-based, across the stub's lifetime

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def int_arg(self, name: str, default: int) -> int:
        try:
            return int(self.arg(name, str(default)))  # type: ignore[arg-type]
        except ValueError:
            return default

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    """What the stub sends. The defaults make an honest response; each option breaks one thing.

    :param content_length: the Content-Length to claim (default: the body's real length; ``None``
        with ``chunked=False`` sends no length and closes the connection after the body).
    :param truncate_at: send only this many body bytes, then close the connection.
    :param reset_before_body: close the connection after the headers.
    :param drop: close the connection without answering at all.
    :param trickle: seconds to wait between body bytes (a server that never trips a read timeout).
    :param chunked: send the body with chunked transfer encoding; ``broken_chunk`` corrupts it.
    :param delay: seconds to wait before answering.
    """

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_length: int | None | str = "auto"
    truncate_at: int | None = None
    reset_before_body: bool = False
    drop: bool = False
    trickle: float = 0.0
    chunked: bool = False
    broken_chunk: bool = False
    delay: float = 0.0

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None, **options: Any):
        body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
        body = body.encode() if isinstance(body, str) else body
        return cls(status, body, {"Content-Type": "application/json", **(headers or {})}, **options)

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        return cls(status, b"", {"Location": location})


Handler = Callable[[StubRequest], Reply]


class StubServer:
    """Serve ``handler`` on 127.0.0.1 (a free port) in a background thread; a context manager."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[StubRequest] = []
        self._lock = threading.Lock()
        stub = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return None

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                with stub._lock:
                    request = StubRequest(
                        self.command,
                        parts.path,
                        parse_qs(parts.query, keep_blank_values=True),
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                        len(stub.requests) + 1,
                    )
                    stub.requests.append(request)
                reply = stub.handler(request)
                stub._send(self, reply)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _send(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            _close(handler)
            return
        handler.send_response(reply.status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        if reply.chunked:
            handler.send_header("Transfer-Encoding", "chunked")
        elif reply.content_length == "auto":
            handler.send_header("Content-Length", str(len(reply.body)))
        elif reply.content_length is not None:
            handler.send_header("Content-Length", str(reply.content_length))
        else:
            handler.send_header("Connection", "close")
        handler.end_headers()
        if reply.reset_before_body:
            _close(handler)
            return
        body = reply.body if reply.truncate_at is None else reply.body[: reply.truncate_at]
        out = handler.wfile
        try:
            if reply.chunked:
                for start in range(0, len(body), 1024):
                    chunk = body[start : start + 1024]
                    size = b"zz" if reply.broken_chunk and start else f"{len(chunk):x}".encode()
                    out.write(size + b"\r\n" + chunk + b"\r\n")
                if reply.truncate_at is None and not reply.broken_chunk:
                    out.write(b"0\r\n\r\n")
            elif reply.trickle:
                for byte in body:
                    out.write(bytes([byte]))
                    out.flush()
                    time.sleep(reply.trickle)
            else:
                out.write(body)
            out.flush()
        except (BrokenPipeError, ConnectionResetError):
            return
        if (
            reply.truncate_at is not None
            or reply.content_length is None
            or reply.broken_chunk
            or (reply.chunked and reply.truncate_at is not None)
        ):
            _close(handler)

    def hits(self, path: str | None = None) -> list[StubRequest]:
        """Requests received (to ``path`` only, when given)."""
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    def start(self) -> StubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _close(handler: BaseHTTPRequestHandler) -> None:
    handler.close_connection = True
    try:
        handler.wfile.flush()
        handler.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def page_slicer(
    records: list[dict[str, Any]], per_page: int
) -> Callable[[StubRequest], tuple[list[dict[str, Any]], int]]:
    """Helper for handlers: the slice of ``records`` for ``?page=N&per_page=M`` and the page count."""

    def slice_for(request: StubRequest) -> tuple[list[dict[str, Any]], int]:
        page = request.int_arg("page", 1)
        size = request.int_arg("per_page", per_page)
        pages = max(1, -(-len(records) // size))
        return records[(page - 1) * size : page * size], pages

    return slice_for
