"""`/healthz`: what a load balancer and a wall-screen monitor see."""

from __future__ import annotations

import redis
from fastapi.testclient import TestClient

from app import create_app
from liveroom.access import SYSTEM
from liveroom.commands.incidents import report_incident
from liveroom.room import LiveRoom


def test_healthz_reports_every_projection_and_its_lag(room, tangerang_point):
    report_incident(room, category="genangan", lat=tangerang_point[0], lon=tangerang_point[1],
                    source="t", by=SYSTEM)
    with TestClient(create_app(room).server) as client:
        response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok" and body["reasons"] == []
    assert body["redis"]["ok"] and body["database"]["ok"]
    assert set(body["projections"]) == {"live-incidents", "live-officers", "archive-incidents",
                                        "archive-officers", "attendance-policy",
                                        "merge-policy", "escalation-policy",
                                        "notification-policy"}
    assert body["projections"]["archive-incidents"]["behind"] == 2  # received + triaged
    assert body["dead_letters"] == 0 and body["unknown_device_fixes"] == 0


def test_healthz_is_degraded_with_the_reason_when_the_database_is_unreachable(settings):
    """Every worker is alike then and the live room works on: no load balancer may take
    them all out (200), but a monitor is told why."""
    nobody_listens = "postgresql://postgres@127.0.0.1:1/test"
    broken = settings.model_copy(update={"database_url": nobody_listens})
    room = LiveRoom.open(broken)
    try:
        with TestClient(create_app(room).server) as client:
            response = client.get("/healthz")
    finally:
        room.close()
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "degraded" and not body["database"]["ok"] and body["redis"]["ok"]
    assert body["reasons"][0].startswith("database: ")
    assert "unavailable" in body["reasons"][0]


def test_healthz_is_degraded_while_a_projection_has_not_applied_an_event_for_seconds(room):
    """As after a crash, until the dead worker's lease runs out: said, not hidden."""
    seconds, _ = room.redis.time()
    waiting = f"{(seconds - 10) * 1000}-0"  # an event appended 10 s ago, still not applied
    room.redis.xadd(room.keys.stream("officers"), {"type": "x", "v": "1", "data": "{}"},
                    id=waiting)
    with TestClient(create_app(room).server) as client:
        body = client.get("/healthz").json()
    assert body["projections"]["live-officers"]["lag_ms"] >= 10_000
    assert body["status"] == "degraded"
    assert "projection live-officers: an event has waited 10 s" in body["reasons"]


def test_healthz_is_503_json_when_redis_goes_away(room):
    client = TestClient(create_app(room).server)
    assert client.get("/healthz").status_code == 200
    room.redis = redis.Redis.from_url("redis://127.0.0.1:1/0", decode_responses=True)  # gone
    room._city = None  # (and the city's overrides are read from it again)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "down" and not response.json()["redis"]["ok"]
