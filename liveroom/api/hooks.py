"""Citizens' chat webhooks: WhatsApp Business Cloud API (`GET`/`POST /hooks/whatsapp`),
Telegram Bot API (`POST /hooks/telegram`), Twilio SMS (`POST /hooks/sms`).

Each is checked (signature or secret) before its body is read; a channel not configured
answers 404, a bad signature 401, a malformed body 400 (`{"code", "message"}`), and none of
them stores anything. A provider's message is handled once (its retries find it marked),
at most `inbound_per_sender_per_minute` a minute per sender (more are acknowledged and
dropped); a failure meanwhile answers 503 so the provider sends it again.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from liveroom.access import sessions as session_store
from liveroom.api.errors import RETRY_AFTER
from liveroom.channels import Inbound, Malformed, sms, telegram, whatsapp
from liveroom.channels.conversation import respond
from liveroom.notify.whatsapp import mark_customer_window
from liveroom.room import LiveRoom

router = APIRouter(prefix="/hooks")
log = logging.getLogger("liveroom.hooks")
#: the largest webhook body taken (a provider's notification is a few KB)
MAX_BODY = 256_000
#: how long a provider's message id is remembered (WhatsApp retries for up to 7 days)
SEEN_SECONDS = 7 * 86400
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _refused(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status)


NOT_CONFIGURED = ("not_configured", "this channel is not configured")
BAD_SIGNATURE = ("bad_signature", "the request's signature does not match")


@router.get("/whatsapp")
def whatsapp_subscribe(request: Request) -> Response:
    token = request.app.state.room.settings.whatsapp_verify_token
    if not token:
        return _refused(404, *NOT_CONFIGURED)
    answer = whatsapp.challenge(request.query_params, token)
    if answer is None:
        return _refused(403, "bad_verify_token", "hub.mode or hub.verify_token is wrong")
    return PlainTextResponse(answer)


@router.post("/whatsapp")
async def whatsapp_notification(request: Request) -> Response:
    secret = request.app.state.room.settings.whatsapp_app_secret
    if not secret:
        return _refused(404, *NOT_CONFIGURED)
    body = await request.body()
    if not whatsapp.signed(body, request.headers.get(whatsapp.SIGNATURE_HEADER), secret):
        return _refused(401, *BAD_SIGNATURE)
    return await _take(request, whatsapp.decode, body)


@router.post("/telegram")
async def telegram_update(request: Request) -> Response:
    settings = request.app.state.room.settings
    if not settings.telegram_webhook_secret:
        return _refused(404, *NOT_CONFIGURED)
    if not telegram.signed(request.headers.get(telegram.SECRET_HEADER),
                           settings.telegram_webhook_secret):
        return _refused(401, *BAD_SIGNATURE)
    body = await request.body()
    return await _take(request, lambda b: telegram.decode(b, settings.photo_max_bytes), body)


@router.post("/sms")
async def sms_message(request: Request) -> Response:
    settings = request.app.state.room.settings
    if not settings.sms_auth_token:
        return _refused(404, *NOT_CONFIGURED)
    body = await request.body()
    try:
        params = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body),
                           max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        return _refused(400, "malformed", "not a form-encoded body")
    url = settings.public_url.rstrip("/") + sms.PATH + (
        f"?{request.url.query}" if request.url.query else "")
    if not sms.signed(url, params, request.headers.get(sms.SIGNATURE_HEADER),
                      settings.sms_auth_token):
        return _refused(401, *BAD_SIGNATURE)
    answer = await _take(request, lambda _: sms.decode(dict(params)), body)
    if answer.status_code != 200:
        return answer
    return Response(EMPTY_TWIML, media_type="application/xml")  # (replies: the outbox)


async def _take(request: Request, decode, body: bytes) -> Response:
    """Decode a checked body and handle its messages, each once."""
    try:
        messages = decode(body)
    except Malformed as exc:
        return _refused(400, "malformed", str(exc))
    room: LiveRoom = request.app.state.room
    try:
        for message in messages:
            await anyio.to_thread.run_sync(handle_once, room, message)
    except Exception:  # (logged; the provider sends it again)
        log.exception("inbound message not handled")
        return JSONResponse({"code": "try_again", "message": "not handled: send it again"},
                            503, headers={"Retry-After": str(RETRY_AFTER)})
    return PlainTextResponse("ok")


def handle_once(room: LiveRoom, message: Inbound) -> bool:
    """Handle a message unless it was handled before; whether it was handled now."""
    seen = room.keys.inbound_seen(message.channel, message.message_id)
    if not room.redis.set(seen, "1", nx=True, ex=SEEN_SECONDS):
        return False
    try:
        if message.channel == "whatsapp":  # (any message opens the 24-hour window)
            mark_customer_window(room, message.sender)
        if session_store.rate_limited(room, f"inbound:{message.channel}:{message.sender}",
                                      room.settings.inbound_per_sender_per_minute, 60):
            log.warning("%s: a sender over the rate limit, message dropped", message.channel)
            return False
        respond(room, message)
    except BaseException:
        room.redis.delete(seen)  # not handled: the provider's retry will be
        raise
    return True
