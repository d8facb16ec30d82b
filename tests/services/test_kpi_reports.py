"""The KPIs count incidents and reports apart (issue 19): three incidents with 1, 3 and 2
callers are 3 incidents and 6 reports, whether the figures are read from the incidents
(a short period) or from the daily rollups (a long one), and the page says both."""

from __future__ import annotations

from datetime import timedelta

import pytest

from layouts import kpi as layout
from layouts.static import to_html
from liveroom.access import SYSTEM
from liveroom.commands.desk import add_reporter
from liveroom.commands.incidents import assign_incident, change_status, report_incident
from liveroom.commands.officers import register_officer
from liveroom.projections.rebuild import rebuild
from liveroom.reporting.kpi import Period, Scope, dashboard, exports, response_times, volumes
from liveroom.reporting.kpi.figures import EXACT_PERCENTILE_DAYS, reads_histograms
from tests.conftest import drain
from tests.test_wall_parts import Elements


def report(room, point: tuple[float, float], category: str, callers: int) -> str:
    """An incident at `point`, with `callers` in all (the first and those the desk added)."""
    answers = {"orang-terjebak": "tidak"} if category == "kebakaran" else {}
    incident = report_incident(room, category=category, lat=point[0], lon=point[1],
                               source="t", by=SYSTEM, attributes=answers).id
    drain(room)
    for n in range(callers - 1):
        add_reporter(room, incident, by=SYSTEM, channel="telepon",
                     description=f"penelepon ke-{n + 2}")
    return incident


@pytest.fixture
def callers(room, tangerang_point):
    """Rubbish with 1 and 3 callers, Agus's tasks; a fire with 2, Damar's (far apart: no
    duplicate on arrival)."""
    lat, lon = tangerang_point
    register_officer(room, "dlh-1", name="Agus", agency="kebersihan", by=SYSTEM)
    register_officer(room, "dk-1", name="Damar", agency="damkar", by=SYSTEM)
    ids = [report(room, (lat, lon), "sampah-menumpuk", 1),
           report(room, (lat + 0.02, lon), "sampah-menumpuk", 3),
           report(room, (lat, lon + 0.02), "kebakaran", 2)]
    for incident, officer in zip(ids, ("dlh-1", "dlh-1", "dk-1"), strict=True):
        assign_incident(room, incident, officer, by=SYSTEM)
    drain(room)
    return ids


def scopes(room, clock) -> dict[str, Scope]:
    today = clock.now.astimezone(room.city.timezone).date()
    return {"exact": Scope(Period(today - timedelta(days=6), today)),
            "rollup": Scope(Period(today - timedelta(days=EXACT_PERCENTILE_DAYS + 9), today))}


def counted(room, scope: Scope, group: str = "city") -> dict[str, tuple[int, int]]:
    return {t.key: (t.reported, t.reports)
            for t in response_times(room, scope, by=SYSTEM, group=group)}


def test_three_incidents_with_six_callers_are_three_incidents_and_six_reports(
        room, clock, callers):
    found = scopes(room, clock)
    assert not reads_histograms(room, found["exact"], SYSTEM)
    assert reads_histograms(room, found["rollup"], SYSTEM)
    for scope in found.values():
        assert counted(room, scope) == {"city": (3, 6)}
        assert counted(room, scope, "agency") == {"kebersihan": (2, 4), "damkar": (1, 2)}
        assert counted(room, scope, "officer") == {"dlh-1": (2, 4), "dk-1": (1, 2)}
        rows = volumes(room, scope, by=SYSTEM, dimension="agency")
        assert sorted((key, n, reports) for _, key, n, reports in rows) == [
            ("damkar", 1, 2), ("kebersihan", 2, 4)]
        overall = dashboard(room, scope, by=SYSTEM).overall
        assert (overall.reported, overall.reports) == (3, 6)
    rebuild(room)  # the rollups recomputed from the event log say the same
    assert counted(room, found["rollup"]) == {"city": (3, 6)}


def test_a_caller_added_later_counts_on_the_day_the_incident_was_reported(
        room, clock, callers):
    clock.now += timedelta(days=1, hours=3)  # the next day: the incident's day is past
    add_reporter(room, callers[0], by=SYSTEM, channel="112")
    drain(room)
    for scope in scopes(room, clock).values():
        assert counted(room, scope) == {"city": (3, 7)}


def test_a_duplicates_callers_count_once_on_the_incident_it_duplicates(
        room, clock, callers, tangerang_point):
    lat, lon = tangerang_point
    twice = report(room, (lat - 0.02, lon), "sampah-menumpuk", 2)
    change_status(room, twice, "duplicate", by=SYSTEM, duplicate_of=callers[0])
    drain(room)  # (the merge policy moves its two callers to the survivor)
    for scope in scopes(room, clock).values():
        assert counted(room, scope) == {"city": (4, 8)}  # (an incident still; 6 + 2 reports)


def test_the_page_shows_incidents_and_citizen_reports_in_bahasa_indonesia(
        room, clock, callers):
    for scope in scopes(room, clock).values():
        shown = layout.panels(dashboard(room, scope, by=SYSTEM), room.city, "id")
        parsed = Elements(to_html(layout.tiles(shown, "id")))
        words = [text.strip() for text in parsed.text]
        assert words[words.index("Insiden") + 1] == "3"
        assert words[words.index("Laporan warga") + 1] == "6"
        assert "Satu insiden bisa dilaporkan oleh beberapa warga." in words
        kebersihan = next(row for row in shown["agencies"]
                          if row["key"] == room.city.agencies["kebersihan"].name.id)
        assert (kebersihan["reported__text"], kebersihan["reports__text"]) == ("2", "4")


def test_the_downloads_carry_the_reports_beside_the_incidents(room, clock, callers):
    data = dashboard(room, scopes(room, clock)["rollup"], by=SYSTEM, dimension="agency")
    headers, rows = exports.agencies(data, room.city, "id")
    assert headers[:3] == ["Dinas", "Insiden", "Laporan warga"]
    assert sorted(row[1:3] for row in rows) == [[1, 2], [2, 4]]
    headers, rows = exports.volume(data, room.city, "id")
    assert headers[2:] == ["Insiden", "Laporan warga"]
    assert sum(row[2] for row in rows) == 3 and sum(row[3] for row in rows) == 6
