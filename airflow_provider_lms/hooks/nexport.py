"""NexPort Campus: ``POST AdminApi/Authenticate`` for a token that travels in the ``access_token``
QUERY parameter, errors reported inside 200 bodies (``api_error_entity``), ``page``/``per_page``
pagination over bare arrays or ``total_count`` envelopes, and POST search endpoints with body filters.

The token sits in every URL, so it is registered with the redactor the moment it arrives and every
URL, message and third-party log line is masked (see :mod:`airflow_provider_lms.redaction`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

import pendulum
import requests

from airflow_provider_lms.auth import Auth, QueryTokenAuth, Token
from airflow_provider_lms.catalog import Catalog, Endpoint, Param
from airflow_provider_lms.exceptions import LmsAuthError, LmsConfigError, LmsHttpError, LmsResponseError
from airflow_provider_lms.hooks.base import LmsHook, normalize_url
from airflow_provider_lms.json_body import parse_json_body
from airflow_provider_lms.page_request import PageRequest
from airflow_provider_lms.pagination import PageNumberPaginator, Paginator, SinglePage
from airflow_provider_lms.transport import CredentialRejected
from airflow_provider_lms.windows import Window, WindowMapping

API_ROOT = "/api/v1"
AUTHENTICATE_PATH = "/AdminApi/Authenticate"
PAGE_SIZE_MAX = 1000  # NexPort resets a larger per_page to 1000 (and one below 1 to 30)
ERROR_KEY = "api_error_entity"
DATE_FIELD = "date_field"
_PARSED = "_nexport_parsed_body"

# NexPort publishes no list of error codes; an invalid or expired token is recognised by its message.
_TOKEN_PROBLEM = re.compile(r"token.*(invalid|expired|not valid|revoked|unauthori[sz]ed)", re.I | re.S)
_TOKEN_PROBLEM_REVERSED = re.compile(r"(invalid|expired|unauthori[sz]ed).*token", re.I | re.S)


class NexPortApiError(LmsHttpError):
    """NexPort answered with ``api_error_entity.error_code != 0`` (usually with HTTP 200)."""

    def __init__(self, message: str, status: int | None = None, error_code: Any = None) -> None:
        super().__init__(message, status)
        self.error_code = error_code


# ---- parameter rules the flat ``required`` flag cannot express --------------------------------


def _given(value: Any) -> bool:
    return value not in (None, "", [], ())


@dataclass(frozen=True)
class Needs:
    """At least one group of parameters must be given in full (``user_ids`` or ``org_ids``...)."""

    groups: tuple[tuple[str, ...], ...]
    window_satisfies: bool = False  # a task window fills the parameters in

    def problem(self, given: Mapping[str, Any], window: Window | None) -> str | None:
        if self.window_satisfies and window is not None:
            return None
        if any(all(_given(given.get(n)) for n in group) for group in self.groups):
            return None
        options = [" and ".join(group) if len(group) > 1 else group[0] for group in self.groups]
        text = options[0] if len(options) == 1 else ", or ".join([", ".join(options[:-1]), options[-1]])
        if self.window_satisfies:
            text += " (or a window: window_start/window_end)"
        return f"needs {text}"


@dataclass(frozen=True)
class Requires:
    """Giving any of ``when`` makes ``then`` required (``syllabus_id`` needs ``org_id``)."""

    when: tuple[str, ...]
    then: str

    def problem(self, given: Mapping[str, Any], window: Window | None) -> str | None:
        trigger = [n for n in self.when if _given(given.get(n))]
        if trigger and not _given(given.get(self.then)):
            return f"needs {self.then} when {' or '.join(trigger)} is given"
        return None


@dataclass(frozen=True)
class Excludes:
    """Parameters that must not be given together."""

    names: tuple[str, ...]

    def problem(self, given: Mapping[str, Any], window: Window | None) -> str | None:
        both = [n for n in self.names if _given(given.get(n))]
        return f"takes {' or '.join(self.names)}, not both" if len(both) > 1 else None


Rule = Needs | Requires | Excludes


def _is_id_param(name: str) -> bool:
    return name.endswith(("_id", "_ids"))


def _check_uuid(endpoint: str, name: str, value: Any) -> None:
    for item in value if isinstance(value, list) else [value]:
        try:
            uuid.UUID(str(item))
        except ValueError:
            raise LmsConfigError(
                f"endpoint {endpoint!r}: {name}={item!r} is not a NexPort id (a UUID such as "
                "'3f8c08bc-e009-471c-802c-09f0d814bf59')"
            ) from None


@dataclass(frozen=True)
class NexPortEndpoint(Endpoint):
    """A catalog entry with NexPort's parameter rules, id lists and a choice of date field."""

    rules: tuple[Rule, ...] = ()
    list_params: tuple[str, ...] = ()  # one id or a list; sent as a JSON list
    #: ``date_field`` value -> how the window maps onto that date (the first is the default).
    date_fields: Mapping[str, WindowMapping] = field(default_factory=dict)

    def for_parameters(self, parameters: Mapping[str, Any] | None) -> NexPortEndpoint:
        """This endpoint with the window mapping the ``date_field`` parameter picks."""
        if not self.date_fields:
            return self
        choice = (parameters or {}).get(DATE_FIELD) or next(iter(self.date_fields))
        if not isinstance(choice, str) or choice not in self.date_fields:
            raise LmsConfigError(
                f"endpoint {self.name!r}: {DATE_FIELD}={choice!r} is not one of {list(self.date_fields)}"
            )
        return replace(self, window=self.date_fields[choice])

    def build_request(
        self, parameters: Mapping[str, Any] | None, window: Window | None
    ) -> tuple[PageRequest, int | None]:
        # LmsHook.plan() has checked the parameters' type and applied date_field (adapt) already.
        given = {k: v for k, v in (parameters or {}).items() if k != DATE_FIELD}
        for name in self.list_params:
            value = given.get(name)
            if isinstance(value, (str, int)):
                given[name] = [value]
            elif isinstance(value, (list, tuple)):
                given[name] = list(value) or None  # NexPort ignores an empty list: treat as missing
        request, page_size = super().build_request(given, window)
        problems = [p for rule in self.rules if (p := rule.problem(given, window))]
        if problems:
            raise LmsConfigError(
                f"endpoint {self.name!r} {'; '.join(problems)}. Accepted parameters: {self.accepted_params()}"
            )
        for name, value in given.items():
            if _is_id_param(name) and _given(value):
                _check_uuid(self.name, name, value)
        return request, page_size


