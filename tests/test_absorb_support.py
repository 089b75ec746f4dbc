"""Shared helpers of the Absorb tests (no tests here): one extract case per catalog endpoint and
what the documented API holds for it, computed from the twin's data store with plain Python."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

WINDOW = ("2026-10-10T00:00:00Z", "2026-10-20T00:00:00Z")


def moment(text: str) -> datetime:
    """An ISO 8601 date-time as an aware UTC datetime (naive text counts as UTC)."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def edited_in(record: dict[str, Any], window: tuple[str, str]) -> bool:
    return moment(window[0]) <= moment(record["dateEdited"]) < moment(window[1])


def shown(record: dict[str, Any]) -> dict[str, Any]:
    """The record as the API serves it (the twin keeps internal keys starting with ``_``)."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


def by_id(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(records, key=lambda r: r["id"])


def register(connect, running, tmp_path, conn_id: str = "absorb_test", **extra: Any) -> str:
    """An Airflow connection to the twin with its own token cache directory under ``tmp_path``."""
    extras = {**running.connection()["extra"], "token_cache_dir": str(tmp_path / "tokens"), **extra}
    return connect(running, conn_id, extra=extras)


class Scenario:
    """Ids picked from the twin's data so that every endpoint has records to return."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        enrollments = data["course_enrollments"]
        courses = {c["id"]: c for c in data["courses"]}
        online = [e for e in enrollments if courses[e["courseId"]]["courseType"] == "OnlineCourse"]
        ilc = [e for e in enrollments if courses[e["courseId"]]["courseType"] == "InstructorLedCourse"]
        # The online enrollment whose lessons have the most attempts; the biggest course and ILC session.
        self.online = max(online, key=lambda e: sum(le["attempts"] for le in self.lessons_of(e)))
        self.lesson = max(self.lessons_of(self.online), key=lambda le: le["attempts"])
        self.chapter_id = self.lesson["chapterId"]
        self.ilc = ilc[0]
        self.session_enrollment = next(
            s for s in data["session_enrollments"] if s["courseEnrollmentId"] == self.ilc["id"]
        )
        self.course_id = max(courses, key=lambda c: sum(e["courseId"] == c for e in enrollments))
        self.admin_id = data["users"][0]["id"]
        self.my_course_id = next(e["courseId"] for e in enrollments if e["userId"] == self.admin_id)
        busiest = sorted(
            {e["userId"] for e in enrollments}, key=lambda u: -sum(e["userId"] == u for e in enrollments)
        )
        self.user_id, self.bulk_user_ids = busiest[0], busiest[:3]

    def lessons_of(self, enrollment: dict[str, Any]) -> list[dict[str, Any]]:
        return [le for le in self.data["lesson_enrollments"] if le["courseEnrollmentId"] == enrollment["id"]]

    def case(self, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """(parameters, records the API holds for them) for catalog endpoint ``name``."""
        d, on, lesson, ilc = self.data, self.online, self.lesson, self.ilc
        uc = {"user_id": on["userId"], "course_id": on["courseId"]}
        enrollments = d["course_enrollments"]

        def where(key: str, **equal: Any) -> list[dict[str, Any]]:
            return [r for r in d[key] if all(r[f] == v for f, v in equal.items())]

        cases: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {
            "users": ({}, d["users"]),
            "courses": ({}, d["courses"]),
            "departments": ({}, d["departments"]),
            "groups": ({}, d["groups"]),
            "sessions": ({}, d["sessions"]),
            "course_enrollments": (
                {"course_id": self.course_id},
                where("course_enrollments", courseId=self.course_id),
            ),
            "user_enrollments": ({"user_id": self.user_id}, where("course_enrollments", userId=self.user_id)),
            "bulk_enrollments": (
                {"user_ids": self.bulk_user_ids},
                [e for e in enrollments if e["userId"] in self.bulk_user_ids],
            ),
            "course_enrollment": ({"enrollment_id": on["id"]}, [on]),
            "user_course_enrollment": (uc, [on]),
            "user_session_enrollments": (
                {"user_id": ilc["userId"], "course_id": ilc["courseId"]},
                where("session_enrollments", courseEnrollmentId=ilc["id"]),
            ),
            "user_session_enrollment": (
                {
                    "user_id": ilc["userId"],
                    "course_id": ilc["courseId"],
                    "session_id": self.session_enrollment["sessionId"],
                },
                [self.session_enrollment],
            ),
            "session_enrollments": (
                {"course_id": ilc["courseId"], "session_id": self.session_enrollment["sessionId"]},
                where("session_enrollments", sessionId=self.session_enrollment["sessionId"]),
            ),
            "user_chapter_enrollments": (uc, where("chapter_enrollments", courseEnrollmentId=on["id"])),
            "user_chapter_enrollment": (
                {**uc, "chapter_id": self.chapter_id},
                where("chapter_enrollments", courseEnrollmentId=on["id"], chapterId=self.chapter_id),
            ),
            "lesson_enrollments": (
                {"course_id": on["courseId"], "lesson_id": lesson["lessonId"]},
                where("lesson_enrollments", lessonId=lesson["lessonId"]),
            ),
            "user_lesson_enrollments": (uc, self.lessons_of(on)),
            "user_chapter_lesson_enrollments": (
                {**uc, "chapter_id": self.chapter_id},
                [le for le in self.lessons_of(on) if le["chapterId"] == self.chapter_id],
            ),
            "user_lesson_enrollment": ({**uc, "lesson_id": lesson["lessonId"]}, [lesson]),
            "user_chapter_lesson_enrollment": (
                {**uc, "chapter_id": self.chapter_id, "lesson_id": lesson["lessonId"]},
                [lesson],
            ),
            "lesson_attempts": (
                {**uc, "lesson_id": lesson["lessonId"]},
                where("attempts", _lessonEnrollmentId=lesson["id"]),
            ),
            "my_enrollments": ({}, where("course_enrollments", userId=self.admin_id)),
            "my_enrollment": (
                {"course_id": self.my_course_id},
                where("course_enrollments", userId=self.admin_id, courseId=self.my_course_id),
            ),
        }
        parameters, records = cases[name]
        return dict(parameters), [shown(r) for r in records]

    @staticmethod
    def names() -> list[str]:
        return [
            "users", "courses", "departments", "groups", "sessions", "course_enrollments",
            "user_enrollments", "bulk_enrollments", "course_enrollment", "user_course_enrollment",
            "user_session_enrollments", "user_session_enrollment", "session_enrollments",
            "user_chapter_enrollments", "user_chapter_enrollment", "lesson_enrollments",
            "user_lesson_enrollments", "user_chapter_lesson_enrollments", "user_lesson_enrollment",
            "user_chapter_lesson_enrollment", "lesson_attempts", "my_enrollments", "my_enrollment",
        ]  # fmt: skip
