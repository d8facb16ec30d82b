"""The incident lifecycle: no sequence of commands reaches an illegal state."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liveroom.cities import load_city
from liveroom.demo.seed import sample_answers
from liveroom.domain import incident as domain
from liveroom.domain.errors import DomainError, IllegalTransition, InvalidCommand
from liveroom.domain.events import Event, ReportReceived
from liveroom.domain.lifecycle import TERMINAL, TRANSITIONS, WITH_OFFICER, Status
from liveroom.domain.officer import Officer

CITY = load_city("tangerang")
START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
OFFICERS = [
    Officer(id="k1", name="Agus", agency="kebersihan"),
    Officer(id="k2", name="Budi", agency="kebersihan"),
    Officer(id="d1", name="Dewi", agency="damkar"),
    Officer(id="x1", name="Eko", agency="dishub", active=False),
]


def fold(state, decided: Event | list[Event]):
    """The state after the decided events (a command may decide several)."""
    for event in [decided] if isinstance(decided, Event) else decided:
        state = domain.evolve(state, event)
    return state


def reported(category: str = "sampah-menumpuk") -> domain.Incident:
    district = CITY.districts["36.71.01"].geometry.representative_point()
    received = ReportReceived(
        incident_id="261123-AAAAA", occurred_at=START, actor="citizen", category=category,
        lat=district.y, lon=district.x, source="test",
        attributes=sample_answers(CITY.categories[category], random.Random(1)),
    )
    state = None
    for event in domain.decide_report(CITY, received):
        state = fold(state, event)
    return state


other = reported().model_copy(update={"id": "261123-BBBBB"})

commands = st.one_of(
    st.tuples(st.just("assign"), st.sampled_from(OFFICERS)),
    st.tuples(st.just("status"), st.sampled_from(list(Status))),
    st.tuples(st.just("triage"), st.sampled_from(sorted(CITY.categories))),
    st.tuples(st.just("duplicate"), st.just(other)),
    st.tuples(st.just("note"), st.text(max_size=5)),
)


def run(state: domain.Incident, command: tuple, now: datetime):
    kind, arg = command
    if kind == "assign":
        return domain.decide_assign(state, arg, now, "op")
    if kind == "status":
        return domain.decide_status(state, arg, now, "op", reason="x")
    if kind == "triage":
        return domain.triage_event(CITY, state, arg, now, "op")
    if kind == "duplicate":
        return domain.decide_status(state, Status.DUPLICATE, now, "op", duplicate_of=arg)
    return domain.decide_note(state, arg, now, "op")


@settings(max_examples=300, deadline=None)
@given(st.lists(commands, max_size=25))
def test_no_command_sequence_reaches_an_illegal_state(sequence):
    state = reported()
    for step, command in enumerate(sequence):
        before = state
        try:
            event = run(state, command, START + timedelta(minutes=step))
        except DomainError:
            continue  # refused: state unchanged, checked below by not evolving
        state = fold(state, event)
        assert state.status in TRANSITIONS[before.status] or state.status == before.status
        if before.status in TERMINAL:
            assert state.status == before.status  # only notes after the end
        if state.status in WITH_OFFICER:
            assert state.officer_id is not None
            assert state.agency == next(o.agency for o in OFFICERS if o.id == state.officer_id)
        if state.status is Status.DUPLICATE:
            assert state.duplicate_of == other.id
        assert state.agency is not None and state.priority is not None


def test_the_happy_path_runs_from_report_to_closed():
    state = reported()
    assert state.status is Status.TRIAGED and state.agency == "kebersihan"
    state = fold(state, domain.decide_assign(state, OFFICERS[0], START, "op"))
    for target in (Status.ACKNOWLEDGED, Status.EN_ROUTE, Status.ON_SCENE, Status.RESOLVED,
                   Status.CLOSED):
        state = fold(state, domain.decide_status(state, target, START, "op"))
    assert state.status is Status.CLOSED


def test_skipping_a_step_is_refused_with_a_clear_message():
    state = reported()
    with pytest.raises(IllegalTransition, match="is triaged; it cannot become resolved"):
        domain.decide_status(state, Status.RESOLVED, START, "op")


def test_reassigning_moves_back_to_assigned_and_takes_the_new_agency():
    state = reported()
    state = fold(state, domain.decide_assign(state, OFFICERS[0], START, "op"))
    state = fold(state, domain.decide_status(state, Status.ACKNOWLEDGED, START, "op"))
    event = domain.decide_assign(state, OFFICERS[2], START, "sup", reason="api")
    assert event.type == "incident.reassigned" and event.previous_officer_id == "k1"
    state = fold(state, event)
    assert (state.status, state.officer_id, state.agency) == (Status.ASSIGNED, "d1", "damkar")


def test_a_reassignment_without_a_reason_is_refused_and_changes_nothing():
    state = reported()
    state = fold(state, domain.decide_assign(state, OFFICERS[0], START, "op"))
    for reason in (None, "", "   "):
        with pytest.raises(InvalidCommand, match="needs a reason"):
            domain.decide_assign(state, OFFICERS[1], START, "sup", reason=reason)
    assert state.officer_id == "k1"


def test_fire_is_triaged_top_priority_with_its_sla():
    state = reported("kebakaran")
    fire = CITY.categories["kebakaran"]
    assert state.priority == 1 == min(c.priority for c in CITY.categories.values())
    assert state.agency == "damkar"
    event = domain.triage_event(CITY, state, "kebakaran", START, "op")
    assert event.acknowledge_due == START + timedelta(minutes=fire.sla_acknowledge_minutes)
