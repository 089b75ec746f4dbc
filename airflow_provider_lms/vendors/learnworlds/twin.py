"""LearnWorlds twin: OAuth2 client-credentials token (``Lw-Client`` header), ``{data, meta}`` pages
where a page number past the end serves the LAST page again, fixed page sizes on most lists, unix
second date filters with configurable edges, and a real rolling rate limiter (30 requests / 10 s by
default) answering 429 ``{"error": "Too many requests"}``."""

from __future__ import annotations

import collections
import json
import math
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from airflow_provider_lms.sandbox.data import SANDBOX_TODAY, TOPICS, Faker
from airflow_provider_lms.sandbox.server import SandboxRequest, SandboxResponse, VendorTwin
from airflow_provider_lms.vendors.learnworlds.twin_reads import AddedReads, added_data

ROOT = "/admin/api"
API = f"{ROOT}/v2"
TOKEN_PATH = f"{ROOT}/oauth2/access_token"
ID = r"(?P<{}>[\w.@%-]+)"
ITEMS_PER_PAGE_MAX = 200
ACTIVITIES = ("login", "logout", "visit_course", "complete_course", "purchase", "award_certificate", "post")


def _error(message: str, status: int) -> SandboxResponse:
    return SandboxResponse.json({"error": message}, status)


