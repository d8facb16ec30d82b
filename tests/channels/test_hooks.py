"""The webhook routes through the app: signatures checked before anything is stored,
malformed bodies and unconfigured channels refused, retried deliveries handled once."""

from __future__ import annotations

import orjson
import pytest

from liveroom.channels import state
from tests.channels import payloads as p
from tests.channels.conftest import (
    PUBLIC_URL,
    VERIFY_TOKEN,
    post_sms,
    post_telegram,
    post_whatsapp,
    replies,
)

SENDER = "+16505551234"


def test_whatsapp_verification(client):
    asked = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
             "hub.challenge": "1158201444"}
    answer = client.get("/hooks/whatsapp", params=asked)
    assert (answer.status_code, answer.text) == (200, "1158201444")
    assert answer.headers["content-type"].startswith("text/plain")
    assert client.get("/hooks/whatsapp", params={**asked, "hub.verify_token": "x"}
                      ).status_code == 403


def test_a_message_is_answered_once_however_often_it_is_delivered(client, room):
    for _ in range(3):
        assert post_whatsapp(client, p.WHATSAPP_TEXT).status_code == 200
    [welcome] = replies(room, SENDER)
    assert welcome["channel"] == "whatsapp" and welcome["step"] == "reply"
    assert "Pilih jenis masalah" in welcome["text"]


@pytest.mark.parametrize("secret", ["wrong-secret", None])
def test_a_wrong_or_missing_whatsapp_signature_stores_nothing(client, room, secret):
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["X-Hub-Signature-256"] = p.hub_signature(p.WHATSAPP_TEXT, secret)
    answer = client.post("/hooks/whatsapp", content=p.WHATSAPP_TEXT, headers=headers)
    assert answer.status_code == 401 and answer.json()["code"] == "bad_signature"
    assert replies(room) == [] and state.load(room, "whatsapp", SENDER) == {}


def test_malformed_bodies_are_refused_briefly(client, room):
    for body in (b"{not json", b'{"entry": 5}', b"[]"):
        answer = post_whatsapp(client, body)
        assert answer.status_code == 400 and answer.json()["code"] == "malformed"
    assert post_telegram(client, b"\xff\xfe").status_code == 400
    assert replies(room) == []


def test_statuses_are_acknowledged_and_ignored(client, room):
    assert post_whatsapp(client, p.WHATSAPP_STATUS).status_code == 200
    assert replies(room) == []


def test_a_body_over_the_cap_is_refused_unread(client, room):
    body = p.whatsapp({"id": "wamid.BIG", "type": "text", "text": {"body": "x" * 300_000}})
    assert post_whatsapp(client, body).status_code == 413
    assert replies(room) == []


def test_a_channel_not_configured_is_not_found(client, room):
    room.settings = room.settings.model_copy(update={
        "whatsapp_app_secret": None, "whatsapp_verify_token": None,
        "telegram_webhook_secret": None, "sms_auth_token": None})
    assert client.get("/hooks/whatsapp", params={"hub.mode": "subscribe"}).status_code == 404
    assert post_whatsapp(client, p.WHATSAPP_TEXT).status_code == 404
    assert post_telegram(client, p.TELEGRAM_TEXT).status_code == 404
    assert client.post("/hooks/sms", data=dict(p.TWILIO_SMS)).status_code == 404
    assert replies(room) == []


def test_telegram_secret_token(client, room):
    assert post_telegram(client, p.TELEGRAM_TEXT, secret="guess").status_code == 401
    assert replies(room) == []
    assert post_telegram(client, p.TELEGRAM_TEXT).status_code == 200
    assert post_telegram(client, p.TELEGRAM_TEXT).status_code == 200  # (a retry)
    [welcome] = replies(room, "1111111")
    assert welcome["channel"] == "telegram"


def test_twilio_signature_over_the_public_url(client, room):
    assert post_sms(client, p.TWILIO_SMS, token="not-the-token").status_code == 401
    tampered = [(k, "Halo!" if k == "Body" else v) for k, v in p.TWILIO_SMS]
    signed_for_other = post_sms(client, p.TWILIO_SMS)
    assert signed_for_other.status_code == 200
    assert signed_for_other.headers["content-type"].startswith("application/xml")
    assert "<Response>" in signed_for_other.text
    from liveroom.channels import sms  # the signature of the original, the body tampered
    answer = client.post("/hooks/sms", data=dict(tampered), headers={
        "X-Twilio-Signature": sms.signature(PUBLIC_URL + "/hooks/sms", p.TWILIO_SMS,
                                            "twilio-auth-token")})
    assert answer.status_code == 401
    assert len(replies(room, "+6281234567890")) == 1


def test_a_sender_over_the_rate_limit_is_dropped(client, room):
    room.settings = room.settings.model_copy(update={"inbound_per_sender_per_minute": 3})
    for n in range(5):
        body = p.whatsapp({"id": f"wamid.R{n}", "type": "text", "text": {"body": "halo"}})
        assert post_whatsapp(client, body).status_code == 200
    assert len(replies(room, SENDER)) == 3
    other = p.whatsapp({"id": "wamid.O", "type": "text", "text": {"body": "halo"}},
                       sender="6281298765432")
    post_whatsapp(client, other)
    assert len(replies(room, "+6281298765432")) == 1


def test_twiml_answer_is_empty_and_replies_wait_in_the_outbox(client, room):
    answer = post_sms(client, p.TWILIO_SMS)
    assert answer.text.endswith("<Response></Response>")
    [reply] = replies(room, "+6281234567890")
    assert reply["channel"] == "sms" and orjson.dumps(reply)
