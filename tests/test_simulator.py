"""The simulator's own credentials, kept across restarts in `<data dir>/simulator.json`."""

from __future__ import annotations

import random

import orjson

from liveroom.access.secrets import digest
from liveroom.commands.accounts import device_principals
from liveroom.demo.simulator import provision
from tests.conftest import device_registered_before_secrets


def test_the_simulator_moves_its_old_trackers_from_officer_ids_onto_secrets(room):
    old = device_registered_before_secrets(room, "dishub", "Sim Lama")
    post = next(p for p in room.city.posts.values() if p.agency == "dishub")
    stored = room.settings.data_dir / "simulator.json"
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(orjson.dumps({"officers": [
        {"id": old, "agency": "dishub", "post": post.id, "shift": "pagi"}]}))
    (officer,) = provision(room, 1, 1.0, random.Random(1)).officers
    assert officer["id"] == old and officer["secret"].startswith("lr_device_")
    live = device_principals(room)
    assert digest(old) not in live and live[digest(officer["secret"])].officer_id == old
    again = provision(room, 1, 1.0, random.Random(1)).officers  # kept, not rotated again
    assert again == [officer] == orjson.loads(stored.read_bytes())["officers"]
