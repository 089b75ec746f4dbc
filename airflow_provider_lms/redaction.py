"""Keep secrets out of logs, exceptions and XComs.

Tokens can travel in URLs (some vendors put one in the query string), so every URL and message that may
leave the process goes through a :class:`Redactor` first.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import weakref
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

MASK = "***"

#: Query parameter names whose values are always secret, whatever the vendor.
SECRET_PARAM_NAMES = frozenset(
    {"access_token", "token", "api_key", "apikey", "client_secret", "password", "private_key", "key"}
)


#: Secrets shorter than this are masked only in our own messages, and only as whole tokens:
#: registered with Airflow's task-log masker, a 1-4 character secret would mask every "a" or "2026"
#: (Airflow itself skips secrets under 5 characters, with a warning).
MIN_GLOBAL_LENGTH = 5

#: Header values echoed by a server ("Authorization: Basic ...", "x-api-key": "..."): masked
#: whatever they hold, even a credential we were never told about.
_ECHOED_HEADER = re.compile(
    r"""(?ix)
    (\b(?:proxy-)?authorization|\bx-api-key)   # the header's name
    (["']?\s*[:=]\s*["']?\s*)                 # its separator, in header, JSON or repr form
    ((?:basic|bearer|token|digest)\s+)?        # an auth scheme, kept
    ([^\s"',;}\])]+)                          # the credential, masked
    """
)


def _register_with_airflow(secret: str) -> None:
    # Airflow's masker scrubs task logs; outside a task it is harmless to call.
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # pragma: no cover - only without Airflow installed
        return
    mask_secret(secret)


def derived_forms(secret: str) -> set[str]:
    """Every form in which ``secret`` may come back in an echoed request: raw, URL-encoded (both
    flavours, either hex case), JSON-escaped (ASCII or not, once or twice, slashes escaped or not) and
    base64 (standard and URL-safe, padding aside)."""
    forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}
    forms |= {form.lower() for form in forms if "%" in form} - {secret.lower()}
    escaped = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    forms |= escaped | {json.dumps(form)[1:-1] for form in escaped}  # JSON quoted inside JSON, too
    encoded = secret.encode("utf-8")
    forms |= {
        base64.b64encode(encoded).decode().rstrip("="),
        base64.urlsafe_b64encode(encoded).decode().rstrip("="),
    }
    forms |= {form.replace("/", "\\/") for form in forms if "/" in form}
    return {form for form in forms if form}


class Redactor:
    """Remembers the secrets of one hook and removes them, in every derived form, from any text.

    Secrets of :data:`MIN_GLOBAL_LENGTH` characters or more are also registered with Airflow's
    task-log masker; shorter ones are masked here (exception texts, Test button, previews) where
    they stand as a whole token, not inside a longer word.
    """

    def __init__(self, secret_param_names: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._long: set[str] = set()  # forms masked wherever they appear
        self._short: set[str] = set()  # forms of short secrets, masked as whole tokens only
        self._pattern: re.Pattern[str] | None = None
        self._param_names = SECRET_PARAM_NAMES | {n.lower() for n in secret_param_names}

    def add(self, secret: str | None) -> None:
        """Register a secret value (password, token...) so it is masked from now on."""
        if not isinstance(secret, str) or not secret.strip() or secret in self._secrets:
            return
        self._secrets.add(secret)
        forms = derived_forms(secret)
        if len(secret) >= MIN_GLOBAL_LENGTH:
            self._long |= forms
            for form in forms:
                _register_with_airflow(form)
        else:
            self._short |= forms
        self._pattern = None

    def add_basic(self, username: str | None, password: str | None) -> None:
        """Register the ``base64(username:password)`` of an HTTP Basic header (and the password)."""
        from airflow_provider_lms.auth import basic_token  # auth imports nothing of ours but errors

        self.add(password)
        if username is not None and password is not None:
            self.add(basic_token(username, password))

    def _compiled(self) -> re.Pattern[str] | None:
        if self._pattern is None and (self._long or self._short):
            long = [re.escape(f) for f in sorted(self._long, key=len, reverse=True)]
            short = [
                rf"(?<![0-9A-Za-z]){re.escape(f)}(?![0-9A-Za-z])"
                for f in sorted(self._short, key=len, reverse=True)
            ]
            self._pattern = re.compile("|".join(long + short))
        return self._pattern

    def parameter(self, name: str, value: object) -> str:
        """A parameter's value fit for a log line: masked when its name says secret, else with
        every registered secret masked."""
        if name.lower() in self._param_names:
            return MASK
        return self.text(str(value))

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
        """Return ``text`` with every registered secret (in every derived form) masked, and any
        echoed ``Authorization`` / ``x-api-key`` header value."""
        pattern = self._compiled()
        if pattern is not None:
            text = pattern.sub(MASK, text)
        return _ECHOED_HEADER.sub(lambda m: f"{m[1]}{m[2]}{m[3] or ''}{MASK}", text)

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
