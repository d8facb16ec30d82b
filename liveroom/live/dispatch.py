"""What dispatching reads from the live model: the unassigned queue, an officer's tasks,
officers' presence, and the available officers nearest an incident."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from liveroom.access import Action, Principal
from liveroom.domain.errors import NotFound
from liveroom.domain.lifecycle import WITH_OFFICER, Status
from liveroom.live.eta import Eta, speed_now
from liveroom.live.handling import Holder, holders
from liveroom.live.live_map import live_officers
from liveroom.live.overview import Overview, overview, visible
from liveroom.live.router import road_minutes
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
    members = room.redis.smembers(room.live.on_duty(agency))
    found = room.redis.geosearch(room.live.officers_geo, longitude=lon,
                                 latitude=lat, radius=radius_m, unit="m", sort="ASC",
                                 withdist=True)
    nearest = {officer_id: dist for officer_id, dist in found if officer_id in members}
    statuses = officer_statuses(room, list(nearest), nearest)
    available = [s for s in statuses if s.presence == "online" and s.tasks == 0][:limit]
    return estimated(room, available, (lat, lon), agency)


def estimated(room: LiveRoom, officers: list[OfficerStatus], scene: tuple[float, float],
              agency: str) -> list[OfficerStatus]:
    """The officers with their arrival time at `scene`: by road where a router is set and
    answers (`live.router`), else at the speed learned for the agency at this hour."""
    speed = speed_now(room, agency)
    learned = [replace(o, eta=Eta.at_speed(o.distance_m, speed)) if o.distance_m is not None
               else o for o in officers]
    if not room.settings.osrm_url or not officers:
        return learned
    placed = [o for o in learned if o.lat is not None and o.lon is not None]
    minutes = road_minutes(room.settings.osrm_url, [(o.lat, o.lon) for o in placed], scene)
    if minutes is None:
        return learned
    by_road = {o.id: Eta(m, "road") for o, m in zip(placed, minutes, strict=True)
               if m is not None}
    return [replace(o, eta=by_road[o.id]) if o.id in by_road else o for o in learned]


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
    """Open tasks on the screen held by officers who are offline (no fix for an hour) or no
    longer on duty (checked out), oldest assignment first. Read from the incidents being
    held (a few) rather than from every officer's tasks (a thousand)."""
    by.check(Action.VIEW_LIVE)
    screen = visible(screen, by)
    held = [incident for incident in live_incidents(room, sorted(room.redis.zunion(
        [room.live.status(status) for status in HELD])))
        if incident.get("officer_id") and screen.admits(incident)]
    holders = sorted({incident["officer_id"] for incident in held})
    away = {s.id: s for s in officer_statuses(room, holders)
            if s.presence == "offline" or not s.on_duty}
    found = [StrandedTask(incident, away[incident["officer_id"]]) for incident in held
             if incident["officer_id"] in away]
    return sorted(found, key=lambda t: t.incident.get("assigned_at", ""))


def screen_state(room: LiveRoom, by: Principal, screen: ScreenFilter) -> tuple[
        Overview, list[dict], list[StrandedTask], dict[str, list[Holder]]]:
    """What a wall screen shows beside its map: the figures, the unassigned queue, the
    tasks to reassign, and who has each queued incident open (`live.handling`)."""
    waiting = queue(room, by=by, screen=screen)
    return (overview(room, by=by, screen=screen), waiting,
            stranded_tasks(room, by=by, screen=screen),
            holders(room, [item["id"] for item in waiting]))
