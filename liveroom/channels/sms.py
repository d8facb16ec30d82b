"""SMS through Twilio: its form-encoded inbound message webhook (`From`, `Body`,
`MessageSid`, `NumMedia`, `MediaUrl0`, `MediaContentType0`) as `Inbound`, and its
`X-Twilio-Signature` (base64 HMAC-SHA1, with the auth token, of the full URL followed by
the POST parameters sorted by name, each name and value). Pure: no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from liveroom.channels import Inbound, Malformed, e164, text_of

CHANNEL = "sms"
SIGNATURE_HEADER = "x-twilio-signature"
PATH = "/hooks/sms"


def signature(url: str, params: list[tuple[str, str]], auth_token: str) -> str:
    data = url + "".join(name + value for name, value in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(),
                                     hashlib.sha1).digest()).decode()


def signed(url: str, params: list[tuple[str, str]], header: str | None,
           auth_token: str) -> bool:
    return hmac.compare_digest(signature(url, params, auth_token).encode(),
                               (header or "").encode())


def decode(params: Mapping[str, str]) -> list[Inbound]:
    sid, sender = params.get("MessageSid"), params.get("From", "")
    if not sid:
        raise Malformed("MessageSid is required")
    phone = e164(sender)
    base = {"channel": CHANNEL, "message_id": sid[:64], "sender": phone}
    media = params.get("MediaUrl0")
    if params.get("NumMedia", "0") not in ("", "0") and media and str(
            params.get("MediaContentType0", "")).startswith("image/"):
        return [Inbound(**base, media=media[:1000])]
    return [Inbound(**base, text=text_of(params.get("Body")))]
