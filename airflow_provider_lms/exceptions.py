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
