"""What the officer's phone shows and does: their tasks with the next step, why a task
left their list, checking in where they stand, resolving with a note and a photo."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from liveroom.access import SYSTEM, Forbidden
from liveroom.archive import schema
from liveroom.commands.incidents import (
    assign_incident,
    change_status,
    get_incident,
    report_incident,
)
from liveroom.commands.officers import register_officer
from liveroom.domain.errors import AttendanceRefused, IllegalTransition, InvalidCommand
from liveroom.domain.events import decode, encode
from liveroom.live.field import check_in_here, departed, field_state, resolve_task
from liveroom.streams import matching
from tests.conftest import drain, person


@pytest.fixture
def post(room):
    return next(p for p in room.city.posts.values() if p.agency == "kebersihan")


@pytest.fixture
def agus(room, post):
    register_officer(room, "dlh-1", name="Agus", agency="kebersihan", post_id=post.id,
                     by=SYSTEM)
    register_officer(room, "dlh-2", name="Budi", agency="kebersihan", by=SYSTEM)
    return person("agus", "officer", agencies=("kebersihan",), officer_id="dlh-1")


def a_task(room, _point, officer_id="dlh-1", description=""):
    """A rubbish report in a district of its own (the same spot twice is a duplicate)."""
    districts = list(room.city.districts.values())
    spot = districts[len(matching(room.redis, room.keys.pattern("live", "incident", "*")))
                     ].geometry
    point = spot.representative_point()
    incident = report_incident(room, category="sampah-menumpuk", lat=point.y, lon=point.x,
                               source="t", by=SYSTEM, description=description)
    assign_incident(room, incident.id, officer_id, by=SYSTEM)
    drain(room)
    return incident.id


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def test_the_phone_shows_only_the_officers_own_tasks_with_their_next_step(
        room, agus, tangerang_point):
    mine = a_task(room, tangerang_point, description="Sampah di depan pasar")
    a_task(room, tangerang_point, officer_id="dlh-2")
    state = field_state(room, agus, "id")
    assert state["officer"] == {"id": "dlh-1", "name": "Agus",
                                "agency": room.city.agencies["kebersihan"].name.id}
    assert [t["id"] for t in state["tasks"]] == [mine]
    task = state["tasks"][0]
    assert (task["status"], task["next"], task["status_name"]) == (
        "assigned", "acknowledged", "Ditugaskan")
    assert task["description"] == "Sampah di depan pasar"
    assert task["category_name"] == room.city.categories["sampah-menumpuk"].name.id
    assert state["on_duty"] is False and state["shift"]["now"] is True  # 08:00 WIB
    change_status(room, mine, "acknowledged", by=agus)
    drain(room)
    assert field_state(room, agus, "en")["tasks"][0]["next"] == "en_route"
    with pytest.raises(Forbidden, match="not a field officer"):
        field_state(room, person("opi", "operator"), "id")


def test_a_task_that_leaves_the_list_says_why(room, agus, tangerang_point):
    moved, done, dropped = (a_task(room, tangerang_point) for _ in range(3))
    before = [t["id"] for t in field_state(room, agus, "id")["tasks"]]
    assign_incident(room, moved, "dlh-2", by=SYSTEM, reason="lebih dekat")
    for step in ("acknowledged", "en_route", "on_scene"):
        change_status(room, done, step, by=agus)
    resolve_task(room, done, by=agus, note="Sampah diangkut")
    change_status(room, dropped, "rejected", by=SYSTEM, reason="laporan palsu")
    drain(room)
    now = [t["id"] for t in field_state(room, agus, "id")["tasks"]]
    assert now == []
    assert {(d.id, d.why) for d in departed(room, "dlh-1", before, now)} == {
        (moved, "reassigned"), (done, "resolved"), (dropped, "closed")}


def test_check_in_where_the_officer_stands_follows_the_geofence(room, agus, post):
    lat, lon = post.centre
    with pytest.raises(AttendanceRefused) as outside:
        check_in_here(room, by=agus, lat=lat + 0.02, lon=lon, accuracy=8)
    assert outside.value.code == "outside_geofence"
    assert outside.value.params == {"post": post.name}
    with pytest.raises(AttendanceRefused) as vague:
        check_in_here(room, by=agus, lat=lat, lon=lon, accuracy=400)
    assert vague.value.code == "poor_accuracy"
    assert check_in_here(room, by=agus, lat=lat, lon=lon, accuracy=8).on_duty_post == post.id
    drain(room)
    assert field_state(room, agus, "id")["post"] == post.name


def test_resolving_needs_a_note_and_keeps_the_photo_only_when_the_step_is_taken(
        room, agus, tangerang_point):
    task = a_task(room, tangerang_point)
    with pytest.raises(InvalidCommand, match="needs a note"):
        resolve_task(room, task, by=agus, note="  ", photo=photo_bytes())
    with pytest.raises(IllegalTransition):  # not on scene yet: refused, the photo not kept
        resolve_task(room, task, by=agus, note="Sudah", photo=photo_bytes())
    assert not list(room.settings.photos_dir.glob("*.jpg"))
    for step in ("acknowledged", "en_route", "on_scene"):
        change_status(room, task, step, by=agus)
    done = resolve_task(room, task, by=agus, note="Sampah diangkut", photo=photo_bytes())
    assert get_incident(room, task).status == "resolved"
    assert [p.name for p in room.settings.photos_dir.glob("*.jpg")] == [
        done["media_url"].removeprefix("/media/")]
    drain(room)
    with room.engine.connect() as conn:
        row = conn.execute(select(schema.status_history).where(
            schema.status_history.c.incident_id == task,
            schema.status_history.c.to_status == "resolved")).one()
    assert (row.reason, row.media_url, row.actor) == ("Sampah diangkut", done["media_url"],
                                                      agus.actor)


def test_an_officer_may_not_resolve_anothers_task_and_no_photo_is_left(
        room, agus, tangerang_point):
    theirs = a_task(room, tangerang_point, officer_id="dlh-2")
    budi = person("budi", "officer", agencies=("kebersihan",), officer_id="dlh-2")
    for step in ("acknowledged", "en_route", "on_scene"):
        change_status(room, theirs, step, by=budi)
    with pytest.raises(Forbidden):
        resolve_task(room, theirs, by=agus, note="Bukan tugas saya", photo=photo_bytes())
    assert not list(room.settings.photos_dir.glob("*.jpg"))
    assert get_incident(room, theirs).status == "on_scene"


def test_a_status_change_stored_before_photos_existed_still_reads(room, agus,
                                                                  tangerang_point):
    task = a_task(room, tangerang_point)
    change_status(room, task, "acknowledged", by=agus)
    fields = room.redis.xrevrange(room.keys.stream("incidents"), count=1)[0][1]
    assert fields["v"] == "3"
    old = {**fields, "v": "1", "data": fields["data"].replace(',"media_url":null', "")}
    assert "media_url" not in old["data"]
    assert decode(old).media_url is None and decode(old) == decode(fields)
    with pytest.raises(Exception, match="unsupported version '4'"):
        decode({**fields, "v": "4"})
    assert encode(decode(old))["v"] == "3"
