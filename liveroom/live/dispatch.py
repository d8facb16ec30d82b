"""What dispatching reads from the live model: the unassigned queue, an officer's tasks,
officers' presence, and the available officers nearest an incident."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from liveroom.access import Action, Principal
from liveroom.domain.errors import NotFound
from liveroom.domain.events import GEO_LATITUDE
from liveroom.domain.integrity import distance_m
from liveroom.domain.lifecycle import WITH_OFFICER, Status
from liveroom.live.eta import Eta, estimated
from liveroom.live.handling import Holder, holders
from liveroom.live.keys import live_tasks
from liveroom.live.live_map import live_officers
from liveroom.live.overview import Overview, overview, visible
from liveroom.live.screen_filter import EVERYTHING, ScreenFilter
from liveroom.room import LiveRoom


def live_incidents(room: LiveRoom, ids: list[str]) -> list[dict]:
    """The live model's incidents of `ids` (those it still holds), each its fields."""
    pipe = room.redis.pipeline(transaction=False)
    for incident_id in ids:
        pipe.hgetall(room.live.incident(incident_id))
    return [data for data in pipe.execute() if data]


def unassigned(room: LiveRoom, agency: str, *, by: Principal, limit: int = 50) -> list[dict]:
    """An agency's triaged, unassigned incidents: highest priority first, then oldest."""
    by.check(Action.VIEW_LIVE, agency)
    return live_incidents(room, room.redis.zrange(room.live.queue(agency), 0, limit - 1))


def officer_tasks(room: LiveRoom, officer_id: str, *, by: Principal) -> list[dict]:
    """The officer's open tasks, oldest assignment first (for them, or the control room)."""
    data = room.redis.hgetall(room.live.officer(officer_id))
    agency = data.get("agency")
    if not (by.can(Action.VIEW_LIVE, agency) or by.can(Action.WORK_OWN_TASKS, agency,
                                                         officer_id)):
        by.check(Action.VIEW_LIVE, agency)
    return live_incidents(room, room.redis.zrange(room.live.tasks(officer_id), 0, -1))


@dataclass(frozen=True)
class OfficerStatus:
    id: str
    name: str
    agency: str
    on_duty: bool
    presence: str
    moving: bool
    lat: float | None
    lon: float | None
    last_fix: datetime | None
    tasks: int
    distance_m: float | None = None
    eta: Eta | None = None  # (`officers_near` estimates it)

    @property
    def eta_minutes(self) -> float | None:
        return None if self.eta is None else self.eta.minutes


def officer_statuses(room: LiveRoom, officer_ids: list[str],
                     distances: dict[str, float] | None = None) -> list[OfficerStatus]:
    """Each officer's duty, presence (from their last fix) and open task count."""
    settings, now = room.settings, room.clock()
    statuses = []
    for officer_id, (officer, tasks) in zip(officer_ids, live_officers(room, officer_ids),
                                             strict=True):
        if officer is None:
            continue
        statuses.append(OfficerStatus(
            id=officer_id, name=officer.name, agency=officer.agency, on_duty=officer.on_duty,
            presence=officer.presence(now, settings.presence_stale_minutes,
                                      settings.presence_offline_minutes),
            moving=officer.moving, lat=officer.lat, lon=officer.lon, last_fix=officer.fix_at,
            tasks=tasks, distance_m=(distances or {}).get(officer_id)))
    return statuses


def officers_near(room: LiveRoom, lat: float, lon: float, agency: str, *, by: Principal,
                  limit: int = 5, radius_m: float = 15_000) -> list[OfficerStatus]:
    """Available officers of `agency` nearest (lat, lon): on duty, online, no open task;
    with their distance and an estimated time of arrival (`estimated`)."""
    by.check(Action.VIEW_LIVE, agency)
    available = free_officers(room, lat, lon, {agency: limit}, radius_m=radius_m)[agency]
    return estimated(room, available, (lat, lon))


def geo_searchable(lat: float) -> bool:
    """Whether GEOSEARCH takes this latitude (it refuses one past the geo sets' range)."""
    return -GEO_LATITUDE <= lat <= GEO_LATITUDE


def nearest_members(room: LiveRoom, geo_key: str, sets: Mapping[str, str], lat: float,
                    lon: float, radius_m: float) -> dict[str, list[str]]:
    """For each name of `sets` (an agency -> its set's key), the members of that set in the
    geo set `geo_key` within `radius_m` of (lat, lon), nearest first: one round trip. The
    search returns ids alone: distances for thousands would cost more to parse than the
    search itself, and a reader computes those of the few it keeps."""
    names = list(sets)
    if not geo_searchable(lat):  # (near a pole: nobody, and no error)
        return {name: [] for name in names}
    pipe = room.redis.pipeline(transaction=False)
    for name in names:
        pipe.smembers(sets[name])
    pipe.geosearch(geo_key, longitude=lon, latitude=lat, radius=radius_m, unit="m",
                   sort="ASC")
    *members, nearby = pipe.execute()
    owner = {member: name for name, found in zip(names, members, strict=True)
             for member in found}
    ordered: dict[str, list[str]] = {name: [] for name in names}
    for member in nearby:
        if member in owner:
            ordered[owner[member]].append(member)
    return ordered