# ---- windows -----------------------------------------------------------------------------------


def nexport_moment(moment: pendulum.DateTime) -> str:
    """UTC with seven fractional digits, NexPort's own form (.NET ticks of 100 ns)."""
    return moment.in_timezone("UTC").strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def just_before(moment: pendulum.DateTime) -> str:
    """One tick (100 ns) before ``moment``: a strict "after" filter then includes ``moment`` itself."""
    return (moment - timedelta(microseconds=1)).in_timezone("UTC").strftime("%Y-%m-%dT%H:%M:%S.%f") + "9Z"


class BodyDateRange(WindowMapping):
    """The window as a pair of datetime filters in the JSON body (``utc_enrolled_after/before``).

    NexPort documents them as strict ("after", "before"). For ``[start, end)`` we send
    ``after = start - 1 tick`` and ``before = end``: exact with strict filters at NexPort's own
    precision. Records are also kept by ``record_field``, so a server whose filters include their
    edges loses nothing and adds nothing either (strictly: a record without a readable
    ``record_field`` stops the extract, see :meth:`WindowMapping.contains`).
    """

    def __init__(self, start_key: str, end_key: str, record_field: str, *, confirmed: bool = True) -> None:
        self.start_key, self.end_key = start_key, end_key
        self.record_field, self.record_field_confirmed = record_field, confirmed
        self.owned_params = (start_key, end_key)

    def apply(self, request: PageRequest, window: Window) -> None:
        body = request.body_dict()
        body[self.start_key] = just_before(window.start)
        body[self.end_key] = nexport_moment(window.end)


