"""Absorb's catalog: the enrollment reference's reads and the parents a chain needs."""

from __future__ import annotations

from airflow_provider_lms.catalog import Catalog, Endpoint, Param
from airflow_provider_lms.pagination import SinglePage
from airflow_provider_lms.param_rules import OneOf, Rule
from airflow_provider_lms.vendors.absorb.query import (
    MAX_PAGE_SIZE,
    AbsorbPaginator,
    modified_since_window,
    odata_window,
    record_window,
)
from airflow_provider_lms.windows import DateWindow

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
    window: DateWindow | None = None,
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
    name: str,
    path: str,
    *params: Param,
    window: DateWindow | None = None,
    rules: tuple[Rule, ...] = (),
    description: str,
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
        rules=rules,
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
        _paged("users", "/users", "users", window=odata_window(), description="Users edited in the window."),
        _paged(
            "courses",
            "/courses",
            "courses",
            window=odata_window(),
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
            window=odata_window(),
            description="Enrollments of one course edited in the window.",
        ),
        _paged(
            "user_enrollments",
            "/users/{userId}/enrollments",
            "enrollments",
            USER,
            window=odata_window(),
            description="Course enrollments of one user edited in the window.",
        ),
        _array(
            "bulk_enrollments",
            "/enrollments",
            Param("user_ids", api_name="userIds", multiple=True, description="list of user ids"),
            Param("course_ids", api_name="courseIds", multiple=True, description="list of course ids"),
            window=record_window(),
            # The reference marks neither required; an empty pair would ask for every enrollment.
            rules=(OneOf((("user_ids",), ("course_ids",))),),
            description="Course enrollments of a list of users and/or courses; no server date filter, "
            "so records are kept by dateEdited on our side.",
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
            STATUS,
            MODIFIED_SINCE,
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
            window=modified_since_window(),
            description="A user's session enrollments in one ILC, edited in the window.",
        ),
        _single(
            "user_session_enrollment",
            _USER_COURSE + "/sessions/{sessionId}",
            USER,
            COURSE,
            SESSION,
            STATUS,
            MODIFIED_SINCE,
            description="A user's enrollment in one ILC session.",
        ),
        _paged(
            "session_enrollments",
            "/instructor-led-courses/{courseId}/sessions/{sessionId}/enrollments",
            "enrollments",
            COURSE,
            SESSION,
            STATUS,
            MODIFIED_SINCE,
            window=odata_window(),
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
            STATUS,
            MODIFIED_SINCE,
            description="A user's enrollment in one chapter.",
        ),
        # ---- lesson enrollments -------------------------------------------------------------------
        _paged(
            "lesson_enrollments",
            "/courses/{courseId}/lessons/{lessonId}/enrollments",
            "lessonEnrollments",
            COURSE,
            LESSON,
            window=odata_window(),
            description="Enrollments of one lesson edited in the window.",
        ),
        _array(
            "user_lesson_enrollments",
            _USER_COURSE + "/lessons",
            USER,
            COURSE,
            STATUS,
            MODIFIED_SINCE,
            window=modified_since_window(),
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
            window=modified_since_window(),
            description="A user's lesson enrollments in one chapter, edited in the window.",
        ),
        _single(
            "user_lesson_enrollment",
            _USER_COURSE + "/lessons/{lessonId}",
            USER,
            COURSE,
            LESSON,
            STATUS,
            MODIFIED_SINCE,
            description="A user's enrollment in one lesson.",
        ),
        _single(
            "user_chapter_lesson_enrollment",
            _USER_COURSE + "/chapters/{chapterId}/lessons/{lessonId}",
            USER,
            COURSE,
            CHAPTER,
            LESSON,
            STATUS,
            MODIFIED_SINCE,
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
            STATUS,
            MODIFIED_SINCE,
            window=odata_window(),
            description="Course enrollments of the connection's user, edited in the window.",
        ),
        _single(
            "my_enrollment",
            "/my-enrollments/{courseId}",
            COURSE,
            STATUS,
            MODIFIED_SINCE,
            description="The connection user's enrollment in one course.",
        ),
    ],
)