def chunks(ordered: Mapping[str, list[str]], missing: Callable[[str], int]
           ) -> Iterator[list[str]]:
    """The next few of each list while its name still misses some (`missing`: how many),
    twice as many as missing and two more: most often one chunk is enough."""
    taken = dict.fromkeys(ordered, 0)
    while True:
        chunk = []
        for name, ids in ordered.items():
            wanted = missing(name)
            if wanted > 0 and taken[name] < len(ids):
                step = 2 * wanted + 2
                chunk += ids[taken[name]:taken[name] + step]
                taken[name] += step
        if not chunk:
            return
        yield chunk


def free_officers(room: LiveRoom, lat: float, lon: float, limits: Mapping[str, int], *,
                  radius_m: float = 15_000, skip: Collection[str] = ()
                  ) -> dict[str, list[OfficerStatus]]:
    """For each agency of `limits`, up to that many of its available officers nearest
    (lat, lon), nearest first, with their distance (not yet their arrival time): on duty,
    online, no open task, not in `skip`. A round trip for who is on duty where
    (`nearest_members`), then one per chunk of their statuses (`chunks`)."""
    agencies = [agency for agency, limit in limits.items() if limit > 0]
    found: dict[str, list[OfficerStatus]] = {agency: [] for agency in limits}
    if not agencies:
        return found
    ordered = nearest_members(room, room.live.officers_geo,
                              {a: room.live.on_duty(a) for a in agencies}, lat, lon, radius_m)
    ordered = {a: [o for o in ids if o not in skip] for a, ids in ordered.items()}
    agency_of = {officer_id: a for a, ids in ordered.items() for officer_id in ids}
    for chunk in chunks(ordered, lambda a: limits[a] - len(found[a])):
        for status in officer_statuses(room, chunk):
            mine = found[agency_of[status.id]]
            if (status.presence == "online" and status.tasks == 0 and status.lat is not None
                    and status.lon is not None and len(mine) < limits[agency_of[status.id]]):
                mine.append(replace(status, distance_m=distance_m(
                    lat, lon, status.lat, status.lon)))
    return found


def queue(room: LiveRoom, *, by: Principal, limit: int = 12,
          screen: ScreenFilter = EVERYTHING) -> list[dict]:
    """The unassigned incidents on the screen, of every agency the principal sees: highest
    priority first, then the soonest acknowledge deadline."""
    by.check(Action.VIEW_LIVE)
    screen = visible(screen, by)
    agencies = [a for a in room.city.agencies if screen.admits_agency(a)]
    pipe = room.redis.pipeline(transaction=False)
    for agency in agencies:
        pipe.zrange(room.live.queue(agency), 0, -1 if screen.active else limit - 1)
    ids = [i for group in pipe.execute() for i in group]
    items = [i for i in live_incidents(room, ids) if screen.admits(i)]
    items.sort(key=lambda i: (int(i.get("priority") or 4), i.get("acknowledge_due", "")))
    return items[:limit]


def live_incident(room: LiveRoom, incident_id: str, *, by: Principal) -> dict:
    """One incident as the live model has it; NotFound once it has left it."""
    data = room.redis.hgetall(room.live.incident(incident_id))
    if not data:
        raise NotFound(f"no live incident {incident_id!r}")
    by.check(Action.VIEW_LIVE, data.get("agency"))
    return data


@dataclass(frozen=True)
class StrandedTask:
    """An open task whose officer went offline or off duty: to be reassigned."""

    incident: dict
    officer: OfficerStatus

    @property
    def reason(self) -> str:
        return "offline" if self.officer.presence == "offline" else "off_duty"


#: the statuses in which an officer holds an incident (it is on their tasks)
HELD = tuple(sorted(status.value for status in WITH_OFFICER - {Status.RESOLVED}))


def stranded_tasks(room: LiveRoom, *, by: Principal,
                   screen: ScreenFilter = EVERYTHING) -> list[StrandedTask]:
    """Open tasks on the screen whose whole crew (a unit's, or the one officer) is offline
    (no fix for an hour) or no longer on duty (checked out), oldest assignment first. Read
    from the incidents being held (a few) rather than from every officer's tasks."""
    by.check(Action.VIEW_LIVE)
    screen = visible(screen, by)
    held = [incident for incident in live_incidents(room, sorted(room.redis.zunion(
        [room.live.status(status) for status in HELD])))
        if incident.get("officer_id") and screen.admits(incident)]
    crews = {incident["id"]: [t.crew or (t.officer_id,) for t in live_tasks(incident)
                              if t.running and (t.crew or t.officer_id)] for incident in held}
    people = sorted({member for found in crews.values() for crew in found for member in crew})
    away = {s.id: s for s in officer_statuses(room, people)
            if s.presence == "offline" or not s.on_duty}
    found = []
    for incident in held:  # a task is stranded when nobody of its crew is there any more
        crew = next((c for c in crews[incident["id"]] if all(m in away for m in c)), None)
        if crew is not None:
            found.append(StrandedTask(incident, away[crew[0]]))
    return sorted(found, key=lambda t: t.incident.get("assigned_at", ""))


def screen_state(room: LiveRoom, by: Principal, screen: ScreenFilter) -> tuple[
        Overview, list[dict], list[StrandedTask], dict[str, list[Holder]]]:
    """What a wall screen shows beside its map: the figures, the unassigned queue, the
    tasks to reassign, and who has each queued incident open (`live.handling`)."""
    waiting = queue(room, by=by, screen=screen)
    return (overview(room, by=by, screen=screen), waiting,
            stranded_tasks(room, by=by, screen=screen),
            holders(room, [item["id"] for item in waiting]))
