"""iSpring Learn's catalog: the REST v3 reads, their windows and paging."""

from __future__ import annotations

from datetime import timedelta

from airflow_provider_lms.catalog import Catalog, Endpoint, Param, date_field_param
from airflow_provider_lms.pagination import Paginator, SinglePage, TokenPaginator
from airflow_provider_lms.windows import DateWindow

PAGE_SIZE_MAX = 1000  # the API's default page size; no larger one is documented

#: The API answers active users' results only unless told otherwise: 1 = active, 3 = blocked.
ALL_USER_STATUSES = (1, 3)
USER_STATUSES = "userStatuses"
#: The older name of ``date_field`` on the results endpoints (DAG authors still use it).
WINDOW_FIELD = "window_field"
RESULT_DATE_FIELDS = ("completionDate", "accessDate", "dueDate")


def IspringTokenPaginator() -> Paginator:  # noqa: N802
    """``pageToken`` / ``nextPageToken``. The OpenAPI copy spells the modules page's key
    ``nextPageToekn``: either spelling continues the extract."""
    return TokenPaginator("pageToken", "nextPageToken", "pageSize", also_token_paths=("nextPageToekn",))


MARGIN = timedelta(seconds=1)


def date_range_window(date_field: str) -> DateWindow:
    """A window as ``<field>[startDate]`` / ``<field>[endDate]`` (ISO 8601, UTC).

    The API does not say whether its ends are inclusive, so the request reaches one second past
    each end of ``[start, end)`` (timestamps have whole seconds) and records are kept by their own
    ``<field>``: nothing at either edge is lost or extracted twice by adjacent runs.
    """
    return DateWindow(
        f"{date_field}[startDate]",
        f"{date_field}[endDate]",
        margin_before=MARGIN,
        margin_after=MARGIN,
        record_field=date_field,
    )


#: ``date_field`` (older name ``window_field``) -> the window on that date of a result.
RESULT_DATES = {name: date_range_window(name) for name in RESULT_DATE_FIELDS}


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
        Param(
            USER_STATUSES,
            api_name=f"{USER_STATUSES}[]",
            description="1 active, 3 blocked; default both (the API alone returns active only)",
            multiple=True,
            default=list(ALL_USER_STATUSES),
        ),
        date_field_param(
            RESULT_DATES,
            "which date the task window filters: completionDate (default), accessDate, dueDate "
            f"(older name: {WINDOW_FIELD})",
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
            date_choices=RESULT_DATES,
            date_field_aliases=(WINDOW_FIELD,),
            description="Course results of learners completed in the window (date_field selects "
            "accessDate or dueDate instead). Active AND blocked users by default.",
            id_field="enrollmentId",
        ),
        Endpoint(
            "learner_module_results",
            "/learners/modules/results",
            "$.results[*]",
            params=_results_params(_ids("moduleIds", "module ids"), _ids("courseItemIds", "course item ids")),
            date_choices=RESULT_DATES,
            date_field_aliases=(WINDOW_FIELD,),
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
            window=date_range_window("attemptDate"),
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
                joiner=",",  # the API reads one comma-separated string here, not a PHP array
                description="track ids, a list or comma-separated",
            ),
        ),
    ],
)
