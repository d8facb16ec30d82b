"""The incident lifecycle: one explicit state machine."""

from enum import StrEnum


class Status(StrEnum):
    RECEIVED = "received"
    TRIAGED = "triaged"
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


S = Status

#: Every legal move. ASSIGNED -> ASSIGNED etc. is a reassignment to another officer.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.RECEIVED: frozenset({S.TRIAGED, S.REJECTED, S.DUPLICATE}),
    S.TRIAGED: frozenset({S.TRIAGED, S.ASSIGNED, S.REJECTED, S.DUPLICATE}),
    S.ASSIGNED: frozenset({S.ASSIGNED, S.ACKNOWLEDGED, S.REJECTED, S.DUPLICATE}),
    S.ACKNOWLEDGED: frozenset({S.ASSIGNED, S.EN_ROUTE, S.REJECTED}),
    S.EN_ROUTE: frozenset({S.ASSIGNED, S.ON_SCENE, S.REJECTED}),
    S.ON_SCENE: frozenset({S.ASSIGNED, S.RESOLVED, S.REJECTED}),
    S.RESOLVED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.REJECTED: frozenset(),
    S.DUPLICATE: frozenset(),
}

#: Statuses in which an officer holds the incident.
WITH_OFFICER = frozenset({S.ASSIGNED, S.ACKNOWLEDGED, S.EN_ROUTE, S.ON_SCENE, S.RESOLVED})
TERMINAL = frozenset(status for status, targets in TRANSITIONS.items() if not targets)
#: Statuses reached through `change_status`; the others have their own commands.
SETTABLE = frozenset(
    {S.ACKNOWLEDGED, S.EN_ROUTE, S.ON_SCENE, S.RESOLVED, S.CLOSED, S.REJECTED, S.DUPLICATE}
)


def can_move(current: Status, target: Status) -> bool:
    """True if the lifecycle allows `current` -> `target`."""
    return target in TRANSITIONS[current]
