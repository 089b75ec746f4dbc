"""The iSpring Learn twin's account: what each read endpoint serves, built from a seed.

The original entities come from one seeded generator, drawn in a fixed order (the example DAGs'
outputs depend on it). Entities added later come from a SEPARATE generator (``_added``), so adding
them never shifts a value of the original data.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from airflow_provider_lms.sandbox.data import SANDBOX_TODAY, Faker

COMPLETION_STATUSES = ("not_started", "in_progress", "complete", "passed", "failed")
FINISHED = ("complete", "passed", "failed")
#: /users/v2 reports a user whose employment ended as 5; the deprecated /users as blocked (3).
TERMINATED = 5
BLOCKED = 3


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


@dataclass
class _Draw:
    """One seeded generator and the helpers every entity family draws with."""

    fake: Faker
    scale: float

    @property
    def rng(self):
        return self.fake.random

    def n(self, count: int) -> int:
        return max(int(count * self.scale), 1)

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def recent(self, days: int) -> datetime:
        return self.fake.moment(days)


def build_ispring_data(seed: int, scale: float) -> dict[str, Any]:
    """The account's content, in the order the API lists it. Absent fields are absent, not null."""
    g = _Draw(Faker(seed), scale)
    departments = _departments(g)
    groups = [
        {"groupId": g.new_id(), "name": f"Cohort {k + 1}", "isSmart": k % 3 == 0} for k in range(g.n(6))
    ]
    users = _users(g, departments, groups)
    author = users[0]["userId"]
    courses, quiz_items, assignment_items, tracks = _content_items(g, author)
    modules, modules_of = _modules(g, courses, author)
    learning = _learning(g, courses, users, modules_of)
    course_ids = [c["contentItemId"] for c in courses]
    quizzes, quiz_answers = _quizzes(g, quiz_items, course_ids, learning["enrollments"])
    assignments, ungraded = _assignments(g, assignment_items, learning["enrollments"], author)
    track_courses = [
        {"learningTrackId": track["contentItemId"], "courseId": course_id}
        for t, track in enumerate(tracks)
        for course_id in course_ids[t * 3 : t * 3 + 3]
    ]
    points = [{"userId": u["userId"], "points": g.fake.randint(0, 500)} for u in users]
    data = {
        "departments": departments,
        "groups": groups,
        "users": users,
        "contents": courses + quiz_items + assignment_items + tracks,
        "course_modules": modules,
        "enrollments": learning["enrollments"],
        "learner_results": learning["results"],
        "learner_module_results": learning["module_results"],
        "quizzes": quizzes,
        "quiz_answers": quiz_answers,
        "assignments": assignments,
        "ungraded_attempts": ungraded,
        "gamification_points": points,
        "final_statuses": learning["final_statuses"],
        "learning_track_courses": track_courses,
    }
    data.update(_added(seed, scale, data))
    return data


# ---- the original entity families (one generator, this exact order) ---------------------------


def _departments(g: _Draw) -> list[dict[str, Any]]:
    root_department = g.new_id()
    departments = [
        {
            "departmentId": root_department,
            "name": "Company",
            "code": "ROOT",
            "subordination": {"subordinationType": "no_supervisor"},
            "coSubordination": {"subordinationType": "no_supervisor"},
        }
    ]
    for d in range(g.n(7)):
        departments.append(
            {
                "departmentId": g.new_id(),
                "name": f"{g.fake.course_name(d).split()[0]} team",
                "parentDepartmentId": root_department,
                "code": f"D{d + 1:02d}",
                "subordination": {"subordinationType": "inherit"},
                "coSubordination": {"subordinationType": "no_supervisor"},
            }
        )
    return departments