# ---- pagination ---------------------------------------------------------------------------------


class NestedBodyPageNumberPaginator(PageNumberPaginator):
    """``page``/``per_page`` inside a body object (``{"paging": {"page": 1, "per_page": 15}}``)."""

    def __init__(self, container: str = "paging", **kwargs: Any) -> None:
        super().__init__(location="body", **kwargs)
        self.container = container

    def _target(self, request: PageRequest) -> dict[str, Any]:
        return request.body_dict().setdefault(self.container, {})


def _pages() -> Paginator:
    # Bare arrays say nothing about their size, and NexPort resets a per_page it dislikes (below 1:
    # 30; above 1000: 1000) without telling: only an empty page is a safe end.
    return PageNumberPaginator("page", "per_page")


def _counted_pages() -> Paginator:
    return PageNumberPaginator(
        "page", "per_page", total_items_path="total_count", served_page_size_path="page_size"
    )


def _counted_body_pages() -> Paginator:
    return NestedBodyPageNumberPaginator(
        "paging", total_items_path="total_count", served_page_size_path="page_size"
    )


# ---- catalog ------------------------------------------------------------------------------------

LEARNING = "/LearningApi"
# SearchEnrollments' documented sample shows enrollment_date only; completion_date and
# last_activity_date are the names other NexPort enrollment items use (unconfirmed here).
ENROLLMENT_DATES: dict[str, WindowMapping] = {
    "enrolled": BodyDateRange("utc_enrolled_after", "utc_enrolled_before", "enrollment_date"),
    "completed": BodyDateRange(
        "utc_completed_after", "utc_completed_before", "completion_date", confirmed=False
    ),
    "last_activity": BodyDateRange(
        "utc_activity_after", "utc_activity_before", "last_activity_date", confirmed=False
    ),
}


def _ids(name: str, description: str, *, required: bool = False, location: str = "query") -> Param:
    return Param(name, required=required, location=location, description=description)


def _single(name: str, path: str, *params: Param, rules: tuple[Rule, ...] = (), description: str) -> Endpoint:
    """An endpoint answering one object (which becomes one record; ``null`` becomes none)."""
    return NexPortEndpoint(
        name,
        f"{LEARNING}/{path}",
        "$",
        params=params,
        paginator=SinglePage,
        rules=rules,
        description=description,
    )


_SYLLABUS_ENROLLMENT_PARAMS = (
    _ids("org_id", "organization to check permissions in (required with syllabus_id or enrollment_id)"),
    _ids("subscriber_id", "subscription the enrollments belong to"),
    _ids("user_id", "user (not together with subscriber_id)"),
    _ids("syllabus_id", "syllabus of the enrollments"),
    _ids("enrollment_id", "one enrollment"),
    Param("syllabus_unique_name", description="unique name of the syllabus"),
)

