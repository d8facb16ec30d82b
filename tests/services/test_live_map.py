"""What the wall screen's map shows: open incidents, and officers who are about."""

from __future__ import annotations

from datetime import timedelta

from liveroom.access import SYSTEM
from liveroom.commands.incidents import change_status, report_incident
from liveroom.commands.officers import record_locations, register_officer
from liveroom.domain.events import OfficerLocated
from liveroom.live.live_map import incident_features, officer_features
from tests.conftest import drain, person

OPERATOR = person("opi", "operator")


def test_open_incidents_are_on_the_map_and_closed_ones_leave_it(room, tangerang_point):
    lat, lon = tangerang_point
    fire = report_incident(room, category="kebakaran", lat=lat, lon=lon, source="t", by=SYSTEM,
                           attributes={"orang-terjebak": "ya"})
    litter = report_incident(room, category="sampah-menumpuk", lat=lat + 0.01, lon=lon,
                             source="t", by=SYSTEM)
    drain(room)
    features = {f["properties"]["id"]: f for f in incident_features(room, by=OPERATOR)[
        "features"]}
    assert {k: features[fire.id]["properties"][k] for k in ("agency", "status")} == {
        "agency": "damkar", "status": "triaged"}
    assert (features[fire.id]["properties"]["priority"], features[litter.id]["properties"][
        "priority"]) == (1, 3)
    assert features[litter.id]["geometry"]["coordinates"] == [lon, lat + 0.01]
    change_status(room, litter.id, "rejected", reason="bukan wilayah kota", by=SYSTEM)
    drain(room)
    assert [f["properties"]["id"] for f in incident_features(room, by=OPERATOR)[
        "features"]] == [fire.id]
    fire_crew = person("spv", "supervisor", agencies=("damkar",))
    sanitation = person("spv2", "supervisor", agencies=("kebersihan",))
    assert len(incident_features(room, by=fire_crew)["features"]) == 1
    assert incident_features(room, by=sanitation)["features"] == []


def test_officers_are_shown_until_they_go_offline(room, clock, tangerang_point):
    lat, lon = tangerang_point
    for officer_id in ("a", "b", "c"):
        register_officer(room, officer_id, name=officer_id.upper(), agency="dishub", by=SYSTEM)
    register_officer(room, "never", name="N", agency="dishub", by=SYSTEM)
    fixes = [("a", 0), ("b", 20), ("c", 90)]  # minutes ago
    record_locations(room, [OfficerLocated(
        officer_id=oid, occurred_at=clock.now - timedelta(minutes=ago), actor="d", lat=lat,
        lon=lon) for oid, ago in fixes], by=SYSTEM)
    drain(room)
    shown = {f["properties"]["id"]: f["properties"] for f in officer_features(
        room, by=OPERATOR)["features"]}
    assert {k: v["presence"] for k, v in shown.items()} == {"a": "online", "b": "stale"}
    assert shown["a"]["colour"] == room.city.agencies["dishub"].colour
