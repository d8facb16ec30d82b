"""The escalation policy: SLA deadlines that pass unmet set the city's chains going.

It keeps a due-time index (`live.escalation_due`: each incident by the moment its next
escalation rule falls due, computed from the incident's state, so from its events' own
times: its SLA deadlines, and the follow-up dates of its tasks forwarded to outside bodies,
which a forward schedules like any event that touches the incident) and, under the same
lease as the projections, escalates what has fallen due (`commands.escalation.escalate_due`),
one `incident.escalated` per step.

- The index moves with the checkpoint (one MULTI/EXEC), like a projection's view: an
  incident acknowledged, resolved or closed leaves it once no rule is pending.
- Exactly once: the incident's state refuses a rule it has seen, and its version check
  makes two workers, or a replay after a crash, decide against the same state.
- After a restart it catches up: the index survives in Redis, so the first pass takes
  every step that fell due meanwhile (at "now", `room.clock()`; the event says which
  deadline and when it was due). Redis is only asked for scores up to now, never told it.
"""

from __future__ import annotations

import logging

from liveroom.commands.escalation import escalate_due
from liveroom.commands.incidents import get_incident
from liveroom.domain.errors import DomainError
from liveroom.domain.escalation import next_due
from liveroom.domain.incident import Incident
from liveroom.domain.lifecycle import TERMINAL, Status
from liveroom.live.projection import ms
from liveroom.projections.base import DeadLetter, Entry, Policy

log = logging.getLogger("liveroom.escalation")
OPEN = tuple(status for status in Status if status not in TERMINAL)
#: incidents escalated in one pass at most (the next pass takes the rest)
PASS_SIZE = 500


class EscalationPolicy(Policy):
    name = "escalation-policy"
    stream = "incidents"

    @property
    def index(self) -> str:
        return self.room.live.escalation_due

    def reset(self) -> None:
        self.room.redis.delete(self.room.keys.checkpoint(self.name), self.index)

    def _next(self, incident: Incident) -> int | None:
        at = next_due(incident, self.room.city.escalation)
        return None if at is None else ms(at)

    def _states(self, incident_ids: set[str]) -> dict[str, int | None]:
        """Each incident's next due moment (ms), None for none (or an incident gone)."""
        found: dict[str, int | None] = {}
        for incident_id in sorted(incident_ids):
            try:
                found[incident_id] = self._next(get_incident(self.room, incident_id))
            except DomainError:
                found[incident_id] = None
        return found

    def apply(self, entries: list[Entry], expected: str | None) -> list[DeadLetter]:
        touched = {e.event.aggregate_id for e in entries if e.event is not None}
        due = self._states(touched) if self.room.city.escalation else {}
        self.advance(expected, entries[-1].id, lambda pipe: self._index(pipe, due))
        return []

    def _index(self, pipe, due: dict[str, int | None]) -> None:
        if kept := {i: at for i, at in due.items() if at is not None}:
            pipe.zadd(self.index, kept)
        if gone := [i for i, at in due.items() if at is None]:
            pipe.zrem(self.index, *gone)

    def reindex(self) -> int:
        """The index again from the open incidents' states (after a rebuild: a policy is
        not replayed); returns how many incidents it holds."""
        pipe = self.room.redis.pipeline(transaction=False)
        for status in OPEN:
            pipe.zrange(self.room.live.status(status.value), 0, -1)
        due = self._states({i for group in pipe.execute() for i in group})
        with self.room.redis.pipeline(transaction=False) as pipe:
            pipe.delete(self.index)
            self._index(pipe, due)
            pipe.execute()
        return sum(at is not None for at in due.values())

    def tick(self) -> int:
        """One pass: escalate every incident whose next step is due now; returns how many
        were escalated."""
        now = ms(self.room.clock())
        ready = self.room.redis.zrangebyscore(self.index, "-inf", now, start=0, num=PASS_SIZE)
        due: dict[str, int | None] = {}
        escalated = 0
        for incident_id in ready:
            try:
                due[incident_id] = self._next(escalate_due(self.room, incident_id))
                escalated += 1
            except DomainError as exc:  # escalated already (another worker), or no longer due
                log.info("%s not escalated: %s", incident_id, exc)
                due.update(self._states({incident_id}))
        if due:
            with self.room.redis.pipeline(transaction=False) as pipe:
                self._index(pipe, due)
                pipe.execute()
        return escalated

    def sweep(self) -> list[str]:
        """Nothing here: the passes run under the lease (`tick`)."""
        return []