def _users(g: _Draw, departments: list[dict[str, Any]], groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    fake, rng = g.fake, g.rng
    learner_role, admin_role = g.new_id(), g.new_id()
    users = []
    for i in range(g.n(60)):
        person = fake.person(i)
        admin = i % 15 == 0
        role: dict[str, Any] = {"roleId": admin_role if admin else learner_role}
        role["roleType"] = "administrator" if admin else "learner"
        if admin:
            role["manageableDepartmentIds"] = [d["departmentId"] for d in departments[1:3]]
        users.append(
            {
                "userId": g.new_id(),
                "role": role["roleType"],
                "roleId": role["roleId"],
                "departmentId": fake.choice(departments)["departmentId"],
                "status": 3 if fake.chance(0.25) else 1,  # 3: blocked
                "fields": {
                    "login": person["username"],
                    "email": person["email"],
                    "first_name": person["first_name"],
                    "last_name": person["last_name"],
                },
                "addedDate": _stamp(g.recent(400)),
                "lastLoginDate": _stamp(g.recent(30)),
                "userRoles": [role],
                "groups": [grp["groupId"] for grp in rng.sample(groups, k=fake.randint(0, 2))],
                "subordination": {"subordinationType": "inherit"},
                "coSubordination": {"subordinationType": "no_supervisor"},
            }
        )
    return users


def _content_items(g: _Draw, author: str):
    fake = g.fake

    def content(kind: str, title: str) -> dict[str, Any]:
        item_id = g.new_id()
        return {
            "contentItemId": item_id,
            "title": title,
            "subtitle": f"{kind} in the sandbox",
            "description": f"About {title}",
            "userId": author,
            "addedDate": _stamp(g.recent(300)),
            "viewUrl": f"https://sandbox.ispring.example/app/content/{item_id}",
            "type": kind.lower(),
            "contentItemType": kind,
        }

    courses = [content("Course", fake.course_name(c)) for c in range(g.n(12))]
    for course in courses:
        course["courseFields"] = [{"fieldId": "f-level", "fieldValue": fake.choice(["basic", "advanced"])}]
    quiz_items = [content("Quiz", f"{fake.course_name(q)} quiz") for q in range(g.n(4))]
    assignment_items = [content("Assignment", f"{fake.course_name(a)} essay") for a in range(g.n(3))]
    tracks = [content("LearningTrack", f"Track {t + 1}") for t in range(g.n(3))]
    return courses, quiz_items, assignment_items, tracks


def _modules(g: _Draw, courses: list[dict[str, Any]], author: str):
    modules, modules_of = [], {}
    for course in courses:
        own = []
        for m in range(g.fake.randint(2, 3)):
            own.append(
                {
                    "moduleId": g.new_id(),
                    "contentItemId": g.new_id(),
                    "courseId": course["contentItemId"],
                    "title": f"{course['title']} part {m + 1}",
                    "description": "Module",
                    "authorId": author,
                    "addedDate": _stamp(g.recent(300)),
                    "viewUrl": f"https://sandbox.ispring.example/app/module/{len(modules) + m}",
                }
            )
        modules.extend(own)
        modules_of[course["contentItemId"]] = own
    return modules, modules_of


def _learning(g: _Draw, courses, users, modules_of) -> dict[str, Any]:
    """Enrollments with their course results, module results and final statuses."""
    fake, rng = g.fake, g.rng
    enrollments, results, module_results, final_statuses = [], [], [], {}
    for course in courses:
        course_id = course["contentItemId"]
        final_statuses[course_id] = []
        for user in rng.sample(users, k=fake.randint(12, min(30, len(users)))):
            accessed = g.recent(60)
            status = fake.choice(COMPLETION_STATUSES)
            enrollment: dict[str, Any] = {
                "enrollmentId": g.new_id(),
                "courseId": course_id,
                "learnerId": user["userId"],
                "accessDate": accessed.strftime("%Y-%m-%d"),
                "shouldLockAfterDueDate": fake.chance(0.2),
                "enrollmentTypeGroup": fake.randint(0, 1),
            }
            due = accessed + timedelta(days=fake.randint(7, 40)) if fake.chance(0.6) else None
            if due:
                enrollment["dueDate"] = due.strftime("%Y-%m-%d")
            completed = None
            if status in FINISHED:
                completed = accessed + timedelta(seconds=rng.randrange(3600, 20 * 86400))
                completed = min(completed, SANDBOX_TODAY - timedelta(seconds=1))
                if len(results) % 7 == 0:  # some land exactly on midnight: the window edges matter
                    completed = completed.replace(hour=0, minute=0, second=0)
                enrollment["certificate"] = {
                    "issuedCertificateId": g.new_id(),
                    "issueDate": completed.strftime("%Y-%m-%d"),
                }
            enrollments.append(enrollment)
            progress = (
                100
                if status in FINISHED
                else (0 if status == "not_started" else round(rng.uniform(1, 99), 2))
            )
            result: dict[str, Any] = {
                "userId": user["userId"],
                "courseId": course_id,
                "courseTitle": course["title"],
                "enrollmentId": enrollment["enrollmentId"],
                "accessDate": _stamp(accessed),
                "dueDate": _stamp(due) if due else None,
                "completionDate": _stamp(completed) if completed else None,
                "timeSpent": 0 if status == "not_started" else fake.randint(60, 7200),
                "completionStatus": status,
                "progress": progress,
                "awardedScore": float(fake.randint(40, 100)) if status in ("passed", "failed") else None,
                "isOverdue": bool(due and not completed and due < SANDBOX_TODAY),
                "viewsCount": fake.randint(0, 12),
            }
            results.append({k: v for k, v in result.items() if v is not None})
            for module in modules_of[course_id]:
                module_results.append(
                    _module_result(g, user, course_id, module, enrollment, result, completed)
                )
            status_row: dict[str, Any] = {
                "userId": user["userId"],
                "status": status,
                "progress": int(progress),
            }
            if completed:
                status_row["completionDate"] = _stamp(completed)
            final_statuses[course_id].append(status_row)
    return {
        "enrollments": enrollments,
        "results": results,
        "module_results": module_results,
        "final_statuses": final_statuses,
    }


def _module_result(g: _Draw, user, course_id, module, enrollment, result, completed) -> dict[str, Any]:
    module_done = completed if completed else None
    row = {
        "userId": user["userId"],
        "courseId": course_id,
        "moduleId": module["moduleId"],
        "moduleTitle": module["title"],
        "courseItemId": module["contentItemId"],
        "enrollmentId": enrollment["enrollmentId"],
        "accessDate": result["accessDate"],
        "completionDate": _stamp(module_done - timedelta(minutes=5)) if module_done else None,
        "timeSpent": g.fake.randint(0, 1800),
        "completionStatus": "complete" if module_done else result["completionStatus"],
        "progress": 100 if module_done else result["progress"],
        "isOverdue": result["isOverdue"],
        "viewsCount": g.fake.randint(0, 5),
    }
    return {k: v for k, v in row.items() if v is not None}


def _quizzes(g: _Draw, quiz_items, course_ids, enrollments):
    fake, rng = g.fake, g.rng
    quizzes, quiz_answers = [], {}
    for quiz in quiz_items:
        parents = rng.sample(course_ids, k=fake.randint(1, 2))
        quiz_id = g.new_id()
        quizzes.append(
            {
                "quizId": quiz_id,
                "quizTitle": quiz["title"],
                "contentItemId": quiz["contentItemId"],
                "parentCourseIds": parents,
            }
        )
        rows = []
        for enrollment in [e for e in enrollments if e["courseId"] in parents][:12]:
            attempt = g.recent(45)
            score = float(fake.randint(30, 100))
            for q in range(1, 4):
                correct = fake.chance(0.7)
                rows.append(
                    {
                        "userId": enrollment["learnerId"],
                        "enrollmentId": enrollment["enrollmentId"],
                        "quizVersion": "1",
                        "attemptDate": _stamp(attempt),
                        "isAttemptPassed": score >= 70,
                        "attemptScore": score,
                        "passingScore": 70.0,
                        "questionNumber": q,
                        "questionTitle": f"Question {q}",
                        "questionType": "MultipleChoice",
                        "questionScore": 10.0,
                        "answerText": fake.choice(["A", "B", "C", "D"]),
                        "isAnswerCorrect": correct,
                        "answerScore": 10.0 if correct else 0.0,
                    }
                )
        quiz_answers[quiz_id] = sorted(
            rows, key=lambda r: (r["attemptDate"], r["enrollmentId"], r["questionNumber"])
        )
    return quizzes, quiz_answers


def _assignments(g: _Draw, assignment_items, enrollments, author):
    assignments, ungraded = [], {}
    for a, item in enumerate(assignment_items):
        assignment_id = g.new_id()
        assignments.append({"assignmentId": assignment_id, "title": item["title"], "instructorId": author})
        ungraded[assignment_id] = [
            {
                "attemptId": g.new_id(),
                "enrollmentId": e["enrollmentId"],
                "userId": e["learnerId"],
                "comment": f"Submitted essay {k + 1}",
            }
            for k, e in enumerate(enrollments[a * 5 : a * 5 + (0 if a == 0 else 4)])  # the first has none
        ]
    return assignments, ungraded


# ---- entity families added for the whole OpenAPI (a separate generator) -----------------------


def _added(seed: int, scale: float, data: dict[str, Any]) -> dict[str, Any]:
    """The reads added with issue 12. Drawn from their own generator, after the original data."""
    g = _Draw(Faker(seed + 1000), scale)
    users = data["users"]
    blocked = [u["userId"] for u in users if u["status"] == BLOCKED]
    added: dict[str, Any] = {
        # Blocked users whose employment ended: /users/v2 says 5, the deprecated /users says 3.
        "terminated_user_ids": sorted(g.rng.sample(blocked, k=len(blocked) // 3)),
        "course_fields": [
            {"fieldId": "f-level", "fieldCustomId": "level", "fieldLabel": "Level", "fieldType": "TEXT"},
            {"fieldId": "f-owner", "fieldCustomId": "owner", "fieldLabel": "Owner", "fieldType": "TEXT"},
        ],
        "courses_tree": _courses_tree(g, data["contents"]),
        "smart_group_rules": _smart_group_rules(g, data["groups"], data["departments"]),
        "user_profile_fields": [
            {
                "userFieldInfoId": f"field-{k + 1}",
                "name": name,
                "label": name.replace("_", " ").title(),
                "type": "TEXT",
                "isUnique": int(name in ("login", "email")),
                "isRequired": int(name != "last_name"),
                "orderPriority": k + 1,
            }
            for k, name in enumerate(("login", "email", "first_name", "last_name"))
        ],
        "roles": _roles(users),
        "task_statuses": {
            str(1000 + k): {"status": g.fake.choice(["waiting", "in_progress", "complete", "error"])}
            for k in range(4)
        },
    }
    added.update(_trainings(g, users))
    added.update(_job_training(g, users))
    added.update(_performance(g, users, data["departments"]))
    added.update(_webhooks(g))
    return added


def _courses_tree(g: _Draw, contents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    folders = [
        {
            "contentItemId": g.new_id(),
            "title": f"Folder {k + 1}",
            "type": "folder",
            "description": "",
            "addedDate": _stamp(g.recent(400)),
            "viewUrl": "https://sandbox.ispring.example/app/content",
            "isShared": False,
        }
        for k in range(3)
    ]
    items = [
        {
            "contentItemId": c["contentItemId"],
            "title": c["title"],
            "type": c["type"],
            "description": c["description"],
            "addedDate": c["addedDate"],
            "viewUrl": c["viewUrl"],
            "parentId": g.fake.choice(folders)["contentItemId"],
            "isShared": g.fake.chance(0.2),
        }
        for c in contents
    ]
    return folders + items


def _smart_group_rules(g: _Draw, groups, departments) -> dict[str, Any]:
    return {
        grp["groupId"]: {
            "groupId": grp["groupId"],
            "rules": {
                "and": [
                    {
                        "or": [
                            {
                                "field": "departmentId",
                                "operator": "equals",
                                "value": g.fake.choice(departments)["departmentId"],
                            }
                        ]
                    }
                ]
            },
        }
        for grp in groups
        if grp["isSmart"]
    }


def _roles(users: list[dict[str, Any]]) -> list[dict[str, Any]]:
    roles: dict[str, dict[str, Any]] = {}
    for user in users:
        roles.setdefault(
            user["roleId"],
            {
                "roleId": user["roleId"],
                "type": user["role"],
                "title": user["role"].title(),
                "description": f"Built-in {user['role']} role",
            },
        )
    return list(roles.values())


def _trainings(g: _Draw, users) -> dict[str, Any]:
    """Instructor-led trainings: sessions, their days and participants."""
    trainings, sessions, days, participants = {}, {}, {}, {}
    for t in range(3):
        training_id = g.new_id()
        own = []
        for s in range(g.fake.randint(2, 3)):
            session_id = g.new_id()
            start = g.fake.moment(40)
            day_ids = []
            for d in range(g.fake.randint(1, 2)):
                day_id = g.new_id()
                day_ids.append(day_id)
                days[day_id] = {
                    "dayId": day_id,
                    "sessionId": session_id,
                    "trainingId": training_id,
                    "startTime": _stamp(start + timedelta(days=d)),
                    "duration": 120,
                    "location": g.fake.choice(["Room A", "Room B", "Online"]),
                    "url": f"https://meet.sandbox.example/{day_id[:8]}",
                }
            sessions[session_id] = {
                "id": session_id,
                "title": f"Training {t + 1} session {s + 1}",
                "startTime": _stamp(start),
                "duration": 120 * len(day_ids),
                "instructor": users[0]["userId"],
                "dayIds": day_ids,
            }
            participants[session_id] = [u["userId"] for u in g.rng.sample(users, k=g.fake.randint(3, 18))]
            own.append(session_id)
        trainings[training_id] = {
            "title": f"Training {t + 1}",
            "organizer": users[0]["userId"],
            "sessions": own,
            "type": g.fake.choice(["offline", "online"]),
        }
    return {
        "trainings": trainings,
        "training_sessions": sessions,
        "training_days": days,
        "session_participants": participants,
    }


def _job_training(g: _Draw, users) -> dict[str, Any]:
    """On-the-job training checklists, their sessions and the results of groups and criteria."""
    checklists, session_results, group_results, criterion_results = [], [], [], []
    for c in range(3):
        checklist_id = g.new_id()
        group_ids = [g.new_id() for _ in range(2)]
        criteria = {group_id: [g.new_id() for _ in range(2)] for group_id in group_ids}
        session_ids = []
        for _ in range(g.fake.randint(2, 4)):
            session_id = g.new_id()
            session_ids.append(session_id)
            employee, observer = g.rng.sample(users, k=2)
            status = g.fake.choice(["NOT_STARTED", "IN_PROGRESS", "PASSED"])
            start = g.fake.moment(50)
            people = {"employeeId": employee["userId"], "observerId": observer["userId"]}
            points = float(g.fake.randint(0, 20)) if status != "NOT_STARTED" else 0.0
            row: dict[str, Any] = {
                "checklistId": checklist_id,
                "checklistTitle": f"Checklist {c + 1}",
                "sessionId": session_id,
                "sessionStatus": status,
                "startDate": _stamp(start),
                "result": round(points / 20, 2),
                "totalPoints": 20.0,
                "points": points,
                **people,
            }
            if status != "NOT_STARTED":
                row["actualStartDate"] = _stamp(start + timedelta(hours=1))
            if status == "PASSED":
                row["completionDate"] = _stamp(start + timedelta(days=1))
                for k, group_id in enumerate(group_ids):
                    group_results.append(
                        {
                            "groupId": group_id,
                            "checklistId": checklist_id,
                            "groupTitle": f"Group {k + 1}",
                            "sessionId": session_id,
                            "result": 0.5,
                            "totalPoints": 10.0,
                            "points": points / 2,
                            **people,
                        }
                    )
                    for m, criterion_id in enumerate(criteria[group_id]):
                        criterion_results.append(
                            {
                                "criterionId": criterion_id,
                                "groupId": group_id,
                                "checklistId": checklist_id,
                                "criterionTitle": f"Criterion {k + 1}.{m + 1}",
                                "sessionId": session_id,
                                "skipped": g.fake.chance(0.1),
                                "totalPoints": 5.0,
                                "points": points / 4,
                                **people,
                            }
                        )
            session_results.append(row)
        checklists.append(
            {
                "checklistId": checklist_id,
                "checklistTitle": f"Checklist {c + 1}",
                "checklistStatus": g.fake.choice(["PUBLISHED", "HIDDEN"]),
                "sessionIds": session_ids,
            }
        )
    return {
        "checklists": checklists,
        "checklist_session_results": session_results,
        "criterion_group_results": group_results,
        "criterion_results": criterion_results,
    }


def _performance(g: _Draw, users, departments) -> dict[str, Any]:
    """Performance management: competency scales, groups, competencies, profiles, appraisals."""
    scales = []
    for s in range(2):
        levels = [{"levelId": g.new_id(), "name": f"Level {k + 1}", "score": k + 1} for k in range(3 + s)]
        scales.append({"scaleId": g.new_id(), "name": f"Scale {s + 1}", "levels": levels})
    competencies = []
    for c in range(5):
        scale = g.fake.choice(scales)
        competencies.append(
            {
                "competencyId": g.new_id(),
                "name": f"Competency {c + 1}",
                "description": f"What competency {c + 1} means",
                "scaleId": scale["scaleId"],
                "reviewMethod": g.fake.choice(["INDICATORS_INDIVIDUALLY", "COMPETENCY_ENTIRELY"]),
                "indicators": [
                    {
                        "indicatorId": g.new_id(),
                        "name": f"Indicator {c + 1}.{k + 1}",
                        "levels": scale["levels"],
                    }
                    for k in range(2)
                ],
                "commentsRequirementLevel": g.fake.choice(["DISABLED", "OPTIONAL", "REQUIRED"]),
                "emptyAnswersEnabled": g.fake.chance(0.5),
            }
        )
    ids = [c["competencyId"] for c in competencies]
    groups = [
        {"groupId": g.new_id(), "name": "Leadership", "competencyIds": ids[:2]},
        {"groupId": g.new_id(), "name": "Craft", "competencyIds": ids[2:]},
    ]
    groups[1]["parentId"] = groups[0]["groupId"]
    profiles = []
    for p in range(2):
        chosen = competencies[p * 2 : p * 2 + 3]
        profiles.append(
            {
                "profileId": g.new_id(),
                "name": f"Profile {p + 1}",
                "description": f"Role profile {p + 1}",
                "competencies": [
                    {
                        "competencyId": c["competencyId"],
                        "requiredLevelId": c["indicators"][0]["levels"][-1]["levelId"],
                    }
                    for c in chosen
                ],
                "indicators": [
                    {
                        "indicatorId": c["indicators"][0]["indicatorId"],
                        "requiredLevelId": c["indicators"][0]["levels"][0]["levelId"],
                    }
                    for c in chosen
                ],
            }
        )
    sessions = _appraisals(g, users, departments, profiles, competencies, scales)
    return {
        "competency_scales": scales,
        "competency_groups": groups,
        "competencies": competencies,
        "competency_profiles": profiles,
        **sessions,
    }


def _appraisals(g: _Draw, users, departments, profiles, competencies, scales) -> dict[str, Any]:
    by_id = {c["competencyId"]: c for c in competencies}
    departments_by_id = {d["departmentId"]: d for d in departments}
    sessions, info, cards, reviews, results, content, attributes = [], {}, {}, {}, {}, {}, {}
    for s in range(2):
        session_id, profile = g.new_id(), profiles[s]
        manager = users[0]["userId"]
        start = g.fake.moment(90)
        status = ("COMPLETED", "IN_PROGRESS")[s]
        summary = {
            "sessionId": session_id,
            "name": f"Appraisal {s + 1}",
            "description": f"Half-year review {s + 1}",
            "managerId": manager,
            "profileId": profile["profileId"],
            "status": status,
            "startDate": _stamp(start),
            "endDate": _stamp(start + timedelta(days=30)),
        }
        sessions.append(summary)
        employees = g.rng.sample(users, k=6)
        cards[session_id] = [
            {"employeeId": e["userId"], "reviewerIds": [manager, g.fake.choice(users)["userId"]]}
            for e in employees
        ]
        reviews[session_id] = []
        for card in cards[session_id]:
            for reviewer in card["reviewerIds"]:
                done = status == "COMPLETED" or g.fake.chance(0.4)
                review = {
                    "reviewId": g.new_id(),
                    "sessionId": session_id,
                    "employeeId": card["employeeId"],
                    "reviewerId": reviewer,
                    "status": "SUBMITTED" if done else g.fake.choice(["NOT_STARTED", "IN_PROGRESS"]),
                }
                if done:
                    review["completionDate"] = _stamp(start + timedelta(days=g.fake.randint(1, 29)))
                reviews[session_id].append(review)
        chosen = [by_id[c["competencyId"]] for c in profile["competencies"]]
        results[session_id] = [
            {
                "employeeId": e["userId"],
                "sessionId": session_id,
                "competencyResults": [
                    {"competencyId": c["competencyId"], "result": g.fake.randint(1, 3)} for c in chosen
                ],
                "indicatorResults": [
                    {"indicatorId": c["indicators"][0]["indicatorId"], "result": g.fake.randint(1, 3)}
                    for c in chosen
                ],
            }
            for e in employees
        ]
        content[session_id] = {
            "competencies": [
                {
                    "competencyId": c["competencyId"],
                    "name": c["name"],
                    "scaleId": c["scaleId"],
                    "requiredLevel": {"name": "Level 2", "score": 2},
                    "reviewMethod": c["reviewMethod"],
                    "indicators": [
                        {
                            "indicatorId": i["indicatorId"],
                            "name": i["name"],
                            "requiredLevel": {"name": "Level 2", "score": 2},
                        }
                        for i in c["indicators"]
                    ],
                    "commentsRequirementLevel": c["commentsRequirementLevel"],
                    "emptyAnswersEnabled": c["emptyAnswersEnabled"],
                }
                for c in chosen
            ],
            "scales": [
                {
                    "scaleId": sc["scaleId"],
                    "levels": [{"levelId": lv["levelId"], "score": lv["score"]} for lv in sc["levels"]],
                }
                for sc in scales
                if sc["scaleId"] in {c["scaleId"] for c in chosen}
            ],
        }
        attributes[session_id] = [
            {
                "sessionId": session_id,
                "userId": e["userId"],
                "displayingName": f"{e['fields']['first_name']} {e['fields']['last_name']}",
                "initials": f"{e['fields']['first_name'][0]}{e['fields']['last_name'][0]}",
                "departmentId": e["departmentId"],
                "departmentName": departments_by_id[e["departmentId"]]["name"],
                "status": "ACTIVE" if e["status"] == 1 else "DEACTIVATED",
                "attributes": [{"key": "login", "value": e["fields"]["login"], "title": "Login"}],
            }
            for e in employees
        ]
        info[session_id] = {
            **summary,
            "instruction": "Rate each competency honestly.",
            "selfReviewInstruction": "Rate yourself first.",
            "questions": [
                {
                    "id": g.new_id(),
                    "text": "What went well?",
                    "isRequired": True,
                    "targetRoles": ["REVIEWER_ROLE_SELF_REVIEW", "REVIEWER_ROLE_DIRECT_MANAGER"],
                }
            ],
            "employees": [
                {
                    "employeeId": card["employeeId"],
                    "reviewers": [
                        {
                            "reviewerId": r,
                            "role": "REVIEWER_ROLE_DIRECT_MANAGER" if r == manager else "REVIEWER_ROLE_PEER",
                        }
                        for r in card["reviewerIds"]
                    ],
                }
                for card in cards[session_id]
            ],
            "permittedUserIds": [manager],
            "sessionNotificationSettings": {
                "dailyReviewersNotificationDay": 1,
                "dailyReviewersNotificationTimeMilli": 32400000,
            },
        }
    return {
        "appraisal_sessions": sessions,
        "appraisal_info": info,
        "appraisal_employee_cards": cards,
        "appraisal_reviews": reviews,
        "appraisal_results": results,
        "appraisal_content": content,
        "appraisal_user_attributes": attributes,
    }


def _webhooks(g: _Draw) -> dict[str, Any]:
    kinds = [
        "USER_REGISTERED",
        "COURSE_COMPLETED_SUCCESSFULLY",
        "COURSE_STATUS_CHANGED",
        "LEARNERS_ENROLLED_IN_COURSE",
    ]
    subscriptions = {
        name: [
            {
                "subscriptionType": kind,
                "params": [{"name": "url", "value": f"https://hooks.sandbox.example/{name}"}],
            }
            for kind in g.rng.sample(kinds, k=g.fake.randint(1, 3))
        ]
        for name in ("warehouse", "crm")
    }
    info = {
        name: {
            "subscriberStatus": "ACTIVE",
            "confirmationStatus": g.fake.choice(["CONFIRMED", "UNCONFIRMED"]),
            "notificationProcessStatus": "ACTIVE",
        }
        for name in subscriptions
    }
    return {"webhook_subscriptions": subscriptions, "webhook_subscribers": info}


def users_v2(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The users as ``/users/v2`` reports them: employment ended is its own status (5)."""
    ended = set(data["terminated_user_ids"])
    return [{**u, "status": TERMINATED} if u["userId"] in ended else u for u in data["users"]]
