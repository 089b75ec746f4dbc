"""Origins (scheme, host, port): credentials are only ever sent to the connection's own.

Parsed with urllib3's parser, the one requests itself uses to decide where a request goes, so
what we check is what is sent.
"""

from __future__ import annotations

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of ``url``, lower-cased, with the scheme's default port filled in."""
    try:
        parts = parse_url(url)
    except LocationParseError:
        return ("", "", None)
    scheme = (parts.scheme or "").lower()
    return scheme, (parts.host or "").lower().rstrip("."), parts.port or _DEFAULT_PORTS.get(scheme)


def same_origin(url: str, base_url: str) -> bool:
    """True when ``url`` goes to the same scheme, host and port as ``base_url``."""
    target = origin(url)
    return bool(target[1]) and target == origin(base_url)
