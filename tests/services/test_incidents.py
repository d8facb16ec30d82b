"""Incident commands against a real Redis: what is appended, and what is refused."""

from __future__ import annotations

import threading
from datetime import date, time, timedelta

import holidays
import pytest

from liveroom.access import SYSTEM, Forbidden
from liveroom.commands.incidents import (
    add_note,
    assign_incident,
    change_status,
    escalate_incident,
    get_incident,
    incident_version,
    report_incident,
    triage_incident,
)
from liveroom.commands.officers import register_officer
from liveroom.domain.errors import (
    ConcurrencyConflict,
    DomainError,
    IllegalTransition,
    InvalidCommand,
    NotFound,
)
from liveroom.domain.events import decode
from liveroom.domain.lifecycle import Status
from tests.conftest import drain, person


def stream_events(room, name="incidents"):
    return [decode(fields) for _, fields in room.redis.xrange(room.keys.stream(name))]


@pytest.fixture
def crew(room):
    register_officer(room, "dlh-1", name="Agus", agency="kebersihan", by=SYSTEM)
    register_officer(room, "dlh-2", name="Budi", agency="kebersihan", by=SYSTEM)
    register_officer(room, "damkar-1", name="Dewi", agency="damkar", by=SYSTEM)


def report(room, point, category="sampah-menumpuk", **extra):
    return report_incident(room, category=category, lat=point[0], lon=point[1],
                           source="test", by=SYSTEM, **extra)


def test_a_report_is_received_and_triaged_from_the_city_pack(room, tangerang_point, clock):
    incident = report(room, tangerang_point, description="  Sampah di depan pasar  ")
    received, triaged = stream_events(room)
    assert received.type == "report.received" and received.description == "Sampah di depan pasar"
    assert triaged.agency == "kebersihan" and triaged.district == "36.71.01"
    category = room.city.categories["sampah-menumpuk"]
    assert triaged.resolve_due == clock.now + timedelta(minutes=category.sla_resolve_minutes)
    assert incident.status is Status.TRIAGED
    assert get_incident(room, incident.id) == incident
    assert incident_version(room, incident.id) == 2


def working_days_between(city, first: date, last: date) -> list[date]:
    """The working days after `first` up to `last`: weekdays that are neither Indonesian
    public holidays nor the pack's extra days off."""
    off = holidays.country_holidays("ID", years=range(first.year, last.year + 1))
    days = (first + timedelta(days=n) for n in range(1, (last - first).days + 1))
    return [d for d in days if d.weekday() < 5 and d not in off
            and d not in city.extra_days_off]


def test_a_slow_complaint_is_due_at_the_end_of_its_fifth_working_day(room, tangerang_point,
                                                                       clock):
    """Reklame liar: acknowledged within 240 minutes, resolved within 5 working days of
    the day it is reported; re-routing a report to it gives it the same deadline."""
    zone = room.city.timezone
    clock.advance(hours=10)  # 18:00 WIB on the test day, whichever weekday it is
    incident = report(room, tangerang_point, category="reklame-liar")
    rerouted = triage_incident(room, report(room, tangerang_point).id, category="reklame-liar",
                               by=SYSTEM)
    triaged = [e for e in stream_events(room) if e.type == "report.triaged"]
    assert [e.category for e in triaged] == ["reklame-liar", "sampah-menumpuk", "reklame-liar"]
    assert triaged[0].acknowledge_due == triaged[2].acknowledge_due == clock.now + timedelta(
        minutes=240)
    for seen in (incident, rerouted, get_incident(room, incident.id)):
        due = seen.resolve_due.astimezone(zone)
        assert due.time() == time(23, 59, 59)
        working = working_days_between(room.city, clock.now.astimezone(zone).date(),
                                       due.date())
        assert len(working) == 5 and working[-1] == due.date()


def test_a_point_outside_the_city_is_refused_and_nothing_is_stored(room):
    with pytest.raises(InvalidCommand, match="outside Kota Tangerang"):
        report(room, (-6.2, 106.85))  # central Jakarta
    with pytest.raises(InvalidCommand, match="unknown category"):
        report(room, (-6.18, 106.63), category="ufo")
    assert room.redis.xlen(room.keys.stream("incidents")) == 0


def test_assign_then_reassign_records_both_officers(room, tangerang_point, crew):
    incident = report(room, tangerang_point)
    operator = person("operator", "operator")
    supervisor = person("supervisor", "supervisor", agencies=("kebersihan",))
    assign_incident(room, incident.id, "dlh-1", by=operator)
    change_status(room, incident.id, "acknowledged",
                  by=person("agus", "officer", agencies=("kebersihan",), officer_id="dlh-1"))
    with pytest.raises(Forbidden, match="user:operator may not reassign"):
        assign_incident(room, incident.id, "dlh-2", by=operator)
    moved = assign_incident(room, incident.id, "dlh-2", by=supervisor, reason="closer")
    assert (moved.status, moved.officer_id) == (Status.ASSIGNED, "dlh-2")
    reassigned = stream_events(room)[-1]
    assert reassigned.type == "incident.reassigned"
    assert (reassigned.previous_officer_id, reassigned.actor) == ("dlh-1", "user:supervisor")


def test_an_illegal_transition_is_refused_and_appends_nothing(room, tangerang_point, crew):
    incident = report(room, tangerang_point)
    length = room.redis.xlen(room.keys.stream("incidents"))
    with pytest.raises(IllegalTransition, match="cannot become on_scene"):
        change_status(room, incident.id, "on_scene", by=SYSTEM)
    with pytest.raises(InvalidCommand, match="own command"):
        change_status(room, incident.id, "assigned", by=SYSTEM)
    with pytest.raises(ValueError):
        change_status(room, incident.id, "teleported", by=SYSTEM)
    with pytest.raises(NotFound):
        assign_incident(room, incident.id, "nobody", by=SYSTEM)
    with pytest.raises(NotFound):
        change_status(room, "000000-NOPE0", "acknowledged", by=SYSTEM)
    assert room.redis.xlen(room.keys.stream("incidents")) == length
    assert get_incident(room, incident.id).status is Status.TRIAGED


