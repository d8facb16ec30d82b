"""Actions a phone queued offline are replayed with the key it gave each: done once, and a
replay gets the first outcome back (result or refusal) without appending anything."""

from __future__ import annotations

import threading

import pytest

from liveroom.access import SYSTEM
from liveroom.api.errors import http_status
from liveroom.commands import accounts
from liveroom.commands.idempotency import PENDING_SECONDS, StillRunning, once
from liveroom.commands.incidents import assign_incident, report_incident
from liveroom.commands.officers import register_officer
from liveroom.domain.events import decode
from tests.api.test_access import ADMIN, PASSWORD
from tests.conftest import drain


@pytest.fixture
def task(room, tangerang_point):
    register_officer(room, "dlh-1", name="Agus", agency="kebersihan", by=SYSTEM)
    accounts.add_user(room, "agus", PASSWORD, roles=["officer"], agencies=["kebersihan"],
                      officer_id="dlh-1", by=ADMIN)
    accounts.add_user(room, "opi", PASSWORD, roles=["operator"], by=ADMIN)
    incident = report_incident(room, category="sampah-menumpuk", lat=tangerang_point[0],
                               lon=tangerang_point[1], source="t", by=SYSTEM)
    assign_incident(room, incident.id, "dlh-1", by=SYSTEM)
    drain(room)
    return {"id": incident.id,
            "agus": {"Authorization": "Bearer " + accounts.create_api_token(
                room, "agus", by=ADMIN).secret},
            "opi": {"Authorization": "Bearer " + accounts.create_api_token(
                room, "opi", by=ADMIN).secret}}


def events(room, incident_id: str) -> list[str]:
    return [e.type for _, fields in room.redis.xrange(room.keys.stream("incidents"))
            if (e := decode(fields)).aggregate_id == incident_id]


def post(client, task, path: str, body: dict, key: str | None, who: str = "agus"):
    headers = {**task[who], **({"Idempotency-Key": key} if key else {})}
    return client.post(f"/api/v1/incidents/{task['id']}/{path}", json=body, headers=headers)


def test_a_replayed_step_is_done_once_and_answered_the_same(client, room, task):
    first = post(client, task, "status", {"status": "acknowledged"}, "step-0001-ack")
    again = post(client, task, "status", {"status": "acknowledged"}, "step-0001-ack")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert events(room, task["id"]).count("incident.status_changed") == 1
    for n in (1, 2):  # two notes, two keys: two notes
        assert post(client, task, "notes", {"text": f"catatan {n}"}, f"note-000{n}").is_success
    post(client, task, "notes", {"text": "catatan 2"}, "note-0002")
    assert events(room, task["id"]).count("incident.note_added") == 2


def test_a_replayed_refusal_is_the_same_refusal_and_changes_nothing(client, room, task):
    refused = post(client, task, "status", {"status": "resolved"}, "step-0002-res")
    assert refused.status_code == 409
    before = events(room, task["id"])
    again = post(client, task, "status", {"status": "resolved"}, "step-0002-res")
    assert (again.status_code, again.json()) == (409, refused.json())
    assert events(room, task["id"]) == before


def test_keys_belong_to_who_sent_them_and_bad_keys_are_refused(client, room, task):
    assert post(client, task, "notes", {"text": "dari petugas"}, "same-key-01").is_success
    assert post(client, task, "notes", {"text": "dari operator"}, "same-key-01",
                who="opi").is_success
    assert events(room, task["id"]).count("incident.note_added") == 2
    short = post(client, task, "notes", {"text": "x"}, "abc")
    assert short.status_code == 422 and "Idempotency-Key" in short.json()["message"]
    assert events(room, task["id"]).count("incident.note_added") == 2


def test_a_key_sent_to_another_route_is_that_routes_own(client, room, task):
    """A client that reuses a key on another route gets that route's answer (the first
    route's would be no answer to it, and the command would be lost)."""
    noted = post(client, task, "notes", {"text": "catatan"}, "reused-key-01", who="opi")
    assert noted.status_code == 200 and noted.json()["notes"] == 1
    stepped = post(client, task, "status", {"status": "acknowledged"}, "reused-key-01",
                   who="opi")
    assert stepped.status_code == 200 and stepped.json()["status"] == "acknowledged"
    assert events(room, task["id"]).count("incident.status_changed") == 1
    again = post(client, task, "status", {"status": "acknowledged"}, "reused-key-01",
                 who="opi")  # (a replay on the same route is still the first outcome)
    assert (again.status_code, again.json()) == (200, stepped.json())


def test_a_replay_while_the_first_attempt_runs_is_told_to_send_again(room):
    started, finish = threading.Event(), threading.Event()

    def slow() -> tuple[int, object]:
        started.set()
        finish.wait(30)
        return 200, "done once"

    first = threading.Thread(target=once, args=(room, SYSTEM, "slow-key-0001", slow))
    first.start()
    try:
        assert started.wait(5)
        with pytest.raises(StillRunning) as refused:
            once(room, SYSTEM, "slow-key-0001", lambda: (200, "done twice"))
        assert http_status(refused.value) == 503  # a client sends it again later
        # a first attempt whose process dies never stores its outcome: its hold on the key
        # runs out by itself, and a replay then does the command
        held = room.redis.ttl(room.live.idempotency(SYSTEM.actor, "slow-key-0001"))
        assert 0 < held <= PENDING_SECONDS
    finally:
        finish.set()
        first.join()
    assert once(room, SYSTEM, "slow-key-0001", lambda: (200, "done twice")) == (200, "done once")
