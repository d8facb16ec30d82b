"""Demo data for a city pack, written through the same commands as real use."""

from __future__ import annotations

import random
from typing import Any

from liveroom.access import SYSTEM
from liveroom.cities import Category, City
from liveroom.commands.incidents import assign_incident, change_status, report_incident
from liveroom.commands.officers import register_officer
from liveroom.commands.units import register_unit
from liveroom.domain.errors import DomainError, InvalidCommand
from liveroom.domain.incident import Incident
from liveroom.domain.lifecycle import Status
from liveroom.domain.unit import unit_id_for
from liveroom.room import LiveRoom

GIVEN = ["Agus", "Budi", "Dewi", "Eko", "Fitri", "Hendra", "Indah", "Joko", "Kartika", "Lestari",
         "Made", "Nur", "Putri", "Rizky", "Sari", "Teguh", "Wahyu", "Yanti"]
FAMILY = ["Santoso", "Wijaya", "Saputra", "Hidayat", "Lestari", "Nugroho", "Pratama", "Rahmawati",
          "Setiawan", "Kurniawan", "Siregar", "Hasibuan"]

#: Each agency's demo units: call sign ("Damkar 01", numbered citywide), kind, units at
#: each of its posts, and the smallest and largest crew.
UNITS = {"damkar": ("Damkar", "mobil pemadam", 2, (2, 3)),
         "dishub": ("Dishub", "mobil patroli", 1, (2, 2)),
         "drainase": ("PUPR", "truk pompa", 1, (2, 2)),
         "kebersihan": ("DLH", "truk sampah", 1, (2, 2)),
         "satpolpp": ("Satpol", "mobil patroli", 1, (2, 2))}

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


def seed_units(room: LiveRoom, officers_per_post: int, seed: int = 7) -> dict[str, int]:
    """Register each post's units (`UNITS`), crewed by the post's officers (`post-01`…, each
    on one unit); a post with too few gets the rest registered. Units and officers that
    exist are left as they are, so seeding again changes nothing."""
    rng = random.Random(seed + 1)  # (its own: the same crews whatever else was seeded)
    counts = {"created": 0, "existing": 0, "crew_added": 0}
    numbers: dict[str, int] = {}
    for post in room.city.posts.values():
        if post.agency not in UNITS:
            continue
        prefix, kind, per_post, (fewest, most) = UNITS[post.agency]
        sizes = [rng.randint(fewest, most) for _ in range(per_post)]
        names = [f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}" for _ in range(sum(sizes))]
        members = [f"{post.id}-{n:02d}" for n in range(1, sum(sizes) + 1)]
        for officer_id, name in list(zip(members, names, strict=True))[officers_per_post:]:
            try:
                register_officer(room, officer_id, name=name, agency=post.agency,
                                 post_id=post.id, by=SYSTEM)
                counts["crew_added"] += 1
            except InvalidCommand:
                pass
        for size in sizes:
            numbers[prefix] = numbers.get(prefix, 0) + 1
            call_sign = f"{prefix} {numbers[prefix]:02d}"
            crew, members = members[:size], members[size:]
            try:
                register_unit(room, unit_id_for(call_sign), call_sign=call_sign,
                              agency=post.agency, post_id=post.id, kind=kind, crew=crew,
                              by=SYSTEM)
                counts["created"] += 1
            except InvalidCommand as exc:
                if exc.code != "unit_exists":
                    raise
                counts["existing"] += 1
    return counts


def seed_demo(room: LiveRoom, officers_per_post: int = 2, reports: int = 20,
              seed: int = 7, units: bool = True) -> dict[str, Any]:
    """Register officers at every post (and, unless not `units`, each post's units and
    their crews) and file reports in various states."""
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
    seeded_units = seed_units(room, officers_per_post, seed) if units else None
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
    result = {"officers_created": created, "officers_existing": existing,
              "reports": statuses, "skipped": skipped}
    if seeded_units is not None:
        result["units"] = seeded_units
    return result


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
    line = (f"{line}; officers: {result['officers_created']} added, "
            f"{result['officers_existing']} already there")
    if units := result.get("units"):
        line += (f"; units: {units['created']} added ({units['crew_added']} more officers to "
                 f"crew them), {units['existing']} already there")
    return line
