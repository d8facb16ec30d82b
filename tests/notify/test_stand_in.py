"""The providers' stand-in serves media as each provider documents it (for the inbound
tests): Telegram getFile then /file/bot<token>/<file_path>; WhatsApp GET /<media_id> then
its `url` with the bearer token; Twilio's media URL."""

from __future__ import annotations

import httpx

from tests.notify.conftest import SID, TELEGRAM_TOKEN, WHATSAPP_TOKEN

JPEG = b"\xff\xd8\xff\xe0 stand-in photo"


def test_telegram_media(providers):
    providers.media["photos/file_7.jpg"] = JPEG
    found = httpx.get(f"{providers.url}/bot{TELEGRAM_TOKEN}/getFile",
                      params={"file_id": "photos/file_7.jpg"}).json()
    assert found["ok"] and found["result"]["file_size"] == len(JPEG)
    path = found["result"]["file_path"]
    assert httpx.get(f"{providers.url}/file/bot{TELEGRAM_TOKEN}/{path}").content == JPEG
    assert httpx.get(f"{providers.url}/bot{TELEGRAM_TOKEN}/getFile",
                     params={"file_id": "nope"}).status_code == 400


def test_whatsapp_media(providers):
    providers.media["1234567890"] = JPEG
    bearer = {"Authorization": f"Bearer {WHATSAPP_TOKEN}"}
    found = httpx.get(f"{providers.url}/1234567890", headers=bearer).json()
    assert found["messaging_product"] == "whatsapp" and found["mime_type"] == "image/jpeg"
    assert httpx.get(found["url"], headers=bearer).content == JPEG
    assert httpx.get(found["url"]).status_code == 401


def test_twilio_media(providers):
    providers.media["ME" + "1" * 32] = JPEG
    url = f"{providers.url}/2010-04-01/Accounts/{SID}/Messages/MM{'2' * 32}/Media/ME{'1' * 32}"
    assert httpx.get(url).content == JPEG
    assert [r.method for r in providers.requests] == ["GET"]
