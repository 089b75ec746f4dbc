"""Origins (scheme, host, port), the unit credentials are bound to: a connection's credentials go
to its own origin and nowhere else, whatever a path, a redirect or a paginator says.

Parsed with urllib3's parser, the one requests itself uses to decide where a request goes, so what
we check is what is sent.
"""

from __future__ import annotations

from typing import NamedTuple

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

_DEFAULT_PORTS = {"http": 80, "https": 443}


class Origin(NamedTuple):
    scheme: str
    host: str
    port: int | None


def origin_of(url: str) -> Origin:
    """``https://Acme.example.com/x`` -> ``("https", "acme.example.com", 443)``; the default port is
    spelled out so ``https://h`` and ``https://h:443`` are the same origin. An unparsable URL (a
    port that is not a number...) has an origin no other URL shares."""
    try:
        parts = parse_url(url.strip())
    except LocationParseError:
        return Origin("", "", -1)
    scheme = (parts.scheme or "").lower()
    host = (parts.host or "").lower().rstrip(".")
    return Origin(scheme, host, parts.port or _DEFAULT_PORTS.get(scheme))


def same_origin(url: str, base_url: str) -> bool:
    """True when ``url`` goes to the same scheme, host and port as ``base_url``."""
    target = origin_of(url)
    return bool(target.host) and target.port != -1 and target == origin_of(base_url)


def describe_origin(origin: Origin) -> str:
    """``https://acme.example.com:443``, never with user info or a path (both may hold secrets)."""
    port = "" if origin.port is None else f":{origin.port}"
    host = f"[{origin.host}]" if ":" in origin.host else origin.host
    return f"{origin.scheme}://{host}{port}" if origin.scheme else f"{host or '(no host)'}{port}"
