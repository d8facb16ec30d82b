"""The desk's "simpan dan tugaskan": a report entered, triaged, and given at once to the
first officer the wall recommends for it (the nearest available of its agency)."""

from __future__ import annotations

from liveroom.access import Principal
from liveroom.commands.desk import enter_report
from liveroom.commands.incidents import assign_incident
from liveroom.domain.incident import Incident
from liveroom.live.dispatch import OfficerStatus, officers_near
from liveroom.room import LiveRoom


def enter_and_assign(room: LiveRoom, *, by: Principal,
                     **report) -> tuple[Incident, OfficerStatus | None]:
    """The report saved (as `enter_report`), and assigned to the nearest available officer
    of its agency if there is one (else left in the queue: the officer is None). A
    duplicate on arrival is not assigned: its original is being handled."""
    incident = enter_report(room, by=by, **report)
    if incident.duplicate_of or not incident.agency:
        return incident, None
    nearest = [o for o in officers_near(room, incident.lat, incident.lon, incident.agency,
                                        by=by) if o.distance_m is not None]
    if not nearest:
        return incident, None
    return assign_incident(room, incident.id, nearest[0].id, by=by), nearest[0]
