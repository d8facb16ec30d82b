"""The loop closed: a reporter rates the work that resolved their incident (1-5, with a
comment), or says it is not fixed ("belum beres"). Pure, like `domain.incident`.

Rules (the README's "Rating and reopening"):
- only a resolved incident, or one closed after it was resolved, takes feedback;
- only one of its reporters gives it (matched by phone, e-mail or Telegram chat), once per
  resolution: a second answer to the same resolution is refused (`already_rated`); after a
  reopening the next resolution may be rated again;
- a rating of 2 or less, or "not fixed", within the city's reopen window (from the
  resolution; `City.reopen_window_days`) reopens it: back to the queue of the same agency
  with a fresh SLA (`calendar.sla_dues` from now, as triage computes it); after the window
  a rating is kept as a rating only, and "not fixed" alone is refused (`reopen_window_passed`).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel

from liveroom.cities import City
from liveroom.domain.calendar import sla_dues
from liveroom.domain.caller import Caller, phone_number
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.events import Event, IncidentRated, IncidentReopened
from liveroom.domain.lifecycle import Status, TaskStatus

#: a rating this low reopens the incident (within the window)
REOPENS_AT = 2
COMMENT_MAX = 1000
RATEABLE = frozenset({Status.RESOLVED, Status.CLOSED})  # (closed only ever follows resolved)


class Feedback(BaseModel):
    """One reporter's answer to one resolution: a rating, "not fixed", or both."""

    key: str
    resolution: int
    at: AwareDatetime
    source: str
    rating: int | None = None
    comment: str = ""
    reopened: bool = False


def contact_key(caller: Caller) -> str | None:
    """Who a caller is, across channels: their phone (as E.164 where it is one: `0812…`,
    `62812…` and `+62812…` are one number), e-mail or Telegram chat."""
    if caller.phone and (digits := re.sub(r"\D", "", _e164(caller.phone))):
        return f"phone:{digits}"
    if caller.email:
        return f"email:{caller.email.strip().lower()}"
    if caller.telegram:
        return f"telegram:{caller.telegram}"
    return None


def _e164(phone: str) -> str:
    try:
        return phone_number(phone)
    except InvalidCommand:
        return phone


def reporter_of(incident, who: Caller) -> Caller | None:
    """The incident's caller `who` is (by `contact_key`), or None."""
    key = contact_key(who)
    return next((c for c in incident.callers if key and contact_key(c) == key), None)


def officers_of(incident) -> list[str]:
    """The officers who did the work: those on its tasks done since it was last reopened
    (the work of this resolution), each once."""
    found: dict[str, None] = {}
    since = incident.reopened_at
    for task in incident.tasks:
        if task.status is TaskStatus.DONE and (since is None or task.since >= since):
            found.update(dict.fromkeys(filter(None, [task.officer_id, *task.crew])))
    return list(found)


def within_window(incident, now: datetime, days: int) -> bool:
    """Whether `now` is within `days` of the incident's (latest) resolution."""
    return bool(days and incident.resolved_at and now - incident.resolved_at <= timedelta(
        days=days))


