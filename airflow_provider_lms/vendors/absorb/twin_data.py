"""The Absorb twin's portal content, generated from a seed.

Every builder draws from the one shared :class:`Faker` in a fixed order: the same seed gives the
same portal byte for byte, so builders must be called in the order :func:`build_absorb_data`
calls them, and none may draw more or less than it does today. ``_``-prefixed keys are internal
(never served).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from airflow_provider_lms.sandbox.data import Faker, iso

#: Enrollment status codes and how often each is drawn (0 not started ... 5 complete).
STATUS_WEIGHTS = ((0, 3), (1, 4), (3, 5), (5, 1), (4, 1), (2, 1))
STATUSES = [s for s, weight in STATUS_WEIGHTS for _ in range(weight)]
ILC = "InstructorLedCourse"

Record = dict[str, Any]
Count = Callable[[int], int]  # a count at scale 1 -> the count at the twin's scale


def build_absorb_data(seed: int, scale: float, admin_username: str) -> dict[str, Any]:
    """The portal's content; ``admin_username`` is the first user (the connection's own)."""
    fake = Faker(seed)
    n: Count = lambda count: max(int(count * scale), 1)  # noqa: E731
    departments = _departments(fake, n)
    users = _users(fake, n, departments, admin_username)
    groups = _groups(fake, n, users)
    courses, sessions, chapters, lessons = _courses(fake, n)
    enrollments = _Enrollments(fake, sessions, chapters, lessons)
    enrollments.draw(courses, users)
    return {
        "departments": departments,
        "users": users,
        "groups": groups,
        "courses": courses,
        "sessions": sessions,
        "chapters": chapters,
        "lessons": lessons,
        "course_enrollments": enrollments.course,
        "session_enrollments": enrollments.session,
        "chapter_enrollments": enrollments.chapter,
        "lesson_enrollments": enrollments.lesson,
        "attempts": enrollments.attempts,
    }


def _guid(fake: Faker) -> str:
    """A random (seeded) version-4 GUID, Absorb's id form."""
    return str(uuid.UUID(int=fake.random.getrandbits(128), version=4))


def _departments(fake: Faker, n: Count) -> list[Record]:
    """Departments; every one after the first is a child of the first."""
    departments: list[Record] = []
    for d in range(n(6)):
        departments.append(
            {
                "id": _guid(fake),
                "name": f"Department {d + 1}",
                "externalId": f"D-{d + 1:03d}",
                "parentId": departments[0]["id"] if departments else None,
                "dateAdded": iso(fake.moment(700)),
                "dateEdited": iso(fake.moment(120)),
            }
        )
    return departments


def _users(fake: Faker, n: Count, departments: list[Record], admin_username: str) -> list[Record]:
    """Users, the first being the admin the connection logs in as."""
    users = []
    for i in range(n(150)):
        person = fake.person(i)
        users.append(
            {
                "id": _guid(fake),
                "username": admin_username if i == 0 else person["username"],
                "firstName": person["first_name"],
                "lastName": person["last_name"],
                "emailAddress": person["email"],
                "departmentId": fake.choice(departments)["id"],
                "externalId": f"U-{i + 1:05d}",
                "activeStatus": 0 if fake.chance(0.9) else 1,
                "dateAdded": iso(fake.moment(600)),
                "dateEdited": iso(fake.moment(30)),
                "lastLoginDate": iso(fake.moment(30)),
            }
        )
    return users


def _groups(fake: Faker, n: Count, users: list[Record]) -> list[Record]:
    """Groups with the ids of their members."""
    return [
        {
            "id": _guid(fake),
            "name": f"Group {g + 1}",
            "isAutomatic": fake.chance(0.3),
            "userIds": [u["id"] for u in fake.random.sample(users, k=min(fake.randint(5, 30), len(users)))],
        }
        for g in range(n(5))
    ]