def test_a_stale_screen_gets_a_conflict_instead_of_overwriting(room, tangerang_point, crew):
    incident = report(room, tangerang_point)
    seen = incident_version(room, incident.id)
    assign_incident(room, incident.id, "dlh-1", by=SYSTEM, expected_version=seen)
    with pytest.raises(ConcurrencyConflict):
        assign_incident(room, incident.id, "dlh-2", by=SYSTEM, expected_version=seen)
    assert get_incident(room, incident.id).officer_id == "dlh-1"


def test_racing_operators_cannot_both_win(room, tangerang_point, crew):
    incident = report(room, tangerang_point)
    seen = incident_version(room, incident.id)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def operator(officer_id: str) -> None:
        barrier.wait()
        try:
            assign_incident(room, incident.id, officer_id, by=SYSTEM, expected_version=seen)
            outcomes.append("won")
        except ConcurrencyConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=operator, args=(f"dlh-{1 + n % 2}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 7 + ["won"]
    assert [e.type for e in stream_events(room)].count("incident.assigned") == 1


def test_triage_reroutes_and_fire_jumps_the_queue(room, tangerang_point, crew):
    incident = report(room, tangerang_point)
    rerouted = triage_incident(room, incident.id, category="kebakaran", by=SYSTEM)
    assert (rerouted.agency, rerouted.priority) == ("damkar", 1)
    assign_incident(room, incident.id, "damkar-1", by=SYSTEM)
    with pytest.raises(IllegalTransition):
        triage_incident(room, incident.id, category="genangan", by=SYSTEM)


def test_duplicates_point_at_the_original_and_need_one(room, tangerang_point):
    first = report(room, tangerang_point)
    second = report(room, tangerang_point)
    third = report(room, tangerang_point)
    change_status(room, second.id, "duplicate", by=SYSTEM, duplicate_of=first.id)
    marked = change_status(room, third.id, "duplicate", by=SYSTEM, duplicate_of=second.id)
    assert marked.duplicate_of == first.id  # chains collapse to the original
    with pytest.raises(InvalidCommand, match="needs the incident"):
        change_status(room, first.id, "duplicate", by=SYSTEM)
    with pytest.raises(InvalidCommand, match="cannot duplicate itself"):
        change_status(room, first.id, "duplicate", by=SYSTEM, duplicate_of=first.id)


def test_rejecting_needs_a_reason_and_notes_work_even_when_closed(room, tangerang_point):
    incident = report(room, tangerang_point)
    with pytest.raises(InvalidCommand, match="reason"):
        change_status(room, incident.id, "rejected", by=SYSTEM)
    change_status(room, incident.id, "rejected", by=SYSTEM, reason="laporan palsu")
    noted = add_note(room, incident.id, "Pelapor dihubungi", by=SYSTEM)
    assert noted.notes == 1 and noted.status is Status.REJECTED
    with pytest.raises(InvalidCommand, match="needs text"):
        add_note(room, incident.id, "   ", by=SYSTEM)


def test_escalating_raises_priority_step_by_step_until_the_top(room, tangerang_point):
    lat, lon = tangerang_point
    parking = report_incident(room, category="parkir-liar", lat=lat, lon=lon, source="t",
                              by=SYSTEM)
    operator = person("opi", "operator")
    assert escalate_incident(room, parking.id, by=operator).priority == 3
    assert escalate_incident(room, parking.id, by=operator).priority == 2
    escalate_incident(room, parking.id, by=operator)
    with pytest.raises(InvalidCommand, match="already top priority"):
        escalate_incident(room, parking.id, by=operator)


def test_a_reassignment_racing_the_officers_own_step_has_one_clear_outcome(
        room, tangerang_point, crew):
    """The supervisor moves the task while its officer acknowledges it: either the step
    lands first and the move follows it, or the move lands first and the step is refused
    with a clear error; never both lost, never the old officer holding a moved task."""
    supervisor = person("spv", "supervisor", agencies=("kebersihan",))
    agus = person("agus", "officer", agencies=("kebersihan",), officer_id="dlh-1")
    for _ in range(12):
        incident = report(room, tangerang_point)
        assign_incident(room, incident.id, "dlh-1", by=SYSTEM)
        barrier, results = threading.Barrier(2), {}

        def step(incident_id=incident.id, barrier=barrier, results=results):
            barrier.wait()
            try:
                change_status(room, incident_id, "acknowledged", by=agus)
                results["step"] = "done"
            except DomainError as exc:
                results["step"] = type(exc).__name__

        def move(incident_id=incident.id, barrier=barrier, results=results):
            barrier.wait()
            assign_incident(room, incident_id, "dlh-2", by=supervisor, reason="lebih dekat")
            results["move"] = "done"

        threads = [threading.Thread(target=step), threading.Thread(target=move)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        final = get_incident(room, incident.id)
        assert results["move"] == "done"
        assert (final.officer_id, final.status) == ("dlh-2", Status.ASSIGNED)
        assert results["step"] in ("done", "Forbidden")  # landed first, or refused
    drain(room)
    assert room.redis.zrange(room.keys.view("tasks", "dlh-1"), 0, -1) == []
    assert len(room.redis.zrange(room.keys.view("tasks", "dlh-2"), 0, -1)) == 12
