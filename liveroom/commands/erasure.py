"""Erase reporters' personal data `contact_retention_days` after their incident closed
(UU 27/2022): one `ReportersErased` tombstone per incident (the aggregate drops the contacts,
the archive nulls them: `projections.erasure`). Run by `python -m liveroom erase-contacts`
and by `work` every `erase_interval_minutes`; running it again erases nothing more."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import func, select, update

from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands import aggregates
from liveroom.commands.incidents import KIND
from liveroom.domain.erasure import decide_erase
from liveroom.domain.errors import InvalidCommand, NotFound
from liveroom.domain.events import ReportersErased
from liveroom.domain.incident import Incident, evolve
from liveroom.domain.lifecycle import TERMINAL
from liveroom.room import LiveRoom

log = logging.getLogger("liveroom.erasure")
#: the most incidents one run erases (a backlog is worked off run by run)
PASS_SIZE = 1000


def due_for_erasure(room: LiveRoom, older_than_days: int) -> list[tuple[str, object]]:
    """(incident id, when it closed) of the incidents closed, rejected or marked a duplicate
    at least `older_than_days` ago whose contacts are not erased yet, oldest first."""
    table = schema.incidents
    closed_at = func.coalesce(table.c.closed_at, table.c.rejected_at, table.c.duplicate_at)
    cutoff = room.clock() - timedelta(days=older_than_days)
    query = (select(table.c.id, closed_at.label("closed_at"))
             .where(table.c.status.in_([s.value for s in TERMINAL]),
                    table.c.contacts_erased_at.is_(None), closed_at <= cutoff)
             .order_by(closed_at).limit(PASS_SIZE))
    with room.engine.connect() as conn:
        return [(row.id, row.closed_at) for row in conn.execute(query)]


def erase_contacts(room: LiveRoom, older_than_days: int | None = None) -> list[str]:
    """Erase the contacts of every incident due (`due_for_erasure`); the ids erased."""
    days = room.settings.contact_retention_days if older_than_days is None else older_than_days
    done = []
    for incident_id, closed_at in due_for_erasure(room, days):
        def decide(incident: Incident, closed_at=closed_at) -> ReportersErased:
            return decide_erase(incident, closed_at, days, room.clock(), SYSTEM.actor)

        try:
            aggregates.execute(room, KIND, Incident, evolve, incident_id, decide)
        except NotFound:  # only archived (an imported history): its row is all there is
            _erase_archived(room, incident_id)
        except InvalidCommand as exc:  # reopened, or erased by another run
            log.info("contacts of %s not erased: %s", incident_id, exc)
            continue
        done.append(incident_id)
    if done:
        log.info("erased the reporters' contacts of %d incident(s)", len(done))
    return done


def _erase_archived(room: LiveRoom, incident_id: str) -> None:
    """Null the contact of an incident the archive alone holds (no events to tombstone), so
    it is not due again (and does not hold up the incidents after it)."""
    table = schema.incidents
    with room.engine.begin() as conn:
        conn.execute(update(table).where(table.c.id == incident_id).values(
            reporter=None, contacts_erased_at=room.clock()))
