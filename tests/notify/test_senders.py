"""Each provider gets exactly the request its documentation describes, and what it answers
becomes the message's outcome: sent with its id, tried again after a 500 or a 429, given up
after a refusal or too many tries, waiting while the channel has no provider."""

from __future__ import annotations

import base64
import time

import httpx

from liveroom.notify import outcomes
from liveroom.notify.outbox import Outgoing, enqueue
from liveroom.notify.sender import Sender
from liveroom.notify.whatsapp import mark_customer_window
from tests.app_process import free_port
from tests.notify.conftest import (
    PHONE_ID,
    PUBLIC,
    SID,
    SMS_FROM,
    SMS_TOKEN,
    TELEGRAM_TOKEN,
    WHATSAPP_TOKEN,
)

TEXT = "Laporan 261207-ABCDE sudah selesai ditangani."


def send(room, *messages: Outgoing) -> list[dict[str, str]]:
    """Enqueue, let a sender go over the outbox once; each message's recorded outcome."""
    for n, message in enumerate(messages):
        assert enqueue(room, message, key=f"test:{time.monotonic_ns()}:{n}")
    Sender(room, consumer="test").drain()
    entries = room.redis.xrange(room.keys.stream("outbox"))
    return [outcomes.state(room, entry_id) for entry_id, _ in entries[-len(messages):]]


def message(channel: str, to: str, **extra) -> Outgoing:
    return Outgoing(channel=channel, to=to, text=TEXT, incident_id="261207-ABCDE",
                    step="resolved", **extra)


def test_telegram_text_and_photo(room, providers):
    text, photo = send(room, message("telegram", "987654321"),
                       message("telegram", "987654321", media_url="/media/after.jpg"))
    first, second = providers.sends()
    assert first.path == f"/bot{TELEGRAM_TOKEN}/sendMessage"
    assert first.json() == {"chat_id": "987654321", "text": TEXT}
    assert second.path == f"/bot{TELEGRAM_TOKEN}/sendPhoto"
    assert second.json() == {"chat_id": "987654321", "photo": f"{PUBLIC}/media/after.jpg",
                             "caption": TEXT}
    assert (text["state"], text["provider_id"]) == ("sent", "1")
    assert (photo["state"], photo["provider_id"]) == ("sent", "2")


