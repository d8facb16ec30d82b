"""Estimated times of arrival: the travel speeds learned from the city's own trips
(`reporting.eta` fits and stores them; read here from one Redis key), with what each
estimate rests on, so a screen can say it ("≈ 9 mnt, dari 214 perjalanan").

A speed is the median of an agency's trips at that local hour of the day when there are at
least `min_trips` of them; else the median of all its trips, if as many; else the agency's
`eta_kmh` from the city pack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal, Protocol, TypeVar

import orjson

from liveroom.live.router import road_minutes
from liveroom.room import LiveRoom

#: fewer trips than this in a cell and its median is not trusted
MIN_TRIPS = 20


@dataclass(frozen=True)
class Cell:
    """The median speed of some trips, and how many there were."""

    kmh: float
    trips: int


@dataclass(frozen=True)
class AgencySpeeds:
    """One agency's trips: all hours together, and per local hour of the day (0-23)."""

    overall: Cell
    hours: dict[int, Cell] = field(default_factory=dict)


@dataclass(frozen=True)
class Speed:
    """The speed an estimate assumes; `trips` 0: none learned, the pack's default."""

    kmh: float
    trips: int = 0


@dataclass(frozen=True)
class SpeedTable:
    """What `reporting.eta.learn` found, and when."""

    computed_at: datetime
    agencies: dict[str, AgencySpeeds]
    min_trips: int = MIN_TRIPS

    def speed(self, agency: str, hour: int, default_kmh: float) -> Speed:
        """The hour's median, else the agency's, else `default_kmh` (see the module)."""
        learned = self.agencies.get(agency)
        if learned is None:
            return Speed(default_kmh)
        for cell in (learned.hours.get(hour), learned.overall):
            if cell is not None and cell.trips >= self.min_trips:
                return Speed(cell.kmh, cell.trips)
        return Speed(default_kmh)

    @property
    def trips(self) -> int:
        return sum(a.overall.trips for a in self.agencies.values())

    def dumps(self) -> bytes:
        return orjson.dumps({
            "computed_at": self.computed_at.isoformat(), "min_trips": self.min_trips,
            "agencies": {key: {"kmh": a.overall.kmh, "trips": a.overall.trips,
                               "hours": {str(h): [c.kmh, c.trips] for h, c in a.hours.items()}}
                         for key, a in self.agencies.items()}})

    @classmethod
    def loads(cls, raw: str | bytes) -> SpeedTable:
        data = orjson.loads(raw)
        return cls(computed_at=datetime.fromisoformat(data["computed_at"]),
                   min_trips=data["min_trips"],
                   agencies={key: AgencySpeeds(Cell(a["kmh"], a["trips"]), {
                       int(h): Cell(*cell) for h, cell in a["hours"].items()})
                       for key, a in data["agencies"].items()})


def stored_speeds(room: LiveRoom) -> SpeedTable | None:
    """The learned table, or None before anything was learned."""
    raw = room.redis.get(room.live.eta_speeds)
    return SpeedTable.loads(raw) if raw else None


def store_speeds(room: LiveRoom, table: SpeedTable) -> None:
    room.redis.set(room.live.eta_speeds, table.dumps())


def speed_now(room: LiveRoom, agency: str, table: SpeedTable | None = None) -> Speed:
    """The speed to assume for `agency` at this local hour."""
    found = room.city.agencies.get(agency)
    default = found.eta_kmh if found else 25.0
    if table is None:
        table = stored_speeds(room)
    if table is None:
        return Speed(default)
    return table.speed(agency, room.clock().astimezone(room.city.timezone).hour, default)


@dataclass(frozen=True)
class Eta:
    """An estimated time of arrival and its basis: learned `trips`, the pack's `default`
    speed, or the `road` network's router (`live.router`)."""

    minutes: float
    basis: Literal["trips", "default", "road"]
    trips: int = 0
    kmh: float | None = None

    @classmethod
    def at_speed(cls, distance_m: float, speed: Speed) -> Eta:
        return cls(minutes=round(distance_m / 1000 / speed.kmh * 60, 1),
                   basis="trips" if speed.trips else "default", trips=speed.trips,
                   kmh=speed.kmh)


class Placed(Protocol):
    """Someone who may be sent (an officer, a unit): where they are, how far from a scene
    and, once estimated, when they would be there. A frozen dataclass."""

    id: str
    agency: str
    lat: float | None
    lon: float | None
    distance_m: float | None
    eta: Eta | None


P = TypeVar("P", bound=Placed)


def estimated(room: LiveRoom, placed: Sequence[P], scene: tuple[float, float],
              table: SpeedTable | None = None) -> list[P]:
    """Each of `placed` with their arrival time at `scene`: by road where a router is set
    and answers (`live.router`: one request for all of them), else at the speed learned
    for their agency at this hour (`table`: the learned speeds, read when not given)."""
    if table is None:
        table = stored_speeds(room) or SpeedTable(datetime.fromtimestamp(0, UTC), {})
    speeds = {agency: speed_now(room, agency, table) for agency in {p.agency for p in placed}}
    learned = [replace(p, eta=Eta.at_speed(p.distance_m, speeds[p.agency]))  # type: ignore
               if p.distance_m is not None else p for p in placed]
    if not room.settings.osrm_url or not placed:
        return learned
    located = [n for n, p in enumerate(learned) if p.lat is not None and p.lon is not None]
    minutes = road_minutes(room.settings.osrm_url,
                           [(learned[n].lat, learned[n].lon) for n in located], scene)
    if minutes is None:
        return learned
    by_road = {n: Eta(m, "road") for n, m in zip(located, minutes, strict=True)
               if m is not None}
    return [replace(p, eta=by_road[n]) if n in by_road else p  # type: ignore
            for n, p in enumerate(learned)]
