"""The merge policy: when an incident is marked a duplicate (by an operator, or on arrival),
its callers move to the incident it duplicates (`commands.callers.merge_callers`, one
`incident.reporters_merged` event on the survivor).

A process manager like the attendance policy: it reads the incidents stream in order under
the same lease and consumer group as the projections, and is never replayed by a rebuild
(the events it appended are in the log). Exactly once: the survivor's state refuses a second
merge of the same duplicate, so entries read again after a crash (appended, checkpoint not
yet moved) or a retried batch change nothing.
"""

from __future__ import annotations

import logging

from liveroom.commands.callers import merge_callers
from liveroom.domain.errors import DomainError
from liveroom.domain.events import IncidentStatusChanged
from liveroom.domain.lifecycle import Status
from liveroom.projections.base import DeadLetter, Entry, Policy

log = logging.getLogger("liveroom.merges")


class MergePolicy(Policy):
    name = "merge-policy"
    stream = "incidents"

    def reset(self) -> None:
        self.room.redis.delete(self.room.keys.checkpoint(self.name))

    def apply(self, entries: list[Entry], expected: str | None) -> list[DeadLetter]:
        for entry in entries:
            event = entry.event
            if (isinstance(event, IncidentStatusChanged) and event.duplicate_of
                    and event.to_status is Status.DUPLICATE):
                try:
                    merge_callers(self.room, event.incident_id)
                except DomainError as exc:  # merged already (a replay), or nothing to move
                    log.info("callers of %s not moved: %s", event.incident_id, exc)
        self.advance(expected, entries[-1].id)
        return []

    def sweep(self) -> list[str]:
        """Nothing waits on time here (the service's trim loop sweeps every policy)."""
        return []
