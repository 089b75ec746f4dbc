"""The iSpring twin's routes for the reads added to cover the whole reference (issue 12): single
objects by id, unpaged lists, POST reads with body filters, training, job training, performance
management, tasks and webhooks. Mixed into :class:`IspringTwin`, which supplies ``reply``,
``error``, ``page`` and ``data``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from airflow_provider_lms.sandbox.server import SandboxRequest, SandboxResponse
from airflow_provider_lms.vendors.ispring.twin_data import users_v2

ID = "[0-9a-f-]+"
Handler = Callable[[SandboxRequest], SandboxResponse]
PM = "/performance-management"


class AddedReads:
    """Routes and handlers of the added reads (see the module docstring)."""

    data: dict[str, Any]
    reply: Callable[..., SandboxResponse]
    error: Callable[..., SandboxResponse]
    page: Callable[..., SandboxResponse]

    def added_routes(self) -> list[tuple[str, str, Handler]]:
        # Handlers read self.data when called: the routes are listed before the data is built.
        get, post = "GET", "POST"
        return [
            (get, "/users/v2", self.users_paged_v2),
            (post, "/users/v2", self.users_search),
            (
                get,
                "/user",
                lambda r: self.reply(r, self._user_filter(r, self.data["users"]), item="userProfile"),
            ),
            (
                get,
                "/user/v2",
                lambda r: self.reply(r, self._user_filter(r, users_v2(self.data)), item="userProfile"),
            ),
            (
                get,
                rf"/user/(?P<id>{ID})",
                lambda r: self._one(r, self.data["users"], "userId", wrap="response"),
            ),
            (
                get,
                rf"/user/(?P<id>{ID})/v2",
                lambda r: self._one(r, users_v2(self.data), "userId", wrap="response"),
            ),
            (
                get,
                "/user/profile/fields",
                lambda r: self.reply(r, self.data["user_profile_fields"], item="field"),
            ),
            (get, "/role", lambda r: self.reply(r, self.data["roles"], item="role")),
            (post, "/user/list", self.user_list_search),
            (post, "/users/find_existing", self.find_existing),
            (get, rf"/course/(?P<id>{ID})/modules", self.modules_of_course),
            (get, "/content", self.content_list),
            (
                get,
                rf"/content/(?P<id>{ID})",
                lambda r: self._one(r, self.data["contents"], "contentItemId", wrap="contentItem"),
            ),
            (get, "/course_fields", lambda r: self.reply(r, {"courseFields": self.data["course_fields"]})),
            (get, "/courses_tree", self.courses_tree),
            (post, "/contents", self.contents_search),
            (get, "/department", self.department_list),
            (
                get,
                rf"/department/(?P<id>{ID})",
                lambda r: self._one(r, self.data["departments"], "departmentId", wrap="response"),
            ),
            (get, "/group", lambda r: self.reply(r, self.data["groups"], item="group")),
            (get, rf"/group/(?P<id>{ID})", self.group),
            (get, rf"/group/smart/(?P<id>{ID})/rules", self.smart_group_rules),
            (get, "/enrollment", self.enrollment_list),
            (
                get,
                rf"/enrollment/(?P<id>{ID})",
                lambda r: self._one(r, self.data["enrollments"], "enrollmentId"),
            ),
            (get, rf"/certificate/(?P<id>{ID})", self.certificate),
            (post, "/enrollments", self.enrollments_search),
            (get, rf"/training/(?P<id>{ID})", lambda r: self._keyed(r, "trainings", wrap="response")),
            (get, rf"/training/(?P<id>{ID})/sessions", self.training_sessions),
            (
                get,
                rf"/training/session/(?P<id>{ID})",
                lambda r: self._keyed(r, "training_sessions", wrap="response"),
            ),
            (
                get,
                rf"/training/session/participants/(?P<id>{ID})",
                lambda r: self._keyed(r, "session_participants"),
            ),
            (get, rf"/training/day/(?P<id>{ID})", lambda r: self._keyed(r, "training_days", wrap="response")),
            (get, "/report/active-users-by-period", self.active_users),
            (post, "/job-training/checklist/sessions/list", self.checklists),
            (post, "/job-training/sessions/result/list", lambda r: self._job(r, "checklist_session_results")),
            (
                post,
                "/job-training/completed-session/criterion-group/result/list",
                lambda r: self._job(r, "criterion_group_results", groupIds="groupId"),
            ),
            (
                post,
                "/job-training/completed-session/criterion/result/list",
                lambda r: self._job(r, "criterion_results", groupIds="groupId", criterionIds="criterionId"),
            ),
            (get, f"{PM}/competencies/scale/list", lambda r: self.reply(r, self.data["competency_scales"])),
            (get, f"{PM}/competencies/group/list", lambda r: self.reply(r, self.data["competency_groups"])),
            (
                post,
                f"{PM}/competencies/competency/list",
                lambda r: self._by_body(r, "competencies", competencyIds="competencyId"),
            ),
            (
                post,
                f"{PM}/competencies/profile/list",
                lambda r: self._by_body(r, "competency_profiles", profileIds="profileId"),
            ),
            (
                post,
                f"{PM}/appraisal/session/list",
                lambda r: self._by_body(r, "appraisal_sessions", sessionIds="sessionId"),
            ),
            (
                get,
                rf"{PM}/appraisal/session/(?P<id>{ID})/employee-card/list",
                lambda r: self._keyed(r, "appraisal_employee_cards"),
            ),
            (
                get,
                rf"{PM}/appraisal/session/(?P<id>{ID})/review/list",
                lambda r: self._keyed(r, "appraisal_reviews"),
            ),
            (
                get,
                rf"{PM}/appraisal/session/(?P<id>{ID})/results",
                lambda r: self._keyed(r, "appraisal_results"),
            ),
            (
                get,
                rf"{PM}/appraisal/session/(?P<id>{ID})/content/competencies",
                lambda r: self._keyed(r, "appraisal_content"),
            ),
            (
                post,
                rf"{PM}/appraisal/session/(?P<id>{ID})/user/attributes/list",
                self.appraisal_user_attributes,
            ),
            (get, rf"{PM}/appraisal/session/(?P<id>{ID})/info", lambda r: self._keyed(r, "appraisal_info")),
            (get, r"/task/(?P<id>[0-9]+)/status", lambda r: self._keyed(r, "task_statuses")),
            (get, "/webhook/subscription/list", lambda r: self._subscriber(r, "webhook_subscriptions")),
            (get, "/webhook/subscriber/info", lambda r: self._subscriber(r, "webhook_subscribers")),
        ]

    # ---- shared --------------------------------------------------------------------------------

    def _one(self, request: SandboxRequest, items, key: str, *, wrap: str | None = None) -> SandboxResponse:
        found = next((i for i in items if i[key] == request.match["id"]), None)
        if found is None:
            return self.error(request, 404, "Not found")
        return self.reply(request, {wrap: found} if wrap else found)

    def _keyed(self, request: SandboxRequest, table: str, *, wrap: str | None = None) -> SandboxResponse:
        found = self.data[table].get(request.match["id"])
        if found is None:
            return self.error(request, 404, "Not found")
        return self.reply(request, {wrap: found} if wrap else found)

    def _body(self, request: SandboxRequest) -> dict[str, Any] | SandboxResponse:
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return self.error(request, 400, "the request body must be a JSON object")
        return body

    def _body_filtered(self, request: SandboxRequest, items, **filters: str):
        body = self._body(request)
        if isinstance(body, SandboxResponse):
            return body
        for name, field in filters.items():
            wanted = body.get(name)
            if wanted is None:
                continue
            wanted = wanted if isinstance(wanted, list) else [wanted]
            items = [i for i in items if _hits(i.get(field) if "." not in field else _dig(i, field), wanted)]
        return items

    def _by_body(self, request: SandboxRequest, table: str, **filters: str) -> SandboxResponse:
        items = self._body_filtered(request, self.data[table], **filters)
        return items if isinstance(items, SandboxResponse) else self.reply(request, items)

    # ---- users ---------------------------------------------------------------------------------

    def _user_filter(self, request: SandboxRequest, users, *, source: dict[str, Any] | None = None):
        from airflow_provider_lms.vendors.ispring.twin import php_list

        def wanted(name: str):
            return source.get(name) if source is not None else php_list(request, name)

        for name, field in (
            ("departments", "departmentId"),
            ("groups", "groups"),
            ("logins", "fields.login"),
            ("emails", "fields.email"),
            ("userIds", "userId"),
        ):
            values = wanted(name)
            if values is not None:
                users = [u for u in users if _hits(_dig(u, field), list(values))]
        return users

    def users_paged_v2(self, request: SandboxRequest) -> SandboxResponse:
        return self.page(request, self._user_filter(request, users_v2(self.data)), "userProfiles")

    def users_search(self, request: SandboxRequest) -> SandboxResponse:
        body = self._body(request)
        if isinstance(body, SandboxResponse):
            return body
        users = self._user_filter(request, users_v2(self.data), source=body)
        return self.page(request, users, "userProfiles")

    def user_list_search(self, request: SandboxRequest) -> SandboxResponse:
        body = self._body(request)
        if isinstance(body, SandboxResponse):
            return body
        users = self._user_filter(
            request, self.data["users"], source={k: v for k, v in body.items() if k != "userIds"}
        )
        return self.reply(request, {"pageNumber": 1, "totalUsersNumber": len(users), "userProfiles": users})

    def find_existing(self, request: SandboxRequest) -> SandboxResponse:
        body = self._body(request)
        if isinstance(body, SandboxResponse):
            return body
        if not isinstance(body.get("userIds"), list):
            return self.error(request, 400, "userIds is required")
        known = {u["userId"] for u in self.data["users"]}
        return self.reply(request, [i for i in body["userIds"] if i in known], item="id")

    # ---- content -------------------------------------------------------------------------------

    def modules_of_course(self, request: SandboxRequest) -> SandboxResponse:
        course_id = request.match["id"]
        if not any(c["contentItemId"] == course_id for c in self.data["contents"]):
            return self.error(request, 404, "Course not found")
        return self.reply(
            request, {"modules": [m for m in self.data["course_modules"] if m["courseId"] == course_id]}
        )

    def content_list(self, request: SandboxRequest) -> SandboxResponse:
        from airflow_provider_lms.vendors.ispring.twin import php_list

        items, kinds = self.data["contents"], php_list(request, "contentTypes")
        if kinds is not None:
            items = [c for c in items if c["contentItemType"] in kinds]
        return self.reply(request, items, item="contentItem")

    def courses_tree(self, request: SandboxRequest) -> SandboxResponse:
        from airflow_provider_lms.vendors.ispring.twin import php_list

        items, wanted = self.data["courses_tree"], php_list(request, "contentItemIds")
        if wanted is not None:
            items = [c for c in items if c["contentItemId"] in wanted]
        return self.reply(request, items, item="contentItem")

    def contents_search(self, request: SandboxRequest) -> SandboxResponse:
        items = self._body_filtered(
            request, self.data["contents"], contentItemIds="contentItemId", contentTypes="contentItemType"
        )
        return items if isinstance(items, SandboxResponse) else self.page(request, items, "contentItems")

    # ---- organisation and enrollments ------------------------------------------------------------

    def department_list(self, request: SandboxRequest) -> SandboxResponse:
        items = self.data["departments"]
        if request.arg("code"):
            items = [d for d in items if d["code"] == request.arg("code")]
        return self.reply(request, {"departments": items})

    def group(self, request: SandboxRequest) -> SandboxResponse:
        found = next((g for g in self.data["groups"] if g["groupId"] == request.match["id"]), None)
        if found is None:
            return self.error(request, 404, "Group not found")
        members = [u["userId"] for u in self.data["users"] if found["groupId"] in u["groups"]]
        return self.reply(request, {"usersCount": len(members), **found, "userIds": members})

    def smart_group_rules(self, request: SandboxRequest) -> SandboxResponse:
        rules = self.data["smart_group_rules"].get(request.match["id"])
        if rules is None:
            return self.error(request, 404, "Smart group not found")
        return self.reply(request, {"smartGroupRules": rules})

    def enrollment_list(self, request: SandboxRequest) -> SandboxResponse:
        from airflow_provider_lms.vendors.ispring.twin import _filter_ids

        items = _filter_ids(
            request,
            self.data["enrollments"],
            {"courseIds": "courseId", "learnerIds": "learnerId", "enrollmentIds": "enrollmentId"},
        )
        return self.reply(request, {"enrollments": items})

    def certificate(self, request: SandboxRequest) -> SandboxResponse:
        wanted = request.match["id"]
        if not any(
            (e.get("certificate") or {}).get("issuedCertificateId") == wanted
            for e in self.data["enrollments"]
        ):
            return self.error(request, 404, "Certificate not found")
        return self.reply(request, {"url": f"https://sandbox.ispring.example/certificates/{wanted}.pdf"})

    def enrollments_search(self, request: SandboxRequest) -> SandboxResponse:
        """Paged in the BODY (``pageSize``, ``pageToken``), as the reference's request schema has it."""
        body = self._body(request)
        if isinstance(body, SandboxResponse):
            return body
        items = self._body_filtered(
            request,
            self.data["enrollments"],
            courseIds="courseId",
            learnerIds="learnerId",
            enrollmentIds="enrollmentId",
        )
        if isinstance(items, SandboxResponse):
            return items
        try:
            size = min(max(int(body.get("pageSize") or 1000), 1), 1000)
            offset = int(body.get("pageToken") or 0)
        except (TypeError, ValueError):
            return self.error(request, 400, "pageSize and pageToken must be integers")
        reply: dict[str, Any] = {"enrollments": items[offset : offset + size]}
        if offset + size < len(items):
            reply["nextPageToken"] = str(offset + size)
        return self.reply(request, reply)

    # ---- training and reports ------------------------------------------------------------------

    def training_sessions(self, request: SandboxRequest) -> SandboxResponse:
        training = self.data["trainings"].get(request.match["id"])
        if training is None:
            return self.error(request, 404, "Training not found")
        sessions = self.data["training_sessions"]
        return self.reply(request, [sessions[s] for s in training["sessions"]], item="session")

    def active_users(self, request: SandboxRequest) -> SandboxResponse:
        ends = []
        for end in ("startDate", "endDate"):
            value = request.arg(f"activityDate[{end}]")
            try:
                ends.append(datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None)
            except ValueError:
                return self.error(request, 400, f"activityDate[{end}] must be an ISO 8601 date-time")
        first, last = ends
        ids = [
            u["userId"]
            for u in self.data["users"]
            if (first is None or _moment(u["lastLoginDate"]) >= first)
            and (last is None or _moment(u["lastLoginDate"]) < last)
        ]
        return self.reply(request, ids, item="id")

    # ---- job training, performance, webhooks -----------------------------------------------------

    def checklists(self, request: SandboxRequest) -> SandboxResponse:
        items = self._body_filtered(
            request, self.data["checklists"], checklistIds="checklistId", sessionIds="sessionIds"
        )
        return items if isinstance(items, SandboxResponse) else self.reply(request, items)

    def _job(self, request: SandboxRequest, table: str, **more: str) -> SandboxResponse:
        items = self._body_filtered(
            request,
            self.data[table],
            checklistId="checklistId",
            sessionStatus="sessionStatus",
            sessionIds="sessionId",
            **more,
        )
        return items if isinstance(items, SandboxResponse) else self.reply(request, items)

    def appraisal_user_attributes(self, request: SandboxRequest) -> SandboxResponse:
        rows = self.data["appraisal_user_attributes"].get(request.match["id"])
        if rows is None:
            return self.error(request, 404, "Appraisal session not found")
        items = self._body_filtered(request, rows, userIds="userId")
        return items if isinstance(items, SandboxResponse) else self.reply(request, items)

    def _subscriber(self, request: SandboxRequest, table: str) -> SandboxResponse:
        name = request.arg("subscriberName")
        if not name:
            return self.error(request, 400, "subscriberName is required")
        found = self.data[table].get(name)
        if found is None:
            return self.error(request, 404, "Subscriber not found")
        return self.reply(request, found, item="subscription")


def _dig(item: dict[str, Any], dotted: str) -> Any:
    node: Any = item
    for key in dotted.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _hits(value: Any, wanted: list[Any]) -> bool:
    wanted_text = {str(w) for w in wanted}
    if isinstance(value, list):
        return any(str(v) in wanted_text for v in value)
    return str(value) in wanted_text


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
