"""Run cards on the wall screen: what to send to an incident (`recommend`: its card's lines
for alarms 1..n, less what already runs there, each with the nearest units that can go and,
where units are short, officers on their own), sending it in one command (`dispatch_card`),
and an incident's tasks named as a screen shows them (`named_tasks`).

Read from the live model in a few round trips whatever the number of units: each agency's
units nearest first (a GEOSEARCH), then the hashes of the nearest few (`free_units`: most
often one pipeline), and the officers on duty likewise (`live.dispatch.free_officers`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import orjson

from liveroom.access import Action, Principal
from liveroom.cities.dispatch import RunCard
from liveroom.commands.incidents import dispatch_incident
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.incident import Incident
from liveroom.domain.integrity import distance_m
from liveroom.domain.task import Task
from liveroom.live.dispatch import chunks, free_officers, live_incident, nearest_members
from liveroom.live.eta import Eta, estimated
from liveroom.live.keys import LiveUnit, live_tasks
from liveroom.room import LiveRoom

#: how far from a scene units and officers are looked for
RADIUS_M = 30_000
#: besides a line's own, how many more of each agency the "add" list offers
MORE_UNITS = 3
MORE_OFFICERS = 2


@dataclass(frozen=True)
class Candidate:
    """A unit or an officer that could be sent: its distance, and (`estimated`) its ETA."""

    kind: Literal["unit", "officer"]
    id: str
    agency: str
    label: str  # the unit's call sign, or the officer's name
    distance_m: float | None
    lat: float | None = None
    lon: float | None = None
    crew: tuple[str, ...] = ()
    eta: Eta | None = None

    @property
    def value(self) -> str:
        """How a screen names the pick ("unit:<id>", "officer:<id>"; `dispatch_card`)."""
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class Line:
    """One agency's line of the card: how many units it asks over the alarms so far, how
    many already run on the incident, and who to send for the rest, nearest first."""

    agency: str
    wanted: int
    running: int
    candidates: tuple[Candidate, ...]

    @property
    def needed(self) -> int:
        return max(0, self.wanted - self.running)

    @property
    def short(self) -> int:
        """How many of those needed nobody is there to send."""
        return max(0, self.needed - len(self.candidates))


@dataclass(frozen=True)
class Recommendation:
    """What an incident's run card asks at alarm `alarm`, and what to send for it."""

    incident_id: str
    card: RunCard
    alarm: int
    lines: tuple[Line, ...]
    next_level: Mapping[str, int]  # alarm + 1's units per agency (empty: none)
    more: tuple[Candidate, ...]  # others nearby, any agency, nearest first (to add)

    @property
    def has_next(self) -> bool:
        return bool(self.next_level)

    @property
    def chosen(self) -> list[Candidate]:
        """Every line's candidates: what one click sends."""
        return [candidate for line in self.lines for candidate in line.candidates]

    @property
    def complete(self) -> bool:
        """Whether everything the alarms so far ask is running."""
        return not any(line.needed for line in self.lines)


def _facts(incident: Mapping[str, object]) -> tuple[dict, list[Task]]:
    """(answers, tasks) of a live hash or an aggregate's dump."""
    answers = incident.get("attributes") or {}
    if isinstance(answers, str):
        answers = orjson.loads(answers)
    return dict(answers), live_tasks(incident)


def recommend(room: LiveRoom, incident_id: str, *, by: Principal, alarm: int = 1,
              incident: Mapping[str, object] | Incident | None = None) -> Recommendation:
    """The incident's run card at `alarm` (`City.run_card` from its category, priority and
    answers): each agency's line over alarms 1..`alarm`, less its running tasks, with the
    nearest units that can go (available or returning, active, on no task) and, when they
    are too few, officers on duty, online and free; the next alarm's units; and others
    nearby to add. `incident`: as a command just left it (the live view may lag)."""
    if alarm < 1:
        raise InvalidCommand(f"alarms count from 1, not {alarm}", rule="alarm")
    if isinstance(incident, Incident):
        incident = incident.model_dump(mode="json")
    data = incident or live_incident(room, incident_id, by=by)
    by.check(Action.VIEW_LIVE, str(data.get("agency") or "") or None)
    category = str(data.get("category") or "")
    if category not in room.city.categories:
        raise InvalidCommand(f"unknown category {category!r}", rule="unknown_category")
    answers, tasks = _facts(data)
    priority = int(data["priority"]) if data.get("priority") else None
    card = room.city.run_card(category, priority, answers)
    wanted = card.lines_up_to(alarm)
    running = [task for task in tasks if task.running and task.body is None]
    on_it = Counter(task.agency for task in running)
    busy = {member for task in running for member in (task.officer_id, *task.crew) if member}
    scene = (float(data["lat"]), float(data["lon"]))  # type: ignore[arg-type]
    agencies = [a for a in room.city.agencies if by.can(Action.VIEW_LIVE, a)]
    needed = {a: max(0, wanted.get(a, 0) - on_it[a]) for a in agencies}
    units = free_units(room, scene, {a: needed[a] + MORE_UNITS for a in agencies})
    offered = {member for found in units.values() for u in found for member in u.crew}
    short = {a: max(0, needed[a] - len(units[a])) for a in agencies}
    officers = free_officers(room, *scene, {a: short[a] + MORE_OFFICERS for a in agencies},
                             radius_m=RADIUS_M, skip=offered | busy)
    people = [Candidate("officer", o.id, a, o.name, o.distance_m, o.lat, o.lon)
              for a in agencies for o in officers[a]]
    timed = estimated(room, [*(u for a in agencies for u in units[a]), *people], scene)
    by_agency: dict[str, list[Candidate]] = {a: [] for a in agencies}
    for candidate in timed:  # units first, each nearest first, then officers
        by_agency[candidate.agency].append(candidate)
    picked = {a: by_agency[a][:needed[a]] for a in agencies}
    lines = tuple(Line(agency, count, on_it[agency], tuple(picked.get(agency, ())))
                  for agency, count in wanted.items())
    taken = {c.value for chosen in picked.values() for c in chosen}
    more = sorted((c for a in agencies for c in by_agency[a] if c.value not in taken),
                  key=lambda c: c.distance_m if c.distance_m is not None else float("inf"))
    return Recommendation(incident_id=incident_id, card=card, alarm=alarm, lines=lines,
                          next_level=card.level(alarm + 1) or {}, more=tuple(more))


