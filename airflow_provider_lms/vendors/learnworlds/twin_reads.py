"""The LearnWorlds twin's reads added to cover the whole OpenAPI (issue 12): single objects by id,
form responses, seat and user-group memberships, a user's role, and custom-field filters on
``/users``. Their data comes from a SEPARATE seeded generator (``added_data``), so the school's
original data (and every output built from it) stays exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_provider_lms.sandbox.data import Faker
from airflow_provider_lms.sandbox.server import SandboxRequest, SandboxResponse

ID = r"(?P<{}>[\w.@%-]+)"
Handler = Callable[[SandboxRequest], SandboxResponse]
CUSTOM_FIELDS = {"cf_department": ("sales", "support", "engineering"), "cf_region": ("emea", "amer", "apac")}


def _error(message: str, status: int) -> SandboxResponse:
    return SandboxResponse.json({"error": message}, status)


def added_data(seed: int, data: dict[str, Any]) -> dict[str, Any]:
    """The added entities, from their own generator, after (and read-only over) the original data."""
    fake = Faker(seed + 1000)
    users, courses = data["users"], data["courses"]

    def new_id() -> str:
        return f"{fake.random.getrandbits(96):024x}"

    def stamp(days_back: int) -> float:
        return round(fake.moment(days_back).timestamp() + fake.random.random(), 5)

    custom = {u["id"]: {name: fake.choice(values) for name, values in CUSTOM_FIELDS.items()} for u in users}
    forms = {}
    for f in range(2):
        rows = []
        for user in fake.random.sample(users, k=min(len(users), fake.randint(15, 30))):
            created = stamp(60)
            grade = fake.randint(0, 100)
            rows.append(
                {
                    "id": new_id(),
                    "user_id": user["id"],
                    "email": user["email"],
                    "grade": grade,
                    "passed": grade >= 50,
                    "created": created,
                    "modified": created,
                    "submittedTimestamp": created,
                    "answers": [
                        {
                            "blockId": f"block-{f + 1}-{q + 1}",
                            "blockType": "text",
                            "question": f"Question {q + 1}",
                            "answer": fake.choice(["yes", "no", "maybe"]),
                            "grade": fake.randint(0, 10),
                            "blockMaxScore": 10,
                        }
                        for q in range(2)
                    ],
                    "generalFeedback": None,
                }
            )
        forms[f"form-{f + 1}"] = sorted(rows, key=lambda r: r["created"], reverse=True)  # most recent first
    memberships = []
    for seat in data["seats"]:
        for user in fake.random.sample(users, k=min(len(users), fake.randint(0, 25))):
            memberships.append(
                {
                    "seat_id": seat["id"],
                    "user_id": user["id"],
                    "active": fake.chance(0.8),
                    "got_seat_on": stamp(200),
                }
            )
    group_members = {
        group["id"]: [u["id"] for u in fake.random.sample(users, k=min(len(users), fake.randint(0, 25)))]
        for group in data["user_groups"]
    }
    invoices = {
        p["id"]: {
            "invoice": f"INV-{k + 1:05d}",
            "url": f"https://school.sandbox.example/invoices/{p['id']}.pdf",
            "expires_at": stamp(1) + 7 * 86400,
        }
        for k, p in enumerate(data["payments"])
    }
    return {
        "user_custom_fields": custom,
        "form_responses": forms,
        "seat_memberships": memberships,
        "group_members": group_members,
        "invoice_links": invoices,
        "assigned_courses": {u["id"]: [c["id"] for c in courses[:2]] for u in users if u["is_instructor"]},
    }


class AddedReads:
    """Routes and handlers of the added reads; mixed into :class:`LearnWorldsTwin`."""

    data: dict[str, Any]
    page: Callable[..., SandboxResponse]
    _users: Callable[..., list[dict[str, Any]]]

    def added_routes(self, add: Callable[[str, Handler], None]) -> None:
        # Handlers read self.data when called. Registered after the original routes: a fixed path
        # such as /users/segments wins over /users/{id}.
        def one(table: str, key: str = "id") -> Handler:
            return lambda r: self._one_of(self.data[table], key, r.match["id"])

        add(f"/courses/{ID.format('id')}", one("courses"))
        add(f"/bundles/{ID.format('id')}", one("bundles"))
        add(f"/subscription-plans/{ID.format('id')}", one("subscription_plans"))
        add(f"/users/{ID.format('id')}", self.user)
        add(f"/payments/{ID.format('id')}", one("payments"))
        add(f"/payments/{ID.format('id')}/invoice-link", self.invoice_link)
        add(f"/promotions/{ID.format('id')}", one("promotions"))
        add(f"/seats/{ID.format('id')}", one("seats"))
        add(f"/user_groups/{ID.format('id')}", one("user_groups"))
        add(f"/users/{ID.format('id')}/user-role", self.user_role)
        add(f"/community/spaces/{ID.format('id')}", one("community_spaces"))
        add(f"/community/posts/{ID.format('id')}", one("community_posts"))
        add(f"/forms/{ID.format('id')}/responses", self.form_responses)
        add(f"/seats/{ID.format('id')}/users", self.seat_users)
        add(f"/user_groups/{ID.format('id')}/users", self.group_users)
        add(f"/users/{ID.format('id')}/seats", self.user_seats)
        add(f"/users/{ID.format('id')}/user-groups", self.user_user_groups)

    def _one_of(self, items: list[dict[str, Any]], key: str, wanted: str) -> SandboxResponse:
        found = next((i for i in items if i[key] == wanted), None)
        return _error("Not found", 404) if found is None else SandboxResponse.json(found)

    def custom_field_filter(
        self, request: SandboxRequest, items: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """``cf_<field>=value`` on /users: every given custom field must match."""
        custom = self.data["user_custom_fields"]
        for name, values in request.query.items():
            if name.startswith("cf_"):
                items = [u for u in items if custom.get(u["id"], {}).get(name) == values[-1]]
        return items

    def user(self, request: SandboxRequest) -> SandboxResponse:
        user = self.data["user_index"].get(request.match["id"])
        if user is None or (user["is_suspended"] and request.arg("include_suspended") != "true"):
            return _error("User not found", 404)
        return SandboxResponse.json(user)

    def invoice_link(self, request: SandboxRequest) -> SandboxResponse:
        link = self.data["invoice_links"].get(request.match["id"])
        return _error("Payment not found", 404) if link is None else SandboxResponse.json(link)

    def user_role(self, request: SandboxRequest) -> SandboxResponse:
        user = self.data["user_index"].get(request.match["id"])
        if user is None:
            return _error("User not found", 404)
        return SandboxResponse.json(user_role_of(self.data, user))

    def form_responses(self, request: SandboxRequest) -> SandboxResponse:
        rows = self.data["form_responses"].get(request.match["id"])
        if rows is None:
            return _error("Form not found", 404)
        if request.arg("users"):
            wanted = set(request.arg("users", "").split(","))  # type: ignore[union-attr]
            rows = [r for r in rows if r["user_id"] in wanted]
        return self.page(request, rows, 20, items_per_page=True)

    def seat_users(self, request: SandboxRequest) -> SandboxResponse:
        seat_id = request.match["id"]
        if seat_id not in {s["id"] for s in self.data["seats"]}:
            return _error("Seat offering not found", 404)
        members = [m["user_id"] for m in self.data["seat_memberships"] if m["seat_id"] == seat_id]
        return self.page(request, self._users(members), 20)

    def group_users(self, request: SandboxRequest) -> SandboxResponse:
        members = self.data["group_members"].get(request.match["id"])
        if members is None:
            return _error("User group not found", 404)
        return self.page(request, self._users(members), 20)

    def user_seats(self, request: SandboxRequest) -> SandboxResponse:
        if request.match["id"] not in self.data["user_index"]:
            return _error("User not found", 404)
        return SandboxResponse.json(seats_of(self.data, request.match["id"]))

    def user_user_groups(self, request: SandboxRequest) -> SandboxResponse:
        if request.match["id"] not in self.data["user_index"]:
            return _error("User not found", 404)
        return SandboxResponse.json(groups_of(self.data, request.match["id"]))


def seats_of(data: dict[str, Any], user_id: str) -> list[dict[str, Any]]:
    """The seat offerings a user holds a seat of, as ``/users/{id}/seats`` lists them."""
    titles = {s["id"]: s["title"] for s in data["seats"]}
    return [
        {
            "id": m["seat_id"],
            "title": titles[m["seat_id"]],
            "active": m["active"],
            "got_seat_on": m["got_seat_on"],
        }
        for m in data["seat_memberships"]
        if m["user_id"] == user_id
    ]


def groups_of(data: dict[str, Any], user_id: str) -> list[dict[str, Any]]:
    return [
        {"id": g["id"], "title": g["title"]}
        for g in data["user_groups"]
        if user_id in data["group_members"][g["id"]]
    ]


def user_role_of(data: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """``/users/{id}/user-role``: the built-in role of the user's level and what it manages."""
    role = next(
        r for r in data["user_roles"] if r["access_level"] == user["role"]["level"] and not r["custom_role"]
    )
    return {
        "id": user["id"],
        "email": user["email"],
        "username": user["username"],
        "role_id": role["id"],
        "user_role": {"id": role["id"], "access_level": role["access_level"], "name": role["title"]},
        "assigned_courses": [
            {"course_id": c, "revenue_share_percentage": 0}
            for c in data["assigned_courses"].get(user["id"], [])
        ],
        "assigned_seat_offering_ids": [
            s["id"] for s in data["seats"] if any(m["id"] == user["id"] for m in s["managers"])
        ],
        "assigned_user_group_ids": [
            g["id"] for g in data["user_groups"] if any(m["id"] == user["id"] for m in g["managers"])
        ],
        "assigned_segment_id": None,
    }
