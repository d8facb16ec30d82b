"""Citizens' channels stood in for: the providers' HTTP endpoints (`providers.Providers`)
and an SMTP server (aiosmtpd), with the test's deployment configured to use them."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from liveroom.notify.outbox import Outgoing, outbox_stream
from tests.app_process import free_port
from tests.notify.providers import Providers

TELEGRAM_TOKEN = "123456:ABC-stand-in"
WHATSAPP_TOKEN = "EAAstandin"
PHONE_ID = "1098765432"
SID = "AC" + "0123456789abcdef" * 2
SMS_TOKEN = "twilio-secret"
SMS_FROM = "+15005550006"
PUBLIC = "https://lapor.example.go.id"


class Mailbox:
    """What the SMTP stand-in received: (envelope sender, recipients, parsed message)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos),
                              message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def providers() -> Iterator[Providers]:
    with Providers() as stand_in:
        yield stand_in


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.url = f"smtp://127.0.0.1:{controller.port}"  # type: ignore[attr-defined]
    yield box
    controller.stop()


def providers_env(providers: Providers, mailbox: Mailbox) -> dict[str, str]:
    """The `LIVEROOM_*` settings that point every channel at the stand-ins."""
    return {"TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_API_URL": providers.url,
            "WHATSAPP_TOKEN": WHATSAPP_TOKEN, "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
            "WHATSAPP_API_URL": providers.url, "SMS_ACCOUNT_SID": SID,
            "SMS_AUTH_TOKEN": SMS_TOKEN, "SMS_FROM": SMS_FROM, "SMS_API_URL": providers.url,
            "SMTP_URL": mailbox.url, "MAIL_FROM": "lapor@example.go.id",  # type: ignore
            "PUBLIC_URL": PUBLIC}


@pytest.fixture
def settings(settings, providers, mailbox):
    """The test's deployment with every channel configured, retries quick."""
    env = providers_env(providers, mailbox)
    return settings.model_copy(update={
        **{name.lower(): value for name, value in env.items()},
        "notify_retry_seconds": 0.05, "notify_max_attempts": 3})


def outbox(room) -> list[Outgoing]:
    return [Outgoing.model_validate_json(fields["message"])
            for _, fields in room.redis.xrange(outbox_stream(room))]
