"""A chat photo fetched from its provider's documented media endpoint, streamed with a byte
cap: WhatsApp `GET {api}/{media-id}` (Bearer) for its `url`, then that URL (Bearer);
Telegram `getFile` for its `file_path`, then `{api}/file/bot<token>/<file_path>`; Twilio
the message's `MediaUrl0`, on its API's host only (basic auth, account SID and auth token)."""

from __future__ import annotations

import httpx

from liveroom.config import Settings

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class FetchFailed(Exception):
    """The provider did not give the photo (unreachable, refused, too large)."""


def fetch(settings: Settings, channel: str, ref: str) -> bytes:
    """The bytes of the photo `ref` names on `channel`, at most `photo_max_bytes`."""
    cap = settings.photo_max_bytes
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=True, max_redirects=3) as client:
            if channel == "whatsapp":
                auth = {"Authorization": f"Bearer {settings.whatsapp_token}"}
                found = _json(client.get(f"{settings.whatsapp_api_url}/{ref}", headers=auth))
                return _download(client, str(found.get("url", "")), cap, headers=auth)
            if channel == "telegram":
                api = f"{settings.telegram_api_url}/bot{settings.telegram_bot_token}"
                found = _json(client.get(f"{api}/getFile", params={"file_id": ref}))
                path = (found.get("result") or {}).get("file_path") if found.get("ok") else None
                if not path:
                    raise FetchFailed("getFile gave no file_path")
                return _download(client, f"{settings.telegram_api_url}/file/bot"
                                 f"{settings.telegram_bot_token}/{path}", cap)
            if channel == "sms":  # (the account's credentials go to Twilio's API only)
                if not ref.startswith(settings.sms_api_url.rstrip("/") + "/"):
                    raise FetchFailed("a media URL outside the SMS API")
                return _download(client, ref, cap, auth=(settings.sms_account_sid or "",
                                                         settings.sms_auth_token or ""))
    except httpx.HTTPError as exc:
        raise FetchFailed(f"{channel} media: {type(exc).__name__}") from None
    raise FetchFailed(f"no media on {channel}")


def _json(response: httpx.Response) -> dict:
    if response.status_code != 200:
        raise FetchFailed(f"media lookup answered {response.status_code}")
    try:
        found = response.json()
    except ValueError:
        raise FetchFailed("media lookup answered no JSON") from None
    if not isinstance(found, dict):
        raise FetchFailed("media lookup answered no object")
    return found


def _download(client: httpx.Client, url: str, cap: int, **options) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise FetchFailed("no media URL")
    with client.stream("GET", url, **options) as response:
        if response.status_code != 200:
            raise FetchFailed(f"media download answered {response.status_code}")
        if int(response.headers.get("content-length") or 0) > cap:
            raise FetchFailed("the photo is too large")
        data = bytearray()
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) > cap:
                raise FetchFailed("the photo is too large")
    return bytes(data)
