"""The incident panel's tasks and run card, drawn from data: a line per agency with the
nearest ticked, one button sending them all, the next alarm, "Tarik" on running tasks, and
forwarding where the category names an outside body."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dash import dcc, html

from layouts import ids
from layouts.dispatch import incident_panel
from layouts.runcard import elapsed, forward_section, runcard_body, task_rows, with_added
from liveroom.cities.dispatch import RunCard
from liveroom.domain.lifecycle import TaskStatus
from liveroom.domain.task import Task
from liveroom.live.eta import Eta
from liveroom.live.runcards import Candidate, Line, NamedTask, Recommendation

NOW = datetime(2030, 1, 1, 1, 0, tzinfo=UTC)
HOSTILE = '<img src=x onerror="alert(1)">'
FIRE = {"id": "300101-AB12C", "status": "triaged", "category": "kebakaran", "agency": "damkar",
        "priority": "1", "lat": "-6.17", "lon": "106.63", "district": "36.71.03"}


def walk(node):
    """Every component under `node`, itself first."""
    yield node
    children = getattr(node, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            yield from walk(child)
    if isinstance(node, dcc.Checklist):
        for option in node.options:
            yield from walk(option["label"])


def text(node) -> str:
    found = []
    for part in walk(node):
        children = getattr(part, "children", None)
        found += [c for c in (children if isinstance(children, list) else [children])
                  if isinstance(c, str)]
    return " ".join(found)


def by_id(node, wanted):
    return next((n for n in walk(node) if getattr(n, "id", None) == wanted), None)


def unit(unit_id, agency, km, minutes=None):
    return Candidate("unit", unit_id, agency, unit_id.upper(), km * 1000,
                     eta=Eta(minutes, "default", kmh=25) if minutes else None)


CARD = RunCard(category="kebakaran", when={"orang-terjebak": "ya"},
               levels=({"damkar": 2, "dishub": 1, "satpolpp": 1}, {"damkar": 2}))
RECOMMENDED = Recommendation(
    incident_id=FIRE["id"], card=CARD, alarm=1,
    lines=(Line("damkar", 2, 0, (unit("dk-1", "damkar", 1.2, 2.9),
                                 unit("dk-2", "damkar", 3.4, 8.2))),
           Line("dishub", 1, 0, (Candidate("officer", "dh-7", "dishub", HOSTILE, 800,
                                           eta=Eta(1.9, "default", kmh=25)),)),
           Line("satpolpp", 1, 0, ())),
    next_level={"damkar": 2}, more=(unit("dk-3", "damkar", 5.0, 12),))


def test_each_line_lists_the_nearest_ticked_and_one_button_sends_them_all(room):
    body = html.Div(runcard_body(room.city, RECOMMENDED, "id"))
    damkar = by_id(body, ids.runcard_line("damkar"))
    assert damkar.value == ["unit:dk-1", "unit:dk-2"]
    assert [o["value"] for o in damkar.options] == damkar.value
    row = text(damkar.options[0]["label"])
    assert "DK-1" in row and "1.2 km" in row and "≈ 3 mnt" in row
    dishub = by_id(body, ids.runcard_line("dishub"))
    assert dishub.value == ["officer:dh-7"]
    assert HOSTILE in text(dishub.options[0]["label"])  # a name is text, never markup
    assert "petugas" in text(dishub.options[0]["label"])
    assert by_id(body, ids.runcard_line("satpolpp")) is None  # nobody to send
    assert "kurang 1: tidak ada yang siap di dekatnya" in text(body)
    send = by_id(body, ids.RUNCARD_SEND)
    assert send.children == "Kirim semua (3)" and not send.disabled
    assert by_id(body, ids.RUNCARD_NEXT).children == "Tambah unit (alarm 2)"
    assert "Kartu untuk: Ada orang yang terjebak? Ya" in text(body)
    add = by_id(body, ids.RUNCARD_ADD)
    assert [o["value"] for o in add.options] == ["unit:dk-3"]
    assert add.options[0]["label"] == "Damkar · DK-3 · 5.0 km · ≈ 12 mnt"
    assert by_id(body, ids.RUNCARD_STATE).data == {"incident": FIRE["id"], "alarm": 1}


def test_a_card_fully_running_says_so_and_offers_the_next_alarm_only_while_there_is_one(room):
    done = Recommendation(incident_id=FIRE["id"], card=CARD, alarm=2,
                          lines=(Line("damkar", 4, 4, ()),), next_level={}, more=())
    body = html.Div(runcard_body(room.city, done, "en"))
    assert "Everything alarms up to 2 ask for is on its way." in text(body)
    assert "4 already on it" in text(body)
    assert by_id(body, ids.RUNCARD_NEXT) is None
    assert by_id(body, ids.RUNCARD_SEND).disabled


def named(task_id, status, label, agency="damkar", **fields):
    return NamedTask(Task(id=task_id, agency=agency, status=TaskStatus(status),
                          since=NOW - timedelta(minutes=7, seconds=5), **fields), label)


def test_running_tasks_show_their_time_in_status_and_a_release_button(room):
    rows = task_rows(room.city, [
        named("1", "en_route", "DK-1", unit_id="dk-1"),
        named("2", "released", "DH-1", agency="dishub", unit_id="dh-1", reason="tidak perlu"),
        named("3", "forwarded", "PDAM", agency="drainase", body="pdam", reference="TB-0042",
              follow_up_due=NOW + timedelta(days=3)),
    ], "id", NOW)
    running, released, forwarded = (html.Div(row) for row in rows)
    assert "Dalam perjalanan" in text(running) and "7:05" in text(running)
    since = next(n for n in walk(running) if getattr(n, "className", "") == "task-since")
    assert getattr(since, "data-since") == (NOW - timedelta(minutes=7, seconds=5)).isoformat()
    button = by_id(running, ids.release("1", "DK-1"))
    assert button.children == "Tarik"
    assert by_id(released, ids.release("2", "DH-1")) is None
    assert "Ditarik" in text(released) and "alasan: tidak perlu" in text(released)
    assert "no. TB-0042" in text(forwarded) and "ditindaklanjuti 04/01" in text(forwarded)


def test_the_panel_shows_tasks_and_card_and_keeps_the_single_officer_list(room):
    panel = incident_panel(room.city, FIRE, None, [], "id",
                           tasks=[named("1", "assigned", "DK-9", unit_id="dk-9")],
                           card=RECOMMENDED, now=NOW)
    assert by_id(panel, ids.TASKS) is not None and by_id(panel, ids.RUNCARD) is not None
    assert by_id(panel, ids.RELEASE_FORM).hidden
    assert by_id(panel, "recommended") is not None  # (one officer, as before)
    closed = incident_panel(room.city, {**FIRE, "status": "resolved"}, None, [], "id",
                            card=RECOMMENDED)
    assert by_id(closed, ids.RUNCARD).children == []  # nothing more to send


def test_forwarding_is_offered_where_the_category_names_a_body(room):
    leak = forward_section(room.city, "pipa-bocor", [], "triaged", "id")
    assert by_id(html.Div(leak), ids.forward("pdam")).children == "Teruskan ke Tirta Benteng"
    assert forward_section(room.city, "kebakaran", [], "triaged", "id") == []
    already = [named("1", "forwarded", "PDAM", agency="drainase", body="pdam")]
    assert forward_section(room.city, "pipa-bocor", already, "acknowledged", "id") == []


def test_a_pick_from_the_add_list_joins_the_card_ticked():
    offered = [{"label": "Damkar · DK-3", "value": "unit:dk-3"},
               {"label": "Dishub · DH-2", "value": "unit:dh-2"}]
    added, ticked, left = with_added("unit:dh-2", offered, [], [])
    assert added == [{"label": "Dishub · DH-2", "value": "unit:dh-2"}]
    assert ticked == ["unit:dh-2"] and left == offered[:1]
    assert with_added("unit:ghost", offered, added, ticked) == (added, ticked, offered)


def test_time_in_status_reads_as_the_walls_timers():
    assert elapsed(NOW - timedelta(seconds=65), NOW) == "1:05"
    assert elapsed(NOW - timedelta(hours=1, minutes=2, seconds=3), NOW) == "1:02:03"
    assert elapsed(None, NOW) == ""
