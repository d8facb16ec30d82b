"""E-mail over SMTP (`smtp_url`): `smtp://` plain, upgraded with STARTTLS when the server
offers it, or `smtps://` (TLS from the start); `user:pass@` logs in."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

import httpx

from liveroom.notify.errors import SendError
from liveroom.notify.outbox import Outgoing
from liveroom.room import LiveRoom

TIMEOUT = 20.0


def configured(room: LiveRoom) -> bool:
    return room.settings.sends_by("email")


def send(room: LiveRoom, client: httpx.Client | None, message: Outgoing) -> str:
    """Send; the message's `Message-ID`."""
    s = room.settings
    url = urlsplit(s.smtp_url or "")
    mail = EmailMessage()
    mail["From"], mail["To"] = s.mail_from, message.to
    mail["Subject"] = message.subject or message.text.splitlines()[0][:100]
    mail["Message-ID"] = make_msgid(domain=(s.mail_from or "").rpartition("@")[2] or None)
    mail.set_content(message.text)
    secure = url.scheme == "smtps"
    delivering = False  # (from DATA on, a dropped connection leaves it unknown)
    try:
        opened = (smtplib.SMTP_SSL(url.hostname or "", url.port or 465, timeout=TIMEOUT,
                                   context=ssl.create_default_context()) if secure else
                  smtplib.SMTP(url.hostname or "", url.port or 25, timeout=TIMEOUT))
        with opened as smtp:
            smtp.ehlo()
            if not secure and smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if url.username:
                smtp.login(unquote(url.username), unquote(url.password or ""))
            delivering = True
            smtp.send_message(mail)
            delivering = False
    except smtplib.SMTPRecipientsRefused as exc:
        code = min(c for c, _ in exc.recipients.values())
        raise SendError(f"email: recipient refused ({code})", retryable=code < 500) from None
    except smtplib.SMTPResponseException as exc:
        raise SendError(f"email: {exc.smtp_code} {exc.smtp_error!r}",
                        retryable=exc.smtp_code < 500) from None
    except (OSError, smtplib.SMTPException) as exc:
        if delivering:
            raise SendError(f"email: no answer ({type(exc).__name__}: {exc})",
                            retryable=False, unknown=True) from None
        raise SendError(f"email: {type(exc).__name__}: {exc}", retryable=True) from None
    return str(mail["Message-ID"])
