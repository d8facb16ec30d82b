"""A deployment with every chat channel configured against the stand-in of the providers
(`tests.notify.providers`),
the app in-process behind a test client, and what a test needs to chat through it."""

from __future__ import annotations

import io

import orjson
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app import create_app
from liveroom.channels import sms
from liveroom.notify.outbox import outbox_stream
from tests.channels import payloads
from tests.notify.conftest import PHONE_ID, SID, SMS_TOKEN, TELEGRAM_TOKEN, WHATSAPP_TOKEN
from tests.notify.providers import Providers

APP_SECRET, VERIFY_TOKEN, TELEGRAM_SECRET = "app-secret", "verify-me", "tg-secret"
PUBLIC_URL = "https://lapor.example.go.id"


@pytest.fixture
def providers():
    with Providers() as stand_in:
        yield stand_in


@pytest.fixture
def settings(settings, providers):
    """The test's deployment, every channel configured (`settings` of tests/conftest.py)."""
    return settings.model_copy(update={
        "public_url": PUBLIC_URL, "whatsapp_token": WHATSAPP_TOKEN,
        "whatsapp_app_secret": APP_SECRET, "whatsapp_verify_token": VERIFY_TOKEN,
        "whatsapp_phone_number_id": PHONE_ID, "whatsapp_api_url": providers.url,
        "telegram_bot_token": TELEGRAM_TOKEN, "telegram_webhook_secret": TELEGRAM_SECRET,
        "telegram_api_url": providers.url, "sms_account_sid": SID,
        "sms_auth_token": SMS_TOKEN, "sms_from": "+14155552671",
        "sms_api_url": providers.url})


@pytest.fixture
def client(room):
    with TestClient(create_app(room).server) as client:
        yield client


def photo(width: int = 800, height: int = 600) -> bytes:
    data = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "KameraMerek"  # Make: must not survive
    Image.new("RGB", (width, height), "#8b4513").save(data, "JPEG", exif=exif.tobytes())
    return data.getvalue()


def post_whatsapp(client, body: bytes, secret: str = APP_SECRET):
    return client.post("/hooks/whatsapp", content=body, headers={
        "Content-Type": "application/json",
        "X-Hub-Signature-256": payloads.hub_signature(body, secret)})


def post_telegram(client, body: bytes, secret: str = TELEGRAM_SECRET):
    return client.post("/hooks/telegram", content=body, headers={
        "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret})


def post_sms(client, params: list[tuple[str, str]], token: str = SMS_TOKEN):
    signature = sms.signature(PUBLIC_URL + "/hooks/sms", params, token)
    return client.post("/hooks/sms", data=dict(params), headers={
        "X-Twilio-Signature": signature})


def replies(room, to: str | None = None) -> list[dict]:
    """The outbox's messages (to one address), oldest first."""
    found = [orjson.loads(fields["message"])
             for _, fields in room.redis.xrange(outbox_stream(room))]
    return [m for m in found if to is None or m["to"] == to]


def last_reply(room, to: str) -> str:
    return replies(room, to)[-1]["text"]
