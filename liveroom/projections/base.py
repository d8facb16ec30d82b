"""What every projection is: a view of one stream, applied in batches with its checkpoint.

A projection stores how far it has read next to its view and moves both in one
transaction, so applying a batch twice (after a crash, or a replay) changes
nothing the second time; a batch whose checkpoint moved meanwhile is refused.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from redis.client import Pipeline

from liveroom.connections import slot_pipeline
from liveroom.domain.events import Event, EventError, decode
from liveroom.room import LiveRoom
from liveroom.streams import id_tuple

#: The dead-letter stream keeps about this many entries (a flood must not fill memory).
DEAD_LETTERS_KEPT = 10_000


class CheckpointMoved(RuntimeError):
    """Another worker applied events first; re-read the checkpoint and carry on."""


@dataclass(frozen=True)
class Entry:
    """One stream entry, decoded: `event` is None when it is poison (see `error`)."""

    id: str
    fields: dict[str, str]
    event: Event | None
    error: str | None = None

    @classmethod
    def of(cls, entry_id: str, fields: dict[str, str]) -> Entry:
        try:
            return cls(entry_id, fields, decode(fields))
        except EventError as exc:
            return cls(entry_id, fields, None, str(exc))


@dataclass(frozen=True)
class DeadLetter:
    entry: Entry
    error: str

    def fields(self, projection: str, stream: str) -> dict[str, str]:
        return {
            "projection": projection,
            "stream": stream,
            "id": self.entry.id,
            "error": self.error[:2000],
            **{f"f:{key}": value for key, value in self.entry.fields.items()},
        }


class Projection(ABC):
    """A read model fed by one stream."""

    name: str
    stream: str

    def __init__(self, room: LiveRoom) -> None:
        self.room = room

    @abstractmethod
    def checkpoint(self) -> str | None:
        """The id of the last entry applied, or None before the first."""

    @abstractmethod
    def apply(self, entries: list[Entry], expected: str | None) -> list[DeadLetter]:
        """Apply entries and move the checkpoint to the last one, atomically.

        Raises CheckpointMoved if the checkpoint is no longer `expected`. Poison
        entries are written to the dead-letter stream and skipped.
        """

    @abstractmethod
    def reset(self) -> None:
        """Empty the view and forget the checkpoint (for a rebuild)."""

    def tick(self) -> int:
        """Act on what time alone has made due (a policy's deadlines), after each round
        under the lease; returns how many acts. A view has nothing to do."""
        return 0

    def apply_new(self, entries: Iterable[Entry]) -> int:
        """Apply what lies after the checkpoint; return how many entries that was."""
        entries = list(entries)
        for _ in range(3):
            expected = self.checkpoint()
            fresh = [entry for entry in entries if id_tuple(entry.id) > id_tuple(expected)]
            if not fresh:
                return 0
            try:
                self.apply(fresh, expected)
                return len(fresh)
            except CheckpointMoved:
                continue
        raise CheckpointMoved(f"{self.name}: checkpoint keeps moving under us")

    @property
    def dead_letter_key(self) -> str:
        return self.room.keys.dead_letters


class Policy(Projection, ABC):
    """A reader that acts on events (appends new ones) instead of keeping a view: its
    checkpoint is a Redis key of its own."""

    def checkpoint(self) -> str | None:
        return self.room.redis.get(self.room.keys.checkpoint(self.name))

    def advance(self, expected: str | None, last: str,
                also: Callable[[Pipeline], object] | None = None) -> None:
        """Move the checkpoint from `expected` to `last`, in one transaction with `also`'s
        writes; CheckpointMoved when another worker moved it first."""
        key = self.room.keys.checkpoint(self.name)
        with slot_pipeline(self.room.redis, key) as pipe:
            pipe.watch(key)
            if pipe.get(key) != expected:
                raise CheckpointMoved(self.name)
            pipe.multi()
            if also is not None:
                also(pipe)
            pipe.set(key, last)
            pipe.execute()
