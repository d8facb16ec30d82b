"""Officer commands: registration, geofenced check-in/out, location batches."""

from __future__ import annotations

import pytest

from liveroom.access import SYSTEM
from liveroom.commands.officers import check_in, check_out, record_locations, register_officer
from liveroom.domain.errors import InvalidCommand, NotFound
from liveroom.domain.events import OfficerLocated


@pytest.fixture
def post(room):
    return next(p for p in room.city.posts.values() if p.agency == "satpolpp")


@pytest.fixture
def officer(room, post):
    return register_officer(room, "pp-1", name="Sari", agency="satpolpp", post_id=post.id,
                            by=SYSTEM)


def test_an_officer_id_is_registered_once(room, officer):
    with pytest.raises(InvalidCommand, match="already exists"):
        register_officer(room, "pp-1", name="Other", agency="satpolpp", by=SYSTEM)
    with pytest.raises(InvalidCommand, match="unknown agency"):
        register_officer(room, "pp-2", name="Other", agency="nasa", by=SYSTEM)


def test_check_in_only_inside_the_geofence_accurately_and_only_once(room, officer, post,
                                                                     clock):
    lat, lon = post.centre
    with pytest.raises(InvalidCommand, match="outside the geofence"):
        check_in(room, "pp-1", post_id=post.id, lat=lat + 0.02, lon=lon, by=SYSTEM, accuracy=8)
    for vague in (None, 0, 400):
        with pytest.raises(InvalidCommand, match="not good enough"):
            check_in(room, "pp-1", post_id=post.id, lat=lat, lon=lon, by=SYSTEM, accuracy=vague)
    other = next(p for p in room.city.posts.values() if p.agency != "satpolpp")
    with pytest.raises(InvalidCommand, match="is not officer pp-1's post"):
        check_in(room, "pp-1", post_id=other.id, lat=other.centre[0], lon=other.centre[1],
                 by=SYSTEM, accuracy=8)
    clock.advance(hours=16)  # 00:00 WIB: no morning shift now
    with pytest.raises(InvalidCommand, match="outside the morning shift"):
        check_in(room, "pp-1", post_id=post.id, lat=lat, lon=lon, by=SYSTEM, accuracy=8)
    clock.advance(hours=-16)
    on_duty = check_in(room, "pp-1", post_id=post.id, lat=lat, lon=lon, by=SYSTEM, accuracy=8)
    assert on_duty.on_duty_post == post.id
    with pytest.raises(InvalidCommand, match="already checked in"):
        check_in(room, "pp-1", post_id=post.id, lat=lat, lon=lon, by=SYSTEM, accuracy=8)
    assert check_out(room, "pp-1", by=SYSTEM).on_duty_post is None
    with pytest.raises(InvalidCommand, match="not checked in"):
        check_out(room, "pp-1", by=SYSTEM)


def test_a_batch_with_an_unknown_officer_stores_nothing(room, officer, clock):
    fixes = [OfficerLocated(officer_id=oid, occurred_at=clock.now, actor="device",
                            lat=-6.18, lon=106.63) for oid in ("pp-1", "ghost")]
    with pytest.raises(NotFound, match="ghost"):
        record_locations(room, fixes, by=SYSTEM)
    assert room.redis.xlen(room.keys.stream("officers")) == 1  # the registration only
    assert len(record_locations(room, fixes[:1], by=SYSTEM)) == 1
