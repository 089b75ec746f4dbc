"""iSpring Learn's catalog: the REST v3 reads, their windows and paging."""

from __future__ import annotations

from datetime import timedelta

from airflow_provider_lms.catalog import Catalog, Endpoint, Param
from airflow_provider_lms.page_request import PageRequest
from airflow_provider_lms.pagination import Paginator, SinglePage, TokenPaginator
from airflow_provider_lms.windows import DateRangeFilter, Window

PAGE_SIZE_MAX = 1000  # the API's default page size; no larger one is documented

#: The API answers active users' results only unless told otherwise: 1 = active, 3 = blocked.
ALL_USER_STATUSES = (1, 3)
USER_STATUSES = "userStatuses"
WINDOW_FIELD = "window_field"
RESULT_DATE_FIELDS = ("completionDate", "accessDate", "dueDate")
#: Parameters the API reads as one comma-separated string, not as a PHP array.
COMMA_SEPARATED = ("learningTrackIds",)


def IspringTokenPaginator() -> Paginator:  # noqa: N802
    """``pageToken`` / ``nextPageToken``. The OpenAPI copy spells the modules page's key
    ``nextPageToekn``: either spelling continues the extract."""
    return TokenPaginator("pageToken", "nextPageToken", "pageSize", also_token_paths=("nextPageToekn",))


class DateRangeWindow(DateRangeFilter):
    """A window as ``<field>[startDate]`` / ``<field>[endDate]`` (ISO 8601, UTC).

    The API does not say whether its ends are inclusive, so the request reaches one second past
    each end of ``[start, end)`` (timestamps have whole seconds) and records are kept by their own
    ``<field>``: nothing at either edge is lost or extracted twice by adjacent runs.
    """

    MARGIN = timedelta(seconds=1)

    def __init__(self, date_field: str) -> None:
        super().__init__(f"{date_field}[startDate]", f"{date_field}[endDate]", record_field=date_field)
        self.date_field = date_field

    def apply(self, request: PageRequest, window: Window) -> None:
        super().apply(request, Window(window.start - self.MARGIN, window.end + self.MARGIN))


def _ids(name: str, description: str, *, required: bool = False) -> Param:
    # PHP reads `userIds=a&userIds=b` as "b": arrays must travel as `userIds[]`.
    return Param(name, required=required, api_name=f"{name}[]", description=description, multiple=True)


def _results_params(*extra: Param) -> tuple[Param, ...]:
    return (
        _ids("userIds", "user ids"),
        _ids("courseIds", "course ids"),
        *extra,
        _ids("departmentIds", "department ids (of the users)"),
        _ids("enrollmentIds", "enrollment ids"),
        _ids("completionStatuses", "not_started, in_progress, pending, complete, passed, ..."),
        _ids(USER_STATUSES, "1 active, 3 blocked; default both (the API alone returns active only)"),
        Param(
            WINDOW_FIELD,
            choices=RESULT_DATE_FIELDS,
            description="which date the task window filters: completionDate (default), accessDate, dueDate",
        ),
    )


def _snapshot(
    name: str, path: str, records_path: str, description: str, *params: Param, id_field: str | None = None
) -> Endpoint:
    return Endpoint(
        name,
        path,
        records_path,
        params=params,
        id_field=id_field,
        description=description + " Full snapshot.",
    )


def _single(name: str, path: str, description: str, *params: Param) -> Endpoint:
    # Bare-array answers without pagination.
    return Endpoint(name, path, "$[*]", params=params, paginator=SinglePage, description=description)


