"""NexPort Campus twin: ``AdminApi/Authenticate`` tokens checked in the ``access_token`` query
parameter (invalid and expired tokens answered as 200 bodies), errors inside 200 bodies
(``api_error_entity``), per_page reset to 30 below 1 and capped at 1000, bare-array pages,
``total_count`` envelopes, POST searches with body filters, obsolete-method warnings.

The campus (organizations, users, sections, training plans, enrollments and everything hanging off
them) is generated from a seed by :mod:`.twin_data`.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from airflow_provider_lms.sandbox.server import (
    Handler,
    SandboxRequest,
    SandboxResponse,
    VendorTwin,
    page_slice,
)
from airflow_provider_lms.vendors.nexport.twin_data import build_nexport_data
from airflow_provider_lms.windows import parse_record_time

API = "/api/v1"
LEARNING = f"{API}/LearningApi"
AUTHENTICATE = f"{API}/AdminApi/Authenticate"

# NexPort publishes no error code list: these are the twin's own, the messages are what matters.
ERR_LOGIN, ERR_TOKEN_INVALID, ERR_TOKEN_EXPIRED, ERR_BAD_REQUEST, ERR_NOT_FOUND = 1, 2, 3, 4, 5
OBSOLETE = {
    "GetOrganizations": "LearningApi/GetOrganizations is obsolete: use AdminApi/GetOrganizations",
    "GetTestAttempts": "LearningApi/GetTestAttempts is obsolete: use AssessmentApi/GetTestAttempts",
    "GetCmiData": "LearningApi/GetCmiData is obsolete: use ScormApi/GetCmiData",
}
ENROLLMENT_FILTERS = {  # body key -> record field of SearchEnrollments
    "utc_enrolled_after": ("enrollment_date", "after"),
    "utc_enrolled_before": ("enrollment_date", "before"),
    "utc_completed_after": ("completion_date", "after"),
    "utc_completed_before": ("completion_date", "before"),
    "utc_activity_after": ("last_activity_date", "after"),
    "utc_activity_before": ("last_activity_date", "before"),
}


class TwinError(Exception):
    """An error the twin reports NexPort's way: HTTP 200 with ``api_error_entity``."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class ForcedError:
    """Make one method fail: on every page or one ``page``, in the body or in its first record."""

    code: int
    message: str
    page: int | None = None
    in_record: bool = False


@dataclass
class _TokenState:
    uses: int = 0
    expired: bool = False


def entity(warnings: list[str] | None = None) -> dict[str, Any]:
    return {"error_code": 0, "warning_messages": list(warnings or [])}


def error_body(code: int, message: str) -> dict[str, Any]:
    return {"api_error_entity": {"error_code": code, "error_message": message, "warning_messages": []}}


def _moment(value: Any, name: str) -> datetime:
    moment = parse_record_time(value) if isinstance(value, str) else None
    if moment is None:
        raise TwinError(ERR_BAD_REQUEST, f"{name} is not a valid date-time: {value!r}")
    return moment


