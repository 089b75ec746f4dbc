"""The NexPort twin's campus, generated from a seed.

Organizations, users, sections, training plans, enrollments and everything hanging off them.
Records are stored in the shape the API serves them, without the ``api_error_entity`` the twin adds
when serving; relations the API does not show (the organization of an enrollment, the organizations
a catalog is shared with) live in separate maps.

Every builder draws from the one shared :class:`Faker` (and the GUIDs from its generator) in a
fixed order: the same seed gives the same campus byte for byte, so builders must be called in the
order :func:`build_nexport_data` calls them, and none may draw more or less than it does today.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from airflow_provider_lms.sandbox.data import SANDBOX_TODAY, Faker

CMI_ELEMENTS = ("cmi.core.lesson_status", "cmi.core.score.raw", "cmi.core.total_time", "cmi.suspend_data")
ASSIGNMENT_TYPES = ("Scorm", "Test", "Document", "Survey")
ORGANIZATIONS = (  # name, short name, index of the parent
    ("NexPort Academy", "academy", None),
    ("Northwind Health", "northwind", 0),
    ("Contoso Safety", "contoso", 0),
    ("Fabrikam Retail", "fabrikam", 0),
    ("Contoso East", "contoso-east", 2),
)
CATALOGS = (  # name, owner org index, shared with org indexes, publishing model
    ("Compliance Essentials", 0, (1, 2, 3), 0),
    ("Northwind Clinical", 1, (4,), 1),
    ("Academy Extras", 0, (2,), 2),
)

Record = dict[str, Any]
Count = Callable[[int], int]  # a count at scale 1 -> the count at the twin's scale
#: (user, section or training plan, "section" | "training_plan"): one enrollment to draw.
Pair = tuple[Record, Record, str]


def stamp(moment: datetime | None) -> str | None:
    """NexPort's timestamp form: UTC with seven fractional digits (.NET ticks)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z" if moment else None


def _midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


class _Ids:
    """Seeded version-4 GUIDs, drawn from the Faker's own generator."""

    def __init__(self, fake: Faker) -> None:
        self._random = fake.random

    def __call__(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))


def build_nexport_data(seed: int = 1, scale: float = 1.0) -> dict[str, Any]:
    """The campus: record lists the API serves, and the maps the twin looks relations up in."""
    fake = Faker(seed)
    new_id = _Ids(fake)
    n: Count = lambda count: max(int(count * scale), 1)  # noqa: E731

    orgs = _organizations(new_id)
    users = _users(fake, n, new_id, orgs)
    syllabus_org: dict[str, str] = {}
    syllabus_texts: dict[str, dict[str, str]] = {}
    sections = _sections(fake, n, new_id, orgs, syllabus_org, syllabus_texts)
    training_plans = _training_plans(fake, n, new_id, orgs, syllabus_org, syllabus_texts)
    assignments, assignment_section, instructions = _assignments(fake, new_id, sections)
    of_section = lambda syllabus_id: [  # noqa: E731
        a for a in assignments if assignment_section[a["assignment_id"]] == syllabus_id
    ]

    pairs = _enrollment_pairs(fake, users, sections, training_plans)
    enrolled_dates = _enrollment_dates(fake, len(pairs))
    enrollments, enrollment_org, section_enrollments, plan_enrollments, enrolled_at = _enrollments(
        fake, new_id, pairs, enrolled_dates, of_section
    )
    statuses, test_attempts, cmi, sessions = _learning_activity(
        fake, new_id, section_enrollments, enrolled_at, of_section
    )
    fields, field_defaults = _custom_fields(new_id, orgs, sections)
    field_values = _field_values(fake, orgs, enrollments, enrollment_org, fields)
    certificates = _certificates(enrollments)
    catalogs = _Catalogs(fake, new_id)
    catalogs.draw(orgs, sections, training_plans)

    return {
        "organizations": orgs,
        "users": users,
        "sections": sections,
        "training_plans": training_plans,
        "syllabus_org": syllabus_org,
        "syllabus_texts": syllabus_texts,
        "products": catalogs.products,
        "assignments": assignments,
        "assignment_section": assignment_section,
        "assignment_instructions": instructions,
        "enrollments": enrollments,
        "enrollment_org": enrollment_org,
        "section_enrollments": section_enrollments,
        "training_plan_enrollments": plan_enrollments,
        "assignment_statuses": statuses,
        "test_attempts": test_attempts,
        "cmi": cmi,
        "student_sessions": sessions,
        "custom_fields": fields,
        "field_defaults": field_defaults,
        "field_values": field_values,
        "certificates": certificates,
        "catalogs": catalogs.catalogs,
        "catalog_shares": catalogs.shares,
        "catalog_texts": catalogs.texts,
        "categories": catalogs.categories,
        "catalog_syllabi": catalogs.syllabi,
        "category_syllabi": catalogs.category_syllabi,
    }


