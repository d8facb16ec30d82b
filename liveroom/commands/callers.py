"""An incident's callers: moved from a duplicate to the incident it duplicates (the merge
policy's command), and read as a person may see them (in full or masked)."""

from __future__ import annotations

from liveroom.access import SYSTEM, Action, Principal, sees_callers
from liveroom.commands import aggregates
from liveroom.commands.incidents import KIND, get_incident
from liveroom.domain import incident as domain
from liveroom.domain.caller import Caller
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.incident import Incident
from liveroom.domain.lifecycle import Status
from liveroom.room import LiveRoom

#: duplicates of duplicates followed at most this far
MAX_CHAIN = 10


def survivor_of(room: LiveRoom, duplicate: Incident) -> Incident:
    """The incident a duplicate's callers belong to: the one it duplicates, or, if that was
    marked a duplicate since, the one standing at the end of the chain."""
    seen = {duplicate.id}
    found = get_incident(room, duplicate.duplicate_of or duplicate.id)
    while found.status is Status.DUPLICATE and found.duplicate_of:
        if found.duplicate_of in seen or len(seen) > MAX_CHAIN:
            raise InvalidCommand(f"incident {duplicate.id}: a chain of duplicates loops",
                                 rule="duplicate_loop", incident=duplicate.id)
        seen.add(found.id)
        found = get_incident(room, found.duplicate_of)
    return found


def merge_callers(room: LiveRoom, duplicate_id: str, *,
                  by: Principal = SYSTEM) -> Incident:
    """Move the callers of the duplicate `duplicate_id` to its survivor (`survivor_of`), once:
    a survivor holding them already refuses (`already_merged`). Returns the survivor."""
    duplicate = get_incident(room, duplicate_id)
    if duplicate.duplicate_of is None:
        raise InvalidCommand(f"incident {duplicate_id} is not a duplicate", rule="not_duplicate",
                             incident=duplicate_id)
    survivor = survivor_of(room, duplicate)

    def decide(current: Incident):
        by.check(Action.CHANGE_STATUS, current.agency)
        return domain.decide_merge(current, duplicate, room.clock(), by.actor)

    return aggregates.execute(room, KIND, Incident, domain.evolve, survivor.id, decide, None)


def incident_callers(room: LiveRoom, incident_id: str, *, by: Principal) -> list[Caller]:
    """Who reported the incident, oldest first, for those who may view it: in full for its
    own people (`access.sees_callers`), masked for everyone else."""
    incident = get_incident(room, incident_id)
    by.check(Action.VIEW_LIVE, incident.agency)
    return incident.callers_for(sees_callers(by, incident.agency))
