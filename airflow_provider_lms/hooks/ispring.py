"""iSpring Learn: client-credentials tokens that live 30 minutes, token pagination, JSON on request
(XML otherwise, parsed defensively), PHP-style array parameters (``userIds[]=a&userIds[]=b``).

Reference: ``POST /api/v3/token`` and the read endpoints of the iSpring Learn REST API v3.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from functools import cached_property
from typing import Any

import requests

from airflow_provider_lms.auth import Auth, Token, TokenAuth
from airflow_provider_lms.catalog import Catalog, Endpoint, Param
from airflow_provider_lms.exceptions import LmsAuthError, LmsConfigError, LmsHttpError, LmsResponseError
from airflow_provider_lms.hooks.base import LmsHook, normalize_url
from airflow_provider_lms.page_request import PageRequest, PageResponse
from airflow_provider_lms.pagination import Paginator, SinglePage, TokenPaginator
from airflow_provider_lms.transport import HttpTransport
from airflow_provider_lms.windows import DateRangeFilter, Window
from airflow_provider_lms.xml_records import XmlVocabulary, looks_like_xml, parse_xml

TOKEN_PATH = "/api/v3/token"
PAGE_SIZE_MAX = 1000  # the API's default page size; no larger one is documented
TOKEN_LIFETIME = 1800.0  # seconds, when a token response omits expires_in

#: The API answers active users' results only unless told otherwise: 1 = active, 3 = blocked.
ALL_USER_STATUSES = (1, 3)
USER_STATUSES = "userStatuses"
WINDOW_FIELD = "window_field"
RESULT_DATE_FIELDS = ("completionDate", "accessDate", "dueDate")
#: Parameters the API reads as one comma-separated string, not as a PHP array.
COMMA_SEPARATED = ("learningTrackIds",)

#: What iSpring's XML means, from the element names of its OpenAPI schemas.
ISPRING_XML = XmlVocabulary.of(
    list_tags=(
        "results",
        "userProfiles",
        "departments",
        "groups",
        "enrollments",
        "contentItems",
        "modules",
        "assignments",
        "courseFields",
        "userRoles",
        "manageableDepartmentIds",
        "parentCourseIds",
        "attachments",
        "statuses",
    ),
    root_item_tags=("userPointsInfo", "learningTracksCourse", "attempt", "status", "id"),
    number_tags=(
        "timeSpent",
        "duration",
        "progress",
        "awardedScore",
        "passingScore",
        "viewsCount",
        "points",
        "status",
        "enrollmentTypeGroup",
        "attemptScore",
        "questionNumber",
        "questionScore",
        "answerScore",
        "fileSize",
    ),
    bool_tags=(
        "isOverdue",
        "isSmart",
        "shouldLockAfterDueDate",
        "isAttemptPassed",
        "isAnswerCorrect",
    ),
)


class IspringTokenPaginator(TokenPaginator):
    """``pageToken`` / ``nextPageToken``. The OpenAPI copy spells the modules page's key
    ``nextPageToekn``: either spelling continues the extract."""

    TYPO = "nextPageToekn"

    def __init__(self) -> None:
        super().__init__("pageToken", "nextPageToken", "pageSize")

    def advance(self, request: PageRequest, response: PageResponse) -> PageRequest | None:
        body = response.body
        if isinstance(body, dict) and not body.get(self.next_token_path) and body.get(self.TYPO):
            response = PageResponse(
                response.headers, {self.next_token_path: body[self.TYPO]}, response.record_count
            )
        return super().advance(request, response)


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


class IspringHook(LmsHook):
    """iSpring Learn REST API hook.

    Connection: host = the API host (``api-learn.ispring.com`` for new accounts,
    ``api-learn.ispringlearn.com`` for existing ones, ``api-learn.ispringlearn.eu`` in the EU; a full
    URL also works); login = client ID; password = client secret (iSpring Learn: Settings > API).

    Tokens last 30 minutes and cannot be refreshed: the hook fetches a new one shortly before
    expiry and whenever the API answers 401, so extracts of any length run through.

    :param conn_id: the Airflow connection id (type ``ispring``).
    """

    conn_name_attr = "conn_id"
    default_conn_name = "ispring_default"
    conn_type = "ispring"
    hook_name = "iSpring Learn"
    catalog = ISPRING_CATALOG
    max_page_size = PAGE_SIZE_MAX
    test_endpoint = "departments"

    def base_url(self) -> str:
        return normalize_url(self.connection.host, port=self.connection.port)

    @cached_property
    def transport(self) -> HttpTransport:
        transport = super().transport
        # Without it the API answers XML; with it, JSON (XML is still understood, see parse_body).
        transport.session.headers["Accept"] = "application/json"
        return transport

    def create_auth(self) -> Auth:
        return TokenAuth(self._fetch_token, on_new_token=self.redactor.add)

    def _fetch_token(self) -> Token:
        conn = self.connection
        request = PageRequest(
            "POST",
            TOKEN_PATH,
            form={
                "client_id": self._credential(conn.login, "client ID (login)"),
                "client_secret": self._credential(conn.password, "client secret (password)"),
                "grant_type": "client_credentials",
            },
        )
        try:
            response = self.transport.send(request, authenticated=False)
        except LmsHttpError as exc:
            if exc.status in (400, 401):  # unknown client id or secret
                raise LmsAuthError(
                    f"iSpring Learn rejected the credentials of connection {self.conn_id!r}: check its "
                    f"client ID (login) and client secret (password), Settings > API. ({exc})",
                    exc.status,
                ) from None
            raise
        body = self.parse_body(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise LmsResponseError(f"the token response of {TOKEN_PATH} holds no access_token")
        try:
            expires_in = float(body.get("expires_in") or TOKEN_LIFETIME)
        except (TypeError, ValueError):
            expires_in = TOKEN_LIFETIME  # an unreadable lifetime: trust the documented 30 minutes
        return Token(str(token), expires_in)

    def default_paginator(self) -> Paginator:
        return IspringTokenPaginator()

    def parse_body(self, response: requests.Response) -> Any:
        """JSON, or XML (parsed without DTDs or entities) into the same records."""
        if not looks_like_xml(response.headers.get("Content-Type"), response.content):
            return super().parse_body(response)
        try:
            return parse_xml(response.content, ISPRING_XML)
        except LmsResponseError as exc:
            raise LmsResponseError(
                f"{response.request.method} {self.redactor.url(response.url)}: {exc}"
            ) from None

    def adapt(self, endpoint: Endpoint, parameters: dict[str, Any]) -> tuple[Endpoint, dict[str, Any]]:
        """The iSpring defaults: results of active AND blocked users, ``window_field`` choosing the
        date the window filters, comma-joined id lists."""
        given = dict(parameters)
        names = endpoint.param_names
        if USER_STATUSES in names and USER_STATUSES not in given:
            given[USER_STATUSES] = list(ALL_USER_STATUSES)
        if WINDOW_FIELD in names:
            date_field = given.pop(WINDOW_FIELD, None) or RESULT_DATE_FIELDS[0]
            if date_field not in RESULT_DATE_FIELDS:
                raise LmsConfigError(
                    f"endpoint {endpoint.name!r}: {WINDOW_FIELD}={date_field!r} is not one of "
                    f"{list(RESULT_DATE_FIELDS)}"
                )
            endpoint = replace(endpoint, window=DateRangeWindow(date_field))
        for name in COMMA_SEPARATED:
            if isinstance(given.get(name), (list, tuple)):
                given[name] = ",".join(str(v) for v in given[name])
        return endpoint, given
