"""The call-taker's desk: a report an operator enters for a caller (a phone call, 112, a
radio call, a walk-in, …), on one of the city's channels, placed where the caller says:
a point, a kecamatan, or an address naming one (at its middle, marked approximate)."""

from __future__ import annotations

from liveroom.access import Action, Principal
from liveroom.cities import City
from liveroom.commands import aggregates
from liveroom.commands.incidents import KIND, report_incident
from liveroom.domain import incident as domain
from liveroom.domain.caller import caller
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.incident import Incident
from liveroom.room import LiveRoom


def enter_report(
    room: LiveRoom, *, by: Principal, channel: str, category: str, description: str = "",
    lat: float | None = None, lon: float | None = None, district: str | None = None,
    address: str | None = None, answers: dict[str, str | list[str]] | None = None,
    caller_name: str | None = None, caller_phone: str | None = None,
    priority: int | None = None, priority_reason: str | None = None,
) -> Incident:
    """Receive and triage a report taken at the desk: its `source` is the channel, its
    `reporter` the caller (the phone in E.164); the operator may set another priority than
    the category's, with the reason."""
    by.check(Action.ENTER_REPORT)
    _check_channel(room.city, channel)
    lat, lon, approximate = placed(room.city, lat, lon, district, address)
    return report_incident(room, category=category, lat=lat, lon=lon, source=channel, by=by,
                           description=description, address=address or None,
                           reporter=caller(caller_name, caller_phone), attributes=answers,
                           location_approximate=approximate, priority=priority,
                           priority_reason=priority_reason)


def add_reporter(
    room: LiveRoom, incident_id: str, *, by: Principal, channel: str, description: str = "",
    caller_name: str | None = None, caller_phone: str | None = None,
) -> Incident:
    """Another caller about an open incident, added to it instead of a second incident:
    their channel, contact and words kept with it; it counts one more reporter."""
    by.check(Action.ENTER_REPORT)
    _check_channel(room.city, channel)
    contact = caller(caller_name, caller_phone)

    def decide(incident: Incident):
        by.check(Action.ENTER_REPORT, incident.agency)
        return domain.decide_add_reporter(incident, channel, contact, description,
                                          room.clock(), by.actor)

    return aggregates.execute(room, KIND, Incident, domain.evolve, incident_id, decide, None)


def _check_channel(city: City, channel: str) -> None:
    if channel not in city.channels:
        raise InvalidCommand(f"unknown channel {channel[:40]!r}: one of "
                             f"{', '.join(city.channels)}", rule="unknown_channel")


def placed(city: City, lat: float | None, lon: float | None, district: str | None,
           address: str | None) -> tuple[float, float, bool]:
    """(lat, lon, approximate): the point given; else the middle of the kecamatan given by
    its code, or named in the address."""
    if lat is not None and lon is not None:
        return lat, lon, False
    if district:
        found = city.districts.get(district)
        if found is None:
            raise InvalidCommand(f"no kecamatan {district[:40]!r} in {city.name}",
                                 rule="unknown_district")
        return *found.middle, True
    named = city.placed_by_address(address or "")
    if named is None:
        raise InvalidCommand("a report needs a point, a kecamatan, or an address naming one "
                             f"kecamatan of {city.name}", rule="no_location")
    return *named, True
