"""Origins (scheme, host, port), the unit credentials are bound to: a connection's credentials go
to its own origin and nowhere else, whatever a path, a redirect or a paginator says."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


class Origin(NamedTuple):
    scheme: str
    host: str
    port: int | None


def origin_of(url: str) -> Origin:
    """``https://Acme.example.com/x`` -> ``("https", "acme.example.com", 443)``; the default port is
    spelled out so ``https://h`` and ``https://h:443`` are the same origin."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: no origin can match it
        port = -1
    return Origin(
        scheme, (parts.hostname or "").lower(), port if port is not None else _DEFAULT_PORTS.get(scheme)
    )


def describe_origin(origin: Origin) -> str:
    """``https://acme.example.com:443``, never with user info or a path (both may hold secrets)."""
    port = "" if origin.port is None else f":{origin.port}"
    host = f"[{origin.host}]" if ":" in origin.host else origin.host
    return f"{origin.scheme}://{host}{port}" if origin.scheme else f"{host or '(no host)'}{port}"
