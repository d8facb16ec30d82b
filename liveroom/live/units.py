"""What the unit board and the admin read of units from the live model: each agency's
units as tiles (status, time in it and its colour, the task it is on, its crew), one unit,
an agency's officers to crew them with, and whether a change concerns a board."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from liveroom.access import Action, Principal
from liveroom.cities import City
from liveroom.cities.dispatch import UNIT_STATUSES as STATUSES
from liveroom.cities.dispatch import Colour
from liveroom.domain.errors import NotFound
from liveroom.domain.unit import Unit
from liveroom.live.changes import Change
from liveroom.live.keys import LiveUnit
from liveroom.room import LiveRoom

__all__ = ["BoardRow", "LiveUnit", "agency_officers", "board_agencies", "concerns",
           "live_unit", "live_units", "unit_board", "unit_boards", "unit_roster", "units_in"]

#: what the board shows of the incident a unit is on
INCIDENT_FIELDS = ("category", "address", "district", "status")


@dataclass(frozen=True)
class BoardRow:
    """One tile of the unit board."""

    id: str
    call_sign: str
    agency: str
    kind: str
    status: str
    since: datetime | None
    minutes: float
    colour: Colour
    reason: str = ""  # why it is out of service
    incident_id: str = ""
    task_id: str = ""
    category: str = ""
    address: str = ""
    district: str = ""
    crew: tuple[str, ...] = ()  # their names


def board_agencies(city: City, by: Principal, agency: str | None = None) -> list[str]:
    """The agencies a board shows: `agency` alone (NotFound if the city has none such,
    Forbidden unless `by` sees it), or every one `by` sees."""
    if agency is not None:
        if agency not in city.agencies:
            raise NotFound(f"no agency {agency!r}")
        by.check(Action.VIEW_LIVE, agency)
        return [agency]
    by.check(Action.VIEW_LIVE)
    return [key for key in city.agencies if by.can(Action.VIEW_LIVE, key)]


def units_in(room: LiveRoom, agencies: Iterable[str], *, registered: bool = False
             ) -> list[str]:
    """The ids of the agencies' active units (`registered`: active or not), sorted."""
    pipe = room.redis.pipeline(transaction=False)
    for agency in agencies:
        pipe.smembers(room.live.registered_units(agency) if registered
                      else room.live.units(agency))
    return sorted({unit_id for group in pipe.execute() for unit_id in group})


def live_units(room: LiveRoom, ids: list[str]) -> list[LiveUnit]:
    """The units of `ids` the live model holds, in one round trip."""
    pipe = room.redis.pipeline(transaction=False)
    for unit_id in ids:
        pipe.hmget(room.live.unit(unit_id), LiveUnit.FIELDS)
    parsed = (LiveUnit.parse(unit_id, values)
              for unit_id, values in zip(ids, pipe.execute(), strict=True))
    return [unit for unit in parsed if unit is not None]


def live_unit(room: LiveRoom, unit_id: str, *, by: Principal) -> LiveUnit:
    """One unit (NotFound if the live model holds none such)."""
    found = live_units(room, [unit_id])
    if not found:
        raise NotFound(f"no unit {unit_id!r}")
    by.check(Action.VIEW_LIVE, found[0].agency)
    return found[0]


#: the board's order: units at work first (what a room watches, with its timers), the ones
#: to be had last
BOARD_ORDER = ("dispatched", "en_route", "on_scene", "returning", "out_of_service",
               "available")


def _order(status: str) -> int:
    return BOARD_ORDER.index(status) if status in BOARD_ORDER else len(BOARD_ORDER)


