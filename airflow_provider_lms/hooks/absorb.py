"""Absorb Integration API v2: ``/authenticate`` tokens (one per user, shared between a worker's
processes), page-index ``_offset`` pagination, OData ``_filter`` windows, and the enrollment catalog.

Every read endpoint of the enrollment reference (course, session, chapter and lesson enrollments,
attempts, "my enrollments") plus the parents a chain needs (users, courses, departments, groups,
sessions). Paths follow the v2 reference; override one with ``{"name": ..., "path": ...}``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from airflow_provider_lms.absorb_auth import AbsorbTokenAuth, api_headers
from airflow_provider_lms.absorb_query import (
    MAX_PAGE_SIZE,
    AbsorbPaginator,
    ModifiedSinceWindow,
    ODataWindow,
    RecordWindow,
)
from airflow_provider_lms.absorb_shared_token import select_token_store
from airflow_provider_lms.absorb_token_cache import cache_key
from airflow_provider_lms.auth import Auth, header_safe
from airflow_provider_lms.catalog import Catalog, Endpoint, Param
from airflow_provider_lms.exceptions import LmsConfigError, LmsResponseError
from airflow_provider_lms.hooks.base import LmsHook, normalize_url
from airflow_provider_lms.page_request import PageRequest
from airflow_provider_lms.pagination import Paginator, SinglePage
from airflow_provider_lms.throttle import RollingWindowThrottle, Throttle
from airflow_provider_lms.windows import WindowMapping

#: Region -> REST base URL ("service gateway"). The Host field may hold a key or any URL.
REGIONS: dict[str, str] = {
    "us": "https://rest.myabsorb.com",
    "ca": "https://rest.myabsorb.ca",
    "eu": "https://rest.myabsorb.eu",
    "au": "https://rest.myabsorb.com.au",
    "us-sandbox": "https://rest.sandbox.myabsorb.com",
    "ca-sandbox": "https://rest.sandbox.myabsorb.ca",
    "eu-sandbox": "https://rest.sandbox.myabsorb.eu",
    "au-sandbox": "https://rest.sandbox.myabsorb.com.au",
}

#: Client-side pace per process (Absorb: 200 requests/s per portal, then 429).
REQUESTS_PER_SECOND = 100

#: ``status`` of course, session, chapter and lesson enrollments, as Absorb numbers them.
ENROLLMENT_STATUS: dict[int, str] = {
    0: "NotStarted",
    1: "InProgress",
    2: "PendingApproval",
    3: "Complete",
    4: "NotComplete",
    5: "Failed",
    6: "Declined",
    7: "PendingEvaluationRequired",
    8: "OnWaitlist",
    9: "Absent",
    10: "NotApplicable",
    11: "PendingProctor",
    12: "ReadyForReview",
}
#: ``status`` of lesson attempts.
ATTEMPT_STATUS: dict[int, str] = {1: "InProgress", 3: "Complete", 5: "Failed"}

# "acme.myabsorb.com" is a portal (the web app), not the Integration API gateway.
_PORTAL_HOST = re.compile(
    r"^(?:https?://)?(?!rest\.)[^./]+\.(?:sandbox\.)?myabsorb\.(?:com\.au|com|ca|eu)/?$"
)

_STATUS_HELP = "enrollment status number: " + ", ".join(f"{k}={v}" for k, v in ENROLLMENT_STATUS.items())


def _id(name: str, api_name: str, what: str) -> Param:
    return Param(name, required=True, location="path", api_name=api_name, description=f"the {what} id (guid)")


USER = _id("user_id", "userId", "user")
COURSE = _id("course_id", "courseId", "course")
SESSION = _id("session_id", "sessionId", "ILC session")
CHAPTER = _id("chapter_id", "chapterId", "chapter")
LESSON = _id("lesson_id", "lessonId", "lesson")
FILTER = Param("_filter", description='OData filter (e.g. "status eq 3"), AND-combined with the window')
SORT = Param("_sort", description="sort fields, '-' for descending; 'id' is appended as tie-breaker")
STATUS = Param("status", description=_STATUS_HELP)
MODIFIED_SINCE = Param("modifiedSince", description="edited after this date-time (set by the window)")


def _paged(
    name: str,
    path: str,
    envelope: str,
    *params: Param,
    window: WindowMapping | None = None,
    description: str,
) -> Endpoint:
    """A collection with ``totalItems`` / ``_limit`` / ``_offset`` (page index) and ``_filter``."""
    return Endpoint(
        name,
        path,
        f"$.{envelope}[*]",
        params=(*params, FILTER, SORT),
        window=window,
        paginator=AbsorbPaginator,
        max_page_size=MAX_PAGE_SIZE,
        id_field="id",  # every Absorb entity has a GUID `id` (also the stable sort's tie-breaker)
        description=description,
    )


def _array(
    name: str, path: str, *params: Param, window: WindowMapping | None = None, description: str
) -> Endpoint:
    """A bare JSON array answered in one response."""
    return Endpoint(
        name,
        path,
        "$[*]",
        params=params,
        window=window,
        paginator=SinglePage,
        id_field="id",
        description=description,
    )


def _single(name: str, path: str, *params: Param, description: str) -> Endpoint:
    """One object (the record itself is the body)."""
    return Endpoint(
        name, path, "$", params=params, paginator=SinglePage, id_field="id", description=description
    )


_USER_COURSE = "/users/{userId}/enrollments/{courseId}"

ABSORB_CATALOG = Catalog(
    "Absorb",
    [
        # ---- parents ----------------------------------------------------------------------------
        _paged("users", "/users", "users", window=ODataWindow(), description="Users edited in the window."),
        _paged(
            "courses",
            "/courses",
            "courses",
            window=ODataWindow(),
            description="Courses edited in the window.",
        ),
        _paged("departments", "/departments", "departments", description="Departments. Full snapshot."),
        _paged("groups", "/groups", "groups", description="Groups with their userIds. Full snapshot."),
        _paged("sessions", "/sessions", "sessions", description="Sessions of every ILC. Full snapshot."),
        # ---- course enrollments -------------------------------------------------------------------
        _paged(
            "course_enrollments",
            "/courses/{courseId}/enrollments",
            "enrollments",
            COURSE,
            window=ODataWindow(),
            description="Enrollments of one course edited in the window.",
        ),
        _paged(
            "user_enrollments",
            "/users/{userId}/enrollments",
            "enrollments",
            USER,
            window=ODataWindow(),
            description="Course enrollments of one user edited in the window.",
        ),
        _array(
            "bulk_enrollments",
            "/enrollments",
            Param(
                "user_ids", required=True, api_name="userIds", multiple=True, description="list of user ids"
            ),
            Param("course_ids", api_name="courseIds", multiple=True, description="list of course ids"),
            window=RecordWindow(),
            description="Course enrollments of a list of users (optionally of some courses); no server "
            "date filter, so records are kept by dateEdited on our side.",
        ),
        _single(
            "course_enrollment",
            "/enrollments/{id}",
            Param("enrollment_id", required=True, location="path", api_name="id"),
            description="One course enrollment by id.",
        ),
        _single(
            "user_course_enrollment",
            _USER_COURSE,
            USER,
            COURSE,
            description="A user's enrollment in one course.",
        ),
        # ---- session enrollments ------------------------------------------------------------------
        _array(
            "user_session_enrollments",
            _USER_COURSE + "/sessions",
            USER,
            COURSE,
            STATUS,
            MODIFIED_SINCE,
            window=ModifiedSinceWindow(),
            description="A user's session enrollments in one ILC, edited in the window.",
        ),
        _single(
            "user_session_enrollment",
            _USER_COURSE + "/sessions/{sessionId}",
            USER,
            COURSE,
            SESSION,
            description="A user's enrollment in one ILC session.",
        ),
        _paged(
            "session_enrollments",
            "/instructor-led-courses/{courseId}/sessions/{sessionId}/enrollments",
            "enrollments",
            COURSE,
            SESSION,
            STATUS,
            window=ODataWindow(),
            description="Enrollments of one ILC session edited in the window.",
        ),
        # ---- chapter enrollments (records carry no dateEdited: no window) -------------------------
        _array(
            "user_chapter_enrollments",
            _USER_COURSE + "/chapters",
            USER,
            COURSE,
            STATUS,
            MODIFIED_SINCE,
            description="A user's chapter enrollments in one course. Full snapshot (the records have no "
            "dateEdited to hold a window against; pass modifiedSince yourself for a lower bound).",
        ),
        _single(
            "user_chapter_enrollment",
            _USER_COURSE + "/chapters/{chapterId}",
            USER,
            COURSE,
            CHAPTER,
            description="A user's enrollment in one chapter.",
        ),
        # ---- lesson enrollments -------------------------------------------------------------------
        _paged(
            "lesson_enrollments",
            "/courses/{courseId}/lessons/{lessonId}/enrollments",
            "lessonEnrollments",
            COURSE,
            LESSON,
            window=ODataWindow(),
            description="Enrollments of one lesson edited in the window.",
        ),
        _array(
            "user_lesson_enrollments",
            _USER_COURSE + "/lessons",
            USER,
            COURSE,
            STATUS,
            MODIFIED_SINCE,
            window=ModifiedSinceWindow(),
            description="A user's lesson enrollments in one course, edited in the window.",
        ),
        _array(
            "user_chapter_lesson_enrollments",
            _USER_COURSE + "/chapters/{chapterId}/lessons",
            USER,
            COURSE,
            CHAPTER,
            STATUS,
            MODIFIED_SINCE,
            window=ModifiedSinceWindow(),
            description="A user's lesson enrollments in one chapter, edited in the window.",
        ),
        _single(
            "user_lesson_enrollment",
            _USER_COURSE + "/lessons/{lessonId}",
            USER,
            COURSE,
            LESSON,
            description="A user's enrollment in one lesson.",
        ),
        _single(
            "user_chapter_lesson_enrollment",
            _USER_COURSE + "/chapters/{chapterId}/lessons/{lessonId}",
            USER,
            COURSE,
            CHAPTER,
            LESSON,
            description="A user's enrollment in one lesson of one chapter.",
        ),
        # ---- attempts -----------------------------------------------------------------------------
        _array(
            "lesson_attempts",
            _USER_COURSE + "/lessons/{lessonId}/attempts",
            USER,
            COURSE,
            LESSON,
            description="A user's attempts at one lesson (status 1=InProgress, 3=Complete, 5=Failed). "
            "Full snapshot: attempts have no edit date.",
        ),
        # ---- my enrollments (the connection's own user) -------------------------------------------
        _paged(
            "my_enrollments",
            "/my-enrollments",
            "enrollments",
            window=ODataWindow(),
            description="Course enrollments of the connection's user, edited in the window.",
        ),
        _single(
            "my_enrollment",
            "/my-enrollments/{courseId}",
            COURSE,
            description="The connection user's enrollment in one course.",
        ),
    ],
)


class AbsorbHook(LmsHook):
    """Absorb Integration API (v2) hook.

    Connection: host = REST base URL (``https://rest.myabsorb.com``) or a region key (``us``,
    ``ca``, ``eu``, ``au``, ``us-sandbox``...), or leave it empty and pick the ``region`` extra;
    login / password = an admin's username / password; extra ``private_key`` = the portal's API key.

    Tokens are shared by the processes of one worker through a file cache (extra
    ``token_cache_dir``; ``off`` keeps them per process), or by every worker host through the
    extra ``token_store`` (``variable`` or a shared directory URI): see docs/absorb.md before
    running many Absorb tasks at once.

    :param conn_id: the Airflow connection id (type ``absorb``).
    :param token_cache_dir: overrides the connection's ``token_cache_dir`` extra.
    :param clock: wall clock for token ages (seconds since the epoch); for tests.
    """

    conn_name_attr = "conn_id"
    default_conn_name = "absorb_default"
    conn_type = "absorb"
    hook_name = "Absorb"
    catalog = ABSORB_CATALOG
    max_page_size = MAX_PAGE_SIZE
    test_endpoint = "users"
    #: Absorb reports 200 requests/s per portal (paced by the throttle): 4 pages in flight is far below.
    default_max_concurrency = 4
    secret_extras = ("private_key",)

    def __init__(
        self,
        conn_id: str | None = None,
        *,
        token_cache_dir: str | None = None,
        clock: Callable[[], float] = time.time,
        **kwargs: Any,
    ) -> None:
        super().__init__(conn_id, **kwargs)
        self._token_cache_dir, self._clock = token_cache_dir, clock

    def base_url(self) -> str:
        host = (self.connection.host or "").strip()
        region = str(self.extras.get("region") or "").strip().lower()
        if host.lower() in REGIONS:
            return REGIONS[host.lower()]
        if _PORTAL_HOST.match(host):
            raise LmsConfigError(
                f"connection {self.conn_id!r}: host {host!r} is a portal address; the Integration API "
                f"lives on the regional gateway, e.g. {REGIONS['us']} (or set host to one of "
                f"{', '.join(REGIONS)})"
            )
        if host:
            return normalize_url(host, port=self.connection.port)
        if region in REGIONS:
            return REGIONS[region]
        raise LmsConfigError(
            f"connection {self.conn_id!r} has no host: set Host to the REST base URL (e.g. "
            f"{REGIONS['us']}) or the region extra to one of {', '.join(REGIONS)}"
            + (f" (region {region!r} is unknown)" if region else "")
        )

    def create_auth(self) -> Auth:
        conn = self.connection
        username = self._credential(conn.login, "admin username (login)")
        password = self._credential(conn.password, "admin password")
        private_key = header_safe(
            self._credential(self.extras.get("private_key"), "API private key (extra private_key)"),
            connection=self.conn_id,
            field="API private key (extra private_key)",
        )
        setting = (
            self._token_cache_dir if self._token_cache_dir is not None else self.extras.get("token_cache_dir")
        )
        # token_store: the per-host file cache (default), or a home every worker host reaches.
        store, auth_class = select_token_store(
            self.extras.get("token_store"),
            cache_key(self.base_url(), private_key, username, password),
            setting,
        )
        return auth_class(
            lambda: self._authenticate(username, password, private_key),
            private_key=private_key,
            store=store,
            redactor=self.redactor,
            clock=self._clock,
        )

    def _authenticate(self, username: str, password: str, private_key: str) -> str:
        request = PageRequest(
            "POST",
            "/authenticate",
            body={"username": username, "password": password, "privateKey": private_key},
            headers=api_headers(private_key),
        )
        response = self.transport.send(request, authenticated=False)
        token = self.parse_body(response)
        if not isinstance(token, str) or not token.strip():
            # Never echo the body: it may hold a token in an unexpected shape.
            raise LmsResponseError(
                f"Absorb POST {self.redactor.url(self.transport.url_for('/authenticate'))} answered a JSON "
                f"{type(token).__name__} instead of the token string; is the host the Integration API "
                "gateway (e.g. https://rest.myabsorb.com)?"
            )
        return token.strip()

    def create_throttle(self) -> Throttle:
        # Absorb allows 200 requests/s (burst 100) per portal. Pacing waits are real waits, even
        # when retries are told not to sleep (tests), so a fast loop never spins on the clock.
        return RollingWindowThrottle(REQUESTS_PER_SECOND, 1.0, sleep=time.sleep)

    def default_paginator(self) -> Paginator:
        # Custom paths: page-index pagination, without a sort field we cannot know exists.
        return AbsorbPaginator(unique_field=None)

    # ---- reporting -----------------------------------------------------------------------------

    def token_report(self) -> dict[str, Any]:
        """``/authenticate`` calls this hook made and shared tokens it reused, so far."""
        auth = self.transport.auth
        assert isinstance(auth, AbsorbTokenAuth)
        return {
            "authenticate_calls": auth.authenticate_calls,
            "reused_tokens": auth.reused_tokens,
            "token_cache": auth.store.location,
        }
