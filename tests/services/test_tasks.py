"""Tasks through the real services and Redis: random sequences of dispatches, steps,
releases, reassignments and endings over two incidents and three units. Whatever the
sequence, no incident ends with a task still running (unless the city lets other agencies
carry on after the lead), no unit is ever on two tasks, a refused command leaves no trace,
and the live view agrees with the write side."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liveroom.access import SYSTEM
from liveroom.cities.dispatch import DispatchRules
from liveroom.commands import incidents
from liveroom.commands.officers import register_officer
from liveroom.commands.units import register_unit, set_unit_status
from liveroom.domain.errors import DomainError
from liveroom.domain.lifecycle import RUNNING, Status
from liveroom.live.projection import LiveIncidents, LiveOfficers
from liveroom.projections.runner import Projector
from liveroom.streams import delete_matching

OFFICERS = {"dk-1": "damkar", "dk-2": "damkar", "dk-3": "damkar", "dh-1": "dishub",
            "pp-1": "satpolpp"}
UNITS = {"damkar-01": ("damkar", ["dk-1", "dk-2"]), "damkar-02": ("damkar", ["dk-3"]),
         "dishub-01": ("dishub", ["dh-1"])}
ENDED = (Status.RESOLVED, Status.CLOSED, Status.REJECTED, Status.DUPLICATE)

incident = st.sampled_from([0, 1])
task = st.integers(min_value=1, max_value=5)
commands = st.lists(st.one_of(
    st.tuples(st.just("dispatch"), incident, st.sampled_from([*UNITS, "pp-1", "ghost"])),
    st.tuples(st.just("step"), incident, task,
              st.sampled_from(["acknowledged", "en_route", "on_scene", "resolved"])),
    st.tuples(st.just("release"), incident, task, st.just("dialihkan")),
    st.tuples(st.just("reassign"), incident, task, st.sampled_from([*UNITS])),
    st.tuples(st.just("end"), incident, st.sampled_from(["resolved", "rejected", "closed"])),
    st.tuples(st.just("unit_status"), st.sampled_from([*UNITS]),
              st.sampled_from(["available", "out_of_service", "returning"])),
), max_size=25)


def apply(room, ids: list[str], command: tuple) -> None:
    kind, *args = command
    if kind == "dispatch":
        whom = args[1]
        incidents.dispatch_incident(room, ids[args[0]], by=SYSTEM,
                                    units=[whom] if whom in UNITS or whom == "ghost" else [],
                                    officers=[whom] if whom == "pp-1" else [])
    elif kind == "step":
        incidents.change_status(room, ids[args[0]], args[2], by=SYSTEM, task_id=str(args[1]))
    elif kind == "release":
        incidents.release_task(room, ids[args[0]], str(args[1]), by=SYSTEM, reason=args[2])
    elif kind == "reassign":
        incidents.reassign_task(room, ids[args[0]], str(args[1]), by=SYSTEM, reason="uji",
                                unit_id=args[2])
    elif kind == "end":
        incidents.change_status(room, ids[args[0]], args[1], by=SYSTEM, reason="uji")
    else:
        set_unit_status(room, args[0], args[1], by=SYSTEM, reason="rusak")


def check(room, ids: list[str], rules: DispatchRules) -> None:
    """The invariants, after every command."""
    states = [incidents.get_incident(room, i) for i in ids]
    for state in states:
        running = state.running_tasks
        if state.status in ENDED and running:
            assert rules.after_lead == "continue" and rules.resolve_when == "lead"
            assert state.status in (Status.RESOLVED, Status.CLOSED)
            assert all(t.agency != state.agency for t in running)
    holders = {}
    for state in states:
        for t in state.running_tasks:
            if t.unit_id:
                assert t.unit_id not in holders, f"{t.unit_id} on two tasks"
                holders[t.unit_id] = f"{state.id}/{t.id}"
    for unit_id in UNITS:
        assert room.redis.get(room.keys.claim(f"unit:{unit_id}")) == holders.get(unit_id)


@pytest.mark.parametrize("rules", [
    DispatchRules(), DispatchRules(after_lead="continue"),
    DispatchRules(resolve_when="all_tasks")], ids=["lead", "lead-continue", "all-tasks"])
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=commands)
def test_no_task_outlives_its_incident_and_no_unit_is_on_two(room, tangerang_point, rules,
                                                            monkeypatch, sequence):
    delete_matching(room.redis, room.keys.pattern("*"))
    city = room.city.model_copy(update={"dispatch": rules})
    monkeypatch.setattr(type(room), "city", property(lambda _room: city))
    for officer_id, agency in OFFICERS.items():
        register_officer(room, officer_id, name=officer_id, agency=agency, by=SYSTEM)
    for unit_id, (agency, crew) in UNITS.items():
        register_unit(room, unit_id, call_sign=unit_id.title(), agency=agency, crew=crew,
                      by=SYSTEM)
    lat, lon = tangerang_point
    ids = [incidents.report_incident(room, category="kebakaran", lat=lat, lon=lon + i * 0.01,
                                     attributes={"orang-terjebak": "tidak"}, source="t",
                                     by=SYSTEM).id for i in range(2)]
    stream = room.keys.stream("incidents")
    for command in sequence:
        length = room.redis.xlen(stream)
        versions = [incidents.incident_version(room, i) for i in ids]
        try:
            apply(room, ids, command)
        except (DomainError, ValueError):
            assert room.redis.xlen(stream) == length
            assert [incidents.incident_version(room, i) for i in ids] == versions
        check(room, ids, rules)
    for projection in (LiveIncidents(room), LiveOfficers(room)):
        Projector(room, projection, consumer="t").drain()
    for state in (incidents.get_incident(room, i) for i in ids):
        live = room.redis.hgetall(room.live.incident(state.id))
        if state.status in ENDED and state.status is not Status.RESOLVED:
            continue  # (an ended incident leaves the live model)
        assert live["status"] == state.status.value
        assert (live.get("officer_id") or None) == state.officer_id
        for t in state.tasks:
            assert live[f"task:{t.id}:status"] == t.status.value
            for officer_id in t.crew:
                listed = room.redis.zscore(room.live.tasks(officer_id), state.id) is not None
                assert listed == (t.status in RUNNING or any(
                    o.has(officer_id) and o.running for o in state.tasks))
    for unit_id in UNITS:
        on = room.redis.hget(room.live.unit(unit_id), "incident_id") or None
        held = room.redis.get(room.keys.claim(f"unit:{unit_id}"))
        assert on == (held.split("/")[0] if held else None)