# ---- organizations, users, syllabi --------------------------------------------------------------


def _organizations(new_id: _Ids) -> list[Record]:
    """The fixed organization tree of :data:`ORGANIZATIONS`."""
    orgs: list[Record] = []
    for name, short, parent in ORGANIZATIONS:
        orgs.append(
            {
                "org_id": new_id(),
                "name": name,
                "short_name": short,
                "parent_org_id": orgs[parent]["org_id"] if parent is not None else None,
            }
        )
    return orgs


def _users(fake: Faker, n: Count, new_id: _Ids, orgs: list[Record]) -> list[Record]:
    """Users spread over the organizations in turn, each with one subscription."""
    return [
        {
            "user_id": new_id(),
            "org_id": orgs[i % len(orgs)]["org_id"],
            "subscription_id": new_id(),
            **fake.person(i),
        }
        for i in range(n(60))
    ]


def _sections(
    fake: Faker,
    n: Count,
    new_id: _Ids,
    orgs: list[Record],
    syllabus_org: dict[str, str],
    syllabus_texts: dict[str, dict[str, str]],
) -> list[Record]:
    """Sections (courses); each one's organization and texts go into the two syllabus maps."""
    sections = []
    for i in range(n(8)):
        created = fake.moment(600)
        section = {
            "section_number": f"SN {i + 1:02d}",
            "section_ceus": f".{fake.randint(1, 9)} CEUs",
            "section_duration": f"{fake.randint(1, 8)} hours",
            "syllabus_id": new_id(),
            "title": fake.course_name(i),
            "unique_name": f"section-{i + 1:03d}",
            "utc_date_created": stamp(created),
            "utc_date_last_modified": stamp(created + timedelta(days=fake.randint(1, 200))),
            "hidden": fake.chance(0.1),
            "disable_certificates_for_student": False,
            "allow_drops": fake.chance(0.5),
            "auto_enroll_new_members": fake.chance(0.2),
            "end_after_period_from_enrollment_start": fake.chance(0.5),
            "enrollment_duration": fake.choice([30, 90, 365]),
            "enrollment_start": stamp(created),
            "enrollment_end": None,
            "final_drop_date": None,
            "training_start": stamp(created),
            "training_end": None,
            "disable_manual_enrollment": False,
            "credit_hours": fake.randint(1, 12),
        }
        sections.append(section)
        syllabus_org[section["syllabus_id"]] = orgs[i % len(orgs)]["org_id"]
        syllabus_texts[section["syllabus_id"]] = {
            "description": f"<p>{section['title']}: what you will learn.</p>",
            "objectives": f"<ul><li>Master {section['title']}</li></ul>",
        }
    return sections


