"""NexPort's catalog: the LearningApi reads, their parameter rules and date choices."""

from __future__ import annotations

from airflow_provider_lms.catalog import Catalog, Endpoint, Param, date_field_param
from airflow_provider_lms.pagination import PageNumberPaginator, Paginator, SinglePage
from airflow_provider_lms.param_rules import Excludes, OneOf, Requires, Rule
from airflow_provider_lms.windows import JUST_BEFORE, DateWindow

PAGE_SIZE_MAX = 1000  # NexPort resets a larger per_page to 1000 (and one below 1 to 30)
#: Every ``*_id`` / ``*_ids`` parameter of the LearningApi takes UUIDs.
NEXPORT_ID = {"value_format": "uuid", "value_label": "a NexPort id"}

# ---- windows -----------------------------------------------------------------------------------


def body_date_range(start_key: str, end_key: str, record_field: str, *, confirmed: bool = True) -> DateWindow:
    """The window as a pair of datetime filters in the JSON body (``utc_enrolled_after/before``).

    NexPort documents them as strict ("after", "before"). For ``[start, end)`` we send
    ``after = start - 1 tick`` and ``before = end`` in NexPort's own form (UTC, seven fractional
    digits: .NET ticks of 100 ns): exact with strict filters at NexPort's own precision. Records are
    also kept by ``record_field``, so a server whose filters include their edges loses nothing and
    adds nothing either (strictly: a record without a readable ``record_field`` stops the extract).
    """
    return DateWindow(
        start_key,
        end_key,
        location="body",
        fmt="iso_ticks",
        margin_before=JUST_BEFORE,
        record_field=record_field,
        record_field_confirmed=confirmed,
    )


# ---- pagination ---------------------------------------------------------------------------------


def _pages() -> Paginator:
    # Bare arrays say nothing about their size, and NexPort resets a per_page it dislikes (below 1:
    # 30; above 1000: 1000) without telling: only an empty page is a safe end.
    return PageNumberPaginator("page", "per_page")


def _counted_pages() -> Paginator:
    return PageNumberPaginator(
        "page", "per_page", total_items_path="total_count", served_page_size_path="page_size"
    )


def _counted_body_pages() -> Paginator:
    # ``page``/``per_page`` inside a body object: ``{"paging": {"page": 1, "per_page": 15}}``.
    return PageNumberPaginator(
        location="body", container="paging", total_items_path="total_count", served_page_size_path="page_size"
    )


# ---- catalog ------------------------------------------------------------------------------------

LEARNING = "/LearningApi"
# SearchEnrollments' documented sample shows enrollment_date only; completion_date and
# last_activity_date are the names other NexPort enrollment items use (unconfirmed here).
ENROLLMENT_DATES: dict[str, DateWindow] = {
    "enrolled": body_date_range("utc_enrolled_after", "utc_enrolled_before", "enrollment_date"),
    "completed": body_date_range(
        "utc_completed_after", "utc_completed_before", "completion_date", confirmed=False
    ),
    "last_activity": body_date_range(
        "utc_activity_after", "utc_activity_before", "last_activity_date", confirmed=False
    ),
}


def _ids(name: str, description: str, *, required: bool = False, location: str = "query") -> Param:
    return Param(name, required=required, location=location, description=description, **NEXPORT_ID)


def _id_list(name: str, description: str, *, required: bool = False, api_name: str | None = None) -> Param:
    """One id or a list, sent as a JSON list in the body."""
    return Param(
        name,
        required=required,
        location="body",
        api_name=api_name,
        description=description,
        multiple=True,
        coerce_list=True,
        **NEXPORT_ID,
    )


