"""The LearnWorlds twin's school: what each read endpoint serves, built from a seed.

The original entities come from one seeded generator drawn in a fixed order (the example DAGs'
outputs depend on it); the reads added later draw from their own generator (see twin_reads).
"""

from __future__ import annotations

from typing import Any

from airflow_provider_lms.sandbox.data import SANDBOX_TODAY, TOPICS, Faker
from airflow_provider_lms.vendors.learnworlds.twin_reads import added_data

ACTIVITIES = ("login", "logout", "visit_course", "complete_course", "purchase", "award_certificate", "post")


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
    """The school's content, as the API serves it (lists in the API's own order).

    One generator, drawn by each entity family in turn (this order is the dataset: do not change
    it); the entities added later come from their own generator (``added_data``).
    """
    fake = Faker(seed)
    new_id = _Ids(fake)
    users = _users(fake, new_id, n_users)
    user_index = {u["id"]: u for u in users}
    courses, contents = _courses(fake, new_id, n_courses)
    course_index = {c["id"]: c for c in courses}
    product_access = _course_access(fake, users, courses)
    bundles = _bundles(fake, users, courses, n_courses, product_access)
    plans, user_subscriptions = _subscriptions(fake, users, courses, product_access)
    grades, progress, certificates, assessment_responses, course_analytics, unit_analytics = _learning(
        fake, new_id, courses, contents, product_access, user_index
    )
    affiliate_users = _affiliate_users(fake, users)
    promotions = _promotions(fake, new_id, courses)
    payments, paid_access = _payments(fake, new_id, product_access, user_index, promotions)
    affiliates, payouts_completed, payouts_due, payouts_upcoming = _affiliates(
        fake, new_id, users, affiliate_users, payments
    )
    installments = _installments(fake, paid_access, user_index)
    school_events = _school_events(fake, courses)
    segments, segment_members = _segments(fake, new_id, users)
    leads = _leads(fake, users, n_users)
    event_logs = _event_logs(fake, users)
    seats, user_groups, user_roles = _managed(fake, new_id, users, courses)
    collections_, spaces, space_members, posts = _community(fake, new_id, users, courses)
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


# ---- entity families (called in this order by build_learnworlds_data) ----------------------


def _users(fake: Faker, new_id: _Ids, n_users: int) -> list[dict[str, Any]]:
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
    return users


def _courses(fake: Faker, new_id: _Ids, n_courses: int):
    """Courses and their sections and units (contents)."""
    courses, contents = [], {}
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
    return courses, contents


def _course_access(fake: Faker, users, courses) -> list[dict[str, Any]]:
    """Product access: who has which course (the enrollment table)."""
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
    return product_access


def _bundles(fake: Faker, users, courses, n_courses: int, product_access) -> list[dict[str, Any]]:
    """Bundles; their buyers join ``product_access``."""
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
    return bundles


def _subscriptions(fake: Faker, users, courses, product_access):
    """Subscription plans and users' subscriptions; active ones join ``product_access``."""
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
    return plans, user_subscriptions


def _learning(fake: Faker, new_id: _Ids, courses, contents, product_access, user_index):
    """Grades, assessment responses, progress, certificates and analytics of every course."""
    course_analytics, unit_analytics = {}, {}
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
    return grades, progress, certificates, assessment_responses, course_analytics, unit_analytics


def _affiliate_users(fake: Faker, users) -> list[dict[str, Any]]:
    """Affiliates and who they referred (marks the users)."""
    affiliate_users = fake.random.sample(users, k=min(6, len(users)))
    for user in affiliate_users:
        user["is_affiliate"] = True
    for user in users:
        if not user["is_affiliate"] and fake.chance(0.3):
            user["referrer_id"] = fake.choice(affiliate_users)["id"]
    return affiliate_users


def _promotions(fake: Faker, new_id: _Ids, courses) -> list[dict[str, Any]]:
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
    return promotions


def _payments(fake: Faker, new_id: _Ids, product_access, user_index, promotions):
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
    return payments, paid_access


def _affiliates(fake: Faker, new_id: _Ids, users, affiliate_users, payments):
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
    return affiliates, payouts_completed, payouts_due, payouts_upcoming


def _installments(fake: Faker, paid_access, user_index) -> list[dict[str, Any]]:
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
    return installments


def _school_events(fake: Faker, courses) -> list[dict[str, Any]]:
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
    return school_events


def _segments(fake: Faker, new_id: _Ids, users):
    segments = [
        {"id": new_id(), "name": name, "description": f"Users who are {name.lower()}"}
        for name in ("Active learners", "Dormant", "Big spenders", "New this month", "Instructors")
    ]
    segment_members = {
        s["id"]: [u["id"] for u in fake.random.sample(users, k=fake.randint(0, 40))] for s in segments
    }
    return segments, segment_members


def _leads(fake: Faker, users, n_users: int) -> list[dict[str, Any]]:
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
    return leads


def _event_logs(fake: Faker, users) -> list[dict[str, Any]]:
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
    return event_logs


def _managed(fake: Faker, new_id: _Ids, users, courses):
    """Seat offerings, user groups (both managed by users) and user roles."""

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
    return seats, user_groups, user_roles


def _community(fake: Faker, new_id: _Ids, users, courses):
    """Community collections, spaces with their members, and posts."""
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
    return collections_, spaces, space_members, posts
