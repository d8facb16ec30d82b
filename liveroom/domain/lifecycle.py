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


class TaskStatus(StrEnum):
    """One unit's or officer's part of an incident (`domain.task`)."""

    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    DONE = "done"
    RELEASED = "released"
    FORWARDED = "forwarded"  # to a body outside the city's crews (PLN, PDAM): no officer


T = TaskStatus

#: The one step a running task takes next (a forwarded task is done when the body answers).
TASK_NEXT: dict[TaskStatus, TaskStatus] = {
    T.ASSIGNED: T.ACKNOWLEDGED, T.ACKNOWLEDGED: T.EN_ROUTE, T.EN_ROUTE: T.ON_SCENE,
    T.ON_SCENE: T.DONE, T.FORWARDED: T.DONE,
}
RUNNING = frozenset(TASK_NEXT)
#: a task's status as the incident's, and back: the incident is as far as its furthest task
#: (forwarding to an outside body acknowledges the report: the city has acted on it)
AS_INCIDENT: dict[TaskStatus, Status] = {
    T.ASSIGNED: S.ASSIGNED, T.FORWARDED: S.ACKNOWLEDGED, T.ACKNOWLEDGED: S.ACKNOWLEDGED,
    T.EN_ROUTE: S.EN_ROUTE, T.ON_SCENE: S.ON_SCENE, T.DONE: S.RESOLVED,
}
AS_TASK: dict[Status, TaskStatus] = {
    S.ACKNOWLEDGED: T.ACKNOWLEDGED, S.EN_ROUTE: T.EN_ROUTE, S.ON_SCENE: T.ON_SCENE,
    S.RESOLVED: T.DONE,
}
#: the incident statuses in order of progress (a derived status never needs more)
PROGRESS = (S.TRIAGED, S.ASSIGNED, S.ACKNOWLEDGED, S.EN_ROUTE, S.ON_SCENE)