class LearnWorldsTwin(AddedReads, VendorTwin):
    """One school. Options: ``courses`` / ``users`` (dataset size), ``rate_limit`` requests per
    ``rate_window`` seconds, ``token_ttl`` seconds, ``date_edges`` ("inclusive" or "exclusive"
    for the ``*_after`` / ``*_before`` filters), ``fixed_page_size`` (overrides the fixed sizes),
    ``meta_page`` ("served": meta.page names the page actually served; "requested": it echoes the
    request), ``lie_about_total_pages`` (meta.totalPages too high), ``hostile`` (path -> "html",
    "no_envelope" or "no_meta"), ``token_reject_status`` (401, or 200 with ``success: false``)."""

    name = "learnworlds"
    client_id = "sandbox-lw-client"
    client_secret = "sandbox-lw-client-secret"

    def __init__(
        self,
        *,
        seed: int = 1,
        courses: int = 40,
        users: int = 150,
        rate_limit: int = 30,
        rate_window: float = 10.0,
        token_ttl: float = 8000.0,
        date_edges: str = "inclusive",
        fixed_page_size: int | None = None,
        meta_page: str = "served",
        lie_about_total_pages: bool = False,
        hostile: dict[str, str] | None = None,
        token_reject_status: int = 401,
        **kwargs: Any,
    ) -> None:
        self.rate_limit, self.rate_window, self.token_ttl = rate_limit, rate_window, token_ttl
        self.date_edges, self.fixed_page_size, self.meta_page = date_edges, fixed_page_size, meta_page
        self.lie_about_total_pages, self.hostile = lie_about_total_pages, dict(hostile or {})
        self.token_reject_status = token_reject_status
        self._arrivals: collections.deque[float] = collections.deque()
        self._rate_lock = threading.Lock()
        self.rate_limited = 0  # 429s from the limiter (injected faults are counted by FaultPlan)
        self.max_in_window = 0
        self._tokens: dict[str, float] = {}
        self.tokens_issued = 0
        self.data = build_learnworlds_data(seed, courses, users)
        super().__init__(**kwargs)

    def connection(self, base_url: str) -> dict[str, Any]:
        return {
            "conn_type": "learnworlds",
            "host": base_url,
            "login": self.client_id,
            "password": self.client_secret,
            "extra": {"rate_limit_requests": self.rate_limit, "rate_limit_seconds": self.rate_window},
        }

    # ---- gatekeeping --------------------------------------------------------------------------

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        wait = self._admit()
        if wait is not None:
            response = SandboxResponse.json(
                {"error": "Too many requests"}, 429, {"Retry-After": str(max(1, math.ceil(wait)))}
            )
            with self._log_lock:
                self.request_log.append((request.method, request.path, 429))
            return response
        kind = self.hostile.get(request.path)
        if kind == "html":
            return SandboxResponse(
                200, b"<html><body>Maintenance</body></html>", {"Content-Type": "text/html"}
            )
        if kind == "no_envelope":
            return SandboxResponse.json({"items": []})
        response = super().handle(request)
        if kind == "no_meta" and response.status == 200:
            body = json.loads(response.body)
            body.pop("meta", None)
            response = SandboxResponse.json(body)
        return response

    def _admit(self) -> float | None:
        """Rolling window: None if the request may pass, else seconds until a slot frees up."""
        with self._rate_lock:
            now = time.monotonic()
            while self._arrivals and now - self._arrivals[0] >= self.rate_window:
                self._arrivals.popleft()
            if len(self._arrivals) >= self.rate_limit:
                self.rate_limited += 1
                return self.rate_window - (now - self._arrivals[0])
            self._arrivals.append(now)
            self.max_in_window = max(self.max_in_window, len(self._arrivals))
            return None

    def live_tokens(self) -> list[str]:
        """Tokens issued and not revoked (tests check none of them leaks)."""
        return list(self._tokens)

    def revoke_tokens(self) -> None:
        """Invalidate every issued token (as an expiry or a secret rotation would)."""
        self._tokens.clear()

    def _authorized(self, handler: Callable[[SandboxRequest], SandboxResponse]):
        def guarded(request: SandboxRequest) -> SandboxResponse:
            if request.header("lw-client") != self.client_id:
                return _error("Missing or unknown Lw-Client header", 401)
            scheme, _, token = (request.header("authorization") or "").partition(" ")
            expires = self._tokens.get(token) if scheme.lower() == "bearer" else None
            if expires is None or time.monotonic() >= expires:
                return _error("Unauthenticated", 401)
            return handler(request)

        return guarded

    def token(self, request: SandboxRequest) -> SandboxResponse:
        content_type = request.header("content-type") or ""
        try:
            body = request.json() if "json" in content_type else request.form()
        except ValueError:
            body = None
        fields = body if isinstance(body, dict) else {}
        valid = (
            request.header("lw-client") == self.client_id
            and fields.get("client_id") == self.client_id
            and fields.get("client_secret") == self.client_secret
            and fields.get("grant_type") == "client_credentials"
        )
        if not valid:
            errors = [{"context": "client", "message": "Invalid client credentials"}]
            return SandboxResponse.json({"success": False, "errors": errors}, self.token_reject_status)
        token = secrets.token_hex(20)
        self._tokens[token] = time.monotonic() + self.token_ttl
        self.tokens_issued += 1
        token_data = {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl}
        return SandboxResponse.json({"tokenData": token_data, "errors": [], "success": True})

    # ---- routes -------------------------------------------------------------------------------

    def routes(self):
        d = self.data
        plain = {
            "courses": ("courses", 50),
            "bundles": ("bundles", 20),
            "subscription-plans": ("subscription_plans", 20),
            "leads": ("leads", 20),
            "promotions": ("promotions", 20),
            "affiliates": ("affiliates", 20),
            "seats": ("seats", 20),
            "user_groups": ("user_groups", 20),
        }
        routes: list[tuple[str, str, Callable[[SandboxRequest], SandboxResponse]]] = [
            ("POST", TOKEN_PATH, self.token)
        ]

        def add(path: str, handler: Callable[[SandboxRequest], SandboxResponse]) -> None:
            routes.append(("GET", f"{API}{path}", self._authorized(handler)))

        for path, (key, size) in plain.items():
            if key == "courses":
                add(f"/{path}", self.courses)
            else:
                add(f"/{path}", lambda r, key=key, size=size: self.page(r, d[key], size))
        add(
            f"/courses/{ID.format('course_id')}/contents",
            lambda r: self._one(d["contents"], r.match["course_id"]),
        )
        add(f"/courses/{ID.format('course_id')}/users", self.course_users)
        add(f"/courses/{ID.format('course_id')}/grades", self.course_grades)
        add(
            f"/courses/{ID.format('course_id')}/analytics",
            lambda r: self._one(d["course_analytics"], r.match["course_id"]),
        )
        add(
            f"/courses/{ID.format('course_id')}/units/{ID.format('unit_id')}/analytics",
            lambda r: self._one(d["unit_analytics"], (r.match["course_id"], r.match["unit_id"])),
        )
        add(
            f"/users/{ID.format('user_id')}/courses/{ID.format('course_id')}/progress",
            lambda r: self._one(d["progress"], (r.match["user_id"], r.match["course_id"])),
        )
        add(f"/users/{ID.format('user_id')}/progress", self.user_progress)
        add("/user-subscriptions", self.user_subscriptions)
        add("/installments/active", self.installments)
        add("/school/events", self.school_events)
        add("/users/segments", lambda r: SandboxResponse.json({"data": d["segments"]}))
        add("/users/by-product", self.users_by_product)
        add("/users/by-segment", self.users_by_segment)
        add("/users", self.users)
        add(f"/users/{ID.format('user_id')}/products", self.user_products)
        add(f"/users/{ID.format('user_id')}/courses", self.user_courses)
        add("/payments", self.payments)
        add(f"/promotions/{ID.format('promotion_id')}/coupons", self.promotion_coupons)
        add(f"/promotions/{ID.format('promotion_id')}/coupons/{ID.format('code')}/usage", self.coupon_usage)
        for kind in ("customers", "leads", "payments"):
            add(
                f"/affiliates/{ID.format('affiliate_id')}/{kind}",
                lambda r, kind=kind: self.affiliate_list(r, kind),
            )
        add(
            f"/affiliates/{ID.format('affiliate_id')}/payouts/completed",
            lambda r: self._by_affiliate(r, "payouts_completed", paged=True),
        )
        for kind in ("due", "upcoming"):
            add(
                f"/affiliates/{ID.format('affiliate_id')}/payouts/{kind}",
                lambda r, kind=kind: self._by_affiliate(r, f"payouts_{kind}", paged=False),
            )
        add("/certificates", self.certificates)
        add("/event-logs", self.event_logs)
        add(f"/assessments/{ID.format('assessment_id')}/responses", self.assessment_responses)
        add("/user-roles", self.user_roles)
        add("/community/collections", lambda r: SandboxResponse.json({"data": d["community_collections"]}))
        add("/community/spaces", self.community_spaces)
        add(f"/community/spaces/{ID.format('space_id')}/users", self.space_users)
        add("/community/posts", self.community_posts)
        self.added_routes(add)
        return routes

    # ---- helpers ------------------------------------------------------------------------------

    def page(
        self,
        request: SandboxRequest,
        items: list[Any],
        size: int,
        *,
        items_per_page: bool = False,
        key: str = "data",
        extra: dict[str, Any] | None = None,
    ) -> SandboxResponse:
        """One page of ``items``; a page past the end is the last page again (the vendor's quirk)."""
        size = self.fixed_page_size or size
        if items_per_page and request.arg("items_per_page") not in (None, ""):
            try:
                size = int(request.arg("items_per_page"))  # type: ignore[arg-type]
            except ValueError:
                size = 0
            if not 1 <= size <= ITEMS_PER_PAGE_MAX:
                return _error(f"items_per_page must be between 1 and {ITEMS_PER_PAGE_MAX}", 400)
        asked = max(request.int_arg("page", 1), 1)
        total_pages = math.ceil(len(items) / size)
        served = min(asked, max(total_pages, 1))
        meta = {
            "page": served if self.meta_page == "served" else asked,
            "totalItems": len(items),
            "totalPages": total_pages + (3 if self.lie_about_total_pages else 0),
            "itemsPerPage": size,
        }
        chunk = items[(served - 1) * size : served * size]
        return SandboxResponse.json({**(extra or {}), key: chunk, "meta": meta})

    def _one(self, table: dict[Any, Any], key: Any) -> SandboxResponse:
        if key not in table:
            return _error("Not found", 404)
        return SandboxResponse.json(table[key])

    def _user_ref(self, value: str | None) -> str | None:
        """A user id from an id or an email (several filters accept both)."""
        if value in (None, ""):
            return None
        return self.data["email_to_id"].get(value, value)

    def _window(self, request: SandboxRequest, after: str, before: str) -> tuple[float | None, float | None]:
        bounds = []
        for name in (after, before):
            value = request.arg(name)
            bounds.append(float(value) if value not in (None, "") else None)
        return bounds[0], bounds[1]

    def _in_window(self, moment: float, low: float | None, high: float | None) -> bool:
        if self.date_edges == "exclusive":
            return (low is None or moment > low) and (high is None or moment < high)
        return (low is None or moment >= low) and (high is None or moment <= high)

    def _users(self, ids: set[str] | list[str]) -> list[dict[str, Any]]:
        wanted = set(ids)
        return [u for u in self.data["users"] if u["id"] in wanted]

    # ---- endpoints ----------------------------------------------------------------------------

    def courses(self, request: SandboxRequest) -> SandboxResponse:
        items = self.data["courses"]
        if request.arg("categories"):
            wanted = set(request.arg("categories", "").split(","))  # type: ignore[union-attr]
            items = [c for c in items if wanted & set(c["categories"])]
        access = request.query.get("access") or request.query.get("access[]")
        if access:
            items = [c for c in items if c["access"] in access]
        return self.page(request, items, 50)

    def course_users(self, request: SandboxRequest) -> SandboxResponse:
        course_id = request.match["course_id"]
        if course_id not in self.data["course_index"]:
            return _error("Course not found", 404)
        ids = {a["user_id"] for a in self.data["product_access"] if a["product"]["id"] == course_id}
        return self.page(request, self._users(ids), 50, items_per_page=True)

    def course_grades(self, request: SandboxRequest) -> SandboxResponse:
        course_id = request.match["course_id"]
        if course_id not in self.data["course_index"]:
            return _error("Course not found", 404)
        items = self.data["grades"].get(course_id, [])
        if request.arg("users"):
            wanted = set(request.arg("users", "").split(","))  # type: ignore[union-attr]
            items = [g for g in items if g["user_id"] in wanted]
        if request.arg("learningUnits"):
            units = set(request.arg("learningUnits", "").split(","))  # type: ignore[union-attr]
            items = [g for g in items if g["learningUnit"]["id"] in units]
        if request.arg("sort"):
            field = request.arg("sort")
            items = sorted(items, key=lambda g: g[field], reverse=request.arg("order") == "desc")
        return self.page(request, items, 20, items_per_page=True)

    def user_progress(self, request: SandboxRequest) -> SandboxResponse:
        user_id = request.match["user_id"]
        items = [
            {"course_id": course_id, **body}
            for (uid, course_id), body in self.data["progress"].items()
            if uid == user_id
        ]
        return self.page(request, items, 20, items_per_page=True)

    def _filtered(
        self, request: SandboxRequest, items: list[dict[str, Any]], **fields: str
    ) -> list[dict[str, Any]]:
        """Keep items whose ``field`` equals the query parameter named by the keyword."""
        for param, field in fields.items():
            value = request.arg(param)
            if value in (None, ""):
                continue
            if param in ("user_id", "affiliate_id"):
                value = self._user_ref(value)
            items = [i for i in items if str(_dig(i, field)) == value]
        return items

    def user_subscriptions(self, request: SandboxRequest) -> SandboxResponse:
        items = self._filtered(request, self.data["user_subscriptions"], user_id="user_id", status="status")
        return self.page(request, items, 20)

    def installments(self, request: SandboxRequest) -> SandboxResponse:
        items = self._filtered(
            request,
            self.data["installments"],
            product_id="productId",
            user_id="user_id",
            product_type="productType",
        )
        return self.page(request, items, 50)

    def school_events(self, request: SandboxRequest) -> SandboxResponse:
        items = self._filtered(request, self.data["school_events"], event_type="type")
        return SandboxResponse.json({"data": items})

    def users(self, request: SandboxRequest) -> SandboxResponse:
        try:
            low, high = self._window(request, "registration_after", "registration_before")
        except ValueError:
            return _error("registration_after/registration_before must be unix timestamps", 400)
        items = self.data["users"]
        status = request.arg("status")
        if request.arg("include_suspended") != "true" and status != "suspended":
            items = [u for u in items if not u["is_suspended"]]
        payers = {p["user_id"] for p in self.data["payments"]}
        if status == "paying":
            items = [u for u in items if u["id"] in payers]
        elif status == "non_paying":
            items = [u for u in items if u["id"] not in payers]
        elif status == "suspended":
            items = [u for u in items if u["is_suspended"]]
        elif status == "never_logged_in":
            items = [u for u in items if u["last_login"] is None]
        if request.arg("role"):
            items = [u for u in items if u["role"]["level"] == request.arg("role")]
        if request.arg("tags"):
            tags = set(request.arg("tags", "").split(","))  # type: ignore[union-attr]
            items = [u for u in items if tags & set(u["tags"])]
        items = [u for u in items if self._in_window(u["created"], low, high)]
        items = self.custom_field_filter(request, items)
        return self.page(request, items, 50, items_per_page=True)

    def _access_of(self, user_id: str) -> list[dict[str, Any]]:
        return [a for a in self.data["product_access"] if a["user_id"] == user_id]

    def user_products(self, request: SandboxRequest) -> SandboxResponse:
        user_id = request.match["user_id"]
        if user_id not in self.data["user_index"]:
            return _error("User not found", 404)
        return SandboxResponse.json({"data": [a["product"] for a in self._access_of(user_id)]})

    def user_courses(self, request: SandboxRequest) -> SandboxResponse:
        user_id = request.match["user_id"]
        if user_id not in self.data["user_index"]:
            return _error("User not found", 404)
        courses = self.data["course_index"]
        items = [
            {"created": a["created"], "expires": a["expires"], "course": courses[a["product"]["id"]]}
            for a in self._access_of(user_id)
            if a["product"]["type"] == "course"
        ]
        return self.page(request, items, 50)

    def users_by_product(self, request: SandboxRequest) -> SandboxResponse:
        product_id, product_type = request.arg("product_id"), request.arg("product_type")
        if not product_id or not product_type:
            return _error("product_id and product_type are required", 400)
        ids = {
            a["user_id"]
            for a in self.data["product_access"]
            if a["product"]["id"] == product_id and a["product"]["type"] == product_type
        }
        return self.page(request, self._users(ids), 50)

    def users_by_segment(self, request: SandboxRequest) -> SandboxResponse:
        segment_id = request.arg("segment_id")
        if segment_id not in self.data["segment_members"]:
            return _error("segment_id is required and must name a segment", 400)
        return self.page(request, self._users(self.data["segment_members"][segment_id]), 50)

    def payments(self, request: SandboxRequest) -> SandboxResponse:
        try:
            low, high = self._window(request, "created_after", "created_before")
        except ValueError:
            return _error("created_after/created_before must be unix timestamps", 400)
        items = self._filtered(
            request,
            self.data["payments"],
            product_type="product.type",
            user_id="user_id",
            affiliate_id="affiliate.id",
            product_id="product.id",
        )
        items = [p for p in items if self._in_window(p["created"], low, high)]
        return self.page(request, items, 50, items_per_page=True)

    def _promotion(self, request: SandboxRequest) -> dict[str, Any] | None:
        return next((p for p in self.data["promotions"] if p["id"] == request.match["promotion_id"]), None)

    def promotion_coupons(self, request: SandboxRequest) -> SandboxResponse:
        promotion = self._promotion(request)
        if promotion is None:
            return _error("Promotion not found", 404)
        return SandboxResponse.json({"data": promotion["coupons"]})

    def coupon_usage(self, request: SandboxRequest) -> SandboxResponse:
        promotion = self._promotion(request)
        code = request.match["code"]
        coupon = next((c for c in promotion["coupons"] if c["code"] == code), None) if promotion else None
        if coupon is None:
            return _error("Coupon not found", 404)
        used = [p for p in self.data["payments"] if p["coupon"] == code]
        return self.page(request, used, 20, key="payments", extra={"usage": coupon})

    def affiliate_list(self, request: SandboxRequest, kind: str) -> SandboxResponse:
        affiliate_id = request.match["affiliate_id"]
        if affiliate_id not in {a["id"] for a in self.data["affiliates"]}:
            return _error("Affiliate not found", 404)
        if kind == "payments":
            items = [p for p in self.data["payments"] if (p["affiliate"] or {}).get("id") == affiliate_id]
        else:
            referred = [u for u in self.data["users"] if u["referrer_id"] == affiliate_id]
            payers = {p["user_id"] for p in self.data["payments"]}
            items = [u for u in referred if (u["id"] in payers) == (kind == "customers")]
        return self.page(request, items, 20)

    def _by_affiliate(self, request: SandboxRequest, key: str, *, paged: bool) -> SandboxResponse:
        affiliate_id = request.match["affiliate_id"]
        if affiliate_id not in self.data[key]:
            return _error("Affiliate not found", 404)
        items = self.data[key][affiliate_id]
        return self.page(request, items, 20) if paged else SandboxResponse.json({"data": items})

    def certificates(self, request: SandboxRequest) -> SandboxResponse:
        items = self._filtered(request, self.data["certificates"], course_id="course_id", user_id="user.id")
        return self.page(request, items, 20)

    def event_logs(self, request: SandboxRequest) -> SandboxResponse:
        try:
            low, high = self._window(request, "created_after", "created_before")
        except ValueError:
            return _error("created_after/created_before must be unix timestamps", 400)
        items = self._filtered(request, self.data["event_logs"], user_id="user.id", activity="activity")
        items = [e for e in items if self._in_window(e["created"], low, high)]
        if request.arg("sort") == "asc":
            items = list(reversed(items))  # stored newest first, the API's default
        return self.page(request, items, 20)

    def assessment_responses(self, request: SandboxRequest) -> SandboxResponse:
        assessment_id = request.match["assessment_id"]
        if assessment_id not in self.data["assessment_responses"]:
            return _error("Assessment not found", 404)
        items = self.data["assessment_responses"][assessment_id]
        if request.arg("users"):
            wanted = set(request.arg("users", "").split(","))  # type: ignore[union-attr]
            items = [r for r in items if r["user_id"] in wanted]
        return self.page(request, items, 20, items_per_page=True)

    def user_roles(self, request: SandboxRequest) -> SandboxResponse:
        items = self._filtered(request, self.data["user_roles"], role_id="id")
        if request.arg("access_level"):
            levels = set(request.arg("access_level", "").split(","))  # type: ignore[union-attr]
            items = [r for r in items if r["access_level"] in levels]
        return SandboxResponse.json({"data": items})

    def community_spaces(self, request: SandboxRequest) -> SandboxResponse:
        items = self._filtered(
            request, self.data["community_spaces"], access="access", collectionId="collectionId"
        )
        usages = request.query.get("usages") or request.query.get("usages[]")
        if usages:
            items = [s for s in items if {u["courseId"] for u in s["usages"]} & set(usages)]
        return self.page(request, items, 10, items_per_page=True)

    def space_users(self, request: SandboxRequest) -> SandboxResponse:
        space_id = request.match["space_id"]
        if space_id not in self.data["space_members"]:
            return _error("Space not found", 404)
        return self.page(request, self.data["space_members"][space_id], 10, items_per_page=True)

    def community_posts(self, request: SandboxRequest) -> SandboxResponse:
        items = self._filtered(request, self.data["community_posts"], user_id="user.id")
        for param, kind in (("space_id", "space"), ("course_id", "course")):
            if request.arg(param):
                items = [p for p in items if p["posted_in"] == {"type": kind, "id": request.arg(param)}]
        if request.arg("mentions"):
            items = [p for p in items if request.arg("mentions") in p["mentions"]]
        return self.page(request, items, 10, items_per_page=True)