def free_units(room: LiveRoom, scene: tuple[float, float], limits: Mapping[str, int], *,
               radius_m: float = RADIUS_M) -> dict[str, list[Candidate]]:
    """For each agency of `limits`, up to that many of its units that can be sent
    (`LiveUnit.dispatchable`) nearest `scene`, nearest first, with their distance: a round
    trip for each agency's active units nearest first (`nearest_members`), then one per
    chunk of their hashes (`chunks`), most often one."""
    agencies = [agency for agency, limit in limits.items() if limit > 0]
    found: dict[str, list[Candidate]] = {agency: [] for agency in limits}
    if not agencies:
        return found
    ordered = nearest_members(room, room.live.units_geo,
                              {a: room.live.units(a) for a in agencies}, *scene, radius_m)
    for chunk in chunks(ordered, lambda a: limits[a] - len(found[a])):
        pipe = room.redis.pipeline(transaction=False)
        for unit_id in chunk:
            pipe.hmget(room.live.unit(unit_id), LiveUnit.FIELDS)
        for unit_id, values in zip(chunk, pipe.execute(), strict=True):
            unit = LiveUnit.parse(unit_id, values)
            if (unit is None or unit.agency not in found or not unit.dispatchable
                    or unit.lat is None or unit.lon is None
                    or len(found[unit.agency]) >= limits[unit.agency]):
                continue
            found[unit.agency].append(Candidate(
                "unit", unit_id, unit.agency, unit.call_sign,
                distance_m(*scene, unit.lat, unit.lon), unit.lat, unit.lon, unit.crew))
    return found


def picks(chosen: Iterable[Candidate | str]) -> tuple[list[str], list[str]]:
    """(unit ids, officer ids) of candidates or their values ("unit:<id>")."""
    units: list[str] = []
    officers: list[str] = []
    for pick in chosen:
        kind, _, whom = (pick.value if isinstance(pick, Candidate) else str(pick)).partition(":")
        if kind not in ("unit", "officer") or not whom:
            raise InvalidCommand(f"not a unit or an officer: {pick!r}", rule="dispatch_whom")
        (units if kind == "unit" else officers).append(whom)
    return units, officers


def dispatch_card(room: LiveRoom, incident_id: str, chosen: Iterable[Candidate | str], *,
                  by: Principal) -> Incident:
    """Send every chosen unit and officer in one command, a task each: all of them, or
    (one taken meanwhile: `unit_busy`; refused) none."""
    units, officers = picks(chosen)
    return dispatch_incident(room, incident_id, by=by, units=units, officers=officers)


@dataclass(frozen=True)
class NamedTask:
    """A task with who is on it as a screen names them: a unit's call sign, an officer's
    name, or (forwarded) the outside body's short name."""

    task: Task
    label: str


def named_tasks(room: LiveRoom, incident: Mapping[str, object] | Incident,
                lang: str = "id") -> list[NamedTask]:
    """The incident's tasks (running first, then oldest first), named in one round trip."""
    tasks = list(incident.tasks) if isinstance(incident, Incident) else live_tasks(incident)
    pipe = room.redis.pipeline(transaction=False)
    for task in tasks:
        if task.unit_id:
            pipe.hget(room.live.unit(task.unit_id), "call_sign")
        else:
            pipe.hget(room.live.officer(task.officer_id or ""), "name")
    names = pipe.execute() if tasks else []
    bodies = room.city.external_bodies
    named = [NamedTask(task, bodies[task.body].label(lang) if task.body in bodies
                       else task.body or name or task.unit_id or task.officer_id or "")
             for task, name in zip(tasks, names, strict=True)]
    return sorted(named, key=lambda n: not n.task.running)

