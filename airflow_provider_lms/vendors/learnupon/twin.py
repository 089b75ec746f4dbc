"""LearnUpon twin: Basic auth, ``LU-Has-Next-Page`` string headers, page-size cap, the ``user``
envelope quirk, whole-day date filters, per-minute rate-limit headers, a 30-day audit trail."""

from __future__ import annotations

import base64
import threading
import time
from datetime import date, datetime, timedelta
from typing import Any

from airflow_provider_lms.sandbox.data import SANDBOX_TODAY
from airflow_provider_lms.sandbox.server import SandboxRequest, SandboxResponse, VendorTwin, page_slice
from airflow_provider_lms.vendors.learnupon.twin_data import build_learnupon_data

API = "/api/v1"


class LearnUponTwin(VendorTwin):
    name = "learnupon"
    username = "sandbox-api-user"
    password = "sandbox-api-password"

    def __init__(
        self,
        *,
        seed: int = 1,
        scale: float = 1.0,
        page_cap: int = 500,
        date_edges: str = "inclusive",
        rate_limit_per_minute: int = 100_000,
        lie_about_pages: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.page_cap, self.date_edges, self.lie_about_pages = page_cap, date_edges, lie_about_pages
        self.rate_limit_per_minute = rate_limit_per_minute
        self._minute, self._used, self._rate_lock = 0, 0, threading.Lock()
        self.data = build_learnupon_data(seed, scale)

    def connection(self, base_url: str) -> dict[str, Any]:
        return {"conn_type": "learnupon", "host": base_url, "login": self.username, "password": self.password}

    def routes(self):
        def listing(key: str, envelope: str | None = None, **kw):
            return lambda r: self.page(r, self.data[key], envelope or key, **kw)

        return [
            ("GET", f"{API}/users", listing("users", "user")),
            ("GET", f"{API}/courses", listing("courses")),
            ("GET", f"{API}/enrollments(/search)?", self.enrollments),
            ("GET", rf"{API}/exams/(?P<exam_id>\d+)/enrollments", self.exam_results),
            ("GET", rf"{API}/exams/(?P<exam_id>\d+)/enrollment_questions", self.exam_answers),
            ("GET", f"{API}/groups", listing("groups")),
            (
                "GET",
                f"{API}/group_memberships",
                lambda r: self.page(r, self._filter(r, "group_memberships", "group_id"), "user"),
            ),
            ("GET", f"{API}/learning_paths", listing("learning_paths")),
            (
                "GET",
                f"{API}/learning_path_enrollments",
                lambda r: self.page(
                    r,
                    self._filter(r, "learning_path_enrollments", "learning_path_id"),
                    "learning_path_enrollments",
                ),
            ),
            ("GET", f"{API}/audit-trails", self.audit_trails),
            ("GET", f"{API}/certifications", listing("certifications")),
            ("GET", f"{API}/live-learnings/events", listing("live_learning_events")),
            ("GET", f"{API}/leaderboard", listing("leaderboards")),
            (
                "GET",
                f"{API}/reports/course_completion",
                lambda r: self.page(r, self._filter(r, "course_completion", "course_id"), "report"),
            ),
        ]

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        if request.header("authorization") != f"Basic {expected}":
            return SandboxResponse.json({"message": "Invalid API username or password"}, 401)
        remaining = self._spend_rate_budget()
        if remaining < 0:
            return SandboxResponse.json({"message": "rate_limit_exceeded"}, 429, {"Retry-After": "1"})
        response = super().handle(request)
        response.headers["X-LU-Rate-Limit-Remaining-Minute"] = str(remaining)
        response.headers["X-LU-Rate-Limit-Remaining-Week"] = str(remaining * 10_080)
        return response

    def _spend_rate_budget(self) -> int:
        with self._rate_lock:
            minute = int(time.time() // 60)
            if minute != self._minute:
                self._minute, self._used = minute, 0
            self._used += 1
            return self.rate_limit_per_minute - self._used

    # ---- endpoints ----------------------------------------------------------------------------

    def page(self, request: SandboxRequest, items: list[dict[str, Any]], envelope: str) -> SandboxResponse:
        page = max(request.int_arg("page", 1), 1)
        per_page = min(max(request.int_arg("per_page", 50), 1), self.page_cap)
        chunk, more = page_slice(items, page, per_page)
        if self.lie_about_pages:
            last = max((len(items) - 1) // per_page + 1, 1)
            chunk, more = page_slice(items, min(page, last), per_page)[0], True
        headers = {
            "LU-Has-Next-Page": "true" if more else "false",
            "LU-Current-Page": str(page),
            "LU-Records-Per-Page": str(per_page),
        }
        return SandboxResponse.json({envelope: chunk}, headers=headers)

    def _filter(self, request: SandboxRequest, key: str, *fields: str) -> list[dict[str, Any]]:
        items = self.data[key]
        for field in fields:
            value = request.arg(field)
            if value not in (None, ""):
                items = [i for i in items if str(i.get(field)) == value]
        return items

    def _day(self, request: SandboxRequest, name: str) -> date | None | SandboxResponse:
        value = request.arg(name)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            return SandboxResponse.json({"message": f"{name} must be YYYY-MM-DD"}, 400)

    def _in_days(self, stamp: str, first: date | None, last: date | None) -> bool:
        day = datetime.fromisoformat(stamp.replace("Z", "+00:00")).date()
        if self.date_edges == "exclusive":
            return (first is None or day > first) and (last is None or day < last)
        return (first is None or day >= first) and (last is None or day <= last)

    def enrollments(self, request: SandboxRequest) -> SandboxResponse:
        first, last = self._day(request, "date_from"), self._day(request, "date_to")
        for bad in (first, last):
            if isinstance(bad, SandboxResponse):
                return bad
        items = self._filter(request, "enrollments", "user_id", "course_id", "enrollment_status")
        if request.arg("email"):
            users = {u["id"] for u in self.data["users"] if u["email"] == request.arg("email")}
            items = [e for e in items if e["user_id"] in users]
        if first or last:
            items = [e for e in items if self._in_days(e["updated_at"], first, last)]  # type: ignore[arg-type]
        return self.page(request, items, "enrollments")

    def _exam(self, request: SandboxRequest, key: str, envelope: str) -> SandboxResponse:
        exam_id = int(request.match["exam_id"])
        if exam_id not in self.data["exam_ids"]:
            return SandboxResponse.json({"message": f"Exam {exam_id} not found"}, 404)
        return self.page(request, [r for r in self.data[key] if r["exam_id"] == exam_id], envelope)

    def exam_results(self, request: SandboxRequest) -> SandboxResponse:
        return self._exam(request, "exam_results", "enrollments")

    def exam_answers(self, request: SandboxRequest) -> SandboxResponse:
        return self._exam(request, "exam_question_answers", "enrollment_questions")

    def audit_trails(self, request: SandboxRequest) -> SandboxResponse:
        value = request.arg("date_range")
        items = self.data["audit_trails"]
        if value:
            try:
                first, last = (date.fromisoformat(p.strip()) for p in value.split(","))
            except ValueError:
                return SandboxResponse.json({"message": "date_range must be YYYY-MM-DD,YYYY-MM-DD"}, 400)
            if first < SANDBOX_TODAY.date() - timedelta(days=31):
                return SandboxResponse.json(
                    {"message": "Audit trails are available for the last 30 days only"}, 400
                )
            items = [t for t in items if self._in_days(t["created_at"], first, last)]
        return self.page(request, items, "trails")