def _training_plans(
    fake: Faker,
    n: Count,
    new_id: _Ids,
    orgs: list[Record],
    syllabus_org: dict[str, str],
    syllabus_texts: dict[str, dict[str, str]],
) -> list[Record]:
    """Training plans ("Pathway n"); each one's organization and text go into the syllabus maps."""
    training_plans = []
    for i in range(n(3)):
        created = fake.moment(600)
        org_id = orgs[(i + 1) % len(orgs)]["org_id"]
        plan = {
            "org_id": org_id,
            "name": f"Pathway {i + 1}",
            "root_requirement_id": new_id(),
            "syllabus_id": new_id(),
            "title": f"Pathway {i + 1}: {fake.course_name(i + 20)}",
            "unique_name": f"plan-{i + 1:03d}",
            "utc_date_created": stamp(created),
            "utc_date_last_modified": stamp(created + timedelta(days=fake.randint(1, 200))),
            "hidden": False,
            "disable_certificates_for_student": False,
            "allow_drops": True,
            "auto_enroll_new_members": False,
            "end_after_period_from_enrollment_start": True,
            "enrollment_duration": 365,
            "enrollment_start": stamp(created),
            "enrollment_end": None,
            "final_drop_date": None,
            "training_start": stamp(created),
            "training_end": None,
            "disable_manual_enrollment": False,
            "credit_hours": fake.randint(10, 40),
        }
        training_plans.append(plan)
        syllabus_org[plan["syllabus_id"]] = org_id
        syllabus_texts[plan["syllabus_id"]] = {"description": f"<p>{plan['title']}</p>"}
    return training_plans


def _assignments(
    fake: Faker, new_id: _Ids, sections: list[Record]
) -> tuple[list[Record], dict[str, str], dict[str, str]]:
    """Three to five assignments per section (the first two a SCORM and a test), the section of
    each, and each one's instructions template."""
    assignments, assignment_section, instructions = [], {}, {}
    for section in sections:
        count = fake.randint(3, 5)
        for order in range(count):
            added = fake.moment(500)
            kind = ASSIGNMENT_TYPES[order] if order < 2 else fake.choice(ASSIGNMENT_TYPES)
            assignment = {
                "assignment_id": new_id(),
                "title": f"{section['title']} part {order + 1}",
                "pacing_duration_hours": fake.randint(1, 5),
                "weight": fake.randint(1, 3),
                "due_date_deduction": 0,
                "due_date_strategy": 0,
                "utc_due_date": None,
                "utc_start_date": None,
                "lock_out_hours": 0,
                "utc_date_modified": stamp(added + timedelta(days=3)),
                "utc_date_added": stamp(added),
                "grading_strategy": fake.randint(0, 2),
                "max_score": 100,
                "mastery_score": 70,
                "display_order": count - order,  # served order differs from creation order
                "assignment_type": kind,
                "attempt_limit": 3 if kind == "Test" else 0,
            }
            assignments.append(assignment)
            assignment_section[assignment["assignment_id"]] = section["syllabus_id"]
            instructions[assignment["assignment_id"]] = f"#set($name = $user.FirstName)Hello $name, {kind}."
    return assignments, assignment_section, instructions


# ---- enrollments ---------------------------------------------------------------------------------


def _enrollment_pairs(
    fake: Faker, users: list[Record], sections: list[Record], training_plans: list[Record]
) -> list[Pair]:
    """Every user in a few sections and maybe a training plan."""
    pairs = []
    for user in users:
        for section in fake.random.sample(sections, k=min(fake.randint(3, 7), len(sections))):
            pairs.append((user, section, "section"))
        if fake.chance(0.5):
            pairs.append((user, fake.choice(training_plans), "training_plan"))
    return pairs


def _enrollment_dates(fake: Faker, count: int) -> list[datetime]:
    """``count`` enrollment moments in random order: unique (the API sorts on them), and one
    exactly on each of the last 45 midnights, to test window edges."""
    midnight = _midnight(SANDBOX_TODAY)
    dates = {midnight - timedelta(days=d) for d in range(1, 46)}
    while len(dates) < count:
        dates.add(fake.moment(60).replace(microsecond=fake.randint(0, 999_999)))
    enrolled_dates = sorted(dates)
    fake.random.shuffle(enrolled_dates)
    return enrolled_dates