def _rows(room: LiveRoom, units: list[LiveUnit]) -> list[BoardRow]:
    now, rules = room.clock(), room.city.dispatch
    on_task = [unit for unit in units if unit.incident_id]
    crew = sorted({member for unit in units for member in unit.crew})
    pipe = room.redis.pipeline(transaction=False)
    for unit in on_task:
        pipe.hmget(room.live.incident(unit.incident_id), INCIDENT_FIELDS)
    for member in crew:
        pipe.hget(room.live.officer(member), "name")
    replies = pipe.execute()
    incidents = {unit.id: dict(zip(INCIDENT_FIELDS, values, strict=True))
                 for unit, values in zip(on_task, replies[:len(on_task)], strict=True)}
    names = dict(zip(crew, replies[len(on_task):], strict=True))
    rows = []
    for unit in units:
        minutes = unit.minutes(now)
        status = unit.status if unit.status in STATUSES else "available"
        incident = incidents.get(unit.id, {})
        rows.append(BoardRow(
            id=unit.id, call_sign=unit.call_sign, agency=unit.agency, kind=unit.kind,
            status=status, since=unit.status_since, minutes=minutes,
            colour=rules.colour(status, minutes),
            reason=unit.status_reason if status == "out_of_service" else "",
            incident_id=unit.incident_id, task_id=unit.task_id,
            category=incident.get("category") or "", address=incident.get("address") or "",
            district=incident.get("district") or "",
            crew=tuple(names.get(member) or member for member in unit.crew)))
    return sorted(rows, key=lambda row: (_order(row.status), row.call_sign, row.id))


def unit_boards(room: LiveRoom, agencies: list[str], *, by: Principal
                ) -> dict[str, list[BoardRow]]:
    """Each agency's active units as the board shows them, sorted by status (`BOARD_ORDER`:
    at work first) then call sign."""
    for agency in agencies:
        by.check(Action.VIEW_LIVE, agency)
    rows = _rows(room, live_units(room, units_in(room, agencies)))
    return {agency: [row for row in rows if row.agency == agency] for agency in agencies}


def unit_board(room: LiveRoom, agency: str, *, by: Principal) -> list[BoardRow]:
    """Every active unit of `agency`, as its board shows it."""
    return unit_boards(room, [agency], by=by)[agency]


def unit_roster(room: LiveRoom, agencies: Iterable[str], *, by: Principal,
                fresh: Iterable[Unit] = ()) -> list[LiveUnit]:
    """Every unit of the agencies, active or not, by agency then call sign, for those who
    manage them; `fresh`: units as a command just left them, shown as such even before the
    live model has caught up."""
    agencies = list(agencies)
    for agency in agencies:
        by.check(Action.MANAGE_UNITS, agency)
    units = {unit.id: unit for unit in live_units(room, units_in(room, agencies,
                                                                    registered=True))}
    for unit in fresh:
        if unit.agency in agencies:
            held = units.get(unit.id)
            units[unit.id] = _as_live(unit, held)
    return sorted(units.values(), key=lambda u: (agencies.index(u.agency), u.call_sign, u.id))


def _as_live(unit: Unit, held: LiveUnit | None) -> LiveUnit:
    """A unit as a command left it, with what only the live model knows (its task, its
    status as its task sets it, its position) kept from `held`."""
    return LiveUnit(
        id=unit.id, call_sign=unit.call_sign, agency=unit.agency, post_id=unit.post_id or "",
        kind=unit.kind, crew=tuple(unit.crew), tracker=unit.tracker or "", active=unit.active,
        status=held.status if held else unit.status,
        status_since=held.status_since if held else unit.since,
        status_reason=held.status_reason if held else "",
        incident_id=held.incident_id if held else "", task_id=held.task_id if held else "",
        lat=held.lat if held else None, lon=held.lon if held else None,
        fix_at=held.fix_at if held else None)


def agency_officers(room: LiveRoom, agency: str, *, by: Principal) -> dict[str, str]:
    """The agency's registered officers (id -> name, by name), to crew its units with."""
    by.check(Action.MANAGE_UNITS, agency)
    ids = sorted(room.redis.smembers(room.live.officers(agency)))
    pipe = room.redis.pipeline(transaction=False)
    for officer_id in ids:
        pipe.hget(room.live.officer(officer_id), "name")
    names = {officer_id: name or officer_id
             for officer_id, name in zip(ids, pipe.execute(), strict=True)}
    return dict(sorted(names.items(), key=lambda item: (item[1], item[0])))


def concerns(change: Change, incidents: Collection[str]) -> bool:
    """Whether a board whose units are on `incidents` may show something else after
    `change`: a unit changed, or one of those incidents did."""
    return bool(change.units) or any(i in change.incidents for i in incidents)