def decide_feedback(incident, city: City, who: Caller, now: datetime, actor: str, *,
                    rating: int | None = None, not_fixed: bool = False,
                    comment: str = "") -> list[Event]:
    """The events a reporter's answer makes: `IncidentRated` for a rating, and
    `IncidentReopened` when it reopens (see the module's rules); refusals say their rule."""
    comment = (comment or "").strip()
    if incident.status not in RATEABLE or incident.resolved_at is None:
        raise InvalidCommand(f"incident {incident.id} is {incident.status.value}: only a "
                             "resolved incident can be rated", rule="not_resolved",
                             incident=incident.id, status=incident.status.value)
    if rating is None and not not_fixed:
        raise InvalidCommand("a rating (1-5) or 'not fixed' is needed", rule="feedback_empty")
    if rating is not None and not (isinstance(rating, int) and 1 <= rating <= 5):
        raise InvalidCommand(f"a rating is 1 to 5, not {str(rating)[:10]!r}", rule="bad_rating")
    if len(comment) > COMMENT_MAX:
        raise InvalidCommand(f"a comment is at most {COMMENT_MAX} characters",
                             rule="comment_too_long", limit=COMMENT_MAX)
    reporter = reporter_of(incident, who)
    if reporter is None:
        raise InvalidCommand(f"only a reporter of incident {incident.id} can rate it",
                             rule="not_reporter", incident=incident.id)
    key, resolution = contact_key(reporter), incident.reopened + 1
    if any(f.key == key and f.resolution == resolution for f in incident.feedback):
        raise InvalidCommand(f"this reporter has answered for incident {incident.id} already",
                             rule="already_rated", incident=incident.id)
    reopens = not_fixed or (rating is not None and rating <= REOPENS_AT)
    within = within_window(incident, now, city.reopen_window_days)
    if not_fixed and not within and rating is None:
        raise InvalidCommand(f"incident {incident.id} was resolved more than "
                             f"{city.reopen_window_days} days ago: report it anew",
                             rule="reopen_window_passed", incident=incident.id,
                             days=city.reopen_window_days)
    contact = _contact(reporter)
    common = dict(incident_id=incident.id, occurred_at=now, actor=actor, comment=comment,
                  source=who.source, reporter=contact, resolution=resolution,
                  agency=incident.agency or "", officers=officers_of(incident))
    events: list[Event] = []
    if rating is not None:
        events.append(IncidentRated(**common, rating=rating, resolved_at=incident.resolved_at,
                                    district=incident.district, category=incident.category))
    if reopens and within:
        events.append(_reopened(incident, city, now, common, rating, not_fixed))
    return events


def _reopened(incident, city: City, now: datetime, common: dict, rating: int | None,
              not_fixed: bool) -> IncidentReopened:
    category = city.categories.get(incident.category)
    if category is None:
        raise InvalidCommand(f"unknown category {incident.category!r}", rule="unknown_category")
    district = incident.district or getattr(city.district_at(incident.lat, incident.lon),
                                            "code", None)
    acknowledge_due, resolve_due = sla_dues(category, now, city)  # (fresh: from now)
    return IncidentReopened(
        **common, why="not_fixed" if not_fixed else "rating", rating=rating,
        from_status=incident.status, category=incident.category,
        priority=incident.priority or category.priority, district=district or "",
        acknowledge_due=acknowledge_due, resolve_due=resolve_due, lat=incident.lat,
        lon=incident.lon, reported_at=incident.reported_at, address=incident.address,
        description=incident.description)


def _contact(caller: Caller) -> dict[str, str]:
    """A caller's contact as an event's `reporter` (what `Caller.of` reads back)."""
    return {k: v for k, v in caller.model_dump(
        include={"name", "phone", "email", "telegram", "lang"}).items() if v}


def evolve_rated(incident, event: IncidentRated):
    added = Feedback(key=contact_key(Caller.of(event.source, event.reporter,
                                               event.occurred_at)) or "",
                     resolution=event.resolution, at=event.occurred_at, source=event.source,
                     rating=event.rating, comment=event.comment)
    return incident.model_copy(update={"feedback": [*incident.feedback, added],
                                       "updated_at": event.occurred_at})


def evolve_reopened(incident, event: IncidentReopened):
    """Back at triaged with the fresh SLA; its firsts (acknowledged, resolved) start over,
    and so do the escalation rules (the new deadlines escalate like the first)."""
    feedback = list(incident.feedback)
    if event.rating is None:
        feedback.append(Feedback(key=contact_key(Caller.of(event.source, event.reporter,
                                                           event.occurred_at)) or "",
                                 resolution=event.resolution, at=event.occurred_at,
                                 source=event.source, comment=event.comment))
    feedback = [f.model_copy(update={"reopened": True})
                if f.resolution == event.resolution and f.at == event.occurred_at else f
                for f in feedback]
    return incident.model_copy(update=dict(
        status=Status.TRIAGED, agency=event.agency, acknowledge_due=event.acknowledge_due,
        resolve_due=event.resolve_due, acknowledged_at=None, resolved_at=None,
        officer_id=None, escalated=[], reopened=incident.reopened + 1,
        reopened_at=event.occurred_at, reopen_comment=event.comment or None,
        feedback=feedback, updated_at=event.occurred_at))
