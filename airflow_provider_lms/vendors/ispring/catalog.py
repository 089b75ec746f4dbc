"""iSpring Learn's catalog: the REST v3 reads, their windows and paging."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from airflow_provider_lms.catalog import Catalog, Endpoint, Param, date_field_param, single_response
from airflow_provider_lms.pagination import Paginator, SinglePage, TokenPaginator
from airflow_provider_lms.windows import DateWindow

PAGE_SIZE_MAX = 1000  # the API's default page size; no larger one is documented

#: The API answers active users' results only unless told otherwise: 1 = active, 3 = blocked.
ALL_USER_STATUSES = (1, 3)
USER_STATUSES = "userStatuses"
#: The older name of ``date_field`` on the results endpoints (DAG authors still use it).
WINDOW_FIELD = "window_field"
RESULT_DATE_FIELDS = ("completionDate", "accessDate", "dueDate")


def IspringTokenPaginator(location: str = "query") -> Paginator:  # noqa: N802
    """``pageToken`` / ``nextPageToken``. The OpenAPI copy spells the modules page's key
    ``nextPageToekn``: either spelling continues the extract."""
    return TokenPaginator(
        "pageToken", "nextPageToken", "pageSize", also_token_paths=("nextPageToekn",), location=location
    )


def counted_single_page(total_path: str) -> Callable[[], Paginator]:
    """One response that also says how many records the whole list holds (``POST /user/list``
    answers ``totalUsersNumber`` but documents no way to ask for a next page): fewer records than
    that is an error, never a silent cut."""
    return lambda: SinglePage(
        total_items_path=total_path,
        short_hint="narrow the filters (departments, groups) until one response holds them all, "
        "or read users instead",
    )


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


def activity_window() -> DateWindow:
    """``activityDate[startDate]`` / ``[endDate]`` of the active-users report. Its records are bare
    user ids with no timestamp to trim by, so the window is sent as it is."""
    return DateWindow("activityDate[startDate]", "activityDate[endDate]")


def _ids(name: str, description: str, *, required: bool = False) -> Param:
    # PHP reads `userIds=a&userIds=b` as "b": arrays must travel as `userIds[]`.
    return Param(name, required=required, api_name=f"{name}[]", description=description, multiple=True)


def _results_params(*extra: Param, user_statuses: Param | None = None) -> tuple[Param, ...]:
    return (
        _ids("userIds", "user ids"),
        _ids("courseIds", "course ids"),
        *extra,
        _ids("departmentIds", "department ids (of the users)"),
        _ids("enrollmentIds", "enrollment ids"),
        _ids("completionStatuses", "not_started, in_progress, pending, complete, passed, ..."),
        user_statuses
        or Param(
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


def _unpaged(
    name: str, path: str, records_path: str, description: str, *params: Param, id_field: str | None = None
) -> Endpoint:
    """A list or an object that comes in one response (records at ``records_path``)."""
    return single_response(name, path, records_path, description, *params, id_field=id_field)


def _one(name: str, path: str, records_path: str, description: str, *params: Param) -> Endpoint:
    """A single object by id (``records_path`` ``$`` or the envelope key it comes under)."""
    return _unpaged(name, path, records_path, description + " One record.", *params)


def _search(
    name: str,
    path: str,
    records_path: str,
    description: str,
    *params: Param,
    paged: str | None = None,
    id_field: str | None = None,
    paginator: Callable[[], Paginator] | None = None,
) -> Endpoint:
    """A POST read whose filters travel in a JSON body; ``paged`` says where the page token goes
    ("query" or "body"), None for one response."""
    return Endpoint(
        name,
        path,
        records_path,
        method="POST",
        params=params,
        body={},
        paginator=paginator or ((lambda: IspringTokenPaginator(paged)) if paged else SinglePage),
        id_field=id_field,
        description=description,
    )


def _body_ids(name: str, description: str, *, required: bool = False) -> Param:
    return Param(name, required=required, location="body", description=description, multiple=True)


def _path(name: str) -> Param:
    return Param(name, required=True, location="path")


_USER_FILTERS = (
    _ids("departments", "department ids"),
    _ids("groups", "group ids"),
    _ids("logins", "logins"),
    _ids("emails", "emails"),
)


def _single(name: str, path: str, description: str, *params: Param) -> Endpoint:
    # Bare-array answers without pagination.
    return Endpoint(name, path, "$[*]", params=params, paginator=SinglePage, description=description)


#: The reads added to cover the whole reference (issue 12): every GET and the POSTs titled List,
#: Get or Find, grouped as the reference groups them.
ADDED_READS: list[Endpoint] = [
    # content
    _unpaged(
        "content_list",
        "/content",
        "$[*]",
        "Every content item in one response (unpaged). Full snapshot.",
        _ids("contentTypes", "Course, Quiz, Assignment, LearningTrack, ..."),
        id_field="contentItemId",
    ),
    _one("content_item", "/content/{contentId}", "$.contentItem", "One content item.", _path("contentId")),
    _unpaged(
        "course_fields",
        "/course_fields",
        "$.courseFields[*]",
        "Custom course fields (id, label, type). Full snapshot.",
        id_field="fieldId",
    ),
    _unpaged(
        "courses_tree",
        "/courses_tree",
        "$[*]",
        "The content tree: folders and items with their parentId. Full snapshot.",
        _ids("contentItemIds", "content item ids"),
        id_field="contentItemId",
    ),
    _search(
        "contents_search",
        "/contents",
        "$.contentItems[*]",
        "POST /contents: content items filtered in the body (long id lists). Full snapshot.",
        _body_ids("contentItemIds", "content item ids"),
        _body_ids("contentTypes", "Course, Quiz, Assignment, LearningTrack, ..."),
        paged="query",
        id_field="contentItemId",
    ),
    # organisation
    _unpaged(
        "department_list",
        "/department",
        "$.departments[*]",
        "Departments in one response (unpaged), optionally by code. Full snapshot.",
        Param("code", description="a department code"),
        id_field="departmentId",
    ),
    _one("department", "/department/{departmentId}", "$.response", "One department.", _path("departmentId")),
    _unpaged(
        "group_list", "/group", "$[*]", "Groups in one response (unpaged). Full snapshot.", id_field="groupId"
    ),
    _one("group", "/group/{groupId}", "$", "One group with its userIds and usersCount.", _path("groupId")),
    _one(
        "smart_group_rules",
        "/group/smart/{groupId}/rules",
        "$.smartGroupRules",
        "The rules of one smart group.",
        _path("groupId"),
    ),
    # enrollments and certificates
    _unpaged(
        "enrollment_list",
        "/enrollment",
        "$.enrollments[*]",
        "Enrollments in one response (unpaged). Full snapshot.",
        _ids("courseIds", "course ids"),
        _ids("learnerIds", "user ids"),
        _ids("enrollmentIds", "enrollment ids"),
        id_field="enrollmentId",
    ),
    _one("enrollment", "/enrollment/{enrollmentId}", "$", "One enrollment.", _path("enrollmentId")),
    _one(
        "certificate",
        "/certificate/{issuedCertificateId}",
        "$",
        "The download url of one issued certificate.",
        _path("issuedCertificateId"),
    ),
    _search(
        "enrollments_search",
        "/enrollments",
        "$.enrollments[*]",
        "POST /enrollments: enrollments filtered in the body (paged in the body). Full snapshot.",
        _body_ids("courseIds", "course ids"),
        _body_ids("learnerIds", "user ids"),
        _body_ids("enrollmentIds", "enrollment ids"),
        paged="body",
        id_field="enrollmentId",
    ),
    # users
    _unpaged(
        "user_list",
        "/user",
        "$[*]",
        "Users in one response (unpaged; employment ended reads as blocked). Full snapshot.",
        *_USER_FILTERS,
        id_field="userId",
    ),
    _one(
        "user",
        "/user/{userId}",
        "$.response",
        "One user profile (employment ended reads as blocked).",
        _path("userId"),
    ),
    _unpaged(
        "user_list_v2",
        "/user/v2",
        "$[*]",
        "Users in one response (unpaged; 5 = employment ended). Full snapshot.",
        *_USER_FILTERS,
        id_field="userId",
    ),
    _one(
        "user_v2",
        "/user/{userId}/v2",
        "$.response",
        "One user profile (5 = employment ended).",
        _path("userId"),
    ),
    _unpaged(
        "user_profile_fields",
        "/user/profile/fields",
        "$[*]",
        "The user profile fields of the account. Full snapshot.",
        id_field="userFieldInfoId",
    ),
    _unpaged(
        "roles",
        "/role",
        "$[*]",
        "Roles (learner, administrator, custom...). Full snapshot.",
        id_field="roleId",
    ),
    _search(
        "users_search",
        "/users/v2",
        "$.userProfiles[*]",
        "POST /users/v2: users filtered in the body (long id lists; 5 = employment ended). Full snapshot.",
        _body_ids("departments", "department ids"),
        _body_ids("groups", "group ids"),
        _body_ids("logins", "logins"),
        _body_ids("emails", "emails"),
        _body_ids("userIds", "user ids"),
        paged="query",
        id_field="userId",
    ),
    _search(
        "users_list_search",
        "/user/list",
        "$.userProfiles[*]",
        "POST /user/list: users filtered in the body, in one response. Full snapshot.",
        _body_ids("departments", "department ids"),
        _body_ids("groups", "group ids"),
        _body_ids("logins", "logins"),
        _body_ids("emails", "emails"),
        id_field="userId",
        paginator=counted_single_page("totalUsersNumber"),
    ),
    _search(
        "users_find_existing",
        "/users/find_existing",
        "$[*]",
        "POST /users/find_existing: which of the given user ids exist (records {value: id}).",
        _body_ids("userIds", "user ids", required=True),
    ),
    # training
    _one(
        "training",
        "/training/{trainingId}",
        "$.response",
        "One training (title, organizer, sessions).",
        _path("trainingId"),
    ),
    _unpaged(
        "training_sessions",
        "/training/{trainingId}/sessions",
        "$[*]",
        "The sessions of one training. Full snapshot.",
        _path("trainingId"),
        id_field="id",
    ),
    _one(
        "training_session",
        "/training/session/{trainingSessionId}",
        "$.response",
        "One training session.",
        _path("trainingSessionId"),
    ),
    _unpaged(
        "training_session_participants",
        "/training/session/participants/{sessionId}",
        "$[*]",
        "The participants of one session (records {value: user id}). Full snapshot.",
        _path("sessionId"),
    ),
    _one(
        "training_day",
        "/training/day/{dayId}",
        "$.response",
        "One day of a training session.",
        _path("dayId"),
    ),
    # reports
    Endpoint(
        "active_users",
        "/report/active-users-by-period",
        "$[*]",
        paginator=SinglePage,
        window=activity_window(),
        description="Users active in the window (activityDate; records {value: user id}).",
    ),
    # job training
    _search(
        "checklist_sessions",
        "/job-training/checklist/sessions/list",
        "$[*]",
        "Job-training checklists with their session ids. Full snapshot.",
        _body_ids("checklistIds", "checklist ids"),
        _body_ids("sessionIds", "session ids"),
        id_field="checklistId",
    ),
    _search(
        "checklist_session_results",
        "/job-training/sessions/result/list",
        "$[*]",
        "Results of job-training sessions. Full snapshot.",
        Param("checklistId", location="body", description="one checklist id"),
        Param("sessionStatus", location="body", choices=("NOT_STARTED", "IN_PROGRESS", "PASSED")),
        _body_ids("sessionIds", "session ids"),
        id_field="sessionId",
    ),
    _search(
        "criterion_group_results",
        "/job-training/completed-session/criterion-group/result/list",
        "$[*]",
        "Criterion group results of completed job-training sessions. Full snapshot.",
        Param("checklistId", location="body", description="one checklist id"),
        _body_ids("sessionIds", "session ids"),
        _body_ids("groupIds", "criterion group ids"),
    ),
    _search(
        "criterion_results",
        "/job-training/completed-session/criterion/result/list",
        "$[*]",
        "Criterion results of completed job-training sessions. Full snapshot.",
        Param("checklistId", location="body", description="one checklist id"),
        _body_ids("sessionIds", "session ids"),
        _body_ids("groupIds", "criterion group ids"),
        _body_ids("criterionIds", "criterion ids"),
    ),
    # performance management
    _unpaged(
        "competency_scales",
        "/performance-management/competencies/scale/list",
        "$[*]",
        "Competency scales with their levels. Full snapshot.",
        id_field="scaleId",
    ),
    _unpaged(
        "competency_groups",
        "/performance-management/competencies/group/list",
        "$[*]",
        "Competency groups. Full snapshot.",
        id_field="groupId",
    ),
    _search(
        "competencies",
        "/performance-management/competencies/competency/list",
        "$[*]",
        "Competencies with their indicators. Full snapshot.",
        _body_ids("competencyIds", "competency ids"),
        id_field="competencyId",
    ),
    _search(
        "competency_profiles",
        "/performance-management/competencies/profile/list",
        "$[*]",
        "Competency profiles (required levels). Full snapshot.",
        _body_ids("profileIds", "profile ids"),
        id_field="profileId",
    ),
    _search(
        "appraisal_sessions",
        "/performance-management/appraisal/session/list",
        "$[*]",
        "Appraisal sessions. Full snapshot.",
        _body_ids("sessionIds", "session ids"),
        id_field="sessionId",
    ),
    _unpaged(
        "appraisal_employee_cards",
        "/performance-management/appraisal/session/{sessionId}/employee-card/list",
        "$[*]",
        "Employees of one appraisal session and their reviewers. Full snapshot.",
        _path("sessionId"),
        id_field="employeeId",
    ),
    _unpaged(
        "appraisal_reviews",
        "/performance-management/appraisal/session/{sessionId}/review/list",
        "$[*]",
        "Reviews of one appraisal session. Full snapshot.",
        _path("sessionId"),
        id_field="reviewId",
    ),
    _unpaged(
        "appraisal_results",
        "/performance-management/appraisal/session/{sessionId}/results",
        "$[*]",
        "Competency and indicator results of one appraisal session. Full snapshot.",
        _path("sessionId"),
        id_field="employeeId",
    ),
    _one(
        "appraisal_content_competencies",
        "/performance-management/appraisal/session/{sessionId}/content/competencies",
        "$",
        "The competencies and scales one appraisal session reviews ({competencies, scales}).",
        _path("sessionId"),
    ),
    _search(
        "appraisal_user_attributes",
        "/performance-management/appraisal/session/{sessionId}/user/attributes/list",
        "$[*]",
        "User attributes of the participants of one appraisal session. Full snapshot.",
        _path("sessionId"),
        _body_ids("userIds", "user ids"),
        id_field="userId",
    ),
    _one(
        "appraisal_session_info",
        "/performance-management/appraisal/session/{sessionId}/info",
        "$",
        "The full information of one appraisal session.",
        _path("sessionId"),
    ),
    # tasks and webhooks
    _one(
        "task_status", "/task/{taskId}/status", "$", "The status of one asynchronous task.", _path("taskId")
    ),
    _unpaged(
        "webhook_subscriptions",
        "/webhook/subscription/list",
        "$[*]",
        "The webhook subscriptions of one subscriber. Full snapshot.",
        Param("subscriberName", required=True),
    ),
    _one(
        "webhook_subscriber",
        "/webhook/subscriber/info",
        "$",
        "The status of one webhook subscriber.",
        Param("subscriberName", required=True),
    ),
]


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
            # The reference types this endpoint's userStatuses as ONE value (the course results
            # take a list): without it the API answers active users only.
            params=_results_params(
                _ids("moduleIds", "module ids"),
                _ids("courseItemIds", "course item ids"),
                user_statuses=Param(
                    USER_STATUSES,
                    choices=(1, 3, 5),
                    description="one of 1 active, 3 blocked, 5 employment ended; default: active only",
                ),
            ),
            date_choices=RESULT_DATES,
            date_field_aliases=(WINDOW_FIELD,),
            description="Module (course item) results completed in the window; same options as "
            "learner_results.",
        ),
        _snapshot(
            "users",
            "/users/v2",
            "$.userProfiles[*]",
            "User profiles with status (1 active, 3 blocked, 5 employment ended), department, roles "
            "and groups.",
            *_USER_FILTERS,
            _ids("userIds", "user ids"),
            id_field="userId",
        ),
        _snapshot(
            "users_deprecated",
            "/users",
            "$.userProfiles[*]",
            "The deprecated user list (employment ended reads as blocked, 3); prefer users.",
            *_USER_FILTERS,
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
        _unpaged(
            "course_modules",
            "/course/{courseId}/modules",
            "$.modules[*]",
            "Modules of one course. Full snapshot.",
            Param("courseId", required=True, location="path"),
            id_field="moduleId",
        ),
        _snapshot(
            "course_modules_deprecated",
            "/courses/modules",
            "$.modules[*]",
            "The deprecated modules list of several courses; prefer course_modules.",
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
        *ADDED_READS,
    ],
)