def _enrollments(
    fake: Faker,
    new_id: _Ids,
    pairs: list[Pair],
    enrolled_dates: list[datetime],
    of_section: Callable[[str], list[Record]],
) -> tuple[list[Record], dict[str, str], list[Record], list[Record], dict[str, datetime]]:
    """The enrollments of ``pairs`` (SearchEnrollments' records, sorted by enrollment date), the
    organization of each, the section and training-plan views of them, and when each began."""
    enrollments, enrollment_org, section_enrollments, plan_enrollments = [], {}, [], []
    enrolled_at: dict[str, datetime] = {}
    for (user, syllabus, kind), enrolled in zip(pairs, enrolled_dates, strict=False):
        completed, base = _enrollment(fake, new_id, user, syllabus, enrolled)
        enrollments.append({k: v for k, v in base.items() if v is not None})
        enrollment_org[base["enrollment_id"]] = user["org_id"]
        enrolled_at[base["enrollment_id"]] = enrolled
        if kind == "section":
            total = len(of_section(syllabus["syllabus_id"]))
            section_enrollments.append(
                _section_enrollment(fake, base, user, syllabus, enrolled, completed, total)
            )
        else:
            plan_enrollments.append(_plan_enrollment(fake, base, user, syllabus, completed))
    enrollments.sort(key=lambda e: e["enrollment_date"])
    return enrollments, enrollment_org, section_enrollments, plan_enrollments, enrolled_at


def _enrollment(
    fake: Faker, new_id: _Ids, user: Record, syllabus: Record, enrolled: datetime
) -> tuple[datetime | None, Record]:
    """When (if ever) one enrollment completed, and its common fields (``None`` where unset)."""
    completed = None
    if fake.chance(0.5):
        completed = min(enrolled + timedelta(seconds=fake.randint(3600, 25 * 86400)), SANDBOX_TODAY)
        if fake.chance(0.15):
            completed = _midnight(completed)
    first_activity = enrolled + timedelta(seconds=fake.randint(60, 86400)) if fake.chance(0.85) else None
    last_activity = None
    if first_activity:
        ceiling = completed or SANDBOX_TODAY
        span = max(int((ceiling - first_activity).total_seconds()), 1)
        last_activity = min(first_activity + timedelta(seconds=fake.randint(0, span)), ceiling)
    phase = 2 if completed else (1 if first_activity else 0)
    return completed, {
        "enrollment_id": new_id(),
        "enrollment_date": stamp(enrolled),
        "start_date": stamp(enrolled),
        "expiration_date": stamp(enrolled + timedelta(days=365)),
        "completion_date": stamp(completed),
        "syllabus_id": syllabus["syllabus_id"],
        "unique_name": syllabus["unique_name"],
        "first_activity_date": stamp(first_activity),
        "last_activity_date": stamp(last_activity),
        "result": (1 if fake.chance(0.8) else 2) if completed else 0,
        "phase": phase,
        "user_id": user["user_id"],
    }


def _section_enrollment(
    fake: Faker,
    base: Record,
    user: Record,
    section: Record,
    enrolled: datetime,
    completed: datetime | None,
    total: int,
) -> Record:
    """GetSectionEnrollments' view of an enrollment: the section and assignment progress."""
    done = total if completed else fake.randint(0, total)
    return {
        "section": dict(section),
        "enrollment_day": enrolled.day,
        "enrollment_month": enrolled.month,
        "enrollment_year": enrolled.year,
        "subscription_id": user["subscription_id"],
        "title": section["title"],
        "number": section["section_number"],
        "assignment_count": total,
        "completed_assignment_count": done,
        "percent_assignments_complete": round(100 * done / total, 2) if total else 0,
        "weighted_score": fake.randint(0, 100) if done else 0,
        "max_weighted_score": 100,
        **base,
    }


def _plan_enrollment(
    fake: Faker, base: Record, user: Record, plan: Record, completed: datetime | None
) -> Record:
    """GetTrainingPlanEnrollments' view of an enrollment: requirements fulfilled and grades."""
    return {
        "subscription_id": user["subscription_id"],
        "name": plan["name"],
        "percent_requirements_fulfilled": 100 if completed else fake.randint(0, 99),
        "ed2go_registration_key": None,
        "average_score": fake.randint(50, 100),
        "grade_point_average": round(fake.random.uniform(2.0, 4.0), 2),
        **base,
    }


# ---- what learners did in their sections ---------------------------------------------------------


