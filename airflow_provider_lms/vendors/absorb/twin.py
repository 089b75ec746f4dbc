"""Absorb Integration API v2 twin.

The rules that break naive clients, enforced here:

- ``POST /authenticate`` returns a bare JSON string; ONE token per user: authenticating again
  invalidates the previous token (401 afterwards). Tokens expire after four hours of twin time
  (:meth:`AbsorbTwin.advance` moves the twin's clock).
- Every call needs ``x-api-key`` (401 without) and ``x-api-version: 2`` (400 without).
- ``_offset`` is a PAGE INDEX from 0 (max 65535), ``_limit`` defaults to 20 and is capped at 1000
  (larger values are served 1000); envelope ``{totalItems, returnedItems, limit, offset, <key>}``.
- Without a unique ``_sort`` field, ties of the default sort come back in a different order on
  every request, as a database paging over a non-unique key may do.
- ``_filter`` accepts the OData subset of :mod:`.twin_odata`; ``modifiedSince`` means "edited
  strictly after" (``modified_since_edge="at-or-after"`` makes it inclusive).
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from airflow_provider_lms.sandbox.server import SandboxRequest, SandboxResponse, VendorTwin
from airflow_provider_lms.vendors.absorb.twin_data import build_absorb_data
from airflow_provider_lms.vendors.absorb.twin_odata import ODataError, compile_filter, parse_moment

TOKEN_LIFETIME = 4 * 3600.0
MAX_LIMIT = 1000
MAX_OFFSET = 65535
DEFAULT_LIMIT = 20
GUID = r"[0-9a-fA-F-]{36}"


def error(status: int, message: str, term: str = "") -> SandboxResponse:
    """Absorb's error envelope."""
    body = {"validations": [], "code": status, "message": message, "term": term, "_meta": {}}
    return SandboxResponse.json(body, status)


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A record as the API shows it: internal keys (``_...``) removed."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


