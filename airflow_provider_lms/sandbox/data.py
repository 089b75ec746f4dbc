"""Deterministic fake people, courses and timestamps shared by the vendor twins."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

FIRST = [
    "Ada",
    "Bram",
    "Chloe",
    "Dev",
    "Elif",
    "Femi",
    "Greta",
    "Hiro",
    "Ines",
    "Jonas",
    "Kaia",
    "Liam",
    "Mina",
    "Nico",
    "Oona",
    "Pavel",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Ugo",
    "Vera",
    "Wen",
    "Yara",
]
LAST = [
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Patel",
    "Yilmaz",
    "Adeyemi",
    "Berg",
    "Tanaka",
    "Silva",
    "Weber",
    "Kowalski",
    "Murphy",
    "Haddad",
    "Rossi",
    "Novak",
    "Costa",
    "Schmidt",
    "Nguyen",
    "Fischer",
    "Kaur",
]
TOPICS = [
    "Safety",
    "Compliance",
    "Onboarding",
    "Leadership",
    "Data Privacy",
    "Sales",
    "Support",
    "Security",
    "Finance",
    "Ethics",
    "First Aid",
    "Product",
    "Negotiation",
    "Writing",
    "Excel",
    "Python",
]

#: The sandbox's "today": data lies before it, so tests and demos never depend on the real date.
SANDBOX_TODAY = datetime(2026, 11, 1, tzinfo=timezone.utc)


class Faker:
    """Seeded generator: the same seed always yields the same dataset."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def person(self, index: int) -> dict[str, str]:
        first, last = FIRST[index % len(FIRST)], LAST[(index * 7) % len(LAST)]
        return {
            "first_name": first,
            "last_name": last,
            "email": f"{first.lower()}.{last.lower()}{index}@example.com",
            "username": f"{first.lower()}{index}",
        }

    def course_name(self, index: int) -> str:
        return f"{TOPICS[index % len(TOPICS)]} {100 + index}"

    def moment(self, days_back: int = 60, before: datetime = SANDBOX_TODAY) -> datetime:
        """A second-precision UTC time within ``days_back`` days before ``before``."""
        return before - timedelta(seconds=self.random.randrange(1, days_back * 86400))

    def choice(self, options):
        return self.random.choice(options)

    def randint(self, low: int, high: int) -> int:
        return self.random.randint(low, high)

    def chance(self, p: float) -> bool:
        return self.random.random() < p


def iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None
