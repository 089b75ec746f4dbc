"""Errors raised by the provider. Every message is meant to be acted on by a DAG author."""

from __future__ import annotations


class LmsError(Exception):
    """Base class of every error this provider raises."""


class LmsConfigError(LmsError, ValueError):
    """The task asked for something that cannot work: unknown endpoint, bad parameter, bad window."""


class LmsWindowError(LmsConfigError):
    """The date window is malformed, inverted or zero-width for an endpoint that filters by date."""


class LmsHttpError(LmsError):
    """The vendor answered with an error (after retries where retrying made sense)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class LmsAuthError(LmsHttpError):
    """The vendor rejected the connection's credentials."""


class LmsPaginationError(LmsError):
    """The vendor's pages are inconsistent (a page repeats, a token loops): stopping beats looping."""


class LmsDataChangedError(LmsPaginationError):
    """The source changed while we paged (a declared total moved, or the records read do not add up
    to it): offsets shifted, so records may repeat or be missing. The operator restarts such an
    extract once from page one before failing."""


class LmsResponseError(LmsError):
    """A response could not be read (not JSON, hostile XML, missing record path)."""


class LmsRecordTimeError(LmsResponseError):
    """A record's own timestamp, needed to trim it to the window, is missing or unreadable."""


class LmsRetryLater(LmsError):
    """Raised by an auth strategy or the hook's ``accept_body`` inside a request: this
    attempt failed in a way a later attempt may fix. The transport waits (``retry_after`` seconds,
    else its exponential backoff), then sends the request again, within its attempts and retry
    budget; when those run out it raises :class:`LmsHttpError` with ``summary``.

    :param summary: what happened, without secrets (it is logged and may end in an error message).
    :param status: the HTTP status behind it, if any.
    :param retry_after: seconds the server asked to wait, if it said.
    """

    def __init__(self, summary: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(summary)
        self.summary, self.status, self.retry_after = summary, status, retry_after


class LmsCredentialRejected(LmsError):
    """Raised by the hook's ``accept_body`` when a 2xx body says the credential (the
    token) is invalid or expired, as a 401 would. The transport asks the auth strategy to renew it
    and resends once; a second rejection becomes :class:`LmsAuthError`."""