def _learning_activity(
    fake: Faker,
    new_id: _Ids,
    section_enrollments: list[Record],
    enrolled_at: dict[str, datetime],
    of_section: Callable[[str], list[Record]],
) -> tuple[
    list[Record], dict[tuple[str, str], list[Record]], dict[tuple[str, str], list[Record]], list[Record]
]:
    """Per section enrollment: a status per assignment (with test attempts and SCORM data where
    the assignment is one), then up to four study sessions. Sessions come back sorted by start."""
    statuses, test_attempts, cmi, sessions = [], {}, {}, []
    for record in section_enrollments:
        eid = record["enrollment_id"]
        enrolled = enrolled_at[eid]
        for assignment in of_section(record["syllabus_id"]):
            aid = assignment["assignment_id"]
            created = enrolled + timedelta(microseconds=fake.randint(1, 86_400_000_000))
            statuses.append(_assignment_status(fake, new_id, record, assignment, created))
            if assignment["assignment_type"] == "Test":
                test_attempts[(eid, aid)] = _test_attempts(fake, new_id, created)
            if assignment["assignment_type"] == "Scorm":
                cmi[(eid, aid)] = _scos(fake, assignment, created)
        sessions.extend(_student_sessions(fake, new_id, record, enrolled, of_section))
    sessions.sort(key=lambda s: (s["utc_start_date"], s["session_id"]))
    return statuses, test_attempts, cmi, sessions


def _assignment_status(
    fake: Faker, new_id: _Ids, record: Record, assignment: Record, created: datetime
) -> Record:
    """One assignment's status in a section enrollment (phase and result are the enrollment's)."""
    score = fake.randint(40, 100)  # drawn before the id: the order the data was first made in
    return {
        "assignment_status_id": new_id(),
        "phase": record["phase"],
        "result": record["result"],
        "resubmit_required_reason": None,
        "academic_override": False,
        "academic_override_reason": None,
        "utc_creation_date": stamp(created),
        "utc_first_activity_date": stamp(created),
        "utc_last_activity_date": stamp(created + timedelta(hours=2)),
        "utc_completion_date": record["completion_date"],
        "academic_override_admin_id": None,
        "grade_given_by_id": None,
        "assignment_id": assignment["assignment_id"],
        "enrollment_id": record["enrollment_id"],
        "user_id": record["user_id"],
        "enrollment_score": record["weighted_score"],
        "enrollment_max_score": 100,
        "assignment_score": score,
        "assignment_max_score": 100,
        "assignment_mastery_score": 70,
        "assignment_weight": assignment["weight"],
        "assignment_weighted_score": score * assignment["weight"],
    }


def _test_attempts(fake: Faker, new_id: _Ids, created: datetime) -> list[Record]:
    """Zero to three finished attempts of a test, one a day after the status was created."""
    attempts = []
    for index in range(1, fake.randint(0, 3) + 1):
        started = created + timedelta(days=index)
        attempts.append(
            {
                "attempt_id": new_id(),
                "attempt_index": index,
                "start_date": stamp(started),
                "last_time_left_update": stamp(started + timedelta(minutes=20)),
                "finish_date": stamp(started + timedelta(minutes=25)),
                "allow_relaunch": False,
                "time_left": "00:05:00",
                "num_questions": 20,
                "is_complete": True,
                "score": fake.randint(30, 100),
                "comments": None,
                "proctor_response_item": None,
            }
        )
    return attempts


def _scos(fake: Faker, assignment: Record, created: datetime) -> list[Record]:
    """One or two SCOs of a SCORM assignment with their CMI values."""
    scos = []
    for s in range(fake.randint(1, 2)):
        opened = created + timedelta(hours=s + 1)
        values = {
            "cmi.core.lesson_status": fake.choice(["passed", "incomplete", "failed"]),
            "cmi.core.score.raw": str(fake.randint(0, 100)),
            "cmi.core.total_time": f"00:{fake.randint(10, 59)}:00",
            "cmi.suspend_data": f"slide={fake.randint(1, 30)}",
        }
        scos.append(
            {
                "title": f"{assignment['title']} SCO {s + 1}",
                "sco_id": f"SCO-{s + 1:02d}",
                "start_date_utc": stamp(opened),
                "exit_date_utc": stamp(opened + timedelta(minutes=30)),
                "cmi_values": values,  # served as cmi_fields for the names asked
            }
        )
    return scos