def test_whatsapp_template_outside_the_window_session_message_inside(room, providers):
    outside, = send(room, message("whatsapp", "+6281234567890"))
    mark_customer_window(room, "+6281234567890")
    text, image = send(room, message("whatsapp", "+6281234567890"),
                       message("whatsapp", "+6281234567890", media_url="/media/after.jpg"))
    requests = providers.sends()
    assert [r.path for r in requests] == [f"/{PHONE_ID}/messages"] * 3
    assert {r.headers["Authorization"] for r in requests} == {f"Bearer {WHATSAPP_TOKEN}"}
    head = {"messaging_product": "whatsapp", "recipient_type": "individual",
            "to": "6281234567890"}
    assert requests[0].json() == {**head, "type": "template", "template": {
        "name": "liveroom_update", "language": {"code": "id"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": TEXT}]}]}}
    assert requests[1].json() == {**head, "type": "text",
                                  "text": {"preview_url": False, "body": TEXT}}
    assert requests[2].json() == {**head, "type": "image", "image": {
        "link": f"{PUBLIC}/media/after.jpg", "caption": TEXT}}
    assert [o["provider_id"] for o in (outside, text, image)] == [
        "wamid.STANDIN00000001", "wamid.STANDIN00000002", "wamid.STANDIN00000003"]


def test_a_template_parameter_has_no_newlines(room, providers):
    send(room, Outgoing(channel="whatsapp", to="+6281234567890", text="Selesai.\nSudah beres?"))
    parameter = providers.sends()[0].json()["template"]["components"][0]["parameters"][0]
    assert parameter["text"] == "Selesai. Sudah beres?"


def test_sms_through_twilio(room, providers):
    sent, = send(room, message("sms", "+6281234567890", media_url="/media/after.jpg"))
    request, = providers.sends()
    assert request.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(
        f"{SID}:{SMS_TOKEN}".encode()).decode()
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.form() == {"To": "+6281234567890", "From": SMS_FROM,  # (no MMS: the
                              "Body": f"{TEXT}\nFoto: {PUBLIC}/media/after.jpg"}  # link)
    assert sent["state"] == "sent" and sent["provider_id"].startswith("SM")


def test_email_over_smtp(room, mailbox):
    sent, = send(room, message("email", "warga@example.com",
                               subject="Laporan 261207-ABCDE: selesai ditangani"))
    (sender, recipients, mail), = mailbox.received
    assert (sender, recipients) == ("lapor@example.go.id", ["warga@example.com"])
    assert mail["Subject"] == "Laporan 261207-ABCDE: selesai ditangani"
    assert mail["From"] == "lapor@example.go.id" and mail["To"] == "warga@example.com"
    assert mail.get_payload(decode=True).decode().strip() == TEXT
    assert sent == {"state": "sent", "channel": "email", "attempts": "1",
                    "provider_id": mail["Message-ID"]}


def test_a_500_is_tried_again_and_then_sent(room, providers):
    providers.fail(500)
    first, = send(room, message("telegram", "42"))
    assert first["state"] == "retry" and "HTTP 500" in first["error"]
    time.sleep(0.1)  # (the first retry waits notify_retry_seconds: 0.05 s)
    Sender(room, consumer="test").drain()
    again = outcomes.state(room, room.redis.xrange(room.keys.stream("outbox"))[0][0])
    assert again["state"] == "sent" and again["attempts"] == "2"
    assert len(providers.sends()) == 2


def test_a_429_waits_as_long_as_the_provider_asks(room, providers):
    providers.fail(429, Retry_After="30")
    first, = send(room, message("sms", "+6281234567890"))
    assert first["state"] == "retry"
    assert 28 < float(first["next_at"]) - time.time() <= 30
    Sender(room, consumer="test").drain()  # not yet due: not sent again
    assert len(providers.sends()) == 1


def test_a_refusal_is_final_and_counted_failed(room, providers):
    providers.fail(400)
    failed, = send(room, message("telegram", "42"))
    assert failed["state"] == "failed" and "HTTP 400" in failed["error"]
    Sender(room, consumer="test").drain()
    assert len(providers.sends()) == 1
    assert outcomes.of_incident(room, "261207-ABCDE")["failed"] == 1
    today = room.clock().astimezone(room.city.timezone).date()
    assert outcomes.per_channel(room, today, today) == {
        "telegram": {"sent": 0, "failed": 1}}


def test_dead_letter_after_the_last_try(room, providers):
    providers.fail(503, times=5)
    send(room, message("whatsapp", "+6281234567890"))
    for _ in range(4):
        time.sleep(0.25)
        Sender(room, consumer="test").drain()
    entry_id = room.redis.xrange(room.keys.stream("outbox"))[0][0]
    assert outcomes.state(room, entry_id)["state"] == "failed"
    assert len(providers.sends()) == 3  # notify_max_attempts
    assert room.redis.xpending(room.keys.stream("outbox"), "notify-sender")["pending"] == 0


def test_without_a_provider_messages_wait(room, providers):
    room.settings = room.settings.model_copy(update={"telegram_bot_token": None})
    waiting, = send(room, message("telegram", "42"))
    assert waiting["state"] == "waiting" and not providers.sends()
    assert outcomes.of_incident(room, "261207-ABCDE") == {"waiting": 1}
    room.settings = room.settings.model_copy(update={"telegram_bot_token": TELEGRAM_TOKEN})
    Sender(room, consumer="test").drain()  # configured since: sent
    assert len(providers.sends()) == 1
    assert outcomes.of_incident(room, "261207-ABCDE") == {"sent": 1}


def test_no_answer_is_never_tried_again(room, providers):
    """The request went out and the answer never came (a read timeout): it may have been
    sent, so it is not sent again (at most once), and it is shown as failed."""
    providers.hold()
    sender = Sender(room, consumer="test")
    sender.client = httpx.Client(timeout=0.3)
    assert enqueue(room, message("telegram", "42"), key="held")
    sender.drain()
    providers.release()
    time.sleep(0.1)
    Sender(room, consumer="test").drain()
    entry_id = room.redis.xrange(room.keys.stream("outbox"))[0][0]
    known = outcomes.state(room, entry_id)
    assert known["state"] == "unknown" and "no answer (ReadTimeout" in known["error"]
    assert len(providers.sends()) == 1
    assert outcomes.of_incident(room, "261207-ABCDE") == {"failed": 1}


def test_no_connection_is_tried_again(room, providers):
    """Nothing left (the SMTP server is not there): retried later, not given up at once."""
    nowhere = f"smtp://127.0.0.1:{free_port()}"
    room.settings = room.settings.model_copy(update={"smtp_url": nowhere})
    waiting, = send(room, message("email", "warga@example.com"))
    assert waiting["state"] == "retry" and "ConnectionRefusedError" in waiting["error"]
