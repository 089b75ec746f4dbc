"""LearnUpon twin: Basic auth, ``LU-Has-Next-Page`` string headers, page-size cap, the ``user``
envelope quirk, whole-day date filters, per-minute rate-limit headers, a 30-day audit trail."""

from __future__ import annotations

import base64
import threading
import time
from datetime import date, datetime, timedelta
from typing import Any

from airflow_provider_lms.sandbox.data import SANDBOX_TODAY, Faker, iso
from airflow_provider_lms.sandbox.server import SandboxRequest, SandboxResponse, VendorTwin, page_slice

API = "/api/v1"
STATUSES = ("not_started", "in_progress", "passed", "failed")


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


def build_learnupon_data(seed: int, scale: float) -> dict[str, Any]:
    """The portal's content. Lists are sorted by id: the order the API serves them in."""
    fake = Faker(seed)
    n = lambda count: max(int(count * scale), 1)  # noqa: E731
    users = []
    for i in range(n(120)):
        created = fake.moment(400)
        users.append(
            {
                "id": 1001 + i,
                **fake.person(i),
                "enabled": fake.chance(0.9),
                "user_type": fake.choice(["learner", "admin", "manager"]),
                "created_at": iso(created),
                "updated_at": iso(fake.moment(60)),
            }
        )
    courses, enrollments, exam_results, answers, exam_ids = [], [], [], [], []
    for c in range(n(30)):
        course_id = 5001 + c
        modules = [{"id": 7001 + c * 10, "type": "scorm", "name": "Lesson"}]
        exam_id = 9001 + c if c % 3 == 0 else None
        if exam_id:
            exam_ids.append(exam_id)
            modules.append({"id": exam_id, "type": "exam", "name": f"{fake.course_name(c)} exam"})
        courses.append(
            {
                "id": course_id,
                "name": fake.course_name(c),
                "source_id": f"C-{course_id}",
                "published_status": "published",
                "modules": modules,
                "created_at": iso(fake.moment(500)),
                "updated_at": iso(fake.moment(90)),
            }
        )
        for user in fake.random.sample(users, k=fake.randint(5, min(40, len(users)))):
            status = fake.choice(STATUSES)
            enrolled = fake.moment(200)
            enrollment = {
                "id": 0,
                "user_id": user["id"],
                "course_id": course_id,
                "course_name": courses[-1]["name"],
                "enrollment_status": status,
                "percentage": 100 if status in ("passed", "failed") else fake.randint(0, 99),
                "date_enrolled": iso(enrolled),
                "date_completed": iso(fake.moment(30)) if status in ("passed", "failed") else None,
                "updated_at": iso(fake.moment(60)),
            }
            enrollments.append(enrollment)
            if exam_id and status in ("passed", "failed"):
                result = {
                    "id": len(exam_results) + 1,
                    "exam_id": exam_id,
                    "user_id": user["id"],
                    "score": fake.randint(40, 100),
                    "passed": status == "passed",
                    "attempts": fake.randint(1, 3),
                    "updated_at": enrollment["updated_at"],
                }
                exam_results.append(result)
                for q in range(fake.randint(3, 5)):
                    answers.append(
                        {
                            "id": len(answers) + 1,
                            "exam_id": exam_id,
                            "user_id": user["id"],
                            "question_id": exam_id * 100 + q,
                            "answer": fake.choice("ABCD"),
                            "correct": fake.chance(0.7),
                        }
                    )
    for i, enrollment in enumerate(enrollments):
        enrollment["id"] = 200_001 + i
    groups = [
        {"id": 301 + g, "title": f"Team {g + 1}", "created_at": iso(fake.moment(300))} for g in range(n(10))
    ]
    memberships = []
    for group in groups:
        for user in fake.random.sample(users, k=fake.randint(3, min(25, len(users)))):
            memberships.append(
                {
                    "id": len(memberships) + 1,
                    "group_id": group["id"],
                    "user_id": user["id"],
                    "email": user["email"],
                    "group_membership_type": fake.choice(["member", "manager"]),
                }
            )
    paths = [
        {"id": 401 + p, "name": f"Path {p + 1}", "course_ids": [5001 + (p * 3 + k) % n(30) for k in range(3)]}
        for p in range(n(5))
    ]
    path_enrollments = []
    for path in paths:
        for user in fake.random.sample(users, k=fake.randint(5, min(30, len(users)))):
            path_enrollments.append(
                {
                    "id": len(path_enrollments) + 1,
                    "learning_path_id": path["id"],
                    "user_id": user["id"],
                    "status": fake.choice(STATUSES[:3]),
                    "updated_at": iso(fake.moment(60)),
                }
            )
    trails = sorted(
        (
            {
                "user_id": fake.choice(users)["id"],
                "action": fake.choice(["login", "course_launch", "user_update", "export"]),
                "created_at": iso(fake.moment(60)),
            }
            for _ in range(n(1500))
        ),
        key=lambda t: t["created_at"],
    )
    for i, trail in enumerate(trails):
        trail["id"] = 800_001 + i
    passed = [e for e in enrollments if e["enrollment_status"] == "passed"]
    certifications = [
        {
            "id": 600_001 + i,
            "user_id": e["user_id"],
            "course_id": e["course_id"],
            "name": f"{e['course_name']} certificate",
            "issued_at": e["date_completed"],
        }
        for i, e in enumerate(passed)
    ]
    events = [
        {
            "id": 701 + i,
            "title": f"Live {fake.course_name(i)}",
            "course_id": 5001 + i % n(30),
            "sessions": [{"id": (701 + i) * 10 + s, "start_at": iso(fake.moment(60))} for s in range(2)],
        }
        for i in range(n(15))
    ]
    points: dict[int, int] = {}
    for e in enrollments:
        points[e["user_id"]] = points.get(e["user_id"], 0) + e["percentage"]
    ranked = sorted(points.items(), key=lambda kv: (-kv[1], kv[0]))
    leaderboard = [{"rank": r + 1, "user_id": uid, "points": pts} for r, (uid, pts) in enumerate(ranked)]
    completion = [
        {
            "course_id": e["course_id"],
            "user_id": e["user_id"],
            "enrollment_id": e["id"],
            "completed_at": e["date_completed"],
            "status": e["enrollment_status"],
        }
        for e in enrollments
        if e["date_completed"]
    ]
    return {
        "users": users,
        "courses": courses,
        "enrollments": enrollments,
        "exam_ids": exam_ids,
        "exam_results": exam_results,
        "exam_question_answers": answers,
        "groups": groups,
        "group_memberships": memberships,
        "learning_paths": paths,
        "learning_path_enrollments": path_enrollments,
        "audit_trails": trails,
        "certifications": certifications,
        "live_learning_events": events,
        "leaderboards": leaderboard,
        "course_completion": completion,
    }
