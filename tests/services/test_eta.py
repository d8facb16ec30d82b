"""Arrival times learned from the city's own trips: the median speed per agency and local
hour, the floor on trips and its fallbacks, what the wall panel says, and `learn-eta`."""

from __future__ import annotations

import itertools
import json
import threading
from datetime import datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import insert

from layouts.dispatch import incident_panel
from liveroom.archive import schema
from liveroom.live.dispatch import officers_near
from liveroom.live.eta import Speed, speed_now, stored_speeds
from liveroom.reporting.eta import due, learn, refresh_if_due
from liveroom.reporting.trips import trips
from tests.app_process import AppProcess
from tests.conftest import drain, person
from tests.services.test_dispatch import on_duty

OPERATOR = person("opi", "operator")
KM_PER_DEGREE = 6371 * 3.141592653589793 / 180  # of latitude, as the haversine has it
SCENE = (-6.178, 106.63)
BUSY = 8  # the test clock's local hour (`conftest.MORNING`): trips enough to learn it alone
serial = itertools.count()


def local(room, days_ago: int, hour: int) -> datetime:
    """A moment `days_ago` local days before the test clock's, at `hour` local."""
    day = room.clock().astimezone(room.city.timezone).date() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, 10), room.city.timezone)


def archive_trip(room, agency: str, set_off: datetime, km: float, minutes: float, *,
                 fix_before: timedelta | None = timedelta(seconds=30),
                 fix_at_assignment: bool = False, dispatched_from: bool = False) -> None:
    """A finished incident whose officer (its one task's) set off `km` north of the scene and
    arrived after `minutes`, with the officer's fix `fix_before` setting off (None: no such
    fix), and (`dispatched_from`) that place on the task as where it was dispatched from."""
    n = next(serial)
    officer, assigned = f"{agency}-o{n}", set_off - timedelta(minutes=10)
    start = {"officer_id": officer, "lat": SCENE[0] + km / KM_PER_DEGREE, "lon": SCENE[1]}
    with room.engine.begin() as conn:
        conn.execute(insert(schema.incidents), {
            "id": f"T{n}", "category": "c", "agency": agency, "status": "closed",
            "lat": SCENE[0], "lon": SCENE[1], "source": "test", "officer_id": officer,
            "reported_at": assigned - timedelta(minutes=2), "assigned_at": assigned,
            "en_route_at": set_off, "on_scene_at": set_off + timedelta(minutes=minutes),
            "updated_at": set_off + timedelta(hours=2)})
        conn.execute(insert(schema.tasks), {
            "incident_id": f"T{n}", "task_id": "1", "agency": agency, "officer_id": officer,
            "crew": [officer], "status": "done", "dispatched_at": assigned,
            "assigned_at": assigned, "en_route_at": set_off,
            "on_scene_at": set_off + timedelta(minutes=minutes),
            "done_at": set_off + timedelta(hours=1), "event_id": f"t{n}",
            **({"dispatched_lat": start["lat"], "dispatched_lon": start["lon"]}
               if dispatched_from else {})})
        if fix_before is not None:
            conn.execute(insert(schema.officer_locations), {**start, "at": set_off - fix_before})
        if fix_at_assignment:
            conn.execute(insert(schema.officer_locations), {
                **start, "at": assigned - timedelta(seconds=20)})


