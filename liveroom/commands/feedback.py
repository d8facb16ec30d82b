"""Reporters' feedback on a resolved incident: rate it, or reopen it (`domain.feedback`).

`feedback_from_reporter` reads a chat reply ("4 bagus", "belum beres", "not fixed") for
the conversation; `rate_incident` and `reopen_incident` are what the tracking page calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from liveroom.access import SYSTEM, Action, Principal
from liveroom.commands.incidents import _run
from liveroom.domain.caller import Caller
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.feedback import COMMENT_MAX, decide_feedback
from liveroom.domain.incident import Incident
from liveroom.room import LiveRoom

#: a reply that says the work did not fix it (the rest of the reply is its comment)
NOT_FIXED = re.compile(r"^\s*(belum(\s+beres|\s+selesai)?|not\s+fixed|tidak\s+beres)\b[\s:,.!-]*",
                       re.IGNORECASE)
#: a reply that rates: 1 to 5 first ("4", "4/5", "4 dari 5"), then perhaps a comment
RATING = re.compile(r"^\s*([1-5])(?![0-9])(\s*(/|dari|of)\s*5(?![0-9]))?[\s:,.!-]*",
                    re.IGNORECASE)


def _feedback(room: LiveRoom, incident_id: str, *, by: Principal, source: str,
              reporter: dict[str, str], rating: int | None, not_fixed: bool,
              comment: str) -> Incident:
    by.check(Action.REPORT)
    try:
        who = Caller.of(source, reporter, room.clock())
    except ValueError:
        raise InvalidCommand("not a reporter's contact", rule="not_reporter") from None

    def decide(incident: Incident):
        return decide_feedback(incident, room.city, who, room.clock(), by.actor, rating=rating,
                               not_fixed=not_fixed, comment=comment)

    return _run(room, incident_id, decide, None)


def rate_incident(room: LiveRoom, incident_id: str, rating: int, *, by: Principal,
                  source: str, reporter: dict[str, str], comment: str = "") -> Incident:
    """A reporter's rating (1-5, a comment); 2 or less within the window reopens it."""
    return _feedback(room, incident_id, by=by, source=source, reporter=reporter,
                     rating=rating, not_fixed=False, comment=comment)


def reopen_incident(room: LiveRoom, incident_id: str, *, by: Principal, source: str,
                    reporter: dict[str, str], comment: str = "") -> Incident:
    """A reporter's "not fixed" ("belum beres") within the window: back to the queue."""
    return _feedback(room, incident_id, by=by, source=source, reporter=reporter,
                     rating=None, not_fixed=True, comment=comment)


@dataclass(frozen=True)
class Answer:
    """What a reporter's reply did: `rated` (its rating) and/or `reopened`; `understood`
    False when the reply was neither a rating nor "not fixed" (nothing was done)."""

    understood: bool
    rating: int | None = None
    reopened: bool = False
    comment: str = ""
    incident: Incident | None = None


def parse_feedback(text: str) -> tuple[int | None, bool, str] | None:
    """(rating, not fixed, comment) from a reply, or None if it is neither."""
    text = (text or "").strip()
    if found := NOT_FIXED.match(text):
        return None, True, text[found.end():].strip()[:COMMENT_MAX + 1]
    if found := RATING.match(text):
        return int(found.group(1)), False, text[found.end():].strip()[:COMMENT_MAX + 1]
    return None


def feedback_from_reporter(room: LiveRoom, incident_id: str, *, text: str,
                           reporter: dict[str, str], source: str,
                           by: Principal = SYSTEM) -> Answer:
    """Interpret a chat reply ("1".."5" then perhaps a comment; "belum", "belum beres",
    "not fixed" then perhaps a comment) and rate or reopen. Refusals are raised as the
    commands raise them (`InvalidCommand` with its `rule`: not_resolved, already_rated,
    not_reporter, reopen_window_passed, comment_too_long)."""
    parsed = parse_feedback(text)
    if parsed is None:
        return Answer(understood=False)
    rating, not_fixed, comment = parsed
    incident = _feedback(room, incident_id, by=by, source=source, reporter=reporter,
                         rating=rating, not_fixed=not_fixed, comment=comment)
    reopened = incident.reopened_at is not None and incident.reopened_at == incident.updated_at
    return Answer(understood=True, rating=rating, reopened=reopened, comment=comment,
                  incident=incident)
