"""SMS through Twilio's Programmable Messaging API: `POST /2010-04-01/Accounts/{sid}/
Messages.json`, form-encoded, basic auth sid:token. A photo goes as its link in the text:
Twilio's MMS (`MediaUrl`) reaches only US and Canadian numbers.
https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource"""

from __future__ import annotations

import httpx

from liveroom.i18n import translate
from liveroom.notify.errors import SendError, checked, public_link
from liveroom.notify.outbox import Outgoing
from liveroom.room import LiveRoom


def configured(room: LiveRoom) -> bool:
    return room.settings.sends_by("sms")


def send(room: LiveRoom, client: httpx.Client, message: Outgoing) -> str:
    """Send; Twilio's message SID (`SM…`)."""
    s = room.settings
    body = message.text
    if photo := public_link(s.public_url, message.media_url):
        body += "\n" + translate("notify.photo_link", message.lang, link=photo)
    form = {"To": message.to, "From": s.sms_from, "Body": body}
    url = f"{s.sms_api_url}/2010-04-01/Accounts/{s.sms_account_sid}/Messages.json"
    response = checked("sms", lambda: client.post(
        url, data=form, auth=(s.sms_account_sid or "", s.sms_auth_token or "")))
    try:
        return str(response.json()["sid"])
    except (ValueError, KeyError, TypeError):
        raise SendError(f"sms: unexpected answer {response.text[:200]}",
                        retryable=False) from None