def _guid(value: Any, name: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise TwinError(ERR_BAD_REQUEST, f"The value '{value}' is not valid for {name}.") from None


class NexPortTwin(VendorTwin):
    """NexPort Campus LearningApi emulation.

    :param page_cap: per_page ceiling (NexPort: 1000; below 1 or missing means 30).
    :param date_edges: ``exclusive`` (the documented "after"/"before") or ``inclusive`` date filters.
    :param token_lifetime_requests: a token expires after this many calls (None: never).
    :param forced_errors: method name (``GetCategories``) -> :class:`ForcedError`.
    """

    name = "nexport"
    username = "sandbox-admin"
    password = "sandbox-admin-password"

    def __init__(
        self,
        *,
        seed: int = 1,
        scale: float = 1.0,
        page_cap: int = 1000,
        date_edges: str = "exclusive",
        token_lifetime_requests: int | None = None,
        token_expires_in: int = 3600,
        forced_errors: dict[str, ForcedError] | None = None,
        **kwargs: Any,
    ) -> None:
        self.data = build_nexport_data(seed, scale)
        self.page_cap, self.date_edges = page_cap, date_edges
        self.token_lifetime_requests, self.token_expires_in = token_lifetime_requests, token_expires_in
        self.forced_errors = dict(forced_errors or {})
        self.issued_tokens: list[str] = []
        self._tokens: dict[str, _TokenState] = {}
        self._token_lock = threading.Lock()
        self._token_random = random.Random(seed * 7919)
        self._index()
        super().__init__(**kwargs)

    def _index(self) -> None:
        d = self.data
        self.orgs = {o["org_id"]: o for o in d["organizations"]}
        self.sections = {s["syllabus_id"]: s for s in d["sections"]}
        self.plans = {p["syllabus_id"]: p for p in d["training_plans"]}
        self.assignments = {a["assignment_id"]: a for a in d["assignments"]}
        self.enrollments = {e["enrollment_id"]: e for e in d["enrollments"]}
        self.catalogs = {c["catalog_id"]: c for c in d["catalogs"]}
        self.categories = {c["category_id"]: c for c in d["categories"]}
        self.fields = {f["field_id"]: f for f in d["custom_fields"]}
        self.subscriptions = {u["subscription_id"]: u for u in d["users"]}

    def connection(self, base_url: str) -> dict[str, Any]:
        return {"conn_type": "nexport", "host": base_url, "login": self.username, "password": self.password}

    def expire_tokens(self) -> None:
        """Every token issued so far is now expired (as after a server restart or a timeout)."""
        with self._token_lock:
            for state in self._tokens.values():
                state.expired = True

    def routes(self):
        gets = {
            "GetSectionEnrollments": lambda r: self.syllabus_enrollments(r, "section"),
            "GetTrainingPlanEnrollments": lambda r: self.syllabus_enrollments(r, "training_plan"),
            "GetCustomEnrollmentFields": self.custom_fields,
            "GetDefaultCustomEnrollmentFieldSetting": self.field_default,
            "GetCustomEnrollmentFieldValues": self.field_values,
            "GetAssignmentStatuses": self.assignment_statuses,
            "GetCertificateUrl": self.certificate_url,
            "GetSection": self.section,
            "GetSectionDescription": lambda r: self.text(r, "section_id", self.sections, "description"),
            "GetSectionObjectives": lambda r: self.text(r, "section_id", self.sections, "objectives"),
            "GetTrainingPlan": self.training_plan,
            "GetTrainingPlanDescription": lambda r: self.text(
                r, "training_plan_id", self.plans, "description"
            ),
            "GetAssignments": self.assignments_of_section,
            "GetAssignment": lambda r: self.one(r, "assignment_id", self.assignments),
            "GetAssignmentInstructions": self.assignment_instructions,
            "GetOrganizations": self.organizations,
            "GetCatalog": lambda r: self.one(r, "catalog_id", self.catalogs),
            "GetCatalogDescription": lambda r: self.catalog_text(r, "description"),
            "GetCatalogCreditHours": lambda r: self.catalog_text(r, "credit_hours"),
            "GetCategories": self.categories_of_catalog,
            "GetCatalogSyllabi": self.catalog_syllabi,
            "GetCategorySyllabi": self.category_syllabi,
            "GetTestAttempts": self.test_attempts,
        }
        posts = {
            "SearchEnrollments": self.search_enrollments,
            "GetCatalogs": self.catalogs_of_group,
            "GetCmiData": self.cmi_data,
            "GetSections": self.sections_by_id,
            "GetStudentSessions": self.student_sessions,
        }
        table = [("POST", AUTHENTICATE, self.authenticate)]
        table += [("GET", f"{LEARNING}/{name}", self._guarded(name, h)) for name, h in gets.items()]
        table += [("POST", f"{LEARNING}/{name}", self._guarded(name, h)) for name, h in posts.items()]
        return table

    # ---- auth and errors ----------------------------------------------------------------------

    def authenticate(self, request: SandboxRequest) -> SandboxResponse:
        try:
            body = request.json() or {}
        except ValueError:
            return SandboxResponse.json(error_body(ERR_BAD_REQUEST, "The request body is not JSON"))
        if body.get("grant_type") != "password":
            return SandboxResponse.json(error_body(ERR_BAD_REQUEST, "grant_type must be 'password'"))
        if body.get("username") != self.username or body.get("password") != self.password:
            return SandboxResponse.json(error_body(ERR_LOGIN, "Invalid username or password"))
        # Base64 text, so the token has characters that URLs encode (+ / =): masking must catch both forms.
        raw = base64.b64encode(self._token_random.getrandbits(192).to_bytes(24, "big")).decode()
        token = f"{raw[:16]}+{raw[16:]}/="
        with self._token_lock:
            self._tokens[token] = _TokenState()
            self.issued_tokens.append(token)
        return SandboxResponse.json(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.token_expires_in,
                "api_error_entity": entity(),
            }
        )

    def _token_problem(self, token: str | None) -> str | None:
        with self._token_lock:
            state = self._tokens.get(token or "")
            if state is None:
                return "Invalid access token"
            if self.token_lifetime_requests is not None and state.uses >= self.token_lifetime_requests:
                state.expired = True
            if state.expired:
                return "The access token has expired"
            state.uses += 1
        return None

    def _guarded(self, method: str, handler: Handler) -> Handler:
        def serve(request: SandboxRequest) -> SandboxResponse:
            problem = self._token_problem(request.arg("access_token"))
            if problem:
                code = ERR_TOKEN_EXPIRED if "expired" in problem else ERR_TOKEN_INVALID
                return SandboxResponse.json(error_body(code, problem))
            forced = self.forced_errors.get(method)
            try:
                if forced and not forced.in_record and forced.page in (None, self._page_number(request)):
                    raise TwinError(forced.code, forced.message)
                response = handler(request)
            except TwinError as error:
                return SandboxResponse.json(error_body(error.code, error.message))
            if forced and forced.in_record and forced.page in (None, self._page_number(request)):
                payload = json.loads(response.body)
                records = (
                    payload
                    if isinstance(payload, list)
                    else next(v for v in payload.values() if isinstance(v, list))
                )
                if records:
                    records[0]["api_error_entity"] = error_body(forced.code, forced.message)[
                        "api_error_entity"
                    ]
                response = SandboxResponse.json(payload)
            return response

        return serve

    # ---- shared helpers -----------------------------------------------------------------------

    def _page_number(self, request: SandboxRequest) -> int:
        if request.method == "POST" and request.path.endswith("GetStudentSessions"):
            paging = (request.json() or {}).get("paging") or {}
            return max(int(paging.get("page") or 1), 1)
        return max(request.int_arg("page", 1), 1)

    def _per_page(self, value: Any) -> int:
        try:
            size = int(value)
        except (TypeError, ValueError):
            size = 0
        return 30 if size < 1 else min(size, self.page_cap)  # NexPort's documented reset rules

    def _page(self, request: SandboxRequest, items: list[Any]) -> tuple[list[Any], int, int]:
        page = max(request.int_arg("page", 1), 1)
        per_page = self._per_page(request.arg("per_page"))
        return page_slice(items, page, per_page)[0], page, per_page

    def _required(self, request: SandboxRequest, name: str) -> str:
        value = request.arg(name)
        if not value:
            raise TwinError(ERR_BAD_REQUEST, f"{name} is required")
        return _guid(value, name)

    def _optional(self, request: SandboxRequest, name: str) -> str | None:
        value = request.arg(name)
        return _guid(value, name) if value else None

    def _body(self, request: SandboxRequest) -> dict[str, Any]:
        try:
            body = request.json()
        except ValueError:
            raise TwinError(ERR_BAD_REQUEST, "The request body is not JSON") from None
        if not isinstance(body, dict):
            raise TwinError(ERR_BAD_REQUEST, "The request body must be a JSON object")
        return body

    def _lookup(self, table: dict[str, Any], key: str, what: str) -> Any:
        if key not in table:
            raise TwinError(ERR_NOT_FOUND, f"{what} {key} was not found")
        return table[key]

    @staticmethod
    def _with_entity(item: dict[str, Any], warnings: list[str] | None = None) -> dict[str, Any]:
        return {**item, "api_error_entity": entity(warnings)}

    def listing(
        self, request: SandboxRequest, items: list[Any], *, warning: str | None = None, entities: bool = True
    ) -> SandboxResponse:
        """A bare JSON array page (most NexPort GET lists)."""
        chunk, _, _ = self._page(request, items)
        if entities:
            chunk = [self._with_entity(i, [warning] if warning else None) for i in chunk]
        return SandboxResponse.json(chunk)

    def one(self, request: SandboxRequest, param: str, table: dict[str, Any]) -> SandboxResponse:
        item = self._lookup(table, self._required(request, param), param.removesuffix("_id").title())
        return SandboxResponse.json(self._with_entity(item))

    def _in_range(self, stamp_text: str | None, after: datetime | None, before: datetime | None) -> bool:
        if stamp_text is None:
            return after is None and before is None
        moment = parse_record_time(stamp_text)
        if self.date_edges == "inclusive":
            return (after is None or moment >= after) and (before is None or moment <= before)
        return (after is None or moment > after) and (before is None or moment < before)

    # ---- enrollments --------------------------------------------------------------------------

    def search_enrollments(self, request: SandboxRequest) -> SandboxResponse:
        body = self._body(request)
        sets = {}
        for key in ("user_ids", "org_ids", "syllabus_ids", "enrollment_ids"):
            values = body.get(key) or []
            if not isinstance(values, list):
                raise TwinError(ERR_BAD_REQUEST, f"{key} must be a list")
            sets[key] = {_guid(v, key) for v in values}
        names = set(body.get("syllabus_unique_names") or [])
        if not sets["user_ids"] and not sets["org_ids"]:
            raise TwinError(ERR_BAD_REQUEST, "At least one user id or org id is required")
        for org_id in sets["org_ids"]:
            self._lookup(self.orgs, org_id, "Organization")
        bounds: dict[str, list[datetime | None]] = {}
        for key, (record_field, side) in ENROLLMENT_FILTERS.items():
            if body.get(key) is not None:
                bounds.setdefault(record_field, [None, None])[0 if side == "after" else 1] = _moment(
                    body[key], key
                )
        org_of = self.data["enrollment_org"]
        items = [
            e
            for e in self.data["enrollments"]
            if (not sets["user_ids"] or e["user_id"] in sets["user_ids"])
            and (not sets["org_ids"] or org_of[e["enrollment_id"]] in sets["org_ids"])
            and (not sets["syllabus_ids"] or e["syllabus_id"] in sets["syllabus_ids"])
            and (not sets["enrollment_ids"] or e["enrollment_id"] in sets["enrollment_ids"])
            and (not names or e.get("unique_name") in names)
            and all(self._in_range(e.get(f), a, b) for f, (a, b) in bounds.items())
        ]  # the store is sorted by enrollment date, oldest first, as NexPort serves it
        chunk, page, per_page = self._page(request, items)
        return SandboxResponse.json(
            {
                "enrollments": chunk,
                "page": page,
                "page_size": per_page,
                "total_count": len(items),
                "api_error_entity": entity(),
            }
        )

    def syllabus_enrollments(self, request: SandboxRequest, kind: str) -> SandboxResponse:
        records = self.data["section_enrollments" if kind == "section" else "training_plan_enrollments"]
        syllabi = self.sections if kind == "section" else self.plans
        ids = {
            n: self._optional(request, n)
            for n in ("org_id", "subscriber_id", "user_id", "syllabus_id", "enrollment_id")
        }
        unique_name = request.arg("syllabus_unique_name")
        selectors = ["subscriber_id", "syllabus_id", "enrollment_id"] + (
            ["user_id"] if kind != "section" else []
        )
        if not unique_name and not any(ids[n] for n in selectors):
            raise TwinError(
                ERR_BAD_REQUEST, f"One of {', '.join(selectors)} or syllabus_unique_name is required"
            )
        if (ids["syllabus_id"] or ids["enrollment_id"]) and not ids["org_id"]:
            raise TwinError(ERR_BAD_REQUEST, "org_id is required with syllabus_id or enrollment_id")
        if kind == "section" and ids["user_id"] and ids["subscriber_id"]:
            raise TwinError(ERR_BAD_REQUEST, "Send user_id or subscriber_id, not both")
        if ids["org_id"]:
            self._lookup(self.orgs, ids["org_id"], "Organization")
        if ids["syllabus_id"]:
            self._lookup(syllabi, ids["syllabus_id"], "Syllabus")
        items = [
            r
            for r in records
            if (not ids["subscriber_id"] or r["subscription_id"] == ids["subscriber_id"])
            and (not ids["user_id"] or r["user_id"] == ids["user_id"])
            and (not ids["syllabus_id"] or r["syllabus_id"] == ids["syllabus_id"])
            and (not ids["enrollment_id"] or r["enrollment_id"] == ids["enrollment_id"])
            and (not unique_name or r["unique_name"] == unique_name)
        ]
        items.sort(key=lambda r: r["enrollment_date"], reverse=True)
        chunk, _, _ = self._page(request, items)
        served = []
        for record in chunk:
            record = self._with_entity(record)
            if "section" in record:
                record["section"] = self._with_entity(record["section"])
            served.append(record)
        return SandboxResponse.json(served)

    def _enrollment_of(self, request: SandboxRequest, subscription_key: str, syllabus_key: str) -> str:
        enrollment_id = self._optional(request, "enrollment_id")
        if enrollment_id:
            self._lookup(self.enrollments, enrollment_id, "Enrollment")
            return enrollment_id
        subscription_id, syllabus_id = (
            self._optional(request, subscription_key),
            self._optional(request, syllabus_key),
        )
        if not (subscription_id and syllabus_id):
            raise TwinError(ERR_BAD_REQUEST, f"Send enrollment_id, or {subscription_key} and {syllabus_key}")
        user = self._lookup(self.subscriptions, subscription_id, "Subscription")
        for e in self.data["enrollments"]:
            if e["user_id"] == user["user_id"] and e["syllabus_id"] == syllabus_id:
                return e["enrollment_id"]
        raise TwinError(ERR_NOT_FOUND, "No enrollment for that subscription and syllabus")

    def assignment_statuses(self, request: SandboxRequest) -> SandboxResponse:
        enrollment_id = self._enrollment_of(request, "subscription_id", "section_id")
        assignment_id = self._optional(request, "assignment_id")
        items = [
            s
            for s in self.data["assignment_statuses"]
            if s["enrollment_id"] == enrollment_id
            and (not assignment_id or s["assignment_id"] == assignment_id)
        ]
        items.sort(key=lambda s: s["utc_creation_date"], reverse=True)
        return self.listing(request, items)

    def certificate_url(self, request: SandboxRequest) -> SandboxResponse:
        enrollment_id = self._required(request, "enrollment_id")
        return SandboxResponse.json(
            self._with_entity(self._lookup(self.data["certificates"], enrollment_id, "Enrollment"))
        )

    def test_attempts(self, request: SandboxRequest) -> SandboxResponse:
        key = (self._required(request, "enrollment_id"), self._required(request, "assignment_id"))
        attempts = sorted(
            self._lookup(self.data["test_attempts"], key, "Test attempt list"),
            key=lambda a: a["attempt_index"],
            reverse=True,
        )
        return self.listing(request, attempts, warning=OBSOLETE["GetTestAttempts"])

    def cmi_data(self, request: SandboxRequest) -> SandboxResponse:
        body = self._body(request)
        key = (
            _guid(body.get("enrollment_id"), "enrollment_id"),
            _guid(body.get("assignment_id"), "assignment_id"),
        )
        names = body.get("cmi_element_names")
        if not isinstance(names, list) or not names:
            raise TwinError(ERR_BAD_REQUEST, "cmi_element_names is required")
        scos = []
        for sco in sorted(self._lookup(self.data["cmi"], key, "SCORM data"), key=lambda s: s["sco_id"]):
            fields = [
                {"cmi_element_name": n, "cmi_element_value": sco["cmi_values"][n], "error_message": None}
                if n in sco["cmi_values"]
                else {
                    "cmi_element_name": n,
                    "cmi_element_value": None,
                    "error_message": "Unsupported CMI element",
                }
                for n in names
            ]
            scos.append({k: v for k, v in sco.items() if k != "cmi_values"} | {"cmi_fields": fields})
        return self.listing(request, scos, warning=OBSOLETE["GetCmiData"])

    def student_sessions(self, request: SandboxRequest) -> SandboxResponse:
        body = self._body(request)
        user_id = _guid(body.get("user_id"), "user_id")
        self._lookup(self.orgs, _guid(body.get("org_id"), "org_id"), "Organization")
        section_id = _guid(body["section_id"], "section_id") if body.get("section_id") else None
        if not body.get("from_date"):
            raise TwinError(ERR_BAD_REQUEST, "from_date is required")
        after = _moment(body["from_date"], "from_date")
        before = _moment(body["to_date"], "to_date") if body.get("to_date") else None
        items = [
            s
            for s in self.data["student_sessions"]
            if s["user_id"] == user_id
            and (not section_id or s["section_id"] == section_id)
            and self._in_range(s["utc_start_date"], after, before)
        ]  # sessions by start, oldest first
        paging = body.get("paging") or {}
        page = max(int(paging.get("page") or 1), 1)
        per_page = self._per_page(paging.get("per_page"))
        chunk = page_slice(items, page, per_page)[0]
        return SandboxResponse.json(
            {
                "sessions": chunk,
                "page": page,
                "page_size": per_page,
                "total_count": len(items),
                "api_error_entity": entity(),
            }
        )

    # ---- custom enrollment fields -------------------------------------------------------------

    def _lineage(self, org_id: str) -> list[str]:
        chain = []
        while org_id:
            chain.append(org_id)
            org_id = self.orgs[org_id]["parent_org_id"]
        return chain

    def custom_fields(self, request: SandboxRequest) -> SandboxResponse:
        org_id = self._required(request, "org_id")
        self._lookup(self.orgs, org_id, "Organization")
        field_id = self._optional(request, "field_id")
        if field_id and field_id not in self.fields:
            raise TwinError(ERR_NOT_FOUND, "CustomFieldNotFound")
        lineage = self._lineage(org_id)
        items = [
            f
            for f in self.data["custom_fields"]
            if f["org_id"] in lineage and (not field_id or f["field_id"] == field_id)
        ]
        return SandboxResponse.json([self._with_entity(f) for f in sorted(items, key=lambda f: f["name"])])

    def field_default(self, request: SandboxRequest) -> SandboxResponse:
        org_id, field_id = self._required(request, "org_id"), self._required(request, "field_id")
        if field_id not in self.fields:
            raise TwinError(ERR_NOT_FOUND, "CustomFieldNotFound")
        setting = self.data["field_defaults"].get((org_id, field_id, self._optional(request, "syllabus_id")))
        return SandboxResponse.json(self._with_entity(setting) if setting else None)

    def field_values(self, request: SandboxRequest) -> SandboxResponse:
        enrollment_id = self._enrollment_of(request, "subscriber_id", "syllabus_id")
        key = request.arg("key")
        values = [v for v in self.data["field_values"][enrollment_id] if not key or v["key"] == key]
        return SandboxResponse.json([self._with_entity(v) for v in values])

    # ---- sections, plans, assignments ---------------------------------------------------------

    def _by_product(self, request: SandboxRequest, id_param: str, table: dict[str, Any]) -> SandboxResponse:
        syllabus_id, product_id = self._optional(request, id_param), self._optional(request, "product_id")
        if bool(syllabus_id) == bool(product_id):
            raise TwinError(ERR_BAD_REQUEST, f"Send {id_param} or product_id, not both or neither")
        if product_id:
            syllabus_id = self._lookup(self.data["products"], product_id, "Product")
        return SandboxResponse.json(self._with_entity(self._lookup(table, syllabus_id, "Syllabus")))

    def section(self, request: SandboxRequest) -> SandboxResponse:
        return self._by_product(request, "syllabus_id", self.sections)

    def training_plan(self, request: SandboxRequest) -> SandboxResponse:
        training_plan_id = self._optional(request, "training_plan_id")
        if training_plan_id:
            return SandboxResponse.json(
                self._with_entity(self._lookup(self.plans, training_plan_id, "Training plan"))
            )
        return self._by_product(request, "training_plan_id", self.plans)

    def text(self, request: SandboxRequest, param: str, table: dict[str, Any], key: str) -> SandboxResponse:
        syllabus_id = self._required(request, param)
        self._lookup(table, syllabus_id, "Syllabus")
        return SandboxResponse.json(
            {key: self.data["syllabus_texts"][syllabus_id][key], "api_error_entity": entity()}
        )

    def sections_by_id(self, request: SandboxRequest) -> SandboxResponse:
        wanted = self._body(request).get("sections")
        if not isinstance(wanted, list) or not wanted:
            raise TwinError(ERR_BAD_REQUEST, "sections is required")
        ids = list(dict.fromkeys(_guid(v, "sections") for v in wanted))  # duplicates served once
        found = [self._with_entity(self.sections[i]) for i in ids if i in self.sections]
        return SandboxResponse.json({"sections": found, "api_error_entity": entity()})

    def assignments_of_section(self, request: SandboxRequest) -> SandboxResponse:
        section_id = self._required(request, "section_id")
        self._lookup(self.sections, section_id, "Section")
        items = [
            a
            for a in self.data["assignments"]
            if self.data["assignment_section"][a["assignment_id"]] == section_id
        ]
        items.sort(key=lambda a: (a["display_order"], a["utc_date_added"]))
        return self.listing(request, items)

    def assignment_instructions(self, request: SandboxRequest) -> SandboxResponse:
        assignment_id = self._required(request, "assignment_id")
        text = self._lookup(self.data["assignment_instructions"], assignment_id, "Assignment")
        return SandboxResponse.json({"assignment_instructions": text, "api_error_entity": entity()})

    # ---- organizations, catalogs --------------------------------------------------------------

    def organizations(self, request: SandboxRequest) -> SandboxResponse:
        org_id, short_name = self._optional(request, "org_id"), request.arg("org_short_name")
        if short_name:
            matches = [o["org_id"] for o in self.data["organizations"] if o["short_name"] == short_name]
            if not matches:
                raise TwinError(ERR_NOT_FOUND, f"Organization {short_name} was not found")
            org_id = matches[0]
        if org_id:
            self._lookup(self.orgs, org_id, "Organization")
        items = [
            {k: o[k] for k in ("org_id", "name", "short_name")}
            for o in self.data["organizations"]
            if not org_id or org_id in self._lineage(o["org_id"])
        ]
        items.sort(key=lambda o: o["name"])
        return self.listing(request, items, warning=OBSOLETE["GetOrganizations"])

    def catalogs_of_group(self, request: SandboxRequest) -> SandboxResponse:
        body = self._body(request)
        group_id = _guid(body.get("group_id"), "group_id")
        self._lookup(self.orgs, group_id, "Group")
        access = body.get("catalog_access_option", 0)
        model = body.get("publishing_model")
        if access not in (0, 1, 2) or model not in (None, 0, 1, 2):
            raise TwinError(ERR_BAD_REQUEST, "catalog_access_option and publishing_model must be 0, 1 or 2")
        shares = self.data["catalog_shares"]
        items = [
            c
            for c in self.data["catalogs"]
            if (
                (access in (1, 2) and c["org_id"] == group_id)
                or (access in (0, 2) and group_id in shares[c["catalog_id"]])
            )
            and (model is None or c["publishing_model"] == model)
        ]
        items.sort(key=lambda c: c["name"])
        chunk, _, _ = self._page(request, items)
        return SandboxResponse.json({"catalogs": chunk, "api_error_entity": entity()})

    def catalog_text(self, request: SandboxRequest, key: str) -> SandboxResponse:
        catalog_id = self._required(request, "catalog_id")
        self._lookup(self.catalogs, catalog_id, "Catalog")
        return SandboxResponse.json(
            {key: self.data["catalog_texts"][catalog_id][key], "api_error_entity": entity()}
        )

    def categories_of_catalog(self, request: SandboxRequest) -> SandboxResponse:
        catalog_id = self._required(request, "catalog_id")
        self._lookup(self.catalogs, catalog_id, "Catalog")
        items = sorted(
            (c for c in self.data["categories"] if c["catalog_id"] == catalog_id),
            key=lambda c: c["date_created"],
            reverse=True,
        )
        return self.listing(request, items, entities=False)  # NexPort's category model has no entity

    def catalog_syllabi(self, request: SandboxRequest) -> SandboxResponse:
        catalog_id = self._required(request, "catalog_id")
        entries = self._lookup(self.data["catalog_syllabi"], catalog_id, "Catalog")
        return self.listing(request, sorted(entries, key=lambda s: s["syllabus_name"]))

    def category_syllabi(self, request: SandboxRequest) -> SandboxResponse:
        category_id = self._required(request, "category_id")
        entries = self._lookup(self.data["category_syllabi"], category_id, "Category")
        return self.listing(request, sorted(entries, key=lambda s: s["syllabus_name"]))
