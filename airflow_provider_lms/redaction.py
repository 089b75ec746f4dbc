"""Keep secrets out of logs, exceptions and XComs.

Tokens can travel in URLs (NexPort puts one in the query string), so every URL and message that may
leave the process goes through a :class:`Redactor` first.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

MASK = "***"

#: Query parameter names whose values are always secret, whatever the vendor.
SECRET_PARAM_NAMES = frozenset(
    {"access_token", "token", "api_key", "apikey", "client_secret", "password", "private_key", "key"}
)


def _register_with_airflow(secret: str) -> None:
    # Airflow's masker scrubs task logs; outside a task it is harmless to call.
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # pragma: no cover - only without Airflow installed
        return
    mask_secret(secret)


class Redactor:
    """Remembers the secrets of one hook and removes them from any text or URL."""

    def __init__(self, secret_param_names: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._param_names = SECRET_PARAM_NAMES | {n.lower() for n in secret_param_names}

    def add(self, secret: str | None) -> None:
        """Register a secret value (password, token...) so it is masked from now on."""
        if secret and len(secret) >= 4 and secret not in self._secrets:
            self._secrets.add(secret)
            _register_with_airflow(secret)

    def url(self, url: str) -> str:
        """Return ``url`` with secret query parameters and known secrets masked."""
        parts = urlsplit(url)
        if parts.query:
            query = [
                (k, MASK if k.lower() in self._param_names else v)
                for k, v in parse_qsl(parts.query, keep_blank_values=True)
            ]
            parts = parts._replace(query=urlencode(query, safe="*"))
        if parts.password:
            parts = parts._replace(netloc=parts.netloc.replace(parts.password, MASK))
        return self.text(urlunsplit(parts))

    def text(self, text: str) -> str:
        """Return ``text`` with every registered secret (and its URL-encoded form) masked."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
                text = text.replace(form, MASK)
        return text

    def scrub(self, text: str) -> str:
        """Free text that may quote URLs (log lines, library errors): secrets and secret query
        parameters masked, including tokens we have not been told about yet."""
        text = self.text(text)
        if "?" not in text:
            return text
        return " ".join(self.url(word) if "?" in word else word for word in text.split(" "))


_LIVE_REDACTORS: weakref.WeakSet[Redactor] = weakref.WeakSet()


class _ThirdPartyFilter(logging.Filter):
    """One filter on third-party loggers, consulting every live hook's redactor."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = message
        for redactor in list(_LIVE_REDACTORS):
            cleaned = redactor.scrub(cleaned)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_THIRD_PARTY_FILTER = _ThirdPartyFilter()
_FILTERED_LOGGERS = ("urllib3.connectionpool", "requests")


def watch_third_party_logs(redactor: Redactor) -> None:
    """Scrub ``redactor``'s secrets from urllib3's DEBUG lines, which print full request URLs."""
    _LIVE_REDACTORS.add(redactor)
    for name in _FILTERED_LOGGERS:
        logger = logging.getLogger(name)
        if _THIRD_PARTY_FILTER not in logger.filters:
            logger.addFilter(_THIRD_PARTY_FILTER)
