"""Demo data for a city pack, written through the same commands as real use."""

from __future__ import annotations

import random
from typing import Any

from liveroom.access import SYSTEM
from liveroom.cities import Category, City
from liveroom.commands.incidents import assign_incident, change_status, report_incident
from liveroom.commands.officers import register_officer
from liveroom.domain.errors import DomainError, InvalidCommand
from liveroom.domain.incident import Incident
from liveroom.domain.lifecycle import Status
from liveroom.room import LiveRoom

GIVEN = ["Agus", "Budi", "Dewi", "Eko", "Fitri", "Hendra", "Indah", "Joko", "Kartika", "Lestari",
         "Made", "Nur", "Putri", "Rizky", "Sari", "Teguh", "Wahyu", "Yanti"]
FAMILY = ["Santoso", "Wijaya", "Saputra", "Hidayat", "Lestari", "Nugroho", "Pratama", "Rahmawati",
          "Setiawan", "Kurniawan", "Siregar", "Hasibuan"]

#: After a report: how far along each demo incident gets.
PROGRESS = [Status.TRIAGED, Status.ASSIGNED, Status.ACKNOWLEDGED, Status.EN_ROUTE,
            Status.ON_SCENE, Status.RESOLVED, Status.CLOSED]


def random_point(city: City, rng: random.Random) -> tuple[float, float]:
    """A uniformly random point inside the city."""
    (south, west), (north, east) = city.bounds
    while True:
        lat, lon = rng.uniform(south, north), rng.uniform(west, east)
        if city.contains(lat, lon):
            return lat, lon


def sample_answers(category: Category, rng: random.Random) -> dict[str, str | list[str]]:
    """Valid answers to a category's questions (demo data, simulator, benchmarks): a
    random choice for each list, something for the other required ones."""
    answers: dict[str, str | list[str]] = {}
    for attribute in category.attributes:
        if attribute.values:
            answers[attribute.code] = rng.choice(list(attribute.values))
        elif attribute.required:
            answers[attribute.code] = {"number": "1", "datetime": "2026-01-01T00:00:00+07:00"
                                       }.get(attribute.datatype, "-")
    return answers


def seed_demo(room: LiveRoom, officers_per_post: int = 2, reports: int = 20,
              seed: int = 7) -> dict[str, Any]:
    """Register officers at every post and file reports in various states."""
    rng = random.Random(seed)
    created, existing = 0, 0
    by_agency: dict[str, list[str]] = {}
    for post in room.city.posts.values():
        for number in range(1, officers_per_post + 1):
            officer_id = f"{post.id}-{number:02d}"
            by_agency.setdefault(post.agency, []).append(officer_id)
            name = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"
            try:
                register_officer(room, officer_id, name=name, agency=post.agency,
                                 post_id=post.id, by=SYSTEM)
                created += 1
            except InvalidCommand:
                existing += 1
    categories = list(room.city.categories.values())
    statuses: dict[str, int] = {}
    skipped: dict[str, int] = {}
    for _ in range(reports):
        lat, lon = random_point(room.city, rng)
        category = rng.choice(categories)
        target = rng.choice(PROGRESS)
        try:
            incident = report_incident(
                room, category=category.code, lat=lat, lon=lon, source="seed", by=SYSTEM,
                description="Laporan contoh (data demo)",
                attributes=sample_answers(category, rng))
            if incident.status is Status.DUPLICATE:  # an open report nearby: linked to it
                code = "duplicate"
            else:
                reached = _progress(room, incident, target, by_agency, rng)
                statuses[reached.value] = statuses.get(reached.value, 0) + 1
                continue
        except DomainError as exc:  # e.g. the simulator beside us moved it first
            code = exc.code
        reason = SKIPPED.get(code, code)
        skipped[reason] = skipped.get(reason, 0) + 1
    return {"officers_created": created, "officers_existing": existing, "reports": statuses,
            "skipped": skipped}


#: Why a seeded report did not get as far as planned, by the refusal's code.
SKIPPED = {"duplicate": "linked as duplicates", "already_assigned": "assigned meanwhile",
           "reassign_reason": "assigned meanwhile", "conflict": "changed meanwhile",
           "illegal_transition": "moved on meanwhile"}


def _progress(room: LiveRoom, incident: Incident, target: Status,
              by_agency: dict[str, list[str]], rng: random.Random) -> Status:
    """Take a new demo incident as far as `target`; the status it reached."""
    crew = by_agency.get(incident.agency or "", [])
    if target is Status.TRIAGED or not crew:
        return Status.TRIAGED
    assign_incident(room, incident.id, rng.choice(crew), by=SYSTEM)
    for step in PROGRESS[2:PROGRESS.index(target) + 1]:
        change_status(room, incident.id, step, by=SYSTEM)
    return target


def summary(result: dict[str, Any]) -> str:
    """One line for people: `20 reports, 2 skipped: linked as duplicates; 26 officers …`."""
    filed = sum(result["reports"].values()) + sum(result["skipped"].values())
    line = f"{filed} reports"
    if result["skipped"]:
        reasons = ", ".join(f"{n} {why}" for why, n in sorted(result["skipped"].items()))
        line += f", {sum(result['skipped'].values())} skipped: {reasons}"
    return (f"{line}; officers: {result['officers_created']} added, "
            f"{result['officers_existing']} already there")
