"""Estimated times of arrival: the travel speeds learned from the city's own trips
(`reporting.eta` fits and stores them; read here from one Redis key), with what each
estimate rests on, so a screen can say it ("≈ 9 mnt, dari 214 perjalanan").

A speed is the median of an agency's trips at that local hour of the day when there are at
least `min_trips` of them; else the median of all its trips, if as many; else the agency's
`eta_kmh` from the city pack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import orjson

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
