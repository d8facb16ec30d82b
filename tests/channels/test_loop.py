"""The loop closed, end to end: a citizen reports by WhatsApp, the operator assigns it, the
citizen is told on WhatsApp (as the provider receives it), the officer resolves it, the
citizen answers "Sudah beres?" with a 2 and the report is back in the same agency's queue
with a fresh deadline, the citizen told so."""

from __future__ import annotations

from liveroom.access import SYSTEM
from liveroom.commands.incidents import assign_incident, change_status, get_incident
from liveroom.commands.officers import register_officer
from liveroom.domain.lifecycle import Status
from liveroom.live.dispatch import screen_state
from liveroom.live.screen_filter import EVERYTHING
from liveroom.notify.sender import Sender
from tests.channels.test_conversation import WhatsApp, number_of, tracking_number
from tests.conftest import drain, person
from tests.notify.conftest import PHONE_ID

AGUS = person("agus", "officer", agencies=("kebersihan",), officer_id="dlh-1")
OPERATOR = person("ani", "operator")


def delivered(room, providers, to: str) -> list[dict]:
    """Run the projections and the sender; the WhatsApp messages the provider has for `to`."""
    drain(room)
    Sender(room, consumer="test").drain()
    return [r.json() for r in providers.sends()
            if r.path == f"/{PHONE_ID}/messages" and r.json()["to"] == to.lstrip("+")]


def reported_by_whatsapp(client, room, point) -> tuple[WhatsApp, str]:
    """A citizen's report of piled-up rubbish, made by WhatsApp (an officer on duty to send);
    the chat and its tracking number."""
    register_officer(room, "dlh-1", name="Agus", agency="kebersihan", by=SYSTEM)
    chat = WhatsApp(client, room)
    for text in ("Halo", number_of(room, "sampah-menumpuk")):
        chat.say(text)
    chat.share(*point)
    chat.say("lewati")
    chat.say("Sampah menumpuk di depan pasar")
    return chat, tracking_number(chat.say("ya"))


def test_a_citizen_reports_is_told_rates_two_and_the_report_is_reopened(
        client, room, clock, providers, tangerang_point):
    chat, number = reported_by_whatsapp(client, room, tangerang_point)
    citizen = "+" + chat.number
    replies = delivered(room, providers, citizen)
    assert replies and all(m["type"] == "text" for m in replies)  # inside the 24 h window
    assert any(f"Nomor laporan: {number}" in m["text"]["body"] for m in replies)

    assign_incident(room, number, "dlh-1", by=OPERATOR)
    told = delivered(room, providers, citizen)[len(replies):]
    agency = room.city.agencies["kebersihan"].name.id
    assert [m["text"]["body"] for m in told] == [
        f"Laporan {number} sedang ditangani oleh {agency}. Perkembangannya: "
        f"https://lapor.example.go.id/lapor/{number}"]

    for step in ("acknowledged", "en_route", "on_scene"):
        change_status(room, number, step, by=AGUS)
    change_status(room, number, "resolved", by=AGUS, reason="Sudah diangkut")
    first_due = get_incident(room, number).resolve_due
    resolved = delivered(room, providers, citizen)[-1]["text"]["body"]
    assert resolved.startswith(f"Laporan {number} sudah selesai ditangani.")
    assert "Sudah beres? Balas 1–5" in resolved

    clock.advance(days=1)  # the next day, it is back
    answer = chat.say("2 masih ada sampahnya")
    assert f"Laporan {number} dibuka kembali" in answer
    incident = get_incident(room, number)
    assert incident.status is Status.TRIAGED and incident.agency == "kebersihan"
    assert incident.resolve_due > first_due and incident.reopen_comment == "masih ada sampahnya"
    [rated] = incident.feedback
    assert (rated.rating, rated.reopened) == (2, True)
    drain(room)
    _, queue, _, _ = screen_state(room, OPERATOR, EVERYTHING)
    assert number in [item["id"] for item in queue]  # back on the operators' queue
    assert f"Laporan {number} dibuka kembali" in delivered(room, providers, citizen)[-1][
        "text"]["body"]  # the answer reached WhatsApp; no second message about it
    assert "Pilih jenis masalah" in chat.say("3")  # answered once: a new report begins


def test_an_answer_after_the_reopen_window_is_refused_in_the_citizens_words(
        client, room, clock, tangerang_point):
    chat, number = reported_by_whatsapp(client, room, tangerang_point)
    assign_incident(room, number, "dlh-1", by=OPERATOR)
    for step in ("acknowledged", "en_route", "on_scene", "resolved"):
        change_status(room, number, step, by=AGUS, reason="Sudah diangkut")
    drain(room)  # (the resolved message asks "Sudah beres?")
    clock.advance(days=room.city.reopen_window_days, hours=1)
    answer = chat.say("belum beres")
    assert answer == (f"Penilaian untuk laporan {number} tidak dapat diterima: Laporan ini "
                      f"diselesaikan lebih dari {room.city.reopen_window_days} hari yang lalu. "
                      "Silakan buat laporan baru.")
    assert get_incident(room, number).status is Status.RESOLVED
