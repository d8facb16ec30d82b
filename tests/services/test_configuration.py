"""Admins change agencies, categories and SLAs; every worker follows, reports use them."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from liveroom.access import Forbidden
from liveroom.commands import audit
from liveroom.commands.configuration import save_agency, save_category
from liveroom.commands.incidents import report_incident
from liveroom.domain.errors import InvalidCommand
from liveroom.room import LiveRoom
from tests.conftest import person

ADMIN = person("ani", "admin")


def report(room, point, category):
    return report_incident(room, category=category, lat=point[0], lon=point[1], source="t",
                           by=ADMIN)


def test_a_new_sla_applies_to_new_reports_in_every_worker(room, settings, clock,
                                                          tangerang_point):
    other_worker = LiveRoom.open(settings)
    try:
        before = other_worker.city.categories["genangan"]
        save_category(room, "genangan", sla_acknowledge_minutes=7, sla_resolve_minutes=90,
                      priority=1, by=ADMIN)
        incident = report(room, tangerang_point, "genangan")
        assert incident.priority == 1
        other_worker._config_checked = 0  # as if CONFIG_CHECK_SECONDS had passed
        changed = other_worker.city.categories["genangan"]
        assert (changed.sla_acknowledge_minutes, changed.sla_resolve_minutes) == (7, 90)
        assert changed.name == before.name  # untouched fields keep the pack's values
    finally:
        other_worker.close()


def test_an_admin_adds_a_category_that_citizens_can_report(room, tangerang_point, clock):
    save_category(room, "pohon-tumbang", by=ADMIN, agency="damkar", priority=2,
                  name={"id": "Pohon tumbang", "en": "Fallen tree"},
                  description={"id": "Pohon tumbang menghalangi jalan", "en": "A fallen tree"},
                  sla_acknowledge_minutes=15, sla_resolve_minutes=240)
    incident = report(room, tangerang_point, "pohon-tumbang")
    assert incident.agency == "damkar"
    assert room.city.run_card("pohon-tumbang", 2, {}).levels == ({"damkar": 1},)  # no card
    actions = [entry["action"] for entry in audit.recent(room, by=ADMIN)]
    assert "category.added" in actions


@pytest.mark.parametrize(("changes", "message"), [
    (dict(sla_acknowledge_minutes=60, sla_resolve_minutes=30), "cannot be due before"),
    (dict(agency="nasa"), "unknown agency"),
    (dict(forward_to="pln-banten"), "unknown external body 'pln-banten'"),
    (dict(priority=9), "priority"),
    (dict(sla_resolve_minutes=0), "sla_resolve_minutes"),
])
def test_bad_changes_are_refused_and_nothing_changes(room, changes, message):
    before = room.city.categories["sampah-menumpuk"]
    with pytest.raises(InvalidCommand, match=message):
        save_category(room, "sampah-menumpuk", by=ADMIN, **changes)
    with pytest.raises(InvalidCommand, match="name"):
        save_category(room, "kategori-baru", by=ADMIN, agency="damkar")  # incomplete
    assert room.city.categories["sampah-menumpuk"] == before
    assert "kategori-baru" not in room.city.categories


def test_agencies_are_renamed_and_recoloured_only_by_admins(room):
    with pytest.raises(Forbidden):
        save_agency(room, "dishub", colour="#123456", by=person("op", "operator"))
    with pytest.raises(InvalidCommand, match="colour"):
        save_agency(room, "dishub", colour="merah", by=ADMIN)
    agency = save_agency(room, "dishub", colour="#123456",
                         name={"id": "Dishub Kota", "en": "City Transport"}, by=ADMIN)
    assert room.city.agencies["dishub"] == agency and agency.name.id == "Dishub Kota"


def test_an_agency_may_not_take_another_agencys_colour_as_the_pack_may_not(room):
    taken = room.city.agencies["damkar"].colour
    with pytest.raises(InvalidCommand, match="agency dishub: colour: same colour as 'damkar'"):
        save_agency(room, "dishub", colour=taken.upper(), by=ADMIN)
    assert room.city.agencies["dishub"].colour != taken  # a restart would have refused it


def test_an_admin_switches_a_resolve_sla_to_working_days_and_back(room, tangerang_point,
                                                                  clock):
    """Giving a step's SLA in one unit drops the other: the new unit is the one that
    applies to the next reports."""
    save_category(room, "genangan", sla_resolve_working_days=2, by=ADMIN)
    genangan = room.city.categories["genangan"]
    assert (genangan.sla_resolve_minutes, genangan.sla_resolve_working_days) == (None, 2)
    incident = report(room, tangerang_point, "genangan")
    local = incident.resolve_due.astimezone(room.city.timezone)
    assert local.time() == time(23, 59, 59)
    assert local.date() >= clock.now.astimezone(room.city.timezone).date() + timedelta(days=2)
    save_category(room, "genangan", sla_resolve_minutes=300, by=ADMIN)
    assert report(room, tangerang_point, "genangan").resolve_due == clock.now + timedelta(
        minutes=300)
    with pytest.raises(InvalidCommand, match="resolve: give minutes or working days"):
        save_category(room, "genangan", sla_resolve_minutes=300, sla_resolve_working_days=2,
                      by=ADMIN)
    with pytest.raises(InvalidCommand, match="cannot be due before"):
        save_category(room, "genangan", sla_acknowledge_minutes=3000,
                      sla_resolve_working_days=1, by=ADMIN)
    assert room.city.categories["genangan"].sla_resolve_minutes == 300


def test_a_changed_category_still_forwards_to_its_body_in_every_worker(room, settings):
    save_category(room, "pipa-bocor", priority=2, by=ADMIN)
    other_worker = LiveRoom.open(settings)  # loads the pack with the stored change laid over
    try:
        changed = other_worker.city.categories["pipa-bocor"]
        assert (changed.priority, changed.forward_to) == (2, "pdam")
        assert changed.forward_to in other_worker.city.external_bodies
    finally:
        other_worker.close()
