"""The supervisor's alert phone over HTTP and its websocket: the page and the socket are for
supervisors (not officers, operators or kiosk screens), and the escalation alerts of the
supervisor's own agencies are pushed as deadlines pass and leave once acknowledged."""

from __future__ import annotations

import pytest
from starlette.websockets import WebSocketDisconnect

from liveroom.access import SYSTEM, Forbidden
from liveroom.commands import accounts
from liveroom.commands.incidents import (
    assign_incident,
    change_status,
    get_incident,
    report_incident,
)
from liveroom.commands.officers import register_officer
from liveroom.live.alerts import check_supervisor
from tests.api.conftest import signed_in
from tests.api.test_access import ADMIN, PASSWORD
from tests.conftest import drain, person

JAM_ACK_MINUTES = 15  # kemacetan's acknowledge SLA in the Tangerang pack (dishub)


@pytest.fixture
def people(room):
    register_officer(room, "dishub-1", name="Rudi", agency="dishub", by=SYSTEM)
    for username, fields in {
        "dina": {"roles": ["supervisor"], "agencies": ["dishub"]},
        "dedi": {"roles": ["supervisor"], "agencies": ["damkar"]},
        "opi": {"roles": ["operator"]},
        "rudi": {"roles": ["officer"], "agencies": ["dishub"], "officer_id": "dishub-1"},
    }.items():
        accounts.add_user(room, username, PASSWORD, by=ADMIN, **fields)


def report(room, category: str, n: int, **attributes: str) -> str:
    spot = list(room.city.districts.values())[n].geometry.representative_point()
    return report_incident(room, category=category, lat=spot.y, lon=spot.x, source="t",
                           address=f"Jl. Uji {n}", attributes=attributes, by=SYSTEM).id


def alerts(socket) -> list[dict]:
    """The next list pushed (a heartbeat, every 20 s, means none came: fail)."""
    message = socket.receive_json()
    assert message["type"] == "alerts", "no list was pushed"
    return message["alerts"]


def test_the_page_and_its_socket_are_for_supervisors(client, room, people):
    signed_in(room, client, "rudi")
    refused = client.get("/siaga")
    assert refused.status_code == 403 and 'id="siaga-refused"' in refused.text
    with pytest.raises(WebSocketDisconnect) as officer, client.websocket_connect(
            "/ws/siaga") as socket:
        socket.receive_json()
    assert officer.value.code == 4403
    signed_in(room, client, "opi")
    assert client.get("/siaga").status_code == 403

    signed_in(room, client, "dina")
    page = client.get("/siaga")
    assert page.status_code == 200 and "Aktifkan notifikasi" in page.text
    assert "Dishub" in page.text  # whose alerts these are
    assert "Turn on notifications" in client.get("/siaga?lang=en").text
    with pytest.raises(WebSocketDisconnect) as cross_site, client.websocket_connect(
            "/ws/siaga", headers={"Origin": "https://evil.example"}) as socket:
        socket.receive_json()
    assert cross_site.value.code == 4403

    client.cookies.clear()  # the service worker loads before anyone signs in
    worker = client.get("/siaga/sw.js")
    assert worker.status_code == 200 and worker.headers["service-worker-allowed"] == "/siaga"


def test_a_kiosk_screen_is_nobodys_phone(client, room, people):
    link = accounts.create_kiosk_link(room, "Layar dinding", role="operator", by=ADMIN)
    refused = client.get(f"/siaga?kiosk={link.secret}")  # signed in, and sent back here
    assert refused.status_code == 403 and 'id="siaga-refused"' in refused.text
    with pytest.raises(WebSocketDisconnect) as kiosk, client.websocket_connect(
            "/ws/siaga") as socket:
        socket.receive_json()
    assert kiosk.value.code == 4403


def test_who_the_alerts_are_for():
    for refused in (person("opi", "operator"), person("wali", "mayor"),
                    person("rudi", "officer", officer_id="x")):
        with pytest.raises(Forbidden):
            check_supervisor(refused)
    check_supervisor(person("dina", "supervisor", agencies=("dishub",)))
    check_supervisor(person("root", "admin"))


def test_alerts_are_pushed_as_deadlines_pass_and_leave_once_acknowledged(client, room, clock,
                                                                          people):
    signed_in(room, client, "dina")
    with client.websocket_connect("/ws/siaga?lang=id") as socket:
        assert alerts(socket) == []
        jam = report(room, "kemacetan", 0)
        fire = report(room, "kebakaran", 1, **{"orang-terjebak": "tidak"})
        drain(room)
        clock.advance(minutes=JAM_ACK_MINUTES + 1)  # both deadlines pass unmet
        drain(room)  # (the escalation policy alerts the supervisors)

        (alert,) = alerts(socket)  # dishub's jam, not damkar's fire
        assert alert["id"] == jam
        assert (alert["category_name"], alert["address"]) == ("Kemacetan", "Jl. Uji 0")
        assert alert["district_name"] == next(iter(room.city.districts.values())).name
        assert (alert["deadline"], alert["rule_code"]) == ("acknowledge", "ack-missed")
        assert alert["rule"] == "Belum diterima petugas hingga tenggat"
        assert alert["due"] == get_incident(room, jam).acknowledge_due.isoformat()
        assert alert["alerted_at"] == clock().isoformat()

        signed_in(room, client, "dedi")  # damkar's supervisor gets damkar's alerts only
        with client.websocket_connect("/ws/siaga?lang=en") as other:
            (theirs,) = alerts(other)
            assert (theirs["id"], theirs["category_name"]) == (fire, "Fire")
            assert theirs["rule"] == "Not acknowledged by an officer by the deadline"

        assign_incident(room, jam, "dishub-1", by=SYSTEM)
        change_status(room, jam, "acknowledged", by=SYSTEM)
        drain(room)
        while (shown := alerts(socket)) != []:  # assigned: still alerted, until acknowledged
            assert [a["id"] for a in shown] == [jam]
