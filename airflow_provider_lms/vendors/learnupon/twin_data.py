"""The LearnUpon twin's portal content, generated from a seed.

Every builder draws from the one shared :class:`Faker` in a fixed order: the same seed gives the
same portal byte for byte, so builders must be called in the order :func:`build_learnupon_data`
calls them, and none may draw more or less than it does today. Lists are sorted by id: the order
the API serves them in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_provider_lms.sandbox.data import Faker, iso

STATUSES = ("not_started", "in_progress", "passed", "failed")
COURSES = 30  # at scale 1; learning paths and live events point at courses by this count

Record = dict[str, Any]
Count = Callable[[int], int]  # a count at scale 1 -> the count at the twin's scale


def build_learnupon_data(seed: int, scale: float) -> dict[str, Any]:
    """The portal's content: one list per endpoint family, plus the ids of the courses' exams."""
    fake = Faker(seed)
    n: Count = lambda count: max(int(count * scale), 1)  # noqa: E731
    users = _users(fake, n)
    courses, enrollments, exam_ids, exam_results, answers = _courses_and_enrollments(fake, n, users)
    groups, memberships = _groups(fake, n, users)
    paths, path_enrollments = _learning_paths(fake, n, users)
    trails = _audit_trails(fake, n, users)
    certifications = _certifications(enrollments)
    events = _live_learning_events(fake, n)
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
        "leaderboards": _leaderboard(enrollments),
        "course_completion": _course_completion(enrollments),
    }


def _users(fake: Faker, n: Count) -> list[Record]:
    """Portal users, ids from 1001."""
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
    return users


def _courses_and_enrollments(
    fake: Faker, n: Count, users: list[Record]
) -> tuple[list[Record], list[Record], list[int], list[Record], list[Record]]:
    """Courses (every third with an exam), their enrollments, and the exams' results and answers.

    One loop: each course's enrollments are drawn right after the course, so they cannot be split
    into separate passes without changing the data.
    """
    courses, enrollments, exam_ids, exam_results, answers = [], [], [], [], []
    for c in range(n(COURSES)):
        exam_id = 9001 + c if c % 3 == 0 else None
        if exam_id:
            exam_ids.append(exam_id)
        course = _course(fake, c, exam_id)
        courses.append(course)
        for user in fake.random.sample(users, k=fake.randint(5, min(40, len(users)))):
            enrollment = _enrollment(fake, user, course)
            enrollments.append(enrollment)
            if exam_id and enrollment["enrollment_status"] in ("passed", "failed"):
                exam_results.append(_exam_result(fake, len(exam_results) + 1, exam_id, enrollment))
                answers.extend(_exam_answers(fake, len(answers) + 1, exam_id, user["id"]))
    for i, enrollment in enumerate(enrollments):
        enrollment["id"] = 200_001 + i
    return courses, enrollments, exam_ids, exam_results, answers


def _course(fake: Faker, c: int, exam_id: int | None) -> Record:
    """Course number ``c``: one SCORM lesson, and an exam module when it has an exam."""
    course_id = 5001 + c
    modules = [{"id": 7001 + c * 10, "type": "scorm", "name": "Lesson"}]
    if exam_id:
        modules.append({"id": exam_id, "type": "exam", "name": f"{fake.course_name(c)} exam"})
    return {
        "id": course_id,
        "name": fake.course_name(c),
        "source_id": f"C-{course_id}",
        "published_status": "published",
        "modules": modules,
        "created_at": iso(fake.moment(500)),
        "updated_at": iso(fake.moment(90)),
    }


def _enrollment(fake: Faker, user: Record, course: Record) -> Record:
    """One user's enrollment in a course; its ``id`` is numbered once all are drawn."""
    status = fake.choice(STATUSES)
    enrolled = fake.moment(200)
    finished = status in ("passed", "failed")
    return {
        "id": 0,
        "user_id": user["id"],
        "course_id": course["id"],
        "course_name": course["name"],
        "enrollment_status": status,
        "percentage": 100 if finished else fake.randint(0, 99),
        "date_enrolled": iso(enrolled),
        "date_completed": iso(fake.moment(30)) if finished else None,
        "updated_at": iso(fake.moment(60)),
    }


def _exam_result(fake: Faker, result_id: int, exam_id: int, enrollment: Record) -> Record:
    """The exam result of a finished enrollment (it shares the enrollment's ``updated_at``)."""
    return {
        "id": result_id,
        "exam_id": exam_id,
        "user_id": enrollment["user_id"],
        "score": fake.randint(40, 100),
        "passed": enrollment["enrollment_status"] == "passed",
        "attempts": fake.randint(1, 3),
        "updated_at": enrollment["updated_at"],
    }


def _exam_answers(fake: Faker, first_id: int, exam_id: int, user_id: int) -> list[Record]:
    """Three to five answered questions of one user's exam, ids from ``first_id``."""
    answers: list[Record] = []
    for q in range(fake.randint(3, 5)):
        answers.append(
            {
                "id": first_id + len(answers),
                "exam_id": exam_id,
                "user_id": user_id,
                "question_id": exam_id * 100 + q,
                "answer": fake.choice("ABCD"),
                "correct": fake.chance(0.7),
            }
        )
    return answers


def _groups(fake: Faker, n: Count, users: list[Record]) -> tuple[list[Record], list[Record]]:
    """Groups ("Team 1", ...) and their memberships (served under the ``user`` envelope)."""
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
    return groups, memberships


def _learning_paths(fake: Faker, n: Count, users: list[Record]) -> tuple[list[Record], list[Record]]:
    """Learning paths of three courses each, and their enrollments."""
    paths = [
        {
            "id": 401 + p,
            "name": f"Path {p + 1}",
            "course_ids": [5001 + (p * 3 + k) % n(COURSES) for k in range(3)],
        }
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
    return paths, path_enrollments


def _audit_trails(fake: Faker, n: Count, users: list[Record]) -> list[Record]:
    """Audit-trail entries of the last 60 days, numbered in time order."""
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
    return trails


def _certifications(enrollments: list[Record]) -> list[Record]:
    """A certificate for every passed enrollment (no random draws)."""
    passed = [e for e in enrollments if e["enrollment_status"] == "passed"]
    return [
        {
            "id": 600_001 + i,
            "user_id": e["user_id"],
            "course_id": e["course_id"],
            "name": f"{e['course_name']} certificate",
            "issued_at": e["date_completed"],
        }
        for i, e in enumerate(passed)
    ]


def _live_learning_events(fake: Faker, n: Count) -> list[Record]:
    """Live-learning events of two sessions each."""
    return [
        {
            "id": 701 + i,
            "title": f"Live {fake.course_name(i)}",
            "course_id": 5001 + i % n(COURSES),
            "sessions": [{"id": (701 + i) * 10 + s, "start_at": iso(fake.moment(60))} for s in range(2)],
        }
        for i in range(n(15))
    ]


def _leaderboard(enrollments: list[Record]) -> list[Record]:
    """Users ranked by the sum of their enrollments' percentages (ties by user id)."""
    points: dict[int, int] = {}
    for e in enrollments:
        points[e["user_id"]] = points.get(e["user_id"], 0) + e["percentage"]
    ranked = sorted(points.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"rank": r + 1, "user_id": uid, "points": pts} for r, (uid, pts) in enumerate(ranked)]


def _course_completion(enrollments: list[Record]) -> list[Record]:
    """The course-completion report: one row per completed enrollment."""
    return [
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
