"""The tracking page's rating and "Belum beres": shown once resolved, only for the reporter
(the last 4 digits of their phone, or their e-mail), refused with a clear reason, kept once."""

from __future__ import annotations

import html
import re

from liveroom.access import SYSTEM
from liveroom.commands.incidents import get_incident, report_incident
from liveroom.domain.lifecycle import Status
from tests.conftest import drain
from tests.services.test_feedback import resolved

WEB = {"name": "Budi", "phone": "+6281298765432"}


def csrf_of(client, incident_id: str) -> str:
    page = client.get(f"/lapor/{incident_id}")
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def send(client, incident_id: str, **fields):
    data = {"csrf": csrf_of(client, incident_id), **fields}
    return client.post(f"/lapor/{incident_id}/nilai", data=data, follow_redirects=False)


def error_of(response) -> str:
    found = re.search(r'id="feedback-error">([^<]*)<', response.text)
    return html.unescape(found.group(1)) if found else ""


def events(room) -> int:
    return room.redis.xlen(room.keys.stream("incidents"))


def test_the_form_is_shown_only_once_resolved(room, client, tangerang_point, clock):
    open_one = report_incident(room, category="kemacetan", lat=tangerang_point[0],
                               lon=tangerang_point[1], source="web", by=SYSTEM, reporter=WEB)
    drain(room)
    assert 'id="feedback-form"' not in client.get(f"/lapor/{open_one.id}").text
    incident_id = resolved(room, tangerang_point, clock, reporter=WEB)
    drain(room)
    page = client.get(f"/lapor/{incident_id}").text
    assert 'id="feedback-form"' in page and "Sudah beres? Nilai 1–5" in page
    assert 'id="feedback-not-fixed"' in page and "Belum beres" in page
    clock.advance(days=8)  # past the window: a rating only
    page = client.get(f"/lapor/{incident_id}?lang=en").text
    assert 'id="feedback-form"' in page and 'id="feedback-not-fixed"' not in page


def test_a_rating_with_the_phone_digits_is_stored_and_shown(room, client, tangerang_point,
                                                            clock):
    incident_id = resolved(room, tangerang_point, clock, reporter=WEB)
    drain(room)
    response = send(client, incident_id, action="rate", nilai="4", komentar="Cepat",
                    bukti="5432")
    assert response.status_code == 303
    assert response.headers["location"] == f"/lapor/{incident_id}?lang=id&rated=1#nilai"
    page = client.get(response.headers["location"]).text
    assert "Nilai Anda sudah kami terima" in page and "4/5" in page
    assert get_incident(room, incident_id).feedback[0].rating == 4
    again = send(client, incident_id, action="rate", nilai="5", bukti="5432")
    assert again.status_code == 400 and "sudah memberi nilai" in error_of(again)


def test_wrong_proof_is_refused_and_nothing_is_kept(room, client, tangerang_point, clock):
    incident_id = resolved(room, tangerang_point, clock, reporter=WEB)
    drain(room)
    before = events(room)
    response = send(client, incident_id, action="rate", nilai="5", bukti="1111")
    assert response.status_code == 403
    assert error_of(response) == "Bukti pelapor tidak cocok dengan laporan ini."
    assert send(client, incident_id, action="rate", nilai="5", bukti="").status_code == 400
    assert "Pilih nilai" in error_of(send(client, incident_id, action="rate", nilai="9",
                                          bukti="5432"))
    long = send(client, incident_id, action="rate", nilai="5", bukti="5432",
                komentar="x" * 1001)
    assert long.status_code == 400 and "1000" in error_of(long)
    control = send(client, incident_id, action="rate", nilai="5", bukti="5432",
                   komentar="bagus\x00")
    assert control.status_code == 400 and error_of(control)
    huge = client.post(f"/lapor/{incident_id}/nilai", data={"komentar": "x" * 20_000})
    assert huge.status_code == 413 and "1000" in error_of(huge)
    tampered = client.post(f"/lapor/{incident_id}/nilai", data={
        "csrf": "forged", "action": "rate", "nilai": "5", "bukti": "5432"})
    assert tampered.status_code == 403
    for _ in range(4):  # five wrong proofs in all: the report takes no more this hour
        send(client, incident_id, action="rate", nilai="5", bukti="0000")
    locked = send(client, incident_id, action="rate", nilai="5", bukti="5432")
    assert locked.status_code == 429 and "Terlalu banyak percobaan" in error_of(locked)
    assert events(room) == before


def test_not_fixed_reopens_and_the_history_says_why(room, client, tangerang_point, clock):
    incident_id = resolved(room, tangerang_point, clock, reporter=WEB)
    drain(room)
    response = send(client, incident_id, action="not_fixed", komentar="Masih menumpuk",
                    bukti="5432")
    assert response.status_code == 303 and "reopened=1" in response.headers["location"]
    assert get_incident(room, incident_id).status is Status.TRIAGED
    drain(room)
    page = client.get(response.headers["location"]).text
    assert "dibuka kembali" in page.lower() and "Masih menumpuk" in page
    done = re.findall(r'<li class="done">([^<]+)</li>', page)
    assert done == ["Diterima", "Menunggu petugas"]  # (its progress starts over)
    assert 'id="feedback-form"' not in page  # (open again: nothing to rate)
