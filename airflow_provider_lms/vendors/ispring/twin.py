"""iSpring Learn twin: short-lived client-credentials tokens (no refresh), XML unless JSON is asked
for, opaque page tokens, PHP-style array parameters, results of ACTIVE users only by default.

Options reproduce what breaks clients: ``token_lifetime`` (seconds a token really lives) and
``advertised_lifetime`` (what ``expires_in`` claims), ``xml_always`` (ignore ``Accept``),
``repeat_token`` (a pagination loop), ``hostile`` (an XML bomb or external entity instead of data),
``date_edges`` (``inclusive`` or ``exclusive`` date-range ends).
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element, tostring

from airflow_provider_lms.sandbox.server import SandboxRequest, SandboxResponse, VendorTwin
from airflow_provider_lms.vendors.ispring.twin_data import build_ispring_data
from airflow_provider_lms.vendors.ispring.twin_reads import AddedReads

TOKEN_PATH = "/api/v3/token"
ID = "[0-9a-f-]+"
COMPLETION_STATUSES = ("not_started", "in_progress", "complete", "passed", "failed")
FINISHED = ("complete", "passed", "failed")
#: Item element of each wrapped list, from the OpenAPI ``xml`` names (scalar items are ``<id>``).
ITEM_TAGS = {
    "results": "result",
    "userProfiles": "userProfile",
    "departments": "department",
    "groups": "group",
    "enrollments": "enrollment",
    "contentItems": "contentItem",
    "modules": "module",
    "assignments": "assignment",
    "courseFields": "courseField",
    "userRoles": "userRole",
}

HOSTILE_BODIES = {
    # Ten levels of ten: a 1 GB string from under 1 KB of XML.
    "billion_laughs": (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
        )
        + "]><response><results><result><courseTitle>&lol9;</courseTitle></result></results></response>"
    ),
    "external_entity": (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<response><results><result><courseTitle>&x;</courseTitle></result></results></response>"
    ),
    "deep_nesting": "<response>" + "<a>" * 5000 + "</a>" * 5000 + "</response>",
}


class IspringTwin(AddedReads, VendorTwin):
    name = "ispring"
    client_id = "sandbox-client-id"
    client_secret = "sandbox-client-secret"

    def __init__(
        self,
        *,
        seed: int = 1,
        scale: float = 1.0,
        token_lifetime: float = 1800.0,
        advertised_lifetime: float | None = None,
        page_cap: int = 1000,
        xml_always: bool = False,
        date_edges: str = "inclusive",
        repeat_token: bool = False,
        hostile: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if hostile is not None and hostile not in HOSTILE_BODIES:
            raise ValueError(f"hostile must be one of {sorted(HOSTILE_BODIES)}")
        self.token_lifetime = token_lifetime
        self.advertised_lifetime = token_lifetime if advertised_lifetime is None else advertised_lifetime
        self.page_cap, self.xml_always, self.date_edges = page_cap, xml_always, date_edges
        self.repeat_token, self.hostile = repeat_token, hostile
        self._tokens: dict[str, float] = {}
        self._token_lock = threading.Lock()
        self.data = build_ispring_data(seed, scale)

    @property
    def issued_tokens(self) -> list[str]:
        """Every access token handed out so far (tests check none of them leaks)."""
        with self._token_lock:
            return list(self._tokens)

    def connection(self, base_url: str) -> dict[str, Any]:
        return {
            "conn_type": "ispring",
            "host": base_url,
            "login": self.client_id,
            "password": self.client_secret,
        }

    def routes(self):
        return [
            ("POST", TOKEN_PATH, self.token),
            ("GET", "/learners/results", lambda r: self.results(r, self.data["learner_results"])),
            (
                "GET",
                "/learners/modules/results",
                lambda r: self.results(r, self.data["learner_module_results"]),
            ),
            ("GET", "/users", self.users),
            (
                "GET",
                "/enrollments",
                self.listing(
                    "enrollments",
                    courseIds="courseId",
                    learnerIds="learnerId",
                    enrollmentIds="enrollmentId",
                ),
            ),
            ("GET", "/departments", self.listing("departments")),
            ("GET", "/groups", self.listing("groups")),
            (
                "GET",
                "/contents",
                self.listing(
                    "contents", "contentItems", contentItemIds="contentItemId", contentTypes="contentItemType"
                ),
            ),
            ("GET", "/courses/modules", self.course_modules),
            ("GET", "/assignments", self.assignments),
            ("GET", rf"/assignment/(?P<assignmentId>{ID})/attempts/ungraded", self.ungraded_attempts),
            (
                "GET",
                "/quizzes",
                self.listing(
                    "quizzes",
                    "results",
                    quizIds="quizId",
                    contentItemIds="contentItemId",
                    parentCourseIds="parentCourseIds",
                ),
            ),
            ("GET", "/report/answer-breakdown", self.answer_breakdown),
            ("GET", "/gamification/points", self.gamification_points),
            ("GET", rf"/content/(?P<contentId>{ID})/final_statuses", self.final_statuses),
            ("GET", "/learning_track/courses", self.learning_track_courses),
            *self.added_routes(),
        ]

    # ---- protocol -----------------------------------------------------------------------------

    def _dispatch(self, request: SandboxRequest) -> SandboxResponse:
        if request.path != TOKEN_PATH:
            if not self._authorized(request):
                return self.error(request, 401, "Unauthorized: the access token is invalid or expired")
            if self.hostile:
                return SandboxResponse(
                    200, HOSTILE_BODIES[self.hostile].encode(), {"Content-Type": "application/xml"}
                )
        return super()._dispatch(request)

    def _authorized(self, request: SandboxRequest) -> bool:
        scheme, _, token = (request.header("authorization") or "").partition(" ")
        with self._token_lock:
            expires = self._tokens.get(token)
        return scheme.lower() == "bearer" and expires is not None and time.monotonic() < expires

    def token(self, request: SandboxRequest) -> SandboxResponse:
        if not (request.header("content-type") or "").startswith("application/x-www-form-urlencoded"):
            return self.error(request, 400, "the token request must be application/x-www-form-urlencoded")
        form = request.form()
        if form.get("grant_type") != "client_credentials":
            return self.error(request, 400, "grant_type must be client_credentials")
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
            return self.error(request, 401, "Invalid client_id or client_secret")
        token = secrets.token_urlsafe(24)
        with self._token_lock:
            self._tokens[token] = time.monotonic() + self.token_lifetime
        return self.reply(
            request, {"access_token": token, "expires_in": self.advertised_lifetime, "token_type": "bearer"}
        )

    def wants_json(self, request: SandboxRequest) -> bool:
        return not self.xml_always and "application/json" in (request.header("accept") or "")

    def reply(
        self,
        request: SandboxRequest,
        payload: Any,
        status: int = 200,
        *,
        root: str = "response",
        item: str = "item",
    ) -> SandboxResponse:
        if self.wants_json(request):
            return SandboxResponse.json(payload, status)
        if isinstance(payload, list):
            element = Element(root)
            for value in payload:
                element.append(_xml(item, value))
        else:
            element = _xml(root, payload)
        body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(element, encoding="unicode").encode()
        return SandboxResponse(status, body, {"Content-Type": "application/xml; charset=utf-8"})

    def error(self, request: SandboxRequest, status: int, message: str) -> SandboxResponse:
        return self.reply(request, {"code": status, "message": message}, status)

    def page(
        self, request: SandboxRequest, items: list[dict[str, Any]], key: str, token_key: str = "nextPageToken"
    ):
        size = min(max(request.int_arg("pageSize", 1000), 1), self.page_cap)
        offset = _decode_token(request.arg("pageToken"))
        if offset is None:
            return self.error(request, 400, "pageToken is invalid")
        body: dict[str, Any] = {key: items[offset : offset + size]}
        if offset + size < len(items):
            body[token_key] = _encode_token(size if self.repeat_token else offset + size)
        return self.reply(request, body)

    # ---- endpoints ----------------------------------------------------------------------------

    def listing(self, data_key: str, envelope: str | None = None, **filters: str) -> Callable:
        def handler(request: SandboxRequest) -> SandboxResponse:
            return self.page(
                request, _filter_ids(request, self.data[data_key], filters), envelope or data_key
            )

        return handler

    def users(self, request: SandboxRequest) -> SandboxResponse:
        items = _filter_ids(request, self.data["users"], {"departments": "departmentId", "groups": "groups"})
        for name, field in (("logins", "login"), ("emails", "email")):
            wanted = php_list(request, name)
            if wanted is not None:
                items = [u for u in items if u["fields"][field] in wanted]
        return self.page(request, items, "userProfiles")

    def results(self, request: SandboxRequest, items: list[dict[str, Any]]) -> SandboxResponse:
        try:
            statuses = {int(s) for s in php_list(request, "userStatuses") or ["1"]}  # active only by default
        except ValueError:
            return self.error(request, 400, "userStatuses must be 1 (active) or 3 (blocked)")
        users = {u["userId"]: u for u in self.data["users"]}
        items = [r for r in items if users[r["userId"]]["status"] in statuses]
        departments = php_list(request, "departmentIds")
        if departments is not None:
            items = [r for r in items if users[r["userId"]]["departmentId"] in departments]
        items = _filter_ids(
            request,
            items,
            {
                "userIds": "userId",
                "courseIds": "courseId",
                "enrollmentIds": "enrollmentId",
                "completionStatuses": "completionStatus",
                "moduleIds": "moduleId",
                "courseItemIds": "courseItemId",
            },
        )
        for field in ("completionDate", "accessDate", "dueDate"):
            filtered = self._date_range(request, items, field)
            if isinstance(filtered, SandboxResponse):
                return filtered
            items = filtered
        return self.page(request, items, "results")

    def _date_range(self, request: SandboxRequest, items: list[dict[str, Any]], field: str):
        ends = []
        for end in ("startDate", "endDate"):
            value = request.arg(f"{field}[{end}]")
            try:
                ends.append(_parse_time(value) if value else None)
            except ValueError:
                return self.error(request, 400, f"{field}[{end}] must be an ISO 8601 date-time")
        first, last = ends
        if first is None and last is None:
            return items
        exclusive = self.date_edges == "exclusive"

        def inside(record: dict[str, Any]) -> bool:
            if not record.get(field):
                return False
            moment = _parse_time(record[field])
            after = first is None or (moment > first if exclusive else moment >= first)
            before = last is None or (moment < last if exclusive else moment <= last)
            return after and before

        return [r for r in items if inside(r)]

    def course_modules(self, request: SandboxRequest) -> SandboxResponse:
        if php_list(request, "courseIds") is None:
            return self.error(request, 400, "courseIds is required")
        items = _filter_ids(request, self.data["course_modules"], {"courseIds": "courseId"})
        # The OpenAPI copy names this page's continuation key with a typo: reproduce it.
        return self.page(request, items, "modules", token_key="nextPageToekn")

    def assignments(self, request: SandboxRequest) -> SandboxResponse:
        items = self.data["assignments"]
        if request.arg("ungraded") == "1":
            items = [a for a in items if self.data["ungraded_attempts"][a["assignmentId"]]]
        return self.page(request, items, "assignments")

    def ungraded_attempts(self, request: SandboxRequest) -> SandboxResponse:
        attempts = self.data["ungraded_attempts"].get(request.match["assignmentId"])
        if attempts is None:
            return self.error(request, 404, "Assignment not found")
        return self.reply(request, _filter_ids(request, attempts, {"userIds": "userId"}), item="attempt")

    def answer_breakdown(self, request: SandboxRequest) -> SandboxResponse:
        rows = self.data["quiz_answers"].get(request.arg("quizId") or "")
        if rows is None:
            return self.error(request, 400, "quizId is required and must name a quiz")
        enrollments = {e["enrollmentId"]: e for e in self.data["enrollments"]}
        users = {u["userId"]: u for u in self.data["users"]}
        if request.arg("parentCourseId"):
            rows = [
                r for r in rows if enrollments[r["enrollmentId"]]["courseId"] == request.arg("parentCourseId")
            ]
        rows = _filter_ids(request, rows, {"userIds": "userId", "enrollmentIds": "enrollmentId"})
        for name, field in (("departmentIds", "departmentId"), ("groupIds", "groups")):
            wanted = php_list(request, name)
            if wanted is not None:
                rows = [r for r in rows if _matches(users[r["userId"]][field], wanted)]
        rows = self._date_range(request, rows, "attemptDate")
        if isinstance(rows, SandboxResponse):
            return rows
        return self.page(request, rows, "results")

    def gamification_points(self, request: SandboxRequest) -> SandboxResponse:
        points = _filter_ids(request, self.data["gamification_points"], {"userIds": "userId"})
        return self.reply(request, points, item="userPointsInfo")

    def final_statuses(self, request: SandboxRequest) -> SandboxResponse:
        statuses = self.data["final_statuses"].get(request.match["contentId"])
        if statuses is None:
            return SandboxResponse(404, b"Unknown content item", {"Content-Type": "text/plain"})
        return self.reply(request, statuses, root="statuses", item="status")

    def learning_track_courses(self, request: SandboxRequest) -> SandboxResponse:
        value = request.arg("learningTrackIds")
        if not value:
            return self.error(request, 400, "learningTrackIds is required")
        tracks = set(value.split(","))
        rows = [r for r in self.data["learning_track_courses"] if r["learningTrackId"] in tracks]
        return self.reply(request, rows, item="learningTracksCourse")


# ---- helpers ----------------------------------------------------------------------------------


def php_list(request: SandboxRequest, name: str) -> list[str] | None:
    """Values of an array parameter as PHP reads them: ``name[]`` repeated, or the LAST ``name``."""
    if f"{name}[]" in request.query:
        return request.query[f"{name}[]"]
    if name in request.query:
        return [request.query[name][-1]]
    return None


def _matches(value: Any, wanted: list[str]) -> bool:
    return any(v in wanted for v in value) if isinstance(value, list) else str(value) in wanted


def _filter_ids(request: SandboxRequest, items: list[dict[str, Any]], filters: dict[str, str]):
    for name, field in filters.items():
        wanted = php_list(request, name)
        if wanted is not None:
            items = [i for i in items if _matches(i.get(field), wanted)]
    return items


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _decode_token(token: str | None) -> int | None:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        return int(text.removeprefix("offset:")) if text.startswith("offset:") else None
    except (ValueError, UnicodeDecodeError):
        return None


def _parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a time zone is required")
    return moment


def _xml(tag: str, value: Any) -> Element:
    element = Element(tag)
    if isinstance(value, dict):
        for key, child in value.items():
            if child is not None:
                element.append(_xml(key, child))
    elif isinstance(value, list):
        for child in value:
            element.append(_xml(ITEM_TAGS.get(tag, "item") if isinstance(child, dict) else "id", child))
    elif isinstance(value, bool):
        # The reference sample writes isOverdue as 0/1; other booleans as true/false.
        element.text = ("1" if value else "0") if tag == "isOverdue" else ("true" if value else "false")
    else:
        element.text = str(value)
    return element
