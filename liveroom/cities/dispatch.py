"""Multi-unit dispatch as a city configures it: run cards (`runcards.yaml`: which agencies,
and how many units of each, an incident needs, alarm by alarm), the dispatch rules
(`dispatch:` in city.yaml: when an incident several agencies work on is resolved, and the
unit board's colours) and the bodies outside the city's crews an incident can be
forwarded to (`external_bodies:` in agencies.yaml). `cities.model.City` holds them; the
domain reads them through the pure functions here; `cities.model.card_problem` checks a
card against the city.
"""

from __future__ import annotations

from collections.abc import Mapping
from math import inf
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from liveroom.cities.base import MAX_WORKING_DAYS, Answer, LocalizedText, Slug, _Model

MAX_UNITS = 20  # of one agency in one alarm
MAX_LEVELS = 5  # alarms on one card
#: a unit's statuses on the unit board
UNIT_STATUSES = ("available", "dispatched", "en_route", "on_scene", "returning",
                 "out_of_service")
#: minutes in a status after which the board shows a unit amber, then red
BOARD_MINUTES = {"dispatched": (2, 5), "en_route": (10, 20), "on_scene": (60, 120),
                 "returning": (30, 60), "out_of_service": (480, 1440)}

Units = Annotated[int, Field(ge=1, le=MAX_UNITS)]
Level = Annotated[dict[Slug, Units], Field(min_length=1)]
Minutes = Annotated[int, Field(gt=0)]
Colour = Literal["normal", "amber", "red"]


def _answered(answer: Answer | None, value: str) -> bool:
    """Whether an answer is `value`, or holds it (a list answer)."""
    if answer is None or isinstance(answer, str):
        return answer == value
    return value in answer


class RunCard(_Model):
    """Which agencies, and how many units of each, an incident of `category` needs: one
    alarm per level, the first sent at once ("tambah unit" sends the next). A card that
    names a `priority` or answers (`when`: question code → value) is only for those."""

    category: Slug
    priority: int | None = Field(None, ge=1, le=4)
    when: dict[Slug, Slug] = Field(default_factory=dict)
    levels: tuple[Level, ...] = Field(min_length=1, max_length=MAX_LEVELS)

    @property
    def specificity(self) -> int:
        """How many conditions the card names: its priority counts one, each answer one."""
        return (self.priority is not None) + len(self.when)

    def matches(self, category: str, priority: int | None,
                answers: Mapping[str, Answer]) -> bool:
        """Whether the card is for an incident of this category, priority and answers."""
        return (category == self.category and self.priority in (None, priority)
                and all(_answered(answers.get(code), value) for code, value in self.when.items()))

    def level(self, n: int) -> dict[str, int] | None:
        """Alarm `n`'s units per agency (the first alarm is 1); None past the last."""
        if n < 1:
            raise ValueError(f"alarms count from 1, not {n}")
        return dict(self.levels[n - 1]) if n <= len(self.levels) else None

    def lines_up_to(self, n: int) -> dict[str, int]:
        """Units per agency over alarms 1 to `n` together (all of them past the last)."""
        if n < 0:
            raise ValueError(f"alarms count from 1, not {n}")
        total: dict[str, int] = {}
        for level in self.levels[:n]:
            for agency, units in level.items():
                total[agency] = total.get(agency, 0) + units
        return total


def best_card(cards: tuple[RunCard, ...], category: str, priority: int | None,
              answers: Mapping[str, Answer], lead: str) -> RunCard:
    """The most specific of `cards` that matches (ties: the first); none matching, one
    unit of the `lead` agency."""
    matching = [card for card in cards if card.matches(category, priority, answers)]
    if not matching:
        return RunCard(category=category, levels=({lead: 1},))
    return max(matching, key=lambda card: card.specificity)  # max keeps the first of equals


class DispatchRules(_Model):
    """How an incident several agencies work on is run. `resolve_when`: `lead`, resolved
    when its category's own agency resolves it (then `after_lead`: the other agencies'
    running tasks `stand_down` or `continue`), or `all_tasks`, when every task is done.
    `board_minutes`: per unit status, the minutes in it after which the unit board shows a
    unit amber, then red (a status not given keeps its default, `BOARD_MINUTES`)."""

    resolve_when: Literal["lead", "all_tasks"] = "lead"
    after_lead: Literal["stand_down", "continue"] = "stand_down"
    board_minutes: dict[str, tuple[Minutes, Minutes]] = Field(
        default_factory=lambda: dict(BOARD_MINUTES))

    @field_validator("board_minutes", mode="before")
    @classmethod
    def _timed_statuses(cls, value: Any) -> Any:
        for status in value if isinstance(value, dict) else ():
            if status == "available":
                raise ValueError("an available unit has no time in status to colour")
            if status not in UNIT_STATUSES:
                raise ValueError(f"unknown status {status!r} "
                                 f"(statuses: {', '.join(UNIT_STATUSES[1:])})")
        return value

    @field_validator("board_minutes")
    @classmethod
    def _amber_first(cls, value: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
        for status, (amber, red) in value.items():
            if amber >= red:
                raise ValueError(f"{status}: amber ({amber}) must come before red ({red})")
        return {**BOARD_MINUTES, **value}

    def colour(self, status: str, minutes: float) -> Colour:
        """How the unit board shows a unit `minutes` into `status`: amber from the first
        threshold on, red from the second; an available unit is always normal."""
        if status not in UNIT_STATUSES:
            raise ValueError(f"unknown unit status {status!r}")
        amber, red = self.board_minutes.get(status, (inf, inf))
        return "red" if minutes >= red else "amber" if minutes >= amber else "normal"


class ExternalBody(_Model):
    """A body outside the city's crews (PLN for electricity, PDAM for water, Telkom) that a
    category's incidents can be forwarded to (`Category.forward_to`); a forwarded incident
    is followed up `follow_up_days` working days later (`domain.calendar`)."""

    code: Slug
    name: LocalizedText
    short: LocalizedText
    follow_up_days: int = Field(ge=1, le=MAX_WORKING_DAYS)
    phone: str | None = Field(None, pattern=r"^[0-9+(][0-9 ()-]{2,24}$")

    def label(self, lang: str) -> str:
        """The short name, for a wall screen's strip."""
        return self.short.get(lang)
