"""The providers' webhook bodies, decoded; their signatures checked, wrong ones refused."""

from __future__ import annotations

import orjson
import pytest

from liveroom.channels import Inbound, Malformed, sms, telegram, whatsapp
from tests.channels import payloads as p


def test_whatsapp_subscription_answers_the_challenge_only_to_our_token():
    asked = {"hub.mode": "subscribe", "hub.verify_token": "rahasia", "hub.challenge": "1158201444"}
    assert whatsapp.challenge(asked, "rahasia") == "1158201444"
    assert whatsapp.challenge({**asked, "hub.verify_token": "tebakan"}, "rahasia") is None
    assert whatsapp.challenge({**asked, "hub.mode": "unsubscribe"}, "rahasia") is None
    assert whatsapp.challenge({}, "rahasia") is None


def test_whatsapp_signature_is_the_bodys_hmac_with_the_app_secret():
    body = p.WHATSAPP_TEXT
    assert whatsapp.signed(body, p.hub_signature(body, "appsecret"), "appsecret")
    assert not whatsapp.signed(body, p.hub_signature(body, "other"), "appsecret")
    assert not whatsapp.signed(body + b" ", p.hub_signature(body, "appsecret"), "appsecret")
    assert not whatsapp.signed(body, None, "appsecret")
    assert not whatsapp.signed(body, p.hub_signature(body, "appsecret")[7:], "appsecret")


def test_whatsapp_text_location_and_image():
    assert whatsapp.decode(p.WHATSAPP_TEXT) == [Inbound(
        channel="whatsapp", sender="+16505551234", name="Sheena Nelson",
        message_id="wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=",
        text="Does it come in another color?")]
    [place] = whatsapp.decode(p.whatsapp(p.WHATSAPP_LOCATION))
    assert place.location == (-6.178, 106.63) and place.text is None
    [image] = whatsapp.decode(p.whatsapp(p.WHATSAPP_IMAGE))
    assert image.media == "1003383421387256" and image.sender == "+16505551234"


def test_whatsapp_statuses_and_unsupported_types():
    assert whatsapp.decode(p.WHATSAPP_STATUS) == []
    [sticker] = whatsapp.decode(p.whatsapp({"id": "wamid.X", "type": "sticker",
                                            "sticker": {"id": "527"}}))
    assert (sticker.text, sticker.location, sticker.media) == (None, None, None)


@pytest.mark.parametrize("body", [
    b"", b"not json", b"[]", b'{"object": "whatsapp_business_account"}',
    b'{"entry": [{"changes": [{"value": "x"}]}]}',
    p.whatsapp({"id": "wamid.Y", "type": "text", "text": {"body": "x"}}, sender="abc"),
    p.whatsapp({"id": "wamid.Z", "type": "location", "location": {"latitude": "north"}}),
    p.whatsapp({"type": "text", "text": {"body": "no id"}}),
])
def test_whatsapp_malformed(body):
    with pytest.raises(Malformed):
        whatsapp.decode(body)


def test_telegram_secret_token():
    assert telegram.signed("s3cret-token", "s3cret-token")
    assert not telegram.signed("s3cret-tokem", "s3cret-token")
    assert not telegram.signed(None, "s3cret-token")


def test_telegram_text_location_and_the_largest_photo_that_fits():
    assert telegram.decode(p.TELEGRAM_TEXT, 10_000_000) == [Inbound(
        channel="telegram", message_id="10000", sender="1111111", name="Test Lastname",
        text="/start")]
    [place] = telegram.decode(p.telegram(10001, {"location": {
        "latitude": -6.2, "longitude": 106.65}}), 10_000_000)
    assert place.location == (-6.2, 106.65)
    [photo] = telegram.decode(p.telegram(10002, p.TELEGRAM_PHOTO), 10_000_000)
    assert photo.media == "AgACAgUAAxkBAAIBQ2Y-large"
    [smaller] = telegram.decode(p.telegram(10003, p.TELEGRAM_PHOTO), 50_000)
    assert smaller.media == "AgACAgUAAxkBAAIBQ2Y-medium"
    assert telegram.decode(orjson.dumps({"update_id": 5, "edited_message": {}}), 1) == []


@pytest.mark.parametrize("body", [b"", b"{}", b"[1]", orjson.dumps(
    {"update_id": 1, "message": {"chat": {"id": "x"}}})])
def test_telegram_malformed(body):
    with pytest.raises(Malformed):
        telegram.decode(body, 10_000_000)


def test_twilio_signature_matches_its_documented_example():
    """Twilio's "Validating requests" example: this URL, these parameters, auth token 12345."""
    params = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"), ("Digits", "1234"),
              ("From", "+12349013030"), ("To", "+18005551212")]
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert sms.signature(url, params, "12345") == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert sms.signed(url, list(reversed(params)), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", "12345")
    assert not sms.signed(url, params[:-1], "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", "12345")
    assert not sms.signed(url, params, None, "12345")


def test_twilio_text_and_image():
    assert sms.decode(dict(p.TWILIO_SMS)) == [Inbound(
        channel="sms", message_id="SM1234567890abcdef1234567890abcd", sender="+6281234567890",
        text="Halo")]
    media = {**dict(p.TWILIO_SMS), "NumMedia": "1", "MediaContentType0": "image/jpeg",
             "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/SM1/Media/ME1"}
    assert sms.decode(media)[0].media.endswith("/Media/ME1")


@pytest.mark.parametrize("drop", ["MessageSid", "From"])
def test_twilio_malformed(drop):
    with pytest.raises(Malformed):
        sms.decode({k: v for k, v in p.TWILIO_SMS if k != drop})


def test_control_characters_are_dropped_from_texts():
    [message] = whatsapp.decode(p.whatsapp({"id": "wamid.C", "type": "text",
                                            "text": {"body": "ada\x00 banjir\x1b\ndi sini"}}))
    assert message.text == "ada banjir\ndi sini"