ISPRING_CATALOG = Catalog(
    "iSpring Learn",
    [
        Endpoint(
            "learner_results",
            "/learners/results",
            "$.results[*]",
            params=_results_params(),
            window=DateRangeWindow("completionDate"),
            description="Course results of learners completed in the window (window_field selects "
            "accessDate or dueDate instead). Active AND blocked users by default.",
            id_field="enrollmentId",
        ),
        Endpoint(
            "learner_module_results",
            "/learners/modules/results",
            "$.results[*]",
            params=_results_params(_ids("moduleIds", "module ids"), _ids("courseItemIds", "course item ids")),
            window=DateRangeWindow("completionDate"),
            description="Module (course item) results completed in the window; same options as "
            "learner_results.",
        ),
        _snapshot(
            "users",
            "/users",
            "$.userProfiles[*]",
            "User profiles with status, department, roles and groups.",
            _ids("departments", "department ids"),
            _ids("groups", "group ids"),
            _ids("logins", "logins"),
            _ids("emails", "emails"),
            id_field="userId",
        ),
        _snapshot(
            "enrollments",
            "/enrollments",
            "$.enrollments[*]",
            "Course enrollments (access and due dates, certificates).",
            _ids("courseIds", "course ids"),
            _ids("learnerIds", "user ids"),
            _ids("enrollmentIds", "enrollment ids"),
            id_field="enrollmentId",
        ),
        _snapshot(
            "departments",
            "/departments",
            "$.departments[*]",
            "Department tree (parentDepartmentId).",
            id_field="departmentId",
        ),
        _snapshot(
            "groups", "/groups", "$.groups[*]", "Groups (isSmart for rule-based ones).", id_field="groupId"
        ),
        _snapshot(
            "contents",
            "/contents",
            "$.contentItems[*]",
            "Content items: courses, quizzes, assignments, learning tracks...",
            _ids("contentItemIds", "content item ids"),
            _ids("contentTypes", "Course, Quiz, Assignment, LearningTrack, ..."),
            id_field="contentItemId",
        ),
        _snapshot(
            "course_modules",
            "/courses/modules",
            "$.modules[*]",
            "Modules of the given courses.",
            _ids("courseIds", "course ids", required=True),
            id_field="moduleId",
        ),
        _snapshot(
            "assignments",
            "/assignments",
            "$.assignments[*]",
            "Assignments (ungraded=1: only those with ungraded attempts).",
            Param("ungraded", choices=(0, 1), description="1: only assignments with ungraded attempts"),
            id_field="assignmentId",
        ),
        _single(
            "assignment_ungraded_attempts",
            "/assignment/{assignmentId}/attempts/ungraded",
            "Ungraded attempts of one assignment.",
            Param("assignmentId", required=True, location="path"),
            _ids("userIds", "user ids"),
        ),
        _snapshot(
            "quizzes",
            "/quizzes",
            "$.results[*]",
            "Quizzes with the courses they belong to.",
            _ids("quizIds", "quiz ids"),
            _ids("contentItemIds", "content item ids"),
            _ids("parentCourseIds", "course ids"),
            id_field="quizId",
        ),
        Endpoint(
            "quiz_answers",
            "/report/answer-breakdown",
            "$.results[*]",
            params=(
                Param("quizId", required=True, description="the quiz (see quizzes)"),
                Param("parentCourseId", description="the course the quiz was taken in"),
                _ids("userIds", "user ids"),
                _ids("enrollmentIds", "enrollment ids"),
                _ids("departmentIds", "department ids"),
                _ids("groupIds", "group ids"),
            ),
            window=DateRangeWindow("attemptDate"),
            description="Answer breakdown of one quiz: one record per answered question of each attempt "
            "made in the window (attemptDate).",
        ),
        _single(
            "gamification_points",
            "/gamification/points",
            "Gamification points per user. Full snapshot.",
            _ids("userIds", "user ids"),
        ),
        _single(
            "content_final_statuses",
            "/content/{contentId}/final_statuses",
            "Final status and progress of every learner of one content item.",
            Param("contentId", required=True, location="path"),
        ),
        _single(
            "learning_track_courses",
            "/learning_track/courses",
            "Courses of the given learning tracks.",
            Param(
                "learningTrackIds",
                required=True,
                multiple=True,
                description="track ids, a list or comma-separated",
            ),
        ),
    ],
)
