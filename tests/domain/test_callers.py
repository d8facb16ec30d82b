"""An incident's callers: who reported it, kept in its state, moved once from a duplicate to
the incident it duplicates, and masked for those who do not handle it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from liveroom.access import Principal, Role, sees_callers
from liveroom.cities import load_city
from liveroom.domain import incident as domain
from liveroom.domain.caller import Caller, initials, masked_phone, readable_phone
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.events import Event, ReportersMerged, ReportReceived
from liveroom.domain.lifecycle import Status

CITY = load_city("tangerang")
START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def fold(state, decided: Event | list[Event]):
    """The state after the decided events (a command may decide several)."""
    for event in [decided] if isinstance(decided, Event) else decided:
        state = domain.evolve(state, event)
    return state


def reported(incident_id: str, source: str = "telepon", reporter: dict | None = None,
             duplicate_of: domain.Incident | None = None) -> domain.Incident:
    point = CITY.districts["36.71.01"].geometry.representative_point()
    received = ReportReceived(
        incident_id=incident_id, occurred_at=START, actor="user:opi", category="kemacetan",
        lat=point.y, lon=point.x, source=source, reporter=reporter or {})
    state = None
    for event in domain.decide_report(CITY, received, duplicate_of):
        state = fold(state, event)
    return state


def test_the_first_caller_comes_from_the_report_with_what_they_left():
    desk = reported("A", reporter={"name": "Ibu Sari", "phone": "+628123456789"})
    app = reported("B", "open311", {"first_name": "Budi", "last_name": "S", "email": "b@x.id"})
    nobody = reported("C", "web")
    assert [(c.source, c.name, c.phone, c.email) for c in desk.callers] == [
        ("telepon", "Ibu Sari", "+628123456789", None)]
    assert (app.callers[0].name, app.callers[0].email) == ("Budi S", "b@x.id")
    assert (nobody.callers[0].source, nobody.callers[0].name) == ("web", None)
    assert desk.reporters == app.reporters == nobody.reporters == 1


def test_each_caller_added_is_listed_and_counted():
    incident = reported("A")
    added = domain.decide_add_reporter(incident, "112", {"name": "Pak Eko"}, "macet",
                                       START + timedelta(minutes=3), "user:opi")
    incident = fold(incident, added)
    assert [c.source for c in incident.callers] == ["telepon", "112"]
    assert incident.reporters == 2 and incident.callers[1].at == START + timedelta(minutes=3)


def test_a_duplicates_callers_move_to_the_survivor_once():
    survivor = reported("A", reporter={"name": "Sari"})
    duplicate = reported("B", "112", {"name": "Eko", "phone": "+628129998887"}, survivor)
    merged = domain.decide_merge(survivor, duplicate, START, "system:liveroom")
    assert isinstance(merged, ReportersMerged) and merged.duplicate_id == "B"
    survivor = fold(survivor, merged)
    assert survivor.reporters == 2
    assert (survivor.callers[1].name, survivor.callers[1].merged_from) == ("Eko", "B")
    with pytest.raises(InvalidCommand) as refused:
        domain.decide_merge(survivor, duplicate, START, "system:liveroom")
    assert refused.value.code == "already_merged"
    assert duplicate.reporters == 1  # the duplicate keeps its own


def test_a_closed_survivor_still_takes_the_callers_and_an_open_incident_has_none_to_give():
    survivor = reported("A")
    duplicate = reported("B", duplicate_of=survivor)
    closed = fold(survivor, domain.decide_status(
        survivor, Status.REJECTED, START, "user:opi", "bukan wewenang"))
    assert fold(closed, domain.decide_merge(closed, duplicate, START, "s")).reporters == 2
    with pytest.raises(InvalidCommand):
        domain.decide_merge(duplicate, survivor, START, "s")


def test_callers_moved_on_keep_the_report_they_came_from():
    first = reported("A")
    second = reported("B", duplicate_of=first)
    first = fold(first, domain.decide_merge(first, second, START, "s"))
    third = reported("C")
    first = fold(first, domain.decide_status(first, Status.DUPLICATE, START, "s",
                                                      duplicate_of=third))
    third = fold(third, domain.decide_merge(third, first, START, "s"))
    assert [c.merged_from for c in third.callers] == [None, "A", "B"]
    with pytest.raises(InvalidCommand):  # B's callers are there already, through A
        domain.decide_merge(third, second, START, "s")


def test_a_snapshot_stored_before_callers_were_kept_still_loads_with_its_count():
    old = ('{"id": "A", "status": "triaged", "category": "kemacetan", "lat": -6.2, '
           '"lon": 106.6, "reported_at": "2026-11-23T01:00:00Z", "reporters": 3}')
    incident = domain.Incident.model_validate_json(old)
    assert incident.reporters == 3 and {c.source for c in incident.callers} == {""}
    again = domain.Incident.model_validate_json(incident.model_dump_json())
    assert again.reporters == 3


def test_a_phone_is_masked_in_its_international_grouping_and_a_name_to_initials():
    assert masked_phone("+628123456789") == "+62 812-****-789"
    assert masked_phone("+6281234567890") == "+62 812-****-*890"
    assert masked_phone("0812 3456 789") == "+62 812-****-789"  # as a citizen typed it
    assert masked_phone("no number") == "****"
    assert initials("Ibu  sari") == "I. S."
    caller = Caller(source="telepon", at=START, name="Ibu Sari", phone="+628123456789",
                    email="sari@example.id")
    assert caller.masked().model_dump(include={"name", "phone", "email"}) == {
        "name": "I. S.", "phone": "+62 812-****-789", "email": None}


def who(*roles: str, agencies: tuple[str, ...] = (), kind: str = "user") -> Principal:
    return Principal(kind=kind, name="x", roles=frozenset(Role(r) for r in roles),
                     agencies=frozenset(agencies))


@pytest.mark.parametrize(("principal", "full"), [
    (who("operator", agencies=("dishub",)), True),
    (who("supervisor", agencies=("dishub", "damkar")), True),
    (who("admin"), True),
    (who("operator", agencies=("damkar",)), False),  # another agency's
    (who("operator"), True),  # the command room's: every agency's
    (who("operator", kind="kiosk"), False),  # a screen on the wall, whoever stands before it
    (who("mayor"), False),
    (who("officer", agencies=("dishub",)), False),
])
def test_only_the_incidents_own_operators_and_supervisors_see_callers_in_full(principal, full):
    assert sees_callers(principal, "dishub") is full


def test_a_number_is_shown_grouped_as_people_read_it():
    assert readable_phone("+628123456789") == "+62 812-3456-789"
    assert readable_phone("+62 812-****-789") == "+62 812-****-789"  # masked: as it is
