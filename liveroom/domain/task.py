"""Tasks: one per unit, officer or outside body dispatched to an incident, each with its own
agency and lifecycle (assigned → acknowledged → en route → on scene → done, or released with
a reason; forwarded → done for a body). The incident's status follows its furthest running
task; whether it is resolved is the city's rule (`cities.model.DispatchRules`). Pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from pydantic import AwareDatetime, BaseModel

from liveroom.domain.lifecycle import (
    AS_INCIDENT,
    PROGRESS,
    RUNNING,
    TASK_NEXT,
    Status,
    TaskStatus,
)

#: a unit's or officer's fix this much older than a moment still says where it was then
#: (its position when dispatched, when it set off: what arrival times learn from)
FIX_WITHIN = timedelta(minutes=5)


class Task(BaseModel):
    """One part of an incident's response."""

    id: str
    agency: str
    status: TaskStatus
    since: AwareDatetime
    officer_id: str | None = None
    unit_id: str | None = None
    crew: list[str] = []
    body: str | None = None  # an outside body's code (forwarded)
    reference: str | None = None
    follow_up_due: AwareDatetime | None = None
    reason: str | None = None  # why it was released

    @property
    def running(self) -> bool:
        return self.status in RUNNING

    @property
    def next(self) -> TaskStatus | None:
        return TASK_NEXT.get(self.status)

    def has(self, officer_id: str | None) -> bool:
        """Whether the officer is on this task (its officer or one of its crew)."""
        return officer_id is not None and (officer_id == self.officer_id
                                           or officer_id in self.crew)


def running(tasks: Iterable[Task]) -> list[Task]:
    return [task for task in tasks if task.running]


def furthest(tasks: Iterable[Task]) -> Status:
    """The incident's status from its running tasks: as far as the furthest (triaged when
    none runs: it is back in its agency's queue)."""
    reached = [AS_INCIDENT[task.status] for task in tasks if task.running]
    return max(reached, key=PROGRESS.index, default=Status.TRIAGED)


def next_task_id(tasks: list[Task]) -> str:
    return str(len(tasks) + 1)