def texts(node) -> list[str]:
    """The words of a component tree, in order."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, list | tuple):
        return [text for child in node for text in texts(child)]
    return texts(getattr(node, "children", None) or [])


@pytest.fixture
def history(room):
    """Damkar: 25 trips at 8 o'clock (13 at 30 km/h, 12 at 15) and 5 at 14 o'clock
    (60 km/h); Dishub: 5 trips. All 5 km, over the last days."""
    for n in range(25):
        archive_trip(room, "damkar", local(room, 1 + n % 5, BUSY), 5, 10 if n < 13 else 20)
    for n in range(5):
        archive_trip(room, "damkar", local(room, 2 + n, 14), 5, 5)
        archive_trip(room, "dishub", local(room, 2 + n, BUSY), 5, 5)


def test_speeds_are_the_median_per_agency_and_hour_with_a_floor_on_trips(room, history):
    table = learn(room)
    damkar = table.agencies["damkar"]
    assert damkar.hours[BUSY].kmh == pytest.approx(30, abs=0.1)
    assert damkar.hours[BUSY].trips == 25
    assert damkar.hours[14].trips == 5 and damkar.overall.trips == 30
    assert table.speed("damkar", BUSY, 25.0).kmh == pytest.approx(30, abs=0.1)
    assert table.speed("damkar", BUSY, 25.0).trips == 25
    # too few at 14 o'clock: the agency's trips at every hour (median of 12×15, 13×30, 5×60)
    assert table.speed("damkar", 14, 25.0) == Speed(damkar.overall.kmh, 30)
    assert damkar.overall.kmh == pytest.approx(30, abs=0.1)
    # no trips at 3 o'clock: the same
    assert table.speed("damkar", 3, 25.0).trips == 30
    # too few for Dishub at all, none for DLH: the pack's speed
    assert table.speed("dishub", BUSY, 25.0) == Speed(25.0)
    assert table.speed("kebersihan", BUSY, 25.0) == Speed(25.0)


def test_a_trip_starts_at_the_fix_before_setting_off_or_else_where_it_was_dispatched(room):
    set_off = local(room, 1, 10)
    archive_trip(room, "damkar", set_off, 3, 6)
    archive_trip(room, "damkar", set_off, 4, 6, fix_before=timedelta(minutes=30),
                 fix_at_assignment=True)  # (its fix archived later than the dispatch)
    archive_trip(room, "damkar", set_off, 7, 6, fix_before=None, dispatched_from=True)
    archive_trip(room, "damkar", set_off, 5, 6, fix_before=timedelta(minutes=30))  # stale
    archive_trip(room, "damkar", set_off, 6, 6, fix_before=None)  # no fix at all
    archive_trip(room, "damkar", set_off, 0.05, 6)  # already there: nothing to learn
    archive_trip(room, "damkar", local(room, 120, 10), 3, 6)  # too long ago
    with room.engine.connect() as conn:
        found = list(trips(conn, room.clock() - timedelta(days=90), 200))
    assert sorted(round(t.distance_m / 1000, 2) for t in found) == [3.0, 4.0, 7.0]
    assert {round(t.kmh) for t in found} == {30, 40, 70}


def test_the_panel_says_what_the_estimate_rests_on(room, clock, history):
    posts = [p for p in room.city.posts.values() if p.agency == "damkar"]
    lat, lon = posts[0].centre
    on_duty(room, clock, "near", posts[0], lat + 0.045, lon)  # about 5 km
    drain(room)
    incident = {"id": "261206-AB12C", "status": "triaged", "category": "kebakaran",
                "agency": "damkar", "lat": str(lat), "lon": str(lon)}

    def panel(lang: str) -> str:
        return " | ".join(texts(incident_panel(room.city, incident, None, officers_near(
            room, lat, lon, "damkar", by=OPERATOR), lang)))

    assert "(perkiraan 25 km/j)" in panel("id")  # nothing learned yet: the pack's speed
    assert "(assumed 25 km/h)" in panel("en")
    learn(room)  # now, at 8 o'clock, 25 trips went at 30 km/h
    assert "5.0 km · ≈ 10 mnt, dari 25 perjalanan" in panel("id")
    assert "≈ 10 min, from 25 trips" in panel("en")


def test_speeds_are_learned_when_missing_and_again_after_the_night(room, clock, history):
    zone = room.city.timezone
    assert due(None, clock.now, zone)
    assert refresh_if_due(room) and stored_speeds(room).trips == 35
    assert not refresh_if_due(room)  # learned already
    assert not due(stored_speeds(room), clock.now + timedelta(hours=12), zone)
    assert due(stored_speeds(room), local(room, -1, 3), zone)  # after 02:00 tomorrow
    assert speed_now(room, "damkar").trips == 25  # 08:00 local: its hour's trips


def test_learn_eta_on_the_command_line(room, settings, tmp_path, history):
    result = AppProcess.beside(settings, tmp_path).cli("learn-eta")
    assert result.returncode == 0, result.stderr
    assert "damkar: 30 km/h from 30 trips; 1 of 24 hours learned on their own" in result.stdout
    assert "dishub: 5 trips, too few; assumes 25 km/h" in result.stdout
    assert stored_speeds(room).agencies["damkar"].hours[BUSY].trips == 25


class Osrm(BaseHTTPRequestHandler):
    """An OSRM `table` service as its documentation describes it: 7 minutes from every
    source, or an error when asked for the `broken` profile."""

    asked: list[str] = []

    def do_GET(self) -> None:
        Osrm.asked.append(self.path)
        if "/broken/" in self.path:
            self.send_response(500)
            self.end_headers()
            return
        sources = self.path.split("sources=")[1].split("&")[0].split("%3B")
        body = json.dumps({"code": "Ok", "durations": [[420.0] for _ in sources]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def osrm():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Osrm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/table/v1"
    server.shutdown()
    server.server_close()


def test_a_road_router_answers_where_one_is_set_and_learned_speeds_when_it_fails(
        room, clock, osrm):
    posts = [p for p in room.city.posts.values() if p.agency == "damkar"]
    lat, lon = posts[0].centre
    on_duty(room, clock, "near", posts[0], lat + 0.01, lon)
    on_duty(room, clock, "far", posts[0], lat + 0.02, lon)
    drain(room)
    room.settings = room.settings.model_copy(update={"osrm_url": f"{osrm}/driving"})
    found = officers_near(room, lat, lon, "damkar", by=OPERATOR)
    assert [(o.id, o.eta.minutes, o.eta.basis) for o in found] == [
        ("near", 7.0, "road"), ("far", 7.0, "road")]
    assert Osrm.asked[-1].startswith(f"/table/v1/driving/{lon:.6f},{lat:.6f};")
    room.settings = room.settings.model_copy(update={"osrm_url": f"{osrm}/broken"})
    found = officers_near(room, lat, lon, "damkar", by=OPERATOR)
    assert [o.eta.basis for o in found] == ["default", "default"]
    assert found[0].eta_minutes == pytest.approx(found[0].distance_m / 1000 / 25 * 60, abs=0.1)