def _courses(fake: Faker, n: Count) -> tuple[list[Record], list[Record], list[Record], list[Record]]:
    """Courses and what they hold: every fourth is instructor-led with two sessions, the others
    online with two chapters of two lessons."""
    courses, sessions, chapters, lessons = [], [], [], []
    for c in range(n(16)):
        ilc = c % 4 == 3
        course = {
            "id": _guid(fake),
            "name": fake.course_name(c),
            "courseType": ILC if ilc else "OnlineCourse",
            "activeStatus": 0,
            "externalId": f"C-{c + 1:03d}",
            "dateAdded": iso(fake.moment(500)),
            "dateEdited": iso(fake.moment(60)),
        }
        courses.append(course)
        if ilc:
            sessions.extend(_sessions(fake, course))
            continue
        for ch in range(2):
            chapter = {"id": _guid(fake), "courseId": course["id"], "name": f"Chapter {ch + 1}"}
            chapters.append(chapter)
            lessons.extend(_lessons(fake, course, chapter, ch))
    return courses, sessions, chapters, lessons


def _sessions(fake: Faker, course: Record) -> list[Record]:
    """The two sessions of an instructor-led course."""
    return [
        {
            "id": _guid(fake),
            "courseId": course["id"],
            "name": f"{course['name']} session {s + 1}",
            "dateStart": iso(fake.moment(40)),
            "dateEdited": iso(fake.moment(60)),
        }
        for s in range(2)
    ]


def _lessons(fake: Faker, course: Record, chapter: Record, ch: int) -> list[Record]:
    """The two lessons of chapter number ``ch``."""
    return [
        {
            "id": _guid(fake),
            "courseId": course["id"],
            "chapterId": chapter["id"],
            "name": f"Lesson {ch + 1}.{le + 1}",
            "type": fake.choice(["ObjectLesson", "AssessmentLesson", "VideoLesson"]),
        }
        for le in range(2)
    ]


