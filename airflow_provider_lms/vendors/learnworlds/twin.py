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

from airflow_provider_lms.sandbox.server import SandboxRequest, SandboxResponse, VendorTwin
from airflow_provider_lms.vendors.learnworlds.twin_data import build_learnworlds_data
from airflow_provider_lms.vendors.learnworlds.twin_reads import AddedReads

ROOT = "/admin/api"
API = f"{ROOT}/v2"
TOKEN_PATH = f"{ROOT}/oauth2/access_token"
ID = r"(?P<{}>[\w.@%-]+)"
ITEMS_PER_PAGE_MAX = 200


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