NEXPORT_CATALOG = Catalog(
    "NexPort Campus",
    [
        NexPortEndpoint(
            "search_enrollments",
            f"{LEARNING}/SearchEnrollments",
            "$.enrollments[*]",
            method="POST",
            body={},
            params=(
                Param("user_ids", location="body", multiple=True, description="one user id or a list"),
                Param("org_ids", location="body", multiple=True, description="one organization id or a list"),
                Param(
                    "syllabus_ids", location="body", multiple=True, description="one syllabus id or a list"
                ),
                Param(
                    "syllabus_unique_names",
                    location="body",
                    multiple=True,
                    description="one unique name or a list",
                ),
                Param(
                    "enrollment_ids",
                    location="body",
                    multiple=True,
                    description="one enrollment id or a list",
                ),
                Param(DATE_FIELD, choices=tuple(ENROLLMENT_DATES), description="date the window filters"),
                *(
                    Param(key, location="body", description="ISO datetime (set by the window)")
                    for mapping in ENROLLMENT_DATES.values()
                    for key in mapping.owned_params
                ),
            ),
            window=ENROLLMENT_DATES["enrolled"],
            date_fields=ENROLLMENT_DATES,
            paginator=_counted_pages,
            list_params=("user_ids", "org_ids", "syllabus_ids", "syllabus_unique_names", "enrollment_ids"),
            rules=(Needs((("user_ids",), ("org_ids",))),),
            id_field="enrollment_id",
            description="Section and training plan enrollments of the given users and/or organizations, "
            "oldest first. The window filters the enrollment date by default; date_field='completed' or "
            "'last_activity' filters the completion or last activity date instead.",
        ),
        NexPortEndpoint(
            "section_enrollments",
            f"{LEARNING}/GetSectionEnrollments",
            params=_SYLLABUS_ENROLLMENT_PARAMS,
            rules=(
                Needs((("subscriber_id",), ("syllabus_id",), ("enrollment_id",), ("syllabus_unique_name",))),
                Requires(("syllabus_id", "enrollment_id"), "org_id"),
                Excludes(("user_id", "subscriber_id")),
            ),
            id_field="enrollment_id",
            description="Section enrollments (with their section), most recent first. Full snapshot.",
        ),
        NexPortEndpoint(
            "training_plan_enrollments",
            f"{LEARNING}/GetTrainingPlanEnrollments",
            params=_SYLLABUS_ENROLLMENT_PARAMS,
            rules=(
                Needs(
                    (
                        ("subscriber_id",),
                        ("user_id",),
                        ("syllabus_id",),
                        ("enrollment_id",),
                        ("syllabus_unique_name",),
                    )
                ),
                Requires(("syllabus_id", "enrollment_id"), "org_id"),
            ),
            id_field="enrollment_id",
            description="Training plan enrollments, most recent first. Full snapshot.",
        ),
        NexPortEndpoint(
            "custom_enrollment_fields",
            f"{LEARNING}/GetCustomEnrollmentFields",
            params=(_ids("org_id", "organization", required=True), _ids("field_id", "one field")),
            paginator=SinglePage,
            id_field="field_id",
            description="Custom enrollment fields available to an organization.",
        ),
        _single(
            "custom_enrollment_field_default",
            "GetDefaultCustomEnrollmentFieldSetting",
            _ids("org_id", "organization of the field", required=True),
            _ids("field_id", "custom enrollment field", required=True),
            _ids("syllabus_id", "syllabus whose default to read"),
            description="Default setting of one custom enrollment field (no record when none is set).",
        ),
        NexPortEndpoint(
            "custom_enrollment_field_values",
            f"{LEARNING}/GetCustomEnrollmentFieldValues",
            params=(
                _ids("enrollment_id", "one enrollment"),
                _ids("subscriber_id", "subscription (with syllabus_id)"),
                _ids("syllabus_id", "section or training plan (with subscriber_id)"),
                Param("key", description="one field key"),
            ),
            paginator=SinglePage,
            rules=(Needs((("enrollment_id",), ("subscriber_id", "syllabus_id"))),),
            description="Custom enrollment field values of one enrollment.",
        ),
        NexPortEndpoint(
            "assignment_statuses",
            f"{LEARNING}/GetAssignmentStatuses",
            params=(
                _ids("enrollment_id", "section enrollment"),
                _ids("subscription_id", "subscription (with section_id)"),
                _ids("section_id", "section (with subscription_id)"),
                _ids("assignment_id", "one assignment"),
            ),
            rules=(Needs((("enrollment_id",), ("subscription_id", "section_id"))),),
            id_field="assignment_status_id",
            description="Assignment statuses of one section enrollment, most recent first.",
        ),
        _single(
            "certificate_url",
            "GetCertificateUrl",
            _ids("enrollment_id", "enrollment", required=True),
            description="Certificate URL of one enrollment.",
        ),
        _single(
            "section",
            "GetSection",
            _ids("syllabus_id", "section syllabus"),
            _ids("product_id", "catalog product"),
            rules=(Needs((("syllabus_id",), ("product_id",))), Excludes(("syllabus_id", "product_id"))),
            description="One section.",
        ),
        NexPortEndpoint(
            "sections",
            f"{LEARNING}/GetSections",
            "$.sections[*]",
            method="POST",
            body={},
            params=(
                Param("section_ids", required=True, location="body", api_name="sections", multiple=True),
            ),
            list_params=("section_ids",),
            paginator=SinglePage,
            id_field="syllabus_id",
            description="Sections by id (duplicates and unknown ids are dropped by NexPort).",
        ),
        _single(
            "section_description",
            "GetSectionDescription",
            _ids("section_id", "section", required=True),
            description="Description of one section.",
        ),
        _single(
            "section_objectives",
            "GetSectionObjectives",
            _ids("section_id", "section", required=True),
            description="Objectives of one section.",
        ),
        NexPortEndpoint(
            "student_sessions",
            f"{LEARNING}/GetStudentSessions",
            "$.sessions[*]",
            method="POST",
            body={},
            params=(
                _ids("user_id", "student", required=True, location="body"),
                _ids("org_id", "organization", required=True, location="body"),
                _ids("section_id", "one section", location="body"),
                Param("from_date", location="body", description="ISO datetime (set by the window)"),
                Param("to_date", location="body", description="ISO datetime (set by the window)"),
            ),
            window=BodyDateRange("from_date", "to_date", "utc_start_date"),
            paginator=_counted_body_pages,
            rules=(Needs((("from_date",),), window_satisfies=True),),
            id_field="session_id",
            description="Time a student spent in section assignments, sessions starting in the window.",
        ),
        _single(
            "training_plan",
            "GetTrainingPlan",
            _ids("training_plan_id", "training plan"),
            _ids("product_id", "catalog product"),
            rules=(Needs((("training_plan_id",), ("product_id",))),),
            description="One training plan.",
        ),
        _single(
            "training_plan_description",
            "GetTrainingPlanDescription",
            _ids("training_plan_id", "training plan", required=True),
            description="Description of one training plan.",
        ),
        NexPortEndpoint(
            "assignments",
            f"{LEARNING}/GetAssignments",
            params=(_ids("section_id", "section", required=True),),
            id_field="assignment_id",
            description="Assignments of one section, by display order.",
        ),
        _single(
            "assignment",
            "GetAssignment",
            _ids("assignment_id", "assignment", required=True),
            description="One assignment.",
        ),
        _single(
            "assignment_instructions",
            "GetAssignmentInstructions",
            _ids("assignment_id", "assignment", required=True),
            description="Instructions (raw VTL template) of one assignment.",
        ),
        NexPortEndpoint(
            "organizations",
            f"{LEARNING}/GetOrganizations",
            params=(_ids("org_id", "parent organization"), Param("org_short_name")),
            id_field="org_id",
            description="An organization and its sub-organizations, by name (every organization when "
            "neither org_id nor org_short_name is given). NexPort marks LearningApi/GetOrganizations "
            "obsolete in favour of AdminApi/GetOrganizations: override the path if your portal differs.",
        ),
        NexPortEndpoint(
            "catalogs",
            f"{LEARNING}/GetCatalogs",
            "$.catalogs[*]",
            method="POST",
            body={},
            params=(
                _ids("group_id", "group or organization", required=True, location="body"),
                Param(
                    "publishing_model",
                    location="body",
                    choices=(0, 1, 2),
                    description="0 available to members, 1 for sale, 2 hidden (default: all)",
                ),
                Param(
                    "catalog_access_option",
                    location="body",
                    choices=(0, 1, 2),
                    description="0 shared (default), 1 owned, 2 both",
                ),
            ),
            id_field="catalog_id",
            description="Catalogs of a group or organization, by name.",
        ),
        _single(
            "catalog", "GetCatalog", _ids("catalog_id", "catalog", required=True), description="One catalog."
        ),
        _single(
            "catalog_description",
            "GetCatalogDescription",
            _ids("catalog_id", "catalog", required=True),
            description="Description of one catalog.",
        ),
        _single(
            "catalog_credit_hours",
            "GetCatalogCreditHours",
            _ids("catalog_id", "catalog", required=True),
            description="Credit hours of one catalog.",
        ),
        NexPortEndpoint(
            "categories",
            f"{LEARNING}/GetCategories",
            params=(_ids("catalog_id", "catalog", required=True),),
            id_field="category_id",
            description="Categories of one catalog, most recent first.",
        ),
        NexPortEndpoint(
            "catalog_syllabi",
            f"{LEARNING}/GetCatalogSyllabi",
            params=(_ids("catalog_id", "catalog", required=True),),
            id_field="syllabus_id",
            description="Syllabi (sections and training plans) of one catalog, by title.",
        ),
        NexPortEndpoint(
            "category_syllabi",
            f"{LEARNING}/GetCategorySyllabi",
            params=(_ids("category_id", "category", required=True),),
            id_field="syllabus_id",
            description="Syllabi of one category, by title.",
        ),
        NexPortEndpoint(
            "test_attempts",
            f"{LEARNING}/GetTestAttempts",
            params=(
                _ids("enrollment_id", "section enrollment", required=True),
                _ids("assignment_id", "test assignment", required=True),
            ),
            id_field="attempt_id",
            description="Attempts at one test by one enrollment, most recent first (obsolete in NexPort "
            "in favour of AssessmentApi/GetTestAttempts).",
        ),
        NexPortEndpoint(
            "cmi_data",
            f"{LEARNING}/GetCmiData",
            method="POST",
            body={},
            params=(
                _ids("enrollment_id", "enrollment", required=True, location="body"),
                _ids("assignment_id", "SCORM assignment", required=True, location="body"),
                Param(
                    "cmi_element_names",
                    required=True,
                    location="body",
                    multiple=True,
                    description="list of CMI names",
                ),
            ),
            list_params=("cmi_element_names",),
            id_field="sco_id",
            description="SCORM CMI values of one enrollment's assignment, per SCO (obsolete in NexPort in "
            "favour of ScormApi/GetCmiData).",
        ),
    ],
)