class _Enrollments:
    """Course enrollments and, per enrollment, its session or chapter, lesson and attempt records.

    Drawn in one pass, course by course and user by user: each enrollment's children are drawn
    right after it, so they cannot be generated in separate passes without changing the data.
    """

    def __init__(
        self, fake: Faker, sessions: list[Record], chapters: list[Record], lessons: list[Record]
    ) -> None:
        self.fake, self.sessions, self.chapters, self.lessons = fake, sessions, chapters, lessons
        self.course: list[Record] = []
        self.session: list[Record] = []
        self.chapter: list[Record] = []
        self.lesson: list[Record] = []
        self.attempts: list[Record] = []

    def draw(self, courses: list[Record], users: list[Record]) -> None:
        """Enroll a sample of users (the admin in every third course) in each course."""
        admin = users[0]
        for index, course in enumerate(courses):
            chosen = self.fake.random.sample(users[1:], k=min(self.fake.randint(8, 30), len(users) - 1))
            if index % 3 == 0:
                chosen.append(admin)  # "my enrollments" of the connection's own user
            for user in chosen:
                self._enroll(course, user)

    def _enroll(self, course: Record, user: Record) -> None:
        fake = self.fake
        status = fake.choice(STATUSES)
        full_name = f"{user['firstName']} {user['lastName']}"
        enrolled = fake.moment(200)
        done = status in (3, 4, 5)
        enrollment = {
            "id": _guid(fake),
            "courseId": course["id"],
            "courseName": course["name"],
            "userId": user["id"],
            "fullName": full_name,
            "status": status,
            "progress": 100.0 if done else float(fake.randint(0, 99)),
            "score": float(fake.randint(40, 100)) if done else 0.0,
            "dateAdded": iso(enrolled),
            "dateStarted": iso(enrolled) if status else None,
            "dateCompleted": iso(fake.moment(30)) if done else None,
            "dateEdited": iso(fake.moment(30)),
            "isActive": True,
            "timeSpentTicks": fake.randint(0, 36_000) * 10_000_000,
            "jobTitle": fake.choice(["Analyst", "Engineer", "Nurse", "Manager", None]),
        }
        self.course.append(enrollment)
        common = {"courseEnrollmentId": enrollment["id"], "userId": user["id"], "fullName": full_name}
        if course["courseType"] == ILC:
            self._session_enrollment(course, common, enrolled)
            return
        for chapter in (c for c in self.chapters if c["courseId"] == course["id"]):
            self._chapter_enrollment(chapter, common, enrolled)

    def _session_enrollment(self, course: Record, common: Record, enrolled: datetime) -> None:
        """The enrollment in one (random) session of an instructor-led course."""
        fake = self.fake
        session = fake.choice([s for s in self.sessions if s["courseId"] == course["id"]])
        self.session.append(
            {
                "id": _guid(fake),
                "sessionId": session["id"],
                **common,
                "name": session["name"],
                "status": fake.choice([0, 3, 8, 9]),
                "progress": float(fake.randint(0, 100)),
                "score": float(fake.randint(0, 100)),
                "timeSpent": "01:30:00",
                "dateEnrolled": iso(enrolled),
                "dateStarted": None,
                "dateCompleted": None,
                "dateEdited": iso(fake.moment(30)),
            }
        )

    def _chapter_enrollment(self, chapter: Record, common: Record, enrolled: datetime) -> None:
        """A chapter enrollment, then its lesson enrollments (which list themselves in it)."""
        fake = self.fake
        chapter_record = {
            "id": _guid(fake),
            **common,
            "chapterId": chapter["id"],
            "sessionId": None,
            "lessonId": None,
            "name": chapter["name"],
            "status": fake.choice(STATUSES),
            "progress": float(fake.randint(0, 100)),
            "score": float(fake.randint(0, 100)),
            "timeSpent": "00:20:00",
            "dateEnrolled": iso(enrolled),
            "dateStarted": iso(enrolled),
            "dateCompleted": None,
            "lessonEnrollmentIds": [],
            "_dateEdited": iso(fake.moment(30)),  # filtered by modifiedSince, never shown
        }
        self.chapter.append(chapter_record)
        for lesson in (x for x in self.lessons if x["chapterId"] == chapter["id"]):
            self._lesson_enrollment(lesson, chapter_record, common, enrolled)

    def _lesson_enrollment(
        self, lesson: Record, chapter_record: Record, common: Record, enrolled: datetime
    ) -> None:
        """A lesson enrollment and one attempt record per attempt it counts."""
        fake = self.fake
        tries = fake.randint(0, 3)
        lesson_record = {
            "id": _guid(fake),
            "chapterEnrollmentId": chapter_record["id"],
            "type": lesson["type"],
            "attempts": tries,
            "failures": fake.randint(0, tries),
            "lastAttempt": iso(fake.moment(30)) if tries else None,
            **common,
            "chapterId": chapter_record["chapterId"],
            "lessonId": lesson["id"],
            "name": lesson["name"],
            "status": fake.choice(STATUSES),
            "progress": float(fake.randint(0, 100)),
            "score": float(fake.randint(0, 100)),
            "timeSpent": "00:05:00",
            "dateEnrolled": iso(enrolled),
            "dateStarted": iso(enrolled),
            "dateCompleted": None,
            "dateEdited": iso(fake.moment(30)),
            "dateAdded": iso(enrolled),
        }
        self.lesson.append(lesson_record)
        chapter_record["lessonEnrollmentIds"].append(lesson_record["id"])
        for _ in range(tries):
            started = fake.moment(60)
            self.attempts.append(
                {
                    "id": _guid(fake),
                    "timeSpentTicks": fake.randint(60, 3600) * 10_000_000,
                    "status": fake.choice([1, 3, 5]),
                    "score": float(fake.randint(0, 100)),
                    "startDate": iso(started),
                    "completionDate": iso(started),
                    "_lessonEnrollmentId": lesson_record["id"],
                }
            )
