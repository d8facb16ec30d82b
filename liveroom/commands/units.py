"""Unit commands: register a unit, change its crew, tracker or call sign, set its status.
A unit's dispatches are the incidents' (`commands.incidents.dispatch_incident`)."""

from __future__ import annotations

from liveroom.access import Action, Forbidden, Principal
from liveroom.commands import aggregates
from liveroom.commands.officers import KIND as OFFICER
from liveroom.domain import unit as domain
from liveroom.domain.errors import ConcurrencyConflict, InvalidCommand
from liveroom.domain.officer import Officer
from liveroom.domain.unit import Unit, claim_key
from liveroom.room import LiveRoom

KIND = "unit"


def get_unit(room: LiveRoom, unit_id: str) -> Unit:
    return aggregates.load(room, KIND, Unit, unit_id)[1]


def _officers(room: LiveRoom, ids: list[str | None]) -> dict[str, str]:
    """Each registered officer of `ids` -> their agency (unknown ones left out)."""
    known = {}
    for officer_id in {i for i in ids if i}:
        loaded = room.store.load(OFFICER, officer_id)
        if loaded.state is not None:
            known[officer_id] = Officer.model_validate_json(loaded.state).agency
    return known


def register_unit(room: LiveRoom, unit_id: str | None, *, call_sign: str, agency: str,
                  by: Principal, post_id: str | None = None, kind: str = "",
                  crew: list[str] | None = None, tracker: str | None = None) -> Unit:
    """Add a unit (its id, if none is given, made from its call sign); refused if the id
    is taken."""
    by.check(Action.MANAGE_UNITS, agency)
    unit_id = unit_id or domain.unit_id_for(call_sign)
    crew = list(crew or [])
    event = domain.decide_register(room.city, unit_id, call_sign, agency, post_id, kind, crew,
                                   tracker, _officers(room, [*crew, tracker]), room.clock(),
                                   by.actor)
    state = domain.evolve(None, event)
    try:
        aggregates.create(room, KIND, unit_id, [event], state)
    except ConcurrencyConflict:
        raise InvalidCommand(f"unit {unit_id!r} already exists", rule="unit_exists",
                             unit=unit_id) from None
    return state


def change_unit(room: LiveRoom, unit_id: str, *, by: Principal, **changes) -> Unit:
    """Change a unit's call sign, post, kind, crew, tracker or `active`."""

    def decide(unit: Unit):
        by.check(Action.MANAGE_UNITS, unit.agency)
        if changes.get("active") is False:
            _free(room, unit)  # (a unit on a task stays on the board until it is back)
        wanted = [*changes.get("crew", unit.crew), changes.get("tracker", unit.tracker)]
        return domain.decide_change(room.city, unit, _officers(room, wanted), room.clock(),
                                    by.actor, **changes)

    return aggregates.execute(room, KIND, Unit, domain.evolve, unit_id, decide)


def _free(room: LiveRoom, unit: Unit) -> None:
    """Refuse (`unit_on_task`) while the unit holds a task: its task says where it is."""
    if task := room.redis.get(room.keys.claim(claim_key(unit.id))):
        raise InvalidCommand(f"unit {unit.call_sign} is on {task}: its task says where it is",
                             rule="unit_on_task", unit=unit.call_sign,
                             incident=task.split("/")[0])


def set_unit_status(room: LiveRoom, unit_id: str, status: str, *, by: Principal,
                    reason: str | None = None) -> Unit:
    """Available, returning or out of service: by its crew, or the control room."""

    def decide(unit: Unit):
        crew = any(by.can(Action.WORK_OWN_TASKS, unit.agency, member) for member in unit.crew)
        if not (crew or by.can(Action.CHANGE_STATUS, unit.agency)):
            raise Forbidden(f"{by.actor} may not set the status of unit {unit.call_sign}")
        _free(room, unit)
        return domain.decide_status(unit, status, reason, room.clock(), by.actor)

    return aggregates.execute(room, KIND, Unit, domain.evolve, unit_id, decide)
