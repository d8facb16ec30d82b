"""What became of the messages is shown: on the wall's incident panel (failed: "pesan belum
terkirim"; waiting for a channel to be configured) and per channel on the KPI page."""

from __future__ import annotations

from callbacks.home import panel_of
from layouts import kpi_messages
from liveroom.access import SYSTEM
from liveroom.commands.incidents import report_incident
from liveroom.live import dispatch
from liveroom.notify.sender import Sender
from liveroom.reporting.kpi import dashboard
from liveroom.reporting.kpi.figures import Period, Scope
from tests.conftest import drain, person

SARI = person("sari", "supervisor", agencies=("kebersihan",))


def texts(node) -> list[str]:
    """Every text in a Dash component tree."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, list | tuple):
        return [t for child in node for t in texts(child)]
    return texts(getattr(node, "children", None) or [])


def reported(room, point, source: str, reporter: dict[str, str]) -> str:
    incident = report_incident(room, category="sampah-menumpuk", lat=point[0], lon=point[1],
                               source=source, by=SYSTEM, reporter=reporter)
    drain(room)
    return incident.id


def panel_texts(room, incident_id: str) -> list[str]:
    return texts(panel_of(room, dispatch.live_incident(room, incident_id, by=SARI), SARI,
                          "id"))


def test_the_panel_says_a_message_waits_for_its_channel(room, tangerang_point):
    room.settings = room.settings.model_copy(update={"telegram_bot_token": None})
    incident = reported(room, tangerang_point, "telegram", {"telegram": "42"})
    Sender(room, consumer="test").drain()
    shown = panel_texts(room, incident)
    assert "Pesan menunggu saluran dikonfigurasi" in shown
    assert "0 terkirim · 0 dalam antrean · 1 menunggu · 0 gagal" in shown
    assert "Pesan belum terkirim ke pelapor" not in shown


def test_the_panel_and_the_kpis_say_a_message_failed(room, providers, tangerang_point):
    sent = reported(room, tangerang_point, "sms", {"phone": "+6281234567890"})
    Sender(room, consumer="test").drain()
    providers.fail(400)
    failed = reported(room, (tangerang_point[0] + 0.01, tangerang_point[1]), "telegram",
                      {"telegram": "42"})
    Sender(room, consumer="test").drain()
    assert "Pesan belum terkirim ke pelapor" in panel_texts(room, failed)
    assert "Pesan belum terkirim ke pelapor" not in panel_texts(room, sent)
    assert "1 terkirim · 0 dalam antrean · 0 menunggu · 0 gagal" in panel_texts(room, sent)
    today = room.clock().astimezone(room.city.timezone).date()
    data = dashboard(room, Scope(Period.named("today", today)), by=SARI)
    assert data.messages == {"sms": {"sent": 1, "failed": 0},
                             "telegram": {"sent": 0, "failed": 1}}
    assert texts(kpi_messages.table(data, "en")) == [
        "Channel", "Sent", "Failed", "Telegram", "0", "1", "SMS", "1", "0"]
