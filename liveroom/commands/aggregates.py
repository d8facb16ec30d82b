"""Run a command against one aggregate: load, decide, append with a version check."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from pydantic import BaseModel

from liveroom.domain.errors import ConcurrencyConflict, NotFound
from liveroom.domain.events import Event
from liveroom.room import LiveRoom

State = TypeVar("State", bound=BaseModel)
RETRIES = 5


def load(room: LiveRoom, kind: str, model: type[State], aggregate_id: str) -> tuple[int, State]:
    """The aggregate's current version and state; NotFound if it never existed."""
    loaded = room.store.load(kind, aggregate_id)
    if loaded.version == 0 or loaded.state is None:
        raise NotFound(f"no {kind} {aggregate_id!r}")
    return loaded.version, model.model_validate_json(loaded.state)


def execute(
    room: LiveRoom,
    kind: str,
    model: type[State],
    evolve: Callable[[State | None, Event], State],
    aggregate_id: str,
    decide: Callable[[State], Event | Sequence[Event]],
    expected_version: int | None = None,
    claims: Callable[[list[Event]], tuple[dict[str, str], dict[str, str]]] | None = None,
) -> State:
    """Decide against fresh state and append; retried on a race unless a version is given.

    With `expected_version` (what the user saw), a concurrent change is reported
    as ConcurrencyConflict instead of being silently decided again.
    """
    for _ in range(RETRIES):
        version, state = load(room, kind, model, aggregate_id)
        if expected_version is not None and version != expected_version:
            raise ConcurrencyConflict(
                f"{kind} {aggregate_id} is at version {version}, not {expected_version}"
            )
        decided = decide(state)
        events = [decided] if isinstance(decided, Event) else list(decided)
        for event in events:
            state = evolve(state, event)
        taken, freed = claims(events) if claims else ({}, {})
        try:
            room.store.append(kind, aggregate_id, version, events, state.model_dump_json(),
                              claims=taken, frees=freed)
            return state
        except ConcurrencyConflict:
            if expected_version is not None:
                raise
    raise ConcurrencyConflict(f"{kind} {aggregate_id} is changing too fast; try again")


def create(
    room: LiveRoom, kind: str, aggregate_id: str, events: Sequence[Event], state: BaseModel
) -> None:
    """Append the first events of a new aggregate; conflict if the id is taken."""
    room.store.append(kind, aggregate_id, 0, events, state.model_dump_json())
