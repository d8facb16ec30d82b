"""Reporters' satisfaction and reopenings (`domain.feedback`), from the archive.

Definitions (shown beside the figures):
- as every KPI, of the incidents reported in the period (the scope's agency, district,
  category);
- satisfaction: the mean of their reporters' ratings (1-5) and how many there were, per
  agency (the incident's when rated), district, or officer (each officer of the work rated
  is credited with the whole rating);
- reopen rate: reopenings by a reporter over resolutions (each reopening took one back; the
  incidents resolved now are the rest), per agency.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from liveroom.access import Principal
from liveroom.archive import schema
from liveroom.reporting.kpi.figures import I, Scope, _where, percent
from liveroom.room import LiveRoom

R = schema.incident_ratings
GROUPS = ("agency", "district", "officer")


@dataclass(frozen=True)
class Satisfaction:
    """One agency's, district's or officer's ratings (and, per agency, its reopenings)."""

    key: str
    ratings: int
    total: int  # the ratings' sum
    reopened: int = 0
    resolutions: int = 0

    @property
    def mean(self) -> float | None:
        return round(self.total / self.ratings, 2) if self.ratings else None

    @property
    def score(self) -> float | None:
        """The mean on 0-100 (1 is 0, 5 is 100): a measure of the officers' score."""
        return None if self.mean is None else round((self.mean - 1) * 25, 1)

    @property
    def reopen_rate(self) -> float | None:
        return percent(self.reopened, self.resolutions)


def satisfaction(room: LiveRoom, scope: Scope, *, by: Principal,
                 group: str = "agency") -> list[Satisfaction]:
    """The period's ratings per `group` (agency, district, officer), by key; per agency
    with its reopen rate."""
    if group not in GROUPS:
        raise ValueError(f"satisfaction by {group!r}? one of {', '.join(GROUPS)}")
    query = (select(R.c.rating, R.c.agency, R.c.district, R.c.officers)
             .join(I, I.c.id == R.c.incident_id).where(*_where(room, scope, by)))
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with room.engine.connect() as conn:
        for rating, agency, district, officers in conn.execute(query):
            keys = {"agency": [agency], "district": [district or ""],
                    "officer": officers or []}[group]
            for key in keys:
                counts[key][0] += 1
                counts[key][1] += rating
        reopens = _reopens(conn, room, scope, by) if group == "agency" else {}
    keys = sorted(set(counts) | set(reopens))
    return [Satisfaction(key, *counts.get(key, (0, 0)), *reopens.get(key, (0, 0)))
            for key in keys]


def _reopens(conn, room: LiveRoom, scope: Scope, by: Principal) -> dict[str, tuple[int, int]]:
    """Per agency: (reopenings, resolutions)."""
    query = (select(I.c.agency, func.sum(I.c.reopened),
                    func.count(I.c.resolved_at))
             .where(*_where(room, scope, by)).group_by(I.c.agency))
    found = {}
    for agency, reopened, resolved in conn.execute(query):
        reopened = int(reopened or 0)
        if reopened or resolved:
            found[agency or ""] = (reopened, reopened + int(resolved or 0))
    return found


def satisfaction_by(room: LiveRoom, scope: Scope, *, by: Principal
                    ) -> dict[str, list[Satisfaction]]:
    """Every group's (the KPI page's panel)."""
    return {group: satisfaction(room, scope, by=by, group=group) for group in GROUPS}
