"""LearnWorlds (API v2): OAuth2 client-credentials token with the ``Lw-Client`` header, ``page`` /
``items_per_page`` pagination that must stop on ``meta.totalPages`` (a page past the end repeats the
last page), and a 30 requests / 10 s rolling rate limit paced on the client side."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from typing import Any

from airflow_provider_lms.auth import Auth, SignedRequest, Token, TokenAuth, header_safe
from airflow_provider_lms.catalog import Catalog, Endpoint, Param
from airflow_provider_lms.exceptions import LmsAuthError, LmsConfigError, LmsPaginationError
from airflow_provider_lms.hooks.base import ExtractPlan, LmsHook, Page, normalize_url
from airflow_provider_lms.page_request import PageRequest, PageResponse
from airflow_provider_lms.pagination import PageNumberPaginator, Paginator, SinglePage, empty_page_error
from airflow_provider_lms.records import get_dotted, get_int
from airflow_provider_lms.throttle import RollingWindowThrottle, Throttle
from airflow_provider_lms.windows import DateRangeFilter, Window

ITEMS_PER_PAGE_MAX = 200
#: LearnWorlds allows 30 requests per rolling 10 s per school (the connection extras can change it).
RATE_LIMIT_REQUESTS = 30
RATE_LIMIT_SECONDS = 10.0
#: Clock skew allowance on top of the provably sufficient spacing (see EvenPaceThrottle).
RATE_SAFETY_MARGIN = 0.02

TOKEN_PATH = "/oauth2/access_token"


# ---- pagination -----------------------------------------------------------------------------


class LearnWorldsPaginator(PageNumberPaginator):
    """``page`` (+ ``items_per_page`` where the endpoint takes it), stopping on ``meta.totalPages``.

    LearnWorlds answers a page number past the end with the LAST page again, so an empty page never
    comes: the only safe stop is ``meta.totalPages``. A paged list without it is an error (unless
    ``require_total`` is off, for custom paths that may not be paged at all), and a response whose
    ``meta.page`` is not the page asked for is a repeated page, which is an error too.
    """

    def __init__(self, *, items_per_page: bool = False, require_total: bool = True) -> None:
        super().__init__(
            "page",
            "items_per_page" if items_per_page else None,
            total_pages_path="meta.totalPages",
            # Declared only (stopping is on totalPages): the page checks hold the records read
            # against meta.totalItems, and bound the pages by both.
            total_items_path="meta.totalItems",
            served_page_size_path="meta.itemsPerPage",
        )
        self.require_total = require_total

    def advance(self, request: PageRequest, response: PageResponse) -> PageRequest | None:
        served = get_int(response.body, "meta.page")
        if served is not None and served != self.page:
            raise LmsPaginationError(
                f"asked for page {self.page} but LearnWorlds served page {served}: a page past the "
                "end repeats the last page, so meta.totalPages was wrong or changed; stopped to avoid "
                "duplicates"
            )
        total = get_int(response.body, "meta.totalPages")
        if total is None:
            if self.require_total:
                raise LmsPaginationError(
                    f"page {self.page} has no meta.totalPages: LearnWorlds repeats the last page past "
                    "the end, so paging without it could loop; set pagination='none' on the endpoint "
                    "if this list is not paged"
                )
            return None
        if self.page >= total:
            return None
        if response.record_count == 0:
            raise empty_page_error(
                f"page {self.page}", f"meta.totalPages says {total} pages", self.records_seen
            )
        self.records_seen += response.record_count
        self.page += 1
        following = request.copy()
        self._target(following)[self.page_param] = self.page
        return following


def paged(items_per_page: bool = False) -> Callable[[], Paginator]:
    return lambda: LearnWorldsPaginator(items_per_page=items_per_page)


# ---- windows --------------------------------------------------------------------------------


class UnixSecondsWindow(DateRangeFilter):
    """``*_after`` / ``*_before`` in unix seconds. Whether LearnWorlds includes the edges is not
    documented, so the request is one second wider on each side and records are kept by their own
    ``record_field`` timestamp (float seconds): each record lands in exactly one window."""

    def __init__(self, start_param: str, end_param: str, record_field: str) -> None:
        super().__init__(start_param, end_param, fmt="unix", record_field=record_field)

    def apply(self, request: PageRequest, window: Window) -> None:
        request.params[self.start_param] = math.floor(window.start.timestamp()) - 1
        request.params[self.end_param] = math.ceil(window.end.timestamp()) + 1


# ---- rate limit -----------------------------------------------------------------------------


class EvenPaceThrottle(RollingWindowThrottle):
    """At most ``max_requests`` per rolling ``per_seconds``, as one request every
    ``per_seconds / (max_requests - 1)`` (plus a 2% margin) instead of bursts.

    Why this spacing is enough whatever the latency: a hook sends its next request only after the
    previous response, which the server counted when it arrived. So any ``max_requests + 1``
    consecutive arrivals span at least ``max_requests - 1`` intervals, more than ``per_seconds``,
    and the server never sees more than its limit in one window. Why evenly: a new task's hook
    knows nothing of what the previous task (same pool slot) sent a moment ago; bursting the whole
    budget at start could double it. Waiting one interval before the first request keeps the chain
    unbroken across tasks that run one after another.
    """

    def __init__(
        self,
        max_requests: int,
        per_seconds: float,
        *,
        margin: float = RATE_SAFETY_MARGIN,
        **kwargs: Any,
    ) -> None:
        interval = per_seconds * (1 + margin) / max(max_requests - 1, 1)
        super().__init__(1, interval, **kwargs)
        self.interval = interval
        self._sent.append(self._clock())  # the previous task may have just sent its last request


# ---- auth -----------------------------------------------------------------------------------


class LearnWorldsAuth(TokenAuth):
    """Bearer token plus the ``Lw-Client`` header LearnWorlds wants on every call."""

    def __init__(self, fetch: Callable[[], Token], client_id: str, **kwargs: Any) -> None:
        super().__init__(fetch, **kwargs)
        self.client_id = client_id

    def place(self, request: SignedRequest, token: str) -> None:
        request.headers["Authorization"] = f"Bearer {token}"
        request.headers["Lw-Client"] = self.client_id


# ---- catalog --------------------------------------------------------------------------------


def _path(name: str, description: str = "") -> Param:
    return Param(name, required=True, location="path", description=description)


def _listing(
    name: str,
    path: str,
    description: str,
    *params: Param,
    items_per_page: bool = False,
    window: DateRangeFilter | None = None,
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
    return Endpoint(
        name,
        path,
        records_path,
        params=params,
        paginator=SinglePage,
        id_field=id_field,
        description=description,
    )


FIXED = " Fixed page size (page_size is ignored)."
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
            items_per_page=True,
            window=UnixSecondsWindow("registration_after", "registration_before", "created"),
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
            window=UnixSecondsWindow("created_after", "created_before", "created"),
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
            window=UnixSecondsWindow("created_after", "created_before", "created"),
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
    ],
)


# ---- hook -----------------------------------------------------------------------------------


def api_root(url: str) -> str:
    """The school's ``.../admin/api`` root, whichever form of the URL the connection holds."""
    url = re.sub(r"/v2$", "", url.rstrip("/"))
    return url if url.endswith("/admin/api") else f"{url}/admin/api"