class AbsorbTwin(VendorTwin):
    name = "absorb"
    username = "sandbox-admin"
    password = "sandbox-admin-password-7Q"
    private_key = "5b1f6c2e-8a4d-4f7e-9c3b-2d6a1e0f9b47"

    def __init__(
        self,
        *,
        seed: int = 1,
        scale: float = 1.0,
        limit_cap: int = MAX_LIMIT,
        modified_since_edge: str = "after",
        unstable_ties: bool = True,
        revoke_after_requests: int | None = None,
        auth_reply: Any = None,
        **kwargs: Any,
    ) -> None:
        self.data = build_absorb_data(seed, scale, self.username)  # routes() below reads it
        super().__init__(**kwargs)
        self.limit_cap, self.modified_since_edge = limit_cap, modified_since_edge
        self.unstable_ties, self.revoke_after_requests = unstable_ties, revoke_after_requests
        self.auth_reply = auth_reply  # tests: answer /authenticate with this instead of a token
        self.admin = self.data["users"][0]
        self._state = threading.Lock()
        self._clock_offset = 0.0
        self._token: tuple[str, float] | None = None  # the admin's one live token and its birth
        self._authorized = 0
        self._tie_seed = 0
        self.authentications = 0  # successful /authenticate calls
        self.issued_tokens: list[str] = []  # every token ever handed out (tests look for leaks)
        self.revocations = 0

    def connection(self, base_url: str) -> dict[str, Any]:
        return {
            "conn_type": "absorb",
            "host": base_url,
            "login": self.username,
            "password": self.password,
            "extra": {"private_key": self.private_key},
        }

    # ---- clock and tokens ------------------------------------------------------------------------

    def now(self) -> float:
        return time.time() + self._clock_offset

    def advance(self, seconds: float) -> None:
        """Move the twin's clock forward (token expiry without waiting)."""
        with self._state:
            self._clock_offset += seconds

    def revoke(self) -> None:
        """Another client authenticates as the admin: every token handed out so far dies."""
        with self._state:
            self._token = (secrets.token_urlsafe(24), self.now())
            self.issued_tokens.append(self._token[0])
            self.revocations += 1

    def authenticate(self, request: SandboxRequest) -> SandboxResponse:
        if request.header("x-api-key") != self.private_key:
            return error(401, "Invalid API key.", "Unauthorized")
        try:
            body = request.json()
        except ValueError:
            return error(400, "The request body is not JSON.", "BadRequest")
        if not isinstance(body, dict) or not all(body.get(k) for k in ("username", "password", "privateKey")):
            return error(400, "username, password and privateKey are required.", "BadRequest")
        if (body["username"], body["password"], body["privateKey"]) != (
            self.username,
            self.password,
            self.private_key,
        ):
            return error(401, "Invalid username or password.", "Unauthorized")
        if self.auth_reply is not None:
            return SandboxResponse.json(self.auth_reply)
        token = secrets.token_urlsafe(32)
        with self._state:
            self._token = (token, self.now())  # the previous token of this user dies here
            self.issued_tokens.append(token)
            self.authentications += 1
        return SandboxResponse.json(token)

    def _authorize(self, request: SandboxRequest) -> SandboxResponse | None:
        if request.header("x-api-key") != self.private_key:
            return error(401, "Invalid API key.", "Unauthorized")
        if request.header("x-api-version") != "2":
            return error(400, "This twin serves x-api-version 2 only.", "BadRequest")
        given = (request.header("authorization") or "").removeprefix("Bearer ").strip()
        with self._state:
            live = self._token
            valid = live is not None and given == live[0] and self.now() - live[1] < TOKEN_LIFETIME
            if valid:
                self._authorized += 1
                revoke_now = (
                    self.revoke_after_requests is not None and self._authorized == self.revoke_after_requests
                )
            else:
                revoke_now = False
        if revoke_now:
            self.revoke()
        if not valid:
            return error(401, "The token is invalid or has expired.", "Unauthorized")
        return None

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        if not (request.method == "POST" and request.path == "/authenticate"):
            problem = self._authorize(request)
            if problem is not None:
                with self._log_lock:
                    self.request_log.append((request.method, request.path, problem.status))
                return problem
        return super().handle(request)

    # ---- routes ---------------------------------------------------------------------------------

    def routes(self):
        # Order matters: the first pattern that matches a path serves it.
        return self._portal_routes() + self._user_course_routes() + self._my_routes()

    def _portal_routes(self):
        """Authentication, the paged collections and the enrollments of a course or user."""
        d = self.data
        return [
            ("POST", "/authenticate", self.authenticate),
            ("GET", "/users", self._collection("users", "users", "username")),
            ("GET", "/courses", self._collection("courses", "courses", "name")),
            ("GET", "/departments", self._collection("departments", "departments", "name")),
            ("GET", "/groups", self._collection("groups", "groups", "name")),
            ("GET", "/sessions", self._collection("sessions", "sessions", "name")),
            ("GET", rf"/courses/(?P<course_id>{GUID})/enrollments", self.course_enrollments),
            ("GET", rf"/users/(?P<user_id>{GUID})/enrollments", self.user_enrollments),
            ("GET", "/enrollments", self.bulk_enrollments),
            (
                "GET",
                rf"/enrollments/(?P<id>{GUID})",
                self._one(lambda r: self._by_id(d["course_enrollments"], r.match["id"])),
            ),
        ]

    def _user_course_routes(self):
        """One user's enrollment in one course and its sessions, chapters, lessons and attempts."""
        uc = rf"/users/(?P<user_id>{GUID})/enrollments/(?P<course_id>{GUID})"
        return [
            ("GET", uc, self._one(self._user_course_enrollment)),
            ("GET", uc + "/sessions", self._array(self._user_sessions)),
            (
                "GET",
                uc + rf"/sessions/(?P<session_id>{GUID})",
                self._one(lambda r: self._first(self._user_sessions(r), "sessionId", r.match["session_id"])),
            ),
            (
                "GET",
                rf"/instructor-led-courses/(?P<course_id>{GUID})/sessions/(?P<session_id>{GUID})/enrollments",
                self.ilc_session_enrollments,
            ),
            ("GET", uc + "/chapters", self._array(self._user_chapters, edited="_dateEdited")),
            (
                "GET",
                uc + rf"/chapters/(?P<chapter_id>{GUID})",
                self._one(
                    lambda r: self._first(self._user_chapters(r), "chapterId", r.match["chapter_id"]),
                    edited="_dateEdited",
                ),
            ),
            (
                "GET",
                rf"/courses/(?P<course_id>{GUID})/lessons/(?P<lesson_id>{GUID})/enrollments",
                self.lesson_enrollments,
            ),
            ("GET", uc + "/lessons", self._array(self._user_lessons)),
            (
                "GET",
                uc + rf"/chapters/(?P<chapter_id>{GUID})/lessons",
                self._array(lambda r: self._with(self._user_lessons(r), "chapterId", r.match["chapter_id"])),
            ),
            (
                "GET",
                uc + rf"/lessons/(?P<lesson_id>{GUID})",
                self._one(lambda r: self._first(self._user_lessons(r), "lessonId", r.match["lesson_id"])),
            ),
            (
                "GET",
                uc + rf"/chapters/(?P<chapter_id>{GUID})/lessons/(?P<lesson_id>{GUID})",
                self._one(
                    lambda r: self._first(
                        self._with(self._user_lessons(r), "chapterId", r.match["chapter_id"]),
                        "lessonId",
                        r.match["lesson_id"],
                    )
                ),
            ),
            ("GET", uc + rf"/lessons/(?P<lesson_id>{GUID})/attempts", self.attempts),
        ]

    def _my_routes(self):
        """The connection's own user's enrollments."""
        return [
            ("GET", "/my-enrollments", self.my_enrollments),
            (
                "GET",
                rf"/my-enrollments/(?P<course_id>{GUID})",
                self._one(
                    lambda r: self._first(
                        self._enrollments_of_user(self.admin["id"]), "courseId", r.match["course_id"]
                    )
                ),
            ),
        ]

    # ---- collections (paged, _filter, _sort) ----------------------------------------------------

    def _collection(
        self, key: str, envelope: str, default_sort: str
    ) -> Callable[[SandboxRequest], SandboxResponse]:
        return lambda request: self.page(request, self.data[key], envelope, default_sort)

    def page(
        self, request: SandboxRequest, items: list[dict[str, Any]], envelope: str, default_sort: str
    ) -> SandboxResponse:
        try:
            limit = int(request.arg("_limit", str(DEFAULT_LIMIT)))  # type: ignore[arg-type]
            offset = int(request.arg("_offset", "0"))  # type: ignore[arg-type]
        except ValueError:
            return error(400, "_limit and _offset must be whole numbers.", "BadRequest")
        if limit < 1 or offset < 0 or offset > MAX_OFFSET:
            return error(400, f"_limit must be >= 1 and _offset within 0..{MAX_OFFSET}.", "BadRequest")
        limit = min(limit, self.limit_cap)
        fields = {k for item in items for k in item if not k.startswith("_")} or {"id"}
        selected = items
        if request.arg("_filter"):
            try:
                keep = compile_filter(request.arg("_filter") or "", fields)
            except ODataError as exc:
                return error(400, f"Invalid _filter: {exc}", "InvalidFilter")
            selected = [item for item in selected if keep(item)]
        try:
            selected = self._sorted(selected, request.arg("_sort") or default_sort, fields)
        except ODataError as exc:
            return error(400, str(exc), "InvalidSort")
        chunk = selected[offset * limit : (offset + 1) * limit]  # _offset counts PAGES
        return SandboxResponse.json(
            {
                "totalItems": len(selected),
                "returnedItems": len(chunk),
                "limit": limit,
                "offset": offset,
                envelope: [public(item) for item in chunk],
            }
        )

    def _sorted(self, items: list[dict[str, Any]], sort: str, fields: set[str]) -> list[dict[str, Any]]:
        keys = [f.strip() for f in sort.split(",") if f.strip()]
        lowered = {f.lower(): f for f in fields}
        ordered = list(items)
        if self.unstable_ties:
            with self._state:
                self._tie_seed += 1
                seed = self._tie_seed
            random.Random(seed).shuffle(ordered)  # ties come back in a new order each request
        for key in reversed(keys):
            name = key.lstrip("+-")
            if name.lower() not in lowered:
                raise ODataError(f"_sort field {name!r} is not sortable")
            field = lowered[name.lower()]
            ordered.sort(key=lambda item: _sort_key(item.get(field)), reverse=key.startswith("-"))
        return ordered

    def course_enrollments(self, request: SandboxRequest) -> SandboxResponse:
        course_id = request.match["course_id"]
        if not self._by_id(self.data["courses"], course_id):
            return error(404, "Course not found.", "NotFound")
        items = [e for e in self.data["course_enrollments"] if e["courseId"] == course_id]
        return self.page(request, items, "enrollments", "fullName")

    def user_enrollments(self, request: SandboxRequest) -> SandboxResponse:
        user_id = request.match["user_id"]
        if not self._by_id(self.data["users"], user_id):
            return error(404, "User not found.", "NotFound")
        return self.page(request, self._enrollments_of_user(user_id), "enrollments", "courseName")

    def my_enrollments(self, request: SandboxRequest) -> SandboxResponse:
        items = self._status_and_since(request, self._enrollments_of_user(self.admin["id"]), "dateEdited")
        if isinstance(items, SandboxResponse):
            return items
        return self.page(request, items, "enrollments", "courseName")

    def ilc_session_enrollments(self, request: SandboxRequest) -> SandboxResponse:
        session = self._by_id(self.data["sessions"], request.match["session_id"])
        if not session or session["courseId"] != request.match["course_id"]:
            return error(404, "Session not found in this course.", "NotFound")
        items = [e for e in self.data["session_enrollments"] if e["sessionId"] == session["id"]]
        items = self._status_and_since(request, items, "dateEdited")
        if isinstance(items, SandboxResponse):
            return items
        return self.page(request, items, "enrollments", "fullName")

    def lesson_enrollments(self, request: SandboxRequest) -> SandboxResponse:
        lesson = self._by_id(self.data["lessons"], request.match["lesson_id"])
        if not lesson or lesson["courseId"] != request.match["course_id"]:
            return error(404, "Lesson not found in this course.", "NotFound")
        items = [e for e in self.data["lesson_enrollments"] if e["lessonId"] == lesson["id"]]
        return self.page(request, items, "lessonEnrollments", "fullName")

    # ---- arrays and single objects ---------------------------------------------------------------

    def _array(
        self,
        select: Callable[[SandboxRequest], list[dict[str, Any]] | SandboxResponse],
        edited: str = "dateEdited",
    ) -> Callable[[SandboxRequest], SandboxResponse]:
        def serve(request: SandboxRequest) -> SandboxResponse:
            items = select(request)
            if isinstance(items, SandboxResponse):
                return items
            items = self._status_and_since(request, items, edited)
            if isinstance(items, SandboxResponse):
                return items
            return SandboxResponse.json([public(item) for item in items])

        return serve

    def _one(
        self,
        find: Callable[[SandboxRequest], dict[str, Any] | SandboxResponse | None],
        edited: str = "dateEdited",
    ) -> Callable[[SandboxRequest], SandboxResponse]:
        """One enrollment; ``status`` / ``modifiedSince`` filter it like a list of one (the
        reference documents both on these reads; one that does not match is not found)."""

        def serve(request: SandboxRequest) -> SandboxResponse:
            found = find(request)
            if isinstance(found, SandboxResponse):
                return found
            kept = self._status_and_since(request, [found] if found else [], edited)
            if isinstance(kept, SandboxResponse):
                return kept
            if not kept:
                return error(404, "Enrollment not found.", "NotFound")
            return SandboxResponse.json(public(kept[0]))

        return serve

    def _status_and_since(
        self, request: SandboxRequest, items: list[dict[str, Any]], edited: str
    ) -> list[dict[str, Any]] | SandboxResponse:
        status = request.arg("status")
        if status not in (None, ""):
            try:
                wanted = int(status)
            except ValueError:
                return error(400, "status must be an enrollment status number (0-12).", "BadRequest")
            items = [i for i in items if i.get("status") == wanted]
        since_text = request.arg("modifiedSince")
        if since_text:
            since = parse_moment(since_text)
            if since is None:
                return error(400, "modifiedSince must be an ISO 8601 date-time.", "BadRequest")
            inclusive = self.modified_since_edge == "at-or-after"
            items = [i for i in items if _edited_after(i.get(edited), since, inclusive)]
        return items

    def bulk_enrollments(self, request: SandboxRequest) -> SandboxResponse:
        users, courses = _id_list(request, "userIds"), _id_list(request, "courseIds")
        if not users and not courses:
            return error(400, "userIds or courseIds is required.", "BadRequest")
        items = [
            e
            for e in self.data["course_enrollments"]
            if (not users or e["userId"].lower() in users)
            and (not courses or e["courseId"].lower() in courses)
        ]
        return SandboxResponse.json([public(item) for item in items])

    def attempts(self, request: SandboxRequest) -> SandboxResponse:
        lesson = self._first(self._user_lessons(request), "lessonId", request.match["lesson_id"])
        if isinstance(lesson, SandboxResponse):
            return lesson
        if lesson is None:
            return error(404, "Lesson enrollment not found.", "NotFound")
        items = [a for a in self.data["attempts"] if a["_lessonEnrollmentId"] == lesson["id"]]
        return SandboxResponse.json([public(item) for item in items])

    # ---- lookups --------------------------------------------------------------------------------

    @staticmethod
    def _by_id(items: list[dict[str, Any]], wanted: str) -> dict[str, Any] | None:
        return next((i for i in items if i["id"].lower() == wanted.lower()), None)

    @staticmethod
    def _first(items: Any, field: str, wanted: str) -> Any:
        if isinstance(items, SandboxResponse):
            return items
        return next((i for i in items if str(i.get(field)).lower() == wanted.lower()), None)

    @staticmethod
    def _with(items: Any, field: str, wanted: str) -> Any:
        if isinstance(items, SandboxResponse):
            return items
        return [i for i in items if str(i.get(field)).lower() == wanted.lower()]

    def _enrollments_of_user(self, user_id: str) -> list[dict[str, Any]]:
        return [e for e in self.data["course_enrollments"] if e["userId"] == user_id]

    def _user_course_enrollment(self, request: SandboxRequest) -> dict[str, Any] | None:
        return next(
            (
                e
                for e in self.data["course_enrollments"]
                if e["userId"] == request.match["user_id"] and e["courseId"] == request.match["course_id"]
            ),
            None,
        )

    def _enrollment_or_404(self, request: SandboxRequest) -> dict[str, Any] | SandboxResponse:
        enrollment = self._user_course_enrollment(request)
        return (
            enrollment if enrollment else error(404, "The user is not enrolled in this course.", "NotFound")
        )

    def _children(self, request: SandboxRequest, key: str) -> list[dict[str, Any]] | SandboxResponse:
        enrollment = self._enrollment_or_404(request)
        if isinstance(enrollment, SandboxResponse):
            return enrollment
        return [i for i in self.data[key] if i["courseEnrollmentId"] == enrollment["id"]]

    def _user_sessions(self, request: SandboxRequest):
        return self._children(request, "session_enrollments")

    def _user_chapters(self, request: SandboxRequest):
        return self._children(request, "chapter_enrollments")

    def _user_lessons(self, request: SandboxRequest):
        return self._children(request, "lesson_enrollments")


def _sort_key(value: Any) -> tuple[int, Any]:
    return (1, "") if value is None else (0, value)


def _edited_after(stamp: Any, since: datetime, inclusive: bool) -> bool:
    moment = parse_moment(stamp)
    if moment is None:
        return False
    return moment >= since if inclusive else moment > since


def _id_list(request: SandboxRequest, name: str) -> set[str]:
    # ASP.NET binds repeated keys (userIds=a&userIds=b); accept comma lists too.
    values = request.query.get(name, []) + request.query.get(f"{name}[]", [])
    return {part.strip().lower() for value in values for part in value.split(",") if part.strip()}