# ---- errors inside bodies -----------------------------------------------------------------------


def error_entities(body: Any) -> Iterator[dict[str, Any]]:
    """The body's own ``api_error_entity`` and those of its records (one level down)."""
    candidates: list[Any] = []
    if isinstance(body, dict):
        candidates.append(body)
        for value in body.values():
            if isinstance(value, list):
                candidates.extend(value)
    elif isinstance(body, list):
        candidates.extend(body)
    for item in candidates:
        entity = item.get(ERROR_KEY) if isinstance(item, dict) else None
        if isinstance(entity, dict):
            yield entity


def _failed(entity: Mapping[str, Any]) -> bool:
    code = entity.get("error_code")
    return code not in (None, 0, "0", "")


def is_token_problem(message: str) -> bool:
    """Whether NexPort's message says the access token is invalid or expired."""
    return bool(_TOKEN_PROBLEM.search(message) or _TOKEN_PROBLEM_REVERSED.search(message))


def strip_error_entities(node: Any) -> Any:
    """Drop every ``api_error_entity`` (a status envelope, already checked) from records."""
    if isinstance(node, dict):
        return {k: strip_error_entities(v) for k, v in node.items() if k != ERROR_KEY}
    if isinstance(node, list):
        return [strip_error_entities(v) for v in node]
    return node