class LearnWorldsHook(LmsHook):
    """LearnWorlds API v2 hook.

    Connection: host = the school's URL (``https://academy.example.com``, ``acme.learnworlds.com``,
    just ``acme``) or its API URL (``https://acme.learnworlds.com/admin/api``); login = client ID;
    password = client secret. Extras ``rate_limit_requests`` / ``rate_limit_seconds`` (default 30 /
    10) set the pace; with N tasks sharing the school in parallel give each 30 / N. Records of
    endpoints scoped by an id (``course_users``...) carry ``_parameters``, e.g. ``{"course_id": ...}``.

    :param conn_id: the Airflow connection id (type ``learnworlds``).
    """

    conn_name_attr = "conn_id"
    default_conn_name = "learnworlds_default"
    conn_type = "learnworlds"
    hook_name = "LearnWorlds"
    catalog = LEARNWORLDS_CATALOG
    test_endpoint = "users"
    #: The 30 / 10 s pacing is the bound, and its even spacing is proven for one request in
    #: flight (see EvenPaceThrottle): a second one could arrive early when latencies vary. Raise
    #: it (extra max_concurrency) only where responses take longer than the pace, ~0.35 s.
    default_max_concurrency = 1

    def api_root(self) -> str:
        return api_root(
            normalize_url(self.connection.host, default_domain="learnworlds.com", port=self.connection.port)
        )

    def base_url(self) -> str:
        return f"{self.api_root()}/v2"

    def create_auth(self) -> Auth:
        conn = self.connection
        client_id = header_safe(  # it travels in the Lw-Client header
            self._credential(conn.login, "client ID (login)"),
            connection=self.conn_id,
            field="client ID (login)",
        )
        self._credential(conn.password, "client secret (password)")
        return LearnWorldsAuth(self._fetch_token, client_id, on_new_token=self.redactor.add)

    def _fetch_token(self) -> Token:
        conn = self.connection
        request = PageRequest(
            "POST",
            f"{self.api_root()}{TOKEN_PATH}",
            headers={"Lw-Client": conn.login},
            body={
                "client_id": conn.login,
                "client_secret": conn.password,
                "grant_type": "client_credentials",
            },
        )
        try:
            body = self.parse_body(self.transport.send(request, authenticated=False))
        except LmsAuthError as exc:
            raise LmsAuthError(
                f"LearnWorlds refused a token to connection {self.conn_id!r} ({exc}); check the client "
                "ID (login) and client secret (password) under Settings > Developers > API",
                exc.status,
            ) from None
        token = get_dotted(body, "tokenData.access_token")
        if not isinstance(body, dict) or body.get("success") is False or not token:
            errors = body.get("errors") if isinstance(body, dict) else None
            raise LmsAuthError(
                f"LearnWorlds issued no access token for connection {self.conn_id!r} "
                f"({self.redactor.text(str(errors or 'no tokenData.access_token in the reply'))[:200]}); "
                "check the client ID (login) and client secret (password)"
            )
        expires = get_dotted(body, "tokenData.expires_in")
        return Token(str(token), float(expires) if isinstance(expires, (int, float)) else None)

    def create_throttle(self) -> Throttle:
        requests_ = self._positive_extra("rate_limit_requests", RATE_LIMIT_REQUESTS, int)
        seconds = self._positive_extra("rate_limit_seconds", RATE_LIMIT_SECONDS, float)
        return EvenPaceThrottle(requests_, seconds, sleep=self._sleep)

    def _positive_extra(self, name: str, default: float, kind: type) -> Any:
        value = self.extras.get(name)
        if value in (None, ""):
            return kind(default)
        try:
            number = kind(value)
        except (TypeError, ValueError, OverflowError):
            number = 0
        if not 0 < number < float("inf"):  # also refuses nan and inf, which would crash sleep()
            raise LmsConfigError(
                f"connection {self.conn_id!r}: extra {name}={value!r} must be a positive number"
            )
        return number

    def iter_pages(self, plan: ExtractPlan, *, max_pages: int | None = None) -> Iterator[Page]:
        """Pages of ``plan``; each record carries the path ids it was read under in ``_parameters``.

        Why: ``course_users`` returns bare users and ``course_analytics`` a bare object, so a file of
        a batch of courses could not tell which course a record belongs to without them.
        """
        scope = {
            p.name: plan.parameters[p.name]
            for p in plan.endpoint.params
            if p.location == "path" and p.name in plan.parameters
        }
        for page in super().iter_pages(plan, max_pages=max_pages):
            if scope:
                for record in page.records:
                    record["_parameters"] = dict(scope)
            yield page

    def default_paginator(self) -> Paginator:
        # Custom paths may be unpaged objects: stop when there is no meta instead of failing.
        return LearnWorldsPaginator(require_total=False)