def _single(name: str, path: str, *params: Param, rules: tuple[Rule, ...] = (), description: str) -> Endpoint:
    """An endpoint answering one object (which becomes one record; ``null`` becomes none)."""
    return Endpoint(
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
        Endpoint(
            "search_enrollments",
            f"{LEARNING}/SearchEnrollments",
            "$.enrollments[*]",
            method="POST",
            body={},
            params=(
                _id_list("user_ids", "one user id or a list"),
                _id_list("org_ids", "one organization id or a list"),
                _id_list("syllabus_ids", "one syllabus id or a list"),
                Param(
                    "syllabus_unique_names",
                    location="body",
                    multiple=True,
                    coerce_list=True,
                    description="one unique name or a list",
                ),
                _id_list("enrollment_ids", "one enrollment id or a list"),
                date_field_param(ENROLLMENT_DATES),
                *(
                    Param(key, location="body", description="ISO datetime (set by the window)")
                    for mapping in ENROLLMENT_DATES.values()
                    for key in mapping.owned_params
                ),
            ),
            date_choices=ENROLLMENT_DATES,
            paginator=_counted_pages,
            rules=(OneOf((("user_ids",), ("org_ids",))),),
            id_field="enrollment_id",
            description="Section and training plan enrollments of the given users and/or organizations, "
            "oldest first. The window filters the enrollment date by default; date_field='completed' or "
            "'last_activity' filters the completion or last activity date instead.",
        ),
        Endpoint(
            "section_enrollments",
            f"{LEARNING}/GetSectionEnrollments",
            params=_SYLLABUS_ENROLLMENT_PARAMS,
            rules=(
                OneOf((("subscriber_id",), ("syllabus_id",), ("enrollment_id",), ("syllabus_unique_name",))),
                Requires(("syllabus_id", "enrollment_id"), "org_id"),
                Excludes(("user_id", "subscriber_id")),
            ),
            id_field="enrollment_id",
            description="Section enrollments (with their section), most recent first. Full snapshot.",
        ),
        Endpoint(
            "training_plan_enrollments",
            f"{LEARNING}/GetTrainingPlanEnrollments",
            params=_SYLLABUS_ENROLLMENT_PARAMS,
            rules=(
                OneOf(
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
        Endpoint(
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
        Endpoint(
            "custom_enrollment_field_values",
            f"{LEARNING}/GetCustomEnrollmentFieldValues",
            params=(
                _ids("enrollment_id", "one enrollment"),
                _ids("subscriber_id", "subscription (with syllabus_id)"),
                _ids("syllabus_id", "section or training plan (with subscriber_id)"),
                Param("key", description="one field key"),
            ),
            paginator=SinglePage,
            rules=(OneOf((("enrollment_id",), ("subscriber_id", "syllabus_id"))),),
            description="Custom enrollment field values of one enrollment.",
        ),
        Endpoint(
            "assignment_statuses",
            f"{LEARNING}/GetAssignmentStatuses",
            params=(
                _ids("enrollment_id", "section enrollment"),
                _ids("subscription_id", "subscription (with section_id)"),
                _ids("section_id", "section (with subscription_id)"),
                _ids("assignment_id", "one assignment"),
            ),
            rules=(OneOf((("enrollment_id",), ("subscription_id", "section_id"))),),
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
            rules=(OneOf((("syllabus_id",), ("product_id",))), Excludes(("syllabus_id", "product_id"))),
            description="One section.",
        ),
        Endpoint(
            "sections",
            f"{LEARNING}/GetSections",
            "$.sections[*]",
            method="POST",
            body={},
            params=(_id_list("section_ids", "", required=True, api_name="sections"),),
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
        Endpoint(
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
            window=body_date_range("from_date", "to_date", "utc_start_date"),
            paginator=_counted_body_pages,
            rules=(OneOf((("from_date",),), window_satisfies=True),),
            id_field="session_id",
            description="Time a student spent in section assignments, sessions starting in the window.",
        ),
        _single(
            "training_plan",
            "GetTrainingPlan",
            _ids("training_plan_id", "training plan"),
            _ids("product_id", "catalog product"),
            rules=(OneOf((("training_plan_id",), ("product_id",))),),
            description="One training plan.",
        ),
        _single(
            "training_plan_description",
            "GetTrainingPlanDescription",
            _ids("training_plan_id", "training plan", required=True),
            description="Description of one training plan.",
        ),
        Endpoint(
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
        Endpoint(
            "organizations",
            f"{LEARNING}/GetOrganizations",
            params=(_ids("org_id", "parent organization"), Param("org_short_name")),
            id_field="org_id",
            description="An organization and its sub-organizations, by name (every organization when "
            "neither org_id nor org_short_name is given). NexPort marks LearningApi/GetOrganizations "
            "obsolete in favour of AdminApi/GetOrganizations: override the path if your portal differs.",
        ),
        Endpoint(
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
        Endpoint(
            "categories",
            f"{LEARNING}/GetCategories",
            params=(_ids("catalog_id", "catalog", required=True),),
            id_field="category_id",
            description="Categories of one catalog, most recent first.",
        ),
        Endpoint(
            "catalog_syllabi",
            f"{LEARNING}/GetCatalogSyllabi",
            params=(_ids("catalog_id", "catalog", required=True),),
            id_field="syllabus_id",
            description="Syllabi (sections and training plans) of one catalog, by title.",
        ),
        Endpoint(
            "category_syllabi",
            f"{LEARNING}/GetCategorySyllabi",
            params=(_ids("category_id", "category", required=True),),
            id_field="syllabus_id",
            description="Syllabi of one category, by title.",
        ),
        Endpoint(
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
        Endpoint(
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
                    coerce_list=True,
                    description="list of CMI names",
                ),
            ),
            id_field="sco_id",
            description="SCORM CMI values of one enrollment's assignment, per SCO (obsolete in NexPort in "
            "favour of ScormApi/GetCmiData).",
        ),
    ],
)