def _dig(item: dict[str, Any], dotted: str) -> Any:
    node: Any = item
    for key in dotted.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    return node


# ---- dataset ----------------------------------------------------------------------------------


class _Ids:
    """24-hex-digit ids like LearnWorlds' (Mongo-style), deterministic for a seed."""

    def __init__(self, fake: Faker) -> None:
        self.fake = fake

    def __call__(self) -> str:
        return f"{self.fake.random.getrandbits(96):024x}"


def _stamp(fake: Faker, days_back: int = 60, *, future: bool = False) -> float:
    """Unix seconds with microseconds, like LearnWorlds' ``created`` fields."""
    moment = fake.moment(days_back)
    if future:
        moment = SANDBOX_TODAY + (SANDBOX_TODAY - moment)
    return round(moment.timestamp() + fake.random.random(), 5)


def build_learnworlds_data(seed: int, n_courses: int, n_users: int) -> dict[str, Any]:
    """The school's content, as the API serves it (lists in the API's own order)."""
    fake = Faker(seed)
    new_id = _Ids(fake)
    users = []
    for i in range(n_users):
        person = fake.person(i)
        level = fake.choice(["user"] * 8 + ["instructor", "reporter", "admin"])
        users.append(
            {
                "id": new_id(),
                "email": person["email"],
                "username": person["username"],
                "subscribed_for_marketing_emails": fake.chance(0.5),
                "eu_customer": fake.chance(0.3),
                "is_admin": level == "admin",
                "is_instructor": level == "instructor",
                "is_suspended": fake.chance(0.07),
                "is_reporter": level == "reporter",
                "role": {"level": level, "name": level.title()},
                "is_affiliate": False,
                "referrer_id": None,
                "last_login": None if fake.chance(0.15) else _stamp(fake, 30),
                "signup_approval_status": None,
                "created": _stamp(fake, 60 if fake.chance(0.9) else 400),
                "tags": sorted(
                    fake.random.sample(["vip", "newsletter", "staff", "trial"], k=fake.randint(0, 2))
                ),
            }
        )
    user_index = {u["id"]: u for u in users}

    courses, contents, course_analytics, unit_analytics = [], {}, {}, {}
    for c in range(n_courses):
        title = fake.course_name(c)
        course_id = title.lower().replace(" ", "-")
        price = float(fake.choice([0, 49, 99, 199]))
        created = _stamp(fake, 500)
        courses.append(
            {
                "id": course_id,
                "title": title,
                "expires": None,
                "expiresType": "none",
                "categories": [TOPICS[c % len(TOPICS)].lower(), fake.choice(["core", "elective"])],
                "description": f"All about {title}",
                "label": None,
                "author": {"name": "School Admin", "image": None},
                "courseImage": None,
                "original_price": price,
                "discount_price": 0.0,
                "final_price": price,
                "dripFeed": "none",
                "access": "free" if price == 0 else fake.choice(["paid", "paid", "private"]),
                "created": created,
                "modified": created + fake.randint(0, 86400),
            }
        )
        sections = []
        for s in range(fake.randint(1, 3)):
            units = []
            for u in range(fake.randint(2, 4)):
                kind = (
                    "assessmentV2"
                    if u == 0 and s == 0
                    else fake.choice(["video", "pdf", "scorm", "assessmentV2"])
                )
                units.append(
                    {
                        "type": kind,
                        "id": new_id(),
                        "icon": kind,
                        "title": f"Unit {s + 1}.{u + 1}",
                        "subtitle": kind,
                    }
                )
            sections.append(
                {
                    "id": f"{course_id}_s{s + 1}",
                    "title": f"Section {s + 1}",
                    "description": None,
                    "access": "paid",
                    "drip": None,
                    "learningUnits": units,
                }
            )
        contents[course_id] = {"id": course_id, "title": title, "sections": sections}
    course_index = {c["id"]: c for c in courses}

    # Product access: who has which course / bundle / subscription (the enrollment table).
    product_access = []
    for course in courses:
        for user in fake.random.sample(users, k=fake.randint(3, min(30, len(users)))):
            product_access.append(
                {
                    "user_id": user["id"],
                    "product": {"id": course["id"], "title": course["title"], "type": "course"},
                    "created": _stamp(fake, 120),
                    "expires": None,
                }
            )
    bundles = []
    for b in range(max(n_courses // 8, 2)):
        picked = fake.random.sample(courses, k=min(len(courses), fake.randint(2, 4)))
        created = _stamp(fake, 300)
        bundles.append(
            {
                "id": f"bundle-{b + 1}",
                "title": f"Bundle {b + 1}",
                "products": {"courses": [c["id"] for c in picked]},
                "image": None,
                "description": None,
                "access": "paid",
                "created": created,
                "modified": created,
                "price": float(fake.choice([149, 249])),
            }
        )
        for user in fake.random.sample(users, k=fake.randint(2, 6)):
            product_access.append(
                {
                    "user_id": user["id"],
                    "product": {"id": bundles[-1]["id"], "title": bundles[-1]["title"], "type": "bundle"},
                    "created": _stamp(fake, 120),
                    "expires": None,
                }
            )
    plans = [
        {
            "id": f"plan-{name}",
            "title": f"{name.title()} plan",
            "stripePlanId": f"price_{name}",
            "description": None,
            "products": {"courses": [c["id"] for c in courses[p::3]][:5]},
            "image": None,
            "interval": 1,
            "interval_type": interval,
            "trial_period_days": 7 * p,
            "access": "paid",
            "created": _stamp(fake, 300),
        }
        for p, (name, interval) in enumerate([("monthly", "month"), ("yearly", "year"), ("team", "month")])
    ]
    user_subscriptions = []
    for user in fake.random.sample(users, k=min(30, len(users))):
        plan = fake.choice(plans)
        status = fake.choice(["active", "active", "inactive", "trial"])
        user_subscriptions.append(
            {
                "user_id": user["id"],
                "email": user["email"],
                "plan_id": plan["id"],
                "created": _stamp(fake, 200),
                "expires_at": None,
                "status": status,
                "provider": "stripe",
                "provider_meta": None,
            }
        )
        if status != "inactive":
            product_access.append(
                {
                    "user_id": user["id"],
                    "product": {"id": plan["id"], "title": plan["title"], "type": "subscription"},
                    "created": user_subscriptions[-1]["created"],
                    "expires": None,
                }
            )

    grades, progress, certificates, assessment_responses = {}, {}, [], {}
    for course in courses:
        course_id = course["id"]
        units = [u for s in contents[course_id]["sections"] for u in s["learningUnits"]]
        assessments = [u for u in units if u["type"] == "assessmentV2"]
        enrolled = [a["user_id"] for a in product_access if a["product"]["id"] == course_id]
        course_grades = []
        for unit in assessments:
            assessment_responses.setdefault(unit["id"], [])
            for user_id in enrolled:
                if not fake.chance(0.6):
                    continue
                submitted = _stamp(fake, 60)
                grade = fake.randint(20, 100)
                course_grades.append(
                    {
                        "id": new_id(),
                        "user_id": user_id,
                        "email": user_index[user_id]["email"],
                        "grade": grade,
                        "created": round(submitted - 600, 5),
                        "modified": submitted,
                        "submittedTimestamp": submitted,
                        "learningUnit": {
                            "type": "assessmentV2",
                            "id": unit["id"],
                            "icon": "exam",
                            "subtitle": "Assessment",
                        },
                    }
                )
                assessment_responses[unit["id"]].append(
                    {
                        "id": new_id(),
                        "user_id": user_id,
                        "email": user_index[user_id]["email"],
                        "grade": grade,
                        "passed": grade >= 60,
                        "created": round(submitted - 600, 5),
                        "modified": submitted,
                        "submittedTimestamp": submitted,
                        "answers": [
                            {"question": f"Q{q + 1}", "answer": fake.choice("ABCD")} for q in range(3)
                        ],
                        "generalFeedback": None,
                    }
                )
        grades[course_id] = course_grades
        completed_totals = {"students": len(enrolled), "completed": 0}
        for user_id in enrolled:
            done = fake.randint(0, len(units))
            finished = done == len(units)
            completed_totals["completed"] += finished
            completed_at = _stamp(fake, 45) if finished else None
            progress[(user_id, course_id)] = {
                "status": "completed" if finished else ("in_progress" if done else "not_started"),
                "progress_rate": round(100 * done / len(units)),
                "average_score_rate": fake.randint(40, 100) if done else 0,
                "time_on_course": fake.randint(0, 20000) if done else 0,
                "total_units": len(units),
                "completed_units": done,
                "completed_at": completed_at,
                "progress_per_section_unit": [
                    {
                        "section_id": s["id"],
                        "units": [{"unit_id": u["id"], "unit_type": u["type"]} for u in s["learningUnits"]],
                    }
                    for s in contents[course_id]["sections"]
                ],
            }
            if finished:
                certificates.append(
                    {
                        "id": new_id(),
                        "title": f"{course['title']} certificate",
                        "issued": completed_at,
                        "attempts": 1,
                        "type": "completion",
                        "status": "active",
                        "score": "OK",
                        "short_url": None,
                        "provider": "LearnWorlds",
                        "external_url": None,
                        "form": None,
                        "user": {"id": user_id, "email": user_index[user_id]["email"]},
                        "course_id": course_id,
                    }
                )
        course_analytics[course_id] = {
            "students": len(enrolled),
            "videos": sum(u["type"] == "video" for u in units),
            "learning_units": len(units),
            "video_time": fake.randint(0, 5000),
            "video_viewing_time": fake.randint(0, 50000),
            "avg_score_rate": fake.randint(40, 95),
            "success_rate": round(completed_totals["completed"] / max(len(enrolled), 1), 3),
            "total_study_time": fake.randint(1000, 90000),
            "avg_time_to_finish": fake.randint(100, 9000),
            "social_interactions": fake.randint(0, 40),
            "certificates_issued": completed_totals["completed"],
        }
        for unit in units:
            unit_analytics[(course_id, unit["id"])] = {
                "type": unit["type"],
                "name": unit["title"],
                "users_completed": fake.randint(0, len(enrolled)),
                "viewers": len(enrolled),
                "avg_study_time": fake.randint(10, 900),
                "total_study_time": fake.randint(100, 20000),
                "avg_score_rate": fake.randint(0, 100),
            }
    for responses in assessment_responses.values():
        responses.sort(key=lambda r: r["submittedTimestamp"], reverse=True)  # most recent first

    # Affiliates and who they referred.
    affiliate_users = fake.random.sample(users, k=min(6, len(users)))
    for user in affiliate_users:
        user["is_affiliate"] = True
    for user in users:
        if not user["is_affiliate"] and fake.chance(0.3):
            user["referrer_id"] = fake.choice(affiliate_users)["id"]

    promotions = []
    for p in range(5):
        coupons = [
            {
                "code": f"PROMO{p + 1}-{k + 1}",
                "quantity": fake.randint(5, 50),
                "expires": None,
                "bulk": k > 0,
                "prefix": f"PROMO{p + 1}",
                "times_used": 0,
            }
            for k in range(fake.randint(1, 4))
        ]
        created = _stamp(fake, 200)
        promotions.append(
            {
                "id": new_id(),
                "name": f"Promotion {p + 1}",
                "coupons": coupons,
                "applies_to_all": [],
                "products": [{"type": "course", "id": fake.choice(courses)["id"]}],
                "type": "percentage",
                "value": fake.choice([10, 20, 50]),
                "created": created,
                "modified": created,
            }
        )
    all_coupons = [c for p in promotions for c in p["coupons"]]

    payments = []
    paid_access = [a for a in product_access if a["product"]["type"] in ("course", "bundle")]
    for access in fake.random.sample(paid_access, k=len(paid_access) // 3):
        buyer = user_index[access["user_id"]]
        coupon = fake.choice(all_coupons) if fake.chance(0.2) else None
        if coupon:
            coupon["times_used"] += 1
        affiliate = user_index[buyer["referrer_id"]] if buyer["referrer_id"] else None
        price = float(fake.choice([49, 99, 149, 199]))
        created = _stamp(fake, 60)
        payments.append(
            {
                "id": new_id(),
                "transaction_id": f"ch_{fake.random.getrandbits(48):012x}",
                "type": "one-off",
                "product": {
                    "id": access["product"]["id"],
                    "type": access["product"]["type"],
                    "name": access["product"]["title"],
                },
                "price": price,
                "discount": 0.0,
                "refund_at": None,
                "user_id": buyer["id"],
                "paid_at": created,
                "invoice": None,
                "billing_info": None,
                "coupon": coupon["code"] if coupon else None,
                "instructors": [],
                "tax_amount": 0.0,
                "tax_percentage": 0.0,
                "affiliate": {
                    "id": affiliate["id"],
                    "username": affiliate["username"],
                    "code": f"AF{affiliate['id'][:6]}",
                }
                if affiliate
                else None,
                "period": None,
                "gateway": fake.choice(["stripe", "paypal"]),
                "created": created,
            }
        )
    payments.sort(key=lambda p: p["created"], reverse=True)

    affiliates, payouts_completed, payouts_due, payouts_upcoming = [], {}, {}, {}
    payers = {p["user_id"] for p in payments}
    for user in affiliate_users:
        referred = [u for u in users if u["referrer_id"] == user["id"]]
        sales = [p for p in payments if (p["affiliate"] or {}).get("id") == user["id"]]
        affiliates.append(
            {
                "id": user["id"],
                "email": user["email"],
                "username": user["username"],
                "code": f"AF{user['id'][:6]}",
                "paymentMethod": "paypal",
                "paymentNotes": None,
                "date": _stamp(fake, 300),
                "clicks": fake.randint(0, 200),
                "sales": sum(p["price"] for p in sales),
                "commissions": round(sum(p["price"] for p in sales) * 0.1, 2),
                "leads": sum(u["id"] not in payers for u in referred),
                "customers": sum(u["id"] in payers for u in referred),
                "commission_percentage": 10,
            }
        )
        payouts_completed[user["id"]] = [
            {
                "id": new_id(),
                "amount": float(fake.randint(5, 80)),
                "paymentMethod": "paypal",
                "paymentNotes": None,
                "created": _stamp(fake, 60),
                "payments": [p["id"] for p in sales[k::3]],
                "completedBy": "admin",
            }
            for k in range(fake.randint(0, 3))
        ]
        payouts_due[user["id"]] = [
            {
                "affiliateId": user["id"],
                "amount": float(fake.randint(0, 40)),
                "paymentMethod": "paypal",
                "paymentNotes": None,
            }
        ]
        payouts_upcoming[user["id"]] = [
            {
                "affiliateId": user["id"],
                "amount": float(fake.randint(0, 40)),
                "paymentMethod": "paypal",
                "paymentNotes": None,
            }
            for _ in range(fake.randint(0, 2))
        ]

    installments = []
    for access in fake.random.sample(paid_access, k=min(15, len(paid_access))):
        buyer = user_index[access["user_id"]]
        start = _stamp(fake, 20)
        installments.append(
            {
                "user_id": buyer["id"],
                "email": buyer["email"],
                "id": f"sub_{fake.random.getrandbits(48):012x}",
                "plan_id": f"{access['product']['id']}-installments",
                "productId": access["product"]["id"],
                "productType": access["product"]["type"],
                "ends_at": None,
                "current_period_start": start,
                "current_period_end": start + 14 * 86400,
                "name": "3 payments",
                "type": "without_upfront",
                "status": "active",
            }
        )

    school_events = sorted(
        (
            {
                "title": f"{fake.choice(courses)['title']} {kind}",
                "startDate": int(_stamp(fake, 30, future=True)),
                "productId": fake.choice(courses)["id"],
                "type": kind,
                "bookingDetails": None,
            }
            for kind in (fake.choice(["dripFeed", "fileAssignment", "liveSession"]) for _ in range(20))
        ),
        key=lambda e: e["startDate"],
    )

    segments = [
        {"id": new_id(), "name": name, "description": f"Users who are {name.lower()}"}
        for name in ("Active learners", "Dormant", "Big spenders", "New this month", "Instructors")
    ]
    segment_members = {
        s["id"]: [u["id"] for u in fake.random.sample(users, k=fake.randint(0, 40))] for s in segments
    }

    leads = []
    for i in range(60):
        person = fake.person(n_users + i)
        registered = fake.choice(users) if fake.chance(0.3) else None
        leads.append(
            {
                "email": person["email"],
                "first_name": person["first_name"],
                "last_name": person["last_name"],
                "tags": ["newsletter"],
                "subscribed_for_marketing_emails": fake.chance(0.6),
                "eu_customer": None,
                "created": _stamp(fake, 60),
                "utms": {"fc_landing": "/home", "fc_referrer": None},
                "page_submitted": "/home",
                "user_registered_at": registered["created"] if registered else None,
                "user_id": registered["id"] if registered else None,
                "submissions": [],
            }
        )

    event_logs = []
    for _ in range(1500):
        user = fake.choice(users)
        activity = fake.choice(ACTIVITIES)
        event_logs.append(
            {
                "user": {"id": user["id"], "username": user["username"]},
                "created": _stamp(fake, 60),
                "activity": activity,
                "description": activity.replace("_", " ").capitalize(),
                "type": "user",
                "additional_info": None,
            }
        )
    event_logs.sort(key=lambda e: e["created"], reverse=True)  # the API's default: newest first

    def managed(kind: str, count: int) -> list[dict[str, Any]]:
        rows = []
        for k in range(count):
            manager = fake.choice(users)
            created = _stamp(fake, 300)
            rows.append(
                {
                    "id": new_id(),
                    "title": f"{kind} {k + 1}",
                    "description": None,
                    "products": {
                        "courses": [c["id"] for c in fake.random.sample(courses, k=min(2, len(courses)))]
                    },
                    "tags": [],
                    "managers": [
                        {"id": manager["id"], "username": manager["username"], "email": manager["email"]}
                    ],
                    "created": created,
                    "modified": created,
                }
            )
        return sorted(rows, key=lambda r: r["created"], reverse=True)  # newest first

    seats = [
        {**r, "number_of_seats": 10, "available_seats": 10 - k % 10}
        for k, r in enumerate(managed("Seats", 8))
    ]
    user_groups = [{**r, "enroll_users_on_courses": True} for r in managed("Group", 10)]
    user_roles = sorted(
        (
            {
                "id": new_id(),
                "title": title,
                "description": None,
                "access_level": level,
                "custom_role": custom,
            }
            for title, level, custom in (
                ("Admin", "admin", False),
                ("Instructor", "instructor", False),
                ("Reporter", "reporter", False),
                ("Seat manager", "seat_manager", False),
                ("User", "user", False),
                ("Course editor", "instructor", True),
            )
        ),
        key=lambda r: r["title"],
    )

    spaces, space_members = [], {}
    collections_ = [
        {
            "id": new_id(),
            "name": f"Collection {k + 1}",
            "description": None,
            "display_order": k,
            "space_ids": [],
            "created": _stamp(fake, 300),
        }
        for k in range(3)
    ]
    collections_.sort(key=lambda c: c["created"])  # oldest first
    for k in range(8):
        owner = fake.choice(users)
        collection = fake.choice(collections_)
        space = {
            "id": new_id(),
            "title": f"Space {k + 1}",
            "description": None,
            "access": fake.choice(["public", "private", "standalone"]),
            "owner": {"id": owner["id"], "username": owner["username"]},
            "usages": [{"type": "course", "courseId": fake.choice(courses)["id"], "unitId": None}],
            "hidden_from_community": False,
            "is_invitation_required": fake.chance(0.3),
            "is_members_allowed_to_view_members": True,
            "collectionId": collection["id"],
            "created": _stamp(fake, 300),
        }
        collection["space_ids"].append(space["id"])
        spaces.append(space)
        space_members[space["id"]] = [
            {"id": u["id"], "username": u["username"], "status": fake.choice(["member", "member", "invited"])}
            for u in fake.random.sample(users, k=fake.randint(0, 35))
        ]
    spaces.sort(key=lambda s: s["created"])  # oldest first
    for collection in collections_:
        collection["modified"] = collection["created"]
    posts = []
    for _ in range(80):
        author = fake.choice(users)
        where = (
            {"type": "space", "id": fake.choice(spaces)["id"]}
            if fake.chance(0.7)
            else {"type": "course", "id": fake.choice(courses)["id"]}
        )
        posts.append(
            {
                "id": new_id(),
                "posted_in": where,
                "user": {"id": author["id"], "username": author["username"]},
                "text": f"Post by {author['username']}",
                "mentions": [fake.choice(users)["id"]] if fake.chance(0.2) else [],
                "likes": [],
                "upvotes": [],
                "items": [],
                "created": _stamp(fake, 60),
            }
        )
    posts.sort(key=lambda p: p["created"], reverse=True)  # newest first

    data = {
        "users": users,
        "user_index": user_index,
        "email_to_id": {u["email"]: u["id"] for u in users},
        "courses": courses,
        "course_index": course_index,
        "contents": contents,
        "course_analytics": course_analytics,
        "unit_analytics": unit_analytics,
        "product_access": product_access,
        "grades": grades,
        "progress": progress,
        "bundles": bundles,
        "subscription_plans": plans,
        "user_subscriptions": user_subscriptions,
        "installments": installments,
        "school_events": school_events,
        "segments": segments,
        "segment_members": segment_members,
        "payments": payments,
        "leads": leads,
        "promotions": promotions,
        "affiliates": affiliates,
        "payouts_completed": payouts_completed,
        "payouts_due": payouts_due,
        "payouts_upcoming": payouts_upcoming,
        "certificates": certificates,
        "event_logs": event_logs,
        "assessment_responses": assessment_responses,
        "seats": seats,
        "user_groups": user_groups,
        "user_roles": user_roles,
        "community_collections": collections_,
        "community_spaces": spaces,
        "space_members": space_members,
        "community_posts": posts,
    }
    data.update(added_data(seed, data))  # their own generator: the data above stays as it was
    return data