# ---- the hook -----------------------------------------------------------------------------------


class NexPortHook(LmsHook):
    """NexPort Campus LearningApi hook.

    Connection: host = the campus URL (``https://www.nexportcampus.com``); login / password = an
    admin API user. The hook authenticates with ``AdminApi/Authenticate``, sends the token as the
    ``access_token`` query parameter (masked everywhere) and re-authenticates once when NexPort says
    the token is invalid or expired.

    :param conn_id: the Airflow connection id (type ``nexport``).
    """

    conn_name_attr = "conn_id"
    default_conn_name = "nexport_default"
    conn_type = "nexport"
    hook_name = "NexPort Campus"
    catalog = NEXPORT_CATALOG
    max_page_size = PAGE_SIZE_MAX
    test_endpoint = "organizations"
    #: Counted lists (total_count) are fetched 4 pages at a time; bare arrays stay sequential.
    default_max_concurrency = 4
    secret_param_names: ClassVar[tuple[str, ...]] = ("access_token",)

    def __init__(self, conn_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(conn_id, **kwargs)
        self._warnings_seen: set[str] = set()

    def base_url(self) -> str:
        url = normalize_url(self.connection.host, port=self.connection.port)
        return url if url.endswith(API_ROOT) else f"{url}{API_ROOT}"

    def create_auth(self) -> Auth:
        return QueryTokenAuth(self._authenticate, param="access_token", on_new_token=self.redactor.add)

    def default_paginator(self) -> Paginator:
        return _pages()

    def adapt(self, endpoint: Endpoint, parameters: dict[str, Any]) -> tuple[Endpoint, dict[str, Any]]:
        """``date_field`` picks the date the window filters (search_enrollments)."""
        if isinstance(endpoint, NexPortEndpoint):
            endpoint = endpoint.for_parameters(parameters)
        return endpoint, parameters

    # ---- authentication ---------------------------------------------------------------------

    def _authenticate(self) -> Token:
        conn = self.connection
        login = self._credential(conn.login, "admin API username (login)")
        password = self._credential(conn.password, "admin API password")
        request = PageRequest(
            "POST",
            AUTHENTICATE_PATH,
            body={"username": login, "password": password, "grant_type": "password"},
        )
        response = self.transport.send(request, authenticated=False)
        try:
            body = getattr(response, _PARSED) if hasattr(response, _PARSED) else response.json()
        except ValueError:
            raise LmsResponseError(
                f"NexPort {AUTHENTICATE_PATH} did not answer JSON (HTTP {response.status_code})"
            ) from None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            # Never quote the body here: whatever it holds may be a credential.
            raise LmsAuthError(
                f"NexPort {AUTHENTICATE_PATH} answered without an access_token for connection "
                f"{self.conn_id!r}",
                response.status_code,
            )
        self.redactor.add(token)  # before anything else can log a URL holding it
        expires_in = body.get("expires_in")
        return Token(token, float(expires_in) if isinstance(expires_in, (int, float)) else None)

    # ---- responses --------------------------------------------------------------------------

    def check_response(self, response: requests.Response) -> None:
        """Raise for ``api_error_entity.error_code != 0`` in a 2xx body; log warning messages."""
        # Strictly (declared charset, no NaN), as parse_body would; decoded once, reused there.
        body = parse_json_body(response, self.redactor, non_finite=self.non_finite_numbers)
        setattr(response, _PARSED, body)  # parse_body reuses it: large pages are decoded once
        path = urlsplit(response.url).path  # never the query: it carries the token
        failure: dict[str, Any] | None = None
        for entity in error_entities(body):
            for warning in entity.get("warning_messages") or ():
                self._log_warning(path, str(warning))
            if failure is None and _failed(entity):
                failure = entity
        if failure is None:
            return
        code = failure.get("error_code")
        message = self.redactor.text(" ".join(str(failure.get("error_message") or "").split()))[:300]
        if path.endswith(AUTHENTICATE_PATH):
            raise LmsAuthError(
                f"NexPort refused to authenticate connection {self.conn_id!r}: {message or 'no reason given'} "
                f"(error_code {code}). Check the login and password of an admin API user.",
                response.status_code,
            )
        if is_token_problem(message):
            raise CredentialRejected()
        raise NexPortApiError(
            f"{response.request.method} {path}: NexPort error_code {code}: {message or 'no message'}",
            response.status_code,
            code,
        )

    def _log_warning(self, path: str, warning: str) -> None:
        text = self.redactor.text(warning)
        key = f"{path} {text}"
        if key in self._warnings_seen:
            self.log.debug("NexPort warning from %s: %s", path, text)
            return
        self._warnings_seen.add(key)
        self.log.warning("NexPort warning from %s: %s", path, text)

    def parse_body(self, response: requests.Response) -> Any:
        body = getattr(response, _PARSED) if hasattr(response, _PARSED) else super().parse_body(response)
        return strip_error_entities(body)
