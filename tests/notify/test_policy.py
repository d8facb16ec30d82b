"""Every reporter of an incident is told each step they should know, on the channel they
came by, in their language, once: a replay of the incidents stream or a restart adds none."""

from __future__ import annotations

import pytest

from liveroom.access import SYSTEM
from liveroom.commands.incidents import (
    assign_incident,
    change_status,
    forward_incident,
    report_incident,
)
from liveroom.commands.officers import register_officer
from liveroom.projections.policies.notifications import NotificationPolicy
from tests.conftest import drain, person
from tests.notify.conftest import PUBLIC, outbox

METRE = 1 / 111_320
AGUS = person("agus", "officer", agencies=("kebersihan",), officer_id="dlh-1")


def report(room, point, source: str, reporter: dict[str, str], north_m: float = 0.0):
    return report_incident(room, category="sampah-menumpuk", lat=point[0] + north_m * METRE,
                           lon=point[1], source=source, by=SYSTEM, reporter=reporter,
                           description="Sampah menumpuk")


@pytest.fixture
def agus(room):
    register_officer(room, "dlh-1", name="Agus", agency="kebersihan", by=SYSTEM)


def told(room) -> list[tuple[str, str, str]]:
    return [(m.channel, m.to, m.step) for m in outbox(room)]


def test_a_reporter_is_told_each_step_with_the_number_link_and_photo(
        room, agus, tangerang_point):
    incident = report(room, tangerang_point, "telegram", {"telegram": "987654321"})
    drain(room)
    received, = outbox(room)
    assert received.channel == "telegram" and received.to == "987654321"
    assert received.text == (f"Laporan Anda sudah kami terima. Nomor laporan: {incident.id}. "
                             f"Ikuti perkembangannya di {PUBLIC}/lapor/{incident.id}")
    assign_incident(room, incident.id, "dlh-1", by=SYSTEM)
    for step in ("acknowledged", "en_route", "on_scene"):
        change_status(room, incident.id, step, by=AGUS)
    change_status(room, incident.id, "resolved", by=AGUS, reason="Sampah diangkut",
                  media_url="/media/sesudah.jpg")
    drain(room)
    assert [m.step for m in outbox(room)] == ["received", "assigned", "on_scene", "resolved"]
    assigned, resolved = outbox(room)[1], outbox(room)[3]
    assert room.city.agencies["kebersihan"].name.id in assigned.text
    assert resolved.media_url == "/media/sesudah.jpg"
    assert resolved.text.endswith(
        "Sudah beres? Balas 1–5 untuk menilai, atau BELUM jika belum beres.")
    assert resolved.subject == f"Laporan {incident.id}: selesai ditangani"


def test_rejected_with_the_reason_in_english_by_email(room, tangerang_point):
    incident = report(room, tangerang_point, "open311",
                      {"email": "warga@example.com", "lang": "en"})
    change_status(room, incident.id, "rejected", by=SYSTEM, reason="outside the city's care")
    drain(room)
    received, rejected = outbox(room)
    assert (rejected.channel, rejected.to, rejected.lang) == ("email", "warga@example.com", "en")
    assert rejected.text == (f"Report {incident.id} cannot be followed up: outside the "
                             f"city's care. {PUBLIC}/lapor/{incident.id}")
    assert received.subject == f"Report {incident.id}: received"


def test_forwarded_names_the_outside_body(room, tangerang_point):
    incident = report(room, tangerang_point, "sms", {"phone": "+6281234567890"})
    forward_incident(room, incident.id, "pdam", reference="TB-77", by=SYSTEM)
    drain(room)
    forwarded = outbox(room)[-1]
    assert (forwarded.channel, forwarded.to, forwarded.step) == (
        "sms", "+6281234567890", "forwarded")
    assert room.city.external_bodies["pdam"].name.id in forwarded.text


def test_after_a_merge_every_reporter_of_the_survivor_is_told(room, agus, tangerang_point):
    survivor = report(room, tangerang_point, "whatsapp", {"phone": "+6281234567890"})
    duplicate = report(room, tangerang_point, "telegram", {"telegram": "55"}, north_m=500)
    drain(room)
    change_status(room, duplicate.id, "duplicate", duplicate_of=survivor.id, by=SYSTEM)
    drain(room)
    linked = outbox(room)[-1]
    assert (linked.to, linked.step) == ("55", "linked")
    assert f"{PUBLIC}/lapor/{survivor.id}" in linked.text
    assign_incident(room, survivor.id, "dlh-1", by=SYSTEM)
    drain(room)
    assert told(room)[-2:] == [("whatsapp", "+6281234567890", "assigned"),
                               ("telegram", "55", "assigned")]


def test_a_caller_by_phone_is_told_by_sms_and_one_with_no_contact_is_skipped(
        room, tangerang_point):
    report(room, tangerang_point, "telepon", {"name": "Ibu Sari", "phone": "+6281234567890"})
    report(room, tangerang_point, "open311", {}, north_m=500)
    drain(room)
    assert told(room) == [("sms", "+6281234567890", "received")]


def test_a_replay_of_the_stream_tells_nobody_twice(room, tangerang_point):
    incident = report(room, tangerang_point, "telegram", {"telegram": "42"})
    change_status(room, incident.id, "rejected", by=SYSTEM, reason="bukan wewenang kota")
    drain(room)
    assert len(outbox(room)) == 2
    NotificationPolicy(room).reset()  # as after a crash before its checkpoint moved
    drain(room)
    assert told(room) == [("telegram", "42", "received"), ("telegram", "42", "rejected")]


def test_old_steps_are_not_told(room, clock, tangerang_point):
    report(room, tangerang_point, "telegram", {"telegram": "42"})
    clock.advance(hours=25)  # the policy starts a day later, on an old stream
    drain(room)
    assert outbox(room) == []
