"""Webhook bodies as the providers document them (their syntax, their example values)."""

from __future__ import annotations

import hashlib
import hmac

import orjson

#: WhatsApp Cloud API, "Text messages webhook reference" (Meta's example values)
WHATSAPP_TEXT = b"""{
  "object": "whatsapp_business_account",
  "entry": [
    {
      "id": "102290129340398",
      "changes": [
        {
          "value": {
            "messaging_product": "whatsapp",
            "metadata": {
              "display_phone_number": "15550783881",
              "phone_number_id": "106540352242922"
            },
            "contacts": [
              {
                "profile": {
                  "name": "Sheena Nelson"
                },
                "wa_id": "16505551234"
              }
            ],
            "messages": [
              {
                "from": "16505551234",
                "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=",
                "timestamp": "1749416383",
                "type": "text",
                "text": {
                  "body": "Does it come in another color?"
                }
              }
            ]
          },
          "field": "messages"
        }
      ]
    }
  ]
}"""


def whatsapp(message: dict, sender: str = "16505551234", name: str = "Sheena Nelson") -> bytes:
    """A notification of one message in the documented envelope."""
    return orjson.dumps({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881",
                         "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": name}, "wa_id": sender}],
            "messages": [{"from": sender, "timestamp": "1749416383", **message}]},
            "field": "messages"}]}]})


#: "Location messages webhook reference": `location` with address, latitude, longitude, name
WHATSAPP_LOCATION = {
    "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMQA=",
    "type": "location",
    "location": {"address": "Jl. Jenderal Sudirman No.1, Tangerang", "latitude": -6.178,
                 "longitude": 106.63, "name": "Puspemkot Tangerang",
                 "url": "https://www.tangerangkota.go.id"}}
#: "Image messages webhook reference": `image` with caption, mime_type, sha256, id
WHATSAPP_IMAGE = {
    "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMgA=",
    "type": "image",
    "image": {"caption": "Sampah menumpuk", "mime_type": "image/jpeg",
              "sha256": "/tRD9aDbCZbDsF0S3hEJhsjOtw+3LLDHIRsbMjGhZsQ=",
              "id": "1003383421387256"}}
#: a notification of a delivery status only (no messages)
WHATSAPP_STATUS = b"""{"object": "whatsapp_business_account", "entry": [{"id": "102290129340398",
 "changes": [{"value": {"messaging_product": "whatsapp", "metadata": {
 "display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
 "statuses": [{"id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA",
 "status": "delivered", "timestamp": "1750030073", "recipient_id": "16505551234"}]},
 "field": "messages"}]}]}"""


def hub_signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


#: Telegram Bot API: an `Update` with a private chat's text message
TELEGRAM_TEXT = b"""{"update_id": 10000,
 "message": {"message_id": 1365, "date": 1441645532,
  "from": {"id": 1111111, "is_bot": false, "first_name": "Test", "last_name": "Lastname",
           "username": "Test", "language_code": "id"},
  "chat": {"id": 1111111, "first_name": "Test", "last_name": "Lastname",
           "username": "Test", "type": "private"},
  "text": "/start"}}"""


def telegram(update_id: int, message: dict, chat_id: int = 1111111) -> bytes:
    return orjson.dumps({"update_id": update_id, "message": {
        "message_id": update_id, "date": 1441645532,
        "from": {"id": chat_id, "is_bot": False, "first_name": "Test", "last_name": "Lastname"},
        "chat": {"id": chat_id, "first_name": "Test", "last_name": "Lastname",
                 "type": "private"}, **message}})


#: `message.photo`: the sizes Telegram made of one photo (PhotoSize), smallest first
TELEGRAM_PHOTO = {"photo": [
    {"file_id": "AgACAgUAAxkBAAIBQ2Y-small", "file_unique_id": "AQADx7kxG1", "file_size": 1523,
     "width": 90, "height": 67},
    {"file_id": "AgACAgUAAxkBAAIBQ2Y-medium", "file_unique_id": "AQADx7kxG2",
     "file_size": 21987, "width": 320, "height": 240},
    {"file_id": "AgACAgUAAxkBAAIBQ2Y-large", "file_unique_id": "AQADx7kxG3",
     "file_size": 98765, "width": 1280, "height": 960}]}

#: Twilio's inbound SMS webhook, form-encoded, as its docs list the parameters
TWILIO_SMS = [
    ("ToCountry", "US"), ("ToState", "CA"), ("SmsMessageSid", "SM1234567890abcdef1234567890abcd"),
    ("NumMedia", "0"), ("ToCity", "SAN FRANCISCO"), ("FromZip", ""),
    ("SmsSid", "SM1234567890abcdef1234567890abcd"), ("FromState", ""), ("SmsStatus", "received"),
    ("FromCity", ""), ("Body", "Halo"), ("FromCountry", "ID"), ("To", "+14155552671"),
    ("ToZip", "94105"), ("NumSegments", "1"), ("MessageSid", "SM1234567890abcdef1234567890abcd"),
    ("AccountSid", "AC" + "0" * 32), ("From", "+6281234567890"), ("ApiVersion", "2010-04-01")]