def _student_sessions(
    fake: Faker,
    new_id: _Ids,
    record: Record,
    enrolled: datetime,
    of_section: Callable[[str], list[Record]],
) -> list[Record]:
    """Up to four study sessions in the 40 days after enrolling (some at midnight; none after
    the sandbox's today)."""
    sessions = []
    for _ in range(fake.randint(0, 4)):
        began = enrolled + timedelta(microseconds=fake.randint(1, 40 * 86_400_000_000))
        if fake.chance(0.1):
            began = _midnight(began)
        if began >= SANDBOX_TODAY:
            continue
        minutes = fake.randint(1, 90)
        sessions.append(
            {
                "session_id": new_id(),
                "user_id": record["user_id"],
                "section_id": record["syllabus_id"],
                "assignment_id": fake.choice([a["assignment_id"] for a in of_section(record["syllabus_id"])]),
                "utc_start_date": stamp(began),
                "utc_end_date": stamp(began + timedelta(minutes=minutes)),
                "duration_seconds": minutes * 60,
            }
        )
    return sessions


# ---- custom enrollment fields and certificates ---------------------------------------------------


def _custom_fields(
    new_id: _Ids, orgs: list[Record], sections: list[Record]
) -> tuple[list[Record], dict[tuple[str, str, str | None], Record]]:
    """Custom enrollment fields (0, 1 or 2 per organization) and their default settings, keyed
    ``(org_id, field_id, section_id or None)``: one organization-wide, one for a section."""
    fields, field_defaults = [], {}
    for index, org in enumerate(orgs):
        for f in range(index % 3):
            field = {
                "field_id": new_id(),
                "name": f"{org['short_name'].title()} field {f + 1}",
                "key": f"{org['short_name']}_field_{f + 1}",
                "description": f"Collected at enrollment in {org['name']}",
                "type": f,
                "org_id": org["org_id"],
                "org_short_name": org["short_name"],
            }
            fields.append(field)
            setting = {
                "field_id": field["field_id"],
                "name": field["name"],
                "key": field["key"],
                "default_value": f"default-{f + 1}",
                "setting_org_id": org["org_id"],
                "setting_org_short_name": org["short_name"],
                "field_org_id": org["org_id"],
                "field_org_short_name": org["short_name"],
                "type": field["type"],
            }
            field_defaults[(org["org_id"], field["field_id"], None)] = setting
            first_section = sections[index % len(sections)]["syllabus_id"]
            field_defaults[(org["org_id"], field["field_id"], first_section)] = {
                **setting,
                "default_value": f"section-default-{f + 1}",
            }
    return fields, field_defaults


def _field_values(
    fake: Faker,
    orgs: list[Record],
    enrollments: list[Record],
    enrollment_org: dict[str, str],
    fields: list[Record],
) -> dict[str, list[Record]]:
    """Per enrollment, values of the fields its organization or an ancestor defines (70% filled)."""
    org_by_id = {o["org_id"]: o for o in orgs}

    def lineage(org_id: str) -> list[str]:
        chain = []
        while org_id:
            chain.append(org_id)
            org_id = org_by_id[org_id]["parent_org_id"]
        return chain

    field_values = {}
    for enrollment in enrollments:
        eid, org_id = enrollment["enrollment_id"], enrollment_org[enrollment["enrollment_id"]]
        values = []
        for field in (f for f in fields if f["org_id"] in lineage(org_id)):
            if fake.chance(0.7):
                owner = org_by_id[field["org_id"]]
                values.append(
                    {
                        "name": field["name"],
                        "key": field["key"],
                        "value": f"{field['key']}-{fake.randint(1, 999)}",
                        "org_id": org_id,
                        "org_short_name": org_by_id[org_id]["short_name"],
                        "inherited_from_org_id": owner["org_id"],
                        "inherited_from_org_short_name": owner["short_name"],
                        "field_id": field["field_id"],
                        "type": field["type"],
                    }
                )
        field_values[eid] = values
    return field_values


def _certificates(enrollments: list[Record]) -> dict[str, Record]:
    """Per enrollment, its certificate: a URL once completed and passed (no random draws)."""
    certificates = {}
    for enrollment in enrollments:
        done = enrollment["phase"] == 2 and enrollment["result"] == 1
        certificates[enrollment["enrollment_id"]] = {
            "certificate_url": f"https://certificates.example.com/{enrollment['enrollment_id']}.pdf"
            if done
            else None,
            "certificate_ready": done,
            "certificate_not_assigned": False,
        }
    return certificates


