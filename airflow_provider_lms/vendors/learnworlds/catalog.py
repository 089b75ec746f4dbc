"""LearnWorlds' catalog: the API v2 reads, paging and windows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from airflow_provider_lms.catalog import Catalog, Endpoint, Param, single_response
from airflow_provider_lms.pagination import PageNumberPaginator, Paginator
from airflow_provider_lms.windows import DateWindow

ITEMS_PER_PAGE_MAX = 200

# ---- pagination -----------------------------------------------------------------------------


def LearnWorldsPaginator(*, items_per_page: bool = False, require_total: bool = True) -> Paginator:  # noqa: N802
    """``page`` (+ ``items_per_page`` where the endpoint takes it), stopping on ``meta.totalPages``.

    LearnWorlds answers a page number past the end with the LAST page again, so an empty page never
    comes: the only safe stop is ``meta.totalPages``. A paged list without it is an error (unless
    ``require_total`` is off, for custom paths that may not be paged at all), and a response whose
    ``meta.page`` is not the page asked for is a repeated page, which is an error too.
    """
    return PageNumberPaginator(
        "page",
        "items_per_page" if items_per_page else None,
        total_pages_path="meta.totalPages",
        # Declared only (stopping is on totalPages): the page checks hold the records read
        # against meta.totalItems, and bound the pages by both.
        declared_items_path="meta.totalItems",
        served_page_size_path="meta.itemsPerPage",
        served_page_path="meta.page",
        without_signal="error" if require_total else "last_page",
    )


def paged(items_per_page: bool = False) -> Callable[[], Paginator]:
    return lambda: LearnWorldsPaginator(items_per_page=items_per_page)


# ---- windows --------------------------------------------------------------------------------


ONE_SECOND = timedelta(seconds=1)


def unix_seconds_window(start_param: str, end_param: str, record_field: str) -> DateWindow:
    """``*_after`` / ``*_before`` in unix seconds. Whether LearnWorlds includes the edges is not
    documented, so the request reaches from the second before the window (rounded out to whole
    seconds) to the second after it, and records are kept by their own ``record_field`` timestamp
    (float seconds): each record lands in exactly one window."""
    return DateWindow(
        start_param,
        end_param,
        fmt="unix",
        round_outward=True,
        margin_before=ONE_SECOND,
        margin_after=ONE_SECOND,
        record_field=record_field,
    )


# ---- catalog --------------------------------------------------------------------------------


def _path(name: str, description: str = "") -> Param:
    return Param(name, required=True, location="path", description=description)


def _listing(
    name: str,
    path: str,
    description: str,
    *params: Param,
    items_per_page: bool = False,
    window: DateWindow | None = None,
    records_path: str = "$.data[*]",
    id_field: str | None = "id",
) -> Endpoint:
    """A paged list in the ``{data, meta}`` envelope (records keyed by ``id`` unless told)."""
    return Endpoint(
        name,
        path,
        records_path,
        params=params,
        window=window,
        paginator=paged(items_per_page),
        max_page_size=ITEMS_PER_PAGE_MAX if items_per_page else None,
        # Without items_per_page LearnWorlds serves its own page size: a page_size would be ignored.
        fixed_page_size=not items_per_page,
        id_field=id_field,
        description=description,
    )


def _unpaged(
    name: str,
    path: str,
    description: str,
    *params: Param,
    records_path: str = "$.data[*]",
    id_field: str | None = None,
) -> Endpoint:
    """A list (``{data}``, no ``meta``) or a single object that comes in one response."""
    return single_response(name, path, records_path, description, *params, id_field=id_field)


def _single_objects() -> list[Endpoint]:
    """``GET /<things>/{id}``: one object per response, read as one record."""
    one = [
        ("course", "/courses/{course_id}", "One course.", ("course_id",)),
        ("bundle", "/bundles/{bundle_id}", "One bundle.", ("bundle_id",)),
        ("subscription_plan", "/subscription-plans/{plan_id}", "One subscription plan.", ("plan_id",)),
        ("payment", "/payments/{payment_id}", "One payment.", ("payment_id",)),
        (
            "payment_invoice_link",
            "/payments/{payment_id}/invoice-link",
            "The invoice link of one payment ({invoice, url, expires_at}).",
            ("payment_id",),
        ),
        ("promotion", "/promotions/{promotion_id}", "One promotion with its coupons.", ("promotion_id",)),
        ("seat", "/seats/{seat_id}", "One seat offering.", ("seat_id",)),
        ("user_group", "/user_groups/{user_group_id}", "One user group.", ("user_group_id",)),
        (
            "user_role_of_user",
            "/users/{user_id}/user-role",
            "The user role of one user and what it is assigned.",
            ("user_id",),
        ),
        ("community_space", "/community/spaces/{space_id}", "One community space.", ("space_id",)),
        ("community_post", "/community/posts/{post_id}", "One community post.", ("post_id",)),
    ]
    endpoints = [
        _unpaged(
            name,
            path,
            description + " One record." + SNAPSHOT,
            *(_path(p) for p in params),
            records_path="$",
            id_field=None if name == "payment_invoice_link" else "id",
        )
        for name, path, description, params in one
    ]
    endpoints.append(
        _unpaged(
            "user",
            "/users/{user_id}",
            "One user (a suspended one only with include_suspended='true'). One record." + SNAPSHOT,
            _path("user_id"),
            Param("include_suspended", choices=("true", "false")),
            records_path="$",
            id_field="id",
        )
    )
    return endpoints


FIXED = " The vendor fixes the page size (page_size is refused)."
SNAPSHOT = " Full snapshot."

LEARNWORLDS_CATALOG = Catalog(
    "LearnWorlds",
    [
        # Courses and reporting
        _listing(
            "courses",
            "/courses",
            "All courses of the school." + SNAPSHOT + FIXED,
            Param("categories", description="comma-separated category names"),
            Param("access", description="free, paid, private, coming_soon, enrollment_closed, draft"),
        ),
        _unpaged(
            "course_contents",
            "/courses/{course_id}/contents",
            "One course's sections and learning units (one record per course)." + SNAPSHOT,
            _path("course_id"),
            records_path="$",
            id_field="id",
        ),
        _listing(
            "course_users",
            "/courses/{course_id}/users",
            "Users enrolled in one course." + SNAPSHOT,
            _path("course_id"),
            items_per_page=True,
        ),
        _listing(
            "course_grades",
            "/courses/{course_id}/grades",
            "Grades of every enrolled user in one course." + SNAPSHOT,
            _path("course_id"),
            Param("users", description="comma-separated user ids"),
            Param("learning_units", api_name="learningUnits", description="comma-separated unit ids"),
            Param("sort", choices=("created", "submittedTimestamp")),
            Param("order", choices=("asc", "desc")),
            items_per_page=True,
        ),
        _unpaged(
            "course_analytics",
            "/courses/{course_id}/analytics",
            "Analytics of one course (one record)." + SNAPSHOT,
            _path("course_id"),
            records_path="$",
        ),
        _unpaged(
            "unit_analytics",
            "/courses/{course_id}/units/{unit_id}/analytics",
            "Analytics of one learning unit of a course (one record)." + SNAPSHOT,
            _path("course_id"),
            _path("unit_id"),
            records_path="$",
        ),
        _unpaged(
            "user_course_progress",
            "/users/{user_id}/courses/{course_id}/progress",
            "One user's progress in one course (one record)." + SNAPSHOT,
            _path("user_id"),
            _path("course_id"),
            records_path="$",
        ),
        _listing(
            "user_progress",
            "/users/{user_id}/progress",
            "One user's progress in every course they are enrolled in." + SNAPSHOT,
            _path("user_id"),
            items_per_page=True,
            id_field="course_id",
        ),
        # Products
        _listing("bundles", "/bundles", "Bundles." + SNAPSHOT + FIXED),
        _listing("subscription_plans", "/subscription-plans", "Subscription plans." + SNAPSHOT + FIXED),
        _listing(
            "user_subscriptions",
            "/user-subscriptions",
            "Users' subscriptions." + SNAPSHOT + FIXED,
            Param("user_id", description="user id or email"),
            Param("status", choices=("active", "inactive", "trial")),
            id_field=None,
        ),
        _listing(
            "active_installments",
            "/installments/active",
            "Active installment plans of users." + SNAPSHOT + FIXED,
            Param("product_id"),
            Param("user_id", description="user id or email"),
            Param("product_type", choices=("course", "bundle")),
        ),
        _unpaged(
            "school_events",
            "/school/events",
            "Upcoming drip-feed, assignment and live-session events (unpaged)." + SNAPSHOT,
            Param("event_type", choices=("dripFeed", "fileAssignment", "liveSession")),
        ),
        # Users
        _listing(
            "users",
            "/users",
            "Users who registered in the window (registration_after/registration_before, unix "
            "seconds, trimmed by `created`); without a window all users. Suspended users only with "
            "include_suspended='true'.",
            Param("status", choices=("paying", "non_paying", "suspended", "never_logged_in")),
            Param("role", choices=("user", "admin", "instructor", "reporter")),
            Param("tags", description="comma-separated tags"),
            Param("include_suspended", choices=("true", "false")),
            Param("cf_", prefix=True, description="custom-field filter: cf_<field>=value, any number"),
            items_per_page=True,
            window=unix_seconds_window("registration_after", "registration_before", "created"),
        ),
        _unpaged(
            "user_products",
            "/users/{user_id}/products",
            "Products (courses, bundles, subscriptions) one user has (unpaged)." + SNAPSHOT,
            _path("user_id"),
            id_field="id",
        ),
        _listing(
            "user_courses",
            "/users/{user_id}/courses",
            "One user's course enrollments ({created, expires, course})." + SNAPSHOT + FIXED,
            _path("user_id"),
            id_field="course.id",
        ),
        _listing(
            "users_by_product",
            "/users/by-product",
            "Users with access to one product." + SNAPSHOT + FIXED,
            Param("product_id", required=True),
            Param("product_type", required=True, choices=("course", "bundle", "subscription")),
        ),
        _listing(
            "users_by_segment",
            "/users/by-segment",
            "Users in one segment." + SNAPSHOT + FIXED,
            Param("segment_id", required=True),
        ),
        _unpaged("segments", "/users/segments", "User segments (unpaged)." + SNAPSHOT, id_field="id"),
        # Sales
        _listing(
            "payments",
            "/payments",
            "Payments created in the window (created_after/created_before, unix seconds, trimmed "
            "by `created`); without a window all payments.",
            Param("product_type", choices=("course", "bundle", "subscription")),
            Param("user_id", description="user id or email"),
            Param("affiliate_id", description="affiliate id or email"),
            Param("product_id"),
            items_per_page=True,
            window=unix_seconds_window("created_after", "created_before", "created"),
        ),
        _listing("leads", "/leads", "Leads." + SNAPSHOT + FIXED, id_field=None),  # no id of their own
        _listing("promotions", "/promotions", "Promotions with their coupons." + SNAPSHOT + FIXED),
        _unpaged(
            "promotion_coupons",
            "/promotions/{promotion_id}/coupons",
            "Coupons of one promotion (unpaged)." + SNAPSHOT,
            _path("promotion_id"),
        ),
        _listing(
            "coupon_usage",
            "/promotions/{promotion_id}/coupons/{coupon_code}/usage",
            "Payments that redeemed one coupon (records under `payments`)." + SNAPSHOT + FIXED,
            _path("promotion_id"),
            _path("coupon_code"),
            records_path="$.payments[*]",
        ),
        _listing("affiliates", "/affiliates", "Affiliates." + SNAPSHOT + FIXED),
        _listing(
            "affiliate_customers",
            "/affiliates/{affiliate_id}/customers",
            "Paying users referred by one affiliate." + SNAPSHOT + FIXED,
            _path("affiliate_id"),
        ),
        _listing(
            "affiliate_leads",
            "/affiliates/{affiliate_id}/leads",
            "Referred users of one affiliate who have not paid." + SNAPSHOT + FIXED,
            _path("affiliate_id"),
        ),
        _listing(
            "affiliate_payments",
            "/affiliates/{affiliate_id}/payments",
            "Payments credited to one affiliate." + SNAPSHOT + FIXED,
            _path("affiliate_id"),
        ),
        _listing(
            "affiliate_payouts_completed",
            "/affiliates/{affiliate_id}/payouts/completed",
            "Completed payouts of one affiliate." + SNAPSHOT + FIXED,
            _path("affiliate_id"),
        ),
        _unpaged(
            "affiliate_payouts_due",
            "/affiliates/{affiliate_id}/payouts/due",
            "Due payouts of one affiliate (unpaged)." + SNAPSHOT,
            _path("affiliate_id"),
        ),
        _unpaged(
            "affiliate_payouts_upcoming",
            "/affiliates/{affiliate_id}/payouts/upcoming",
            "Upcoming payouts of one affiliate (unpaged)." + SNAPSHOT,
            _path("affiliate_id"),
        ),
        # Learning records
        _listing(
            "certificates",
            "/certificates",
            "Issued certificates." + SNAPSHOT + FIXED,
            Param("course_id"),
            Param("user_id", description="user id or email"),
        ),
        _listing(
            "event_logs",
            "/event-logs",
            "School event log entries created in the window (created_after/created_before, unix "
            "seconds, trimmed by `created`), newest first unless sort='asc'." + FIXED,
            Param("user_id", description="user id or email"),
            Param("activity", description="e.g. login, purchase, complete_course"),
            Param("sort", choices=("asc", "desc")),
            window=unix_seconds_window("created_after", "created_before", "created"),
            id_field=None,
        ),
        _listing(
            "assessment_responses",
            "/assessments/{assessment_id}/responses",
            "Responses to one assessment, most recent first." + SNAPSHOT,
            _path("assessment_id"),
            Param("users", description="comma-separated user ids"),
            items_per_page=True,
        ),
        _listing("seats", "/seats", "Seat offerings." + SNAPSHOT + FIXED),
        _listing("user_groups", "/user_groups", "User groups." + SNAPSHOT + FIXED),
        _unpaged(
            "user_roles",
            "/user-roles",
            "User roles (unpaged)." + SNAPSHOT,
            Param("role_id"),
            Param("access_level", description="comma-separated: admin, instructor, reporter, ..."),
            id_field="id",
        ),
        # Community
        _unpaged(
            "community_collections",
            "/community/collections",
            "Community collections (unpaged)." + SNAPSHOT,
            id_field="id",
        ),
        _listing(
            "community_spaces",
            "/community/spaces",
            "Community spaces." + SNAPSHOT,
            Param("access", choices=("public", "private", "standalone")),
            Param("collection_id", api_name="collectionId"),
            Param("usages", description="course ids the space is used in"),
            items_per_page=True,
        ),
        _listing(
            "community_space_users",
            "/community/spaces/{space_id}/users",
            "Members of one community space." + SNAPSHOT,
            _path("space_id"),
            items_per_page=True,
        ),
        _listing(
            "community_posts",
            "/community/posts",
            "Community posts, newest first." + SNAPSHOT,
            Param("user_id", description="author id or email"),
            Param("space_id"),
            Param("course_id"),
            Param("mentions", description="id of a mentioned user"),
            items_per_page=True,
        ),
        # Single objects and the lists added for the whole OpenAPI (issue 12)
        *_single_objects(),
        _listing(
            "form_responses",
            "/forms/{form_id}/responses",
            "Responses to one form, most recent first." + SNAPSHOT,
            _path("form_id"),
            Param("users", description="comma-separated user ids"),
            items_per_page=True,
        ),
        _listing(
            "seat_users",
            "/seats/{seat_id}/users",
            "Users holding a seat of one seat offering." + SNAPSHOT + FIXED,
            _path("seat_id"),
        ),
        _listing(
            "user_group_users",
            "/user_groups/{user_group_id}/users",
            "Members of one user group." + SNAPSHOT + FIXED,
            _path("user_group_id"),
        ),
        _unpaged(
            "user_seats",
            "/users/{user_id}/seats",
            "Seat offerings one user is a member of (unpaged)." + SNAPSHOT,
            _path("user_id"),
            records_path="$[*]",
            id_field="id",
        ),
        _unpaged(
            "user_user_groups",
            "/users/{user_id}/user-groups",
            "User groups one user is a member of (unpaged)." + SNAPSHOT,
            _path("user_id"),
            records_path="$[*]",
            id_field="id",
        ),
    ],
)