# ---- catalogs ------------------------------------------------------------------------------------


class _Catalogs:
    """The catalogs of :data:`CATALOGS`, their syllabi (as products) and categories.

    Drawn in one pass, catalog by catalog: each catalog's entries and categories are drawn right
    after it, so they cannot be generated in separate passes without changing the data.
    """

    def __init__(self, fake: Faker, new_id: _Ids) -> None:
        self.fake, self.new_id = fake, new_id
        self.catalogs: list[Record] = []
        self.shares: dict[str, list[str]] = {}  # catalog id -> ids of the orgs it is shared with
        self.texts: dict[str, Record] = {}
        self.categories: list[Record] = []
        self.syllabi: dict[str, list[Record]] = {}  # catalog id -> its entries
        self.category_syllabi: dict[str, list[Record]] = {}
        self.products: dict[str, str] = {}  # product id -> syllabus id

    def draw(self, orgs: list[Record], sections: list[Record], training_plans: list[Record]) -> None:
        """Draw every catalog of :data:`CATALOGS` from the campus's sections and training plans."""
        syllabus_entries = [(s["syllabus_id"], s["title"], 0) for s in sections] + [
            (p["syllabus_id"], p["title"], 1) for p in training_plans
        ]
        for name, owner_index, shared, publishing in CATALOGS:
            self._catalog(
                name, orgs[owner_index], [orgs[i]["org_id"] for i in shared], publishing, syllabus_entries
            )

    def _catalog(
        self,
        name: str,
        owner: Record,
        shared_with: list[str],
        publishing: int,
        syllabus_entries: list[tuple[str, str, int]],
    ) -> None:
        fake, new_id = self.fake, self.new_id
        created = fake.moment(700)
        catalog = {
            "org_id": owner["org_id"],
            "org_name": owner["name"],
            "org_short_name": owner["short_name"],
            "catalog_id": new_id(),
            "is_enabled": True,
            "name": name,
            "date_created": stamp(created),
            "owner_id": new_id(),
            "owner_name": "Campus Admin",
            "modified_by_id": new_id(),
            "last_modified": stamp(created + timedelta(days=30)),
            "pricing_model": publishing,
            "access_time_limit": "365.00:00:00",
            "publishing_model": publishing,
        }
        cid = catalog["catalog_id"]
        self.catalogs.append(catalog)
        self.shares[cid] = shared_with
        self.texts[cid] = {"description": f"<p>{name}</p>", "credit_hours": fake.randint(5, 60)}
        entries = self._entries(syllabus_entries)
        self.syllabi[cid] = entries
        self._categories(name, cid, owner, created, entries)

    def _entries(self, syllabus_entries: list[tuple[str, str, int]]) -> list[Record]:
        """A sample of the syllabi, each offered as a new product."""
        entries = []
        for syllabus_id, title, kind in self.fake.random.sample(
            syllabus_entries, k=self.fake.randint(3, len(syllabus_entries))
        ):
            product_id = self.new_id()
            self.products[product_id] = syllabus_id
            entries.append(
                {
                    "syllabus_id": syllabus_id,
                    "syllabus_name": title,
                    "syllabus_type": kind,
                    "product_id": product_id,
                }
            )
        return entries

    def _categories(
        self, name: str, cid: str, owner: Record, created: datetime, entries: list[Record]
    ) -> None:
        """Two to four categories (all but the first under the first), each with some entries."""
        fake = self.fake
        parent = None
        for c in range(fake.randint(2, 4)):
            category = {
                "category_id": self.new_id(),
                "name": f"{name} / Topic {c + 1}",
                "catalog_id": cid,
                "org_id": owner["org_id"],
                "parent_category_id": parent,
                "date_created": stamp(created + timedelta(days=c + 1, seconds=fake.randint(0, 3600))),
            }
            self.categories.append(category)
            self.category_syllabi[category["category_id"]] = fake.random.sample(
                entries, k=fake.randint(1, len(entries))
            )
            parent = parent or category["category_id"]
